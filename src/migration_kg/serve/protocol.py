"""Reading a SPARQL 1.1 Protocol request: which operation, its text, and the dataset parameters.

https://www.w3.org/TR/sparql11-protocol/#query-operation and #update-operation.
Only the HTTP shape is checked here; the text itself is checked by ``guard`` and parsed
by pyoxigraph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qsl

from ..errors import QueryError, UnsupportedMediaType
from ..store import QueryDataset

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
_POST_TYPES = f"{FORM}, {SPARQL_QUERY} or {SPARQL_UPDATE}"


class Operation(Enum):
    """What the client asked for."""

    QUERY = "query"
    UPDATE = "update"
    SERVICE_DESCRIPTION = "service-description"


@dataclass(frozen=True)
class ProtocolRequest:
    """One protocol request, validated.

    Attributes:
        operation: query, update, or (no operation given) the service description.
        text: the query or update text ("" for the service description).
        dataset: from ``default-graph-uri``/``named-graph-uri``; None if neither was given.
        using: from ``using-graph-uri``/``using-named-graph-uri`` (updates); None if neither.
        format: the ``format=`` convenience parameter, if any.
    """

    operation: Operation
    text: str = ""
    dataset: QueryDataset | None = None
    using: QueryDataset | None = None
    format: str | None = None


Params = Sequence[tuple[str, str]]


def from_get(params: Params) -> ProtocolRequest:
    """Read a GET request from its query-string parameters.

    Raises:
        QueryError: ``update`` over GET, repeated or empty ``query``, or ``format`` given
            twice with different values.
    """
    if _values(params, "update"):
        raise QueryError("SPARQL Update must be sent with POST, never GET")
    return _build(params, allow_none=True)


def from_post(content_type: str | None, body: bytes, params: Params) -> ProtocolRequest:
    """Read a POST request.

    Args:
        content_type: the ``Content-Type`` header, or None.
        body: the raw body.
        params: the URL's query-string parameters (dataset parameters for direct POST).

    Raises:
        UnsupportedMediaType: no or another Content-Type, or a charset other than UTF-8 (415).
        QueryError: the body is not UTF-8, or operations are missing, repeated or mixed (400).
    """
    if not content_type:
        raise UnsupportedMediaType(f"a POST needs a Content-Type: {_POST_TYPES}")
    media_type, charset = _parse_content_type(content_type)
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset={charset} is not supported; send UTF-8")
    text = _decode(body)
    if media_type == FORM:
        try:
            form = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise QueryError(f"the form body is not UTF-8 after percent-decoding: {exc}") from exc
        return _build([*params, *form], allow_none=False)
    if media_type in (SPARQL_QUERY, SPARQL_UPDATE):
        if _values(params, "query") or _values(params, "update"):
            raise QueryError(f"a {media_type} POST carries the operation in the body, not in the URL")
        if not text.strip():
            raise QueryError("the request body is empty")
        operation = Operation.QUERY if media_type == SPARQL_QUERY else Operation.UPDATE
        return ProtocolRequest(
            operation,
            text,
            _dataset(params, "default-graph-uri", "named-graph-uri"),
            _dataset(params, "using-graph-uri", "using-named-graph-uri"),
            _one(params, "format"),
        )
    raise UnsupportedMediaType(f"Content-Type {media_type!r} is not supported; use {_POST_TYPES}")


def _build(params: Params, *, allow_none: bool) -> ProtocolRequest:
    queries, updates = _values(params, "query"), _values(params, "update")
    if queries and updates:
        raise QueryError("a request carries either a query or an update, not both")
    if len(queries) > 1 or len(updates) > 1:
        raise QueryError("the query or update parameter is given more than once")
    fmt = _one(params, "format")
    if not queries and not updates:
        if allow_none:
            return ProtocolRequest(Operation.SERVICE_DESCRIPTION, format=fmt)
        raise QueryError("the form has neither a query nor an update parameter")
    text = (queries or updates)[0]
    if not text.strip():
        raise QueryError("the query or update is empty")
    operation = Operation.QUERY if queries else Operation.UPDATE
    return ProtocolRequest(
        operation,
        text,
        _dataset(params, "default-graph-uri", "named-graph-uri"),
        _dataset(params, "using-graph-uri", "using-named-graph-uri"),
        fmt,
    )


def _values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name]


def _one(params: Params, name: str) -> str | None:
    """The value of ``name``; given more than once, the values must agree (SPARQLWrapper sends
    ``format=json`` twice)."""
    values = set(_values(params, name))
    if len(values) > 1:
        raise QueryError(f"the {name} parameter is given more than once, with different values: "
                         + ", ".join(sorted(repr(v) for v in values)))
    return values.pop() if values else None


def _dataset(params: Params, default_name: str, named_name: str) -> QueryDataset | None:
    default, named = _values(params, default_name), _values(params, named_name)
    if not default and not named:
        return None
    return QueryDataset(default_graphs=tuple(default), named_graphs=tuple(named))


def _parse_content_type(header: str) -> tuple[str, str | None]:
    media_type, *fields = (f.strip() for f in header.split(";"))
    charset = None
    for field in fields:
        name, _, value = field.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.lower(), charset


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(f"the request body is not valid UTF-8 (byte {exc.start})") from exc
