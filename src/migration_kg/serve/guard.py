"""What a query asks for before it runs: its form, whether it names a dataset, and refusals.

pyoxigraph 0.5 exposes no parsed query object, and it *does* fetch remote endpoints
for ``SERVICE`` (and documents for ``LOAD``). So the query text is scanned with a small
SPARQL lexer that skips strings, IRIs, comments, variables, prefixed names and language
tags, and the bare keywords that remain are checked. A keyword can only hide inside one
of those tokens, never the other way round, so the scan errs on the side of refusing.
Syntax itself is left to pyoxigraph's parser.

Grammar: https://www.w3.org/TR/sparql11-query/#grammar
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..errors import QueryError, QueryRejected


class QueryForm(Enum):
    """The four SPARQL query forms (https://www.w3.org/TR/sparql11-query/#QueryForms)."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def returns_graph(self) -> bool:
        """Whether the query form answers with RDF (graph forms) or with a results document (SELECT, ASK)."""
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


#: Keywords that would make the engine reach out to the network.
FORBIDDEN = {
    "SERVICE": "SERVICE (federated query) is not allowed: this endpoint never calls other services",
    "LOAD": "LOAD is not allowed: this endpoint never fetches documents",
}

_TOKEN = re.compile(
    r"""
      (?P<skip>
          \s+                                         # white space, in one match
        | \#[^\r\n]*                                   # comment
        | '''(?:[^'\\]|\\.|'(?!''))*'''                # long strings
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        | '(?:[^'\\\r\n]|\\.)*'                        # short strings
        | "(?:[^"\\\r\n]|\\.)*"
        | <[^<>"{}|^`\\\x00-\x20]*>                    # IRI reference
        | [?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+   # variable
        | @[A-Za-z]+(?:-[A-Za-z0-9]+)*                 # language tag
        | [\w.\-]*:(?:[\w.\-:%]|\\.)*                  # prefixed name or blank node label
        | \d[\w.]*                                     # number
      )
    | (?P<word>[A-Za-z_][\w\-]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


_OPENERS, _CLOSERS = frozenset("{(["), frozenset("})]")

#: Texts up to this many characters have their scans cached (clients repeat their queries;
#: the cache holds at most ``_CACHED_SCANS`` of them, so a few MB).
_CACHE_TEXT_CHARS = 8192
_CACHED_SCANS = 512


def nesting_depth(text: str, *, stop_above: int | None = None) -> int:
    """The deepest nesting of ``{``, ``(`` and ``[`` in ``text``, brackets inside strings, IRIs
    and comments not counted.

    Args:
        text: query or update text.
        stop_above: return as soon as the depth passes this (the scan of hostile text stays short).

    >>> nesting_depth("SELECT * { ?s ?p '{{{' FILTER((?x < 3)) } # (((")
    3
    """
    if len(text) <= _CACHE_TEXT_CHARS:
        return _cached_nesting_depth(text, stop_above)
    return _nesting_depth(text, stop_above)


def _nesting_depth(text: str, stop_above: int | None) -> int:
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        char = match.group("other")
        if char is None:
            continue
        if char in _OPENERS:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        elif char in _CLOSERS and depth > 0:
            depth -= 1
    return deepest


_cached_nesting_depth = lru_cache(maxsize=_CACHED_SCANS)(_nesting_depth)


def check_nesting(text: str, *, limit: int) -> None:
    """Refuse text nested deeper than ``limit`` before any parser sees it: pyoxigraph's
    recursive parser overflows its stack (a segfault) near 2,500 levels and slows down
    sharply on deeply nested collections long before that.

    Raises:
        QueryError: the text nests ``{ ( [`` deeper than ``limit`` (``Settings.max_query_nesting``).
    """
    if nesting_depth(text, stop_above=limit) > limit:
        raise QueryError(
            f"the query or update nests {{ ( [ more than {limit} levels deep, the limit of this endpoint"
        )


@dataclass(frozen=True)
class QueryShape:
    """What the scan found.

    Attributes:
        form: the query form (the first form keyword), or None if there is none.
        keywords: every bare word, upper-cased (``SELECT``, ``FROM``, ``SERVICE`` …).
        services: the endpoint of each SERVICE, resolved against PREFIX and BASE; None where a
            variable or anything else but an IRI stands in that position.
    """

    form: QueryForm | None
    keywords: frozenset[str]
    services: tuple[str | None, ...] = ()

    @property
    def has_dataset_clause(self) -> bool:
        """The query has FROM or FROM NAMED."""
        return "FROM" in self.keywords


def scan(text: str) -> QueryShape:
    """Scan query or update text.

    >>> sorted(scan('SELECT * FROM <x> { ?s ?p "SERVICE" } # LOAD').keywords)
    ['FROM', 'SELECT']
    >>> scan("PREFIX service: <x> ASK { service:a ?service :SERVICE }").form
    <QueryForm.ASK: 'ASK'>
    """
    if len(text) <= _CACHE_TEXT_CHARS:
        return _cached_scan(text)
    return _scan(text)


def _scan(text: str) -> QueryShape:
    form: QueryForm | None = None
    keywords: set[str] = set()
    for match in _TOKEN.finditer(text):
        word = match.group("word")
        if word is None:
            continue
        keyword = word.upper()
        keywords.add(keyword)
        if form is None and keyword in QueryForm.__members__:
            form = QueryForm[keyword]
    services = tuple(service_endpoints(text)) if "SERVICE" in keywords else ()
    return QueryShape(form=form, keywords=frozenset(keywords), services=services)


_cached_scan = lru_cache(maxsize=_CACHED_SCANS)(_scan)


def check_allowed(shape: QueryShape, *, allowed_services: Collection[str] = ()) -> None:
    """Refuse text that would make the engine fetch anything it was not allowed to.

    Args:
        shape: what :func:`scan` found.
        allowed_services: endpoint IRIs SERVICE may call (``Settings.service_allowlist``);
            compared after :func:`normalize_endpoint`.

    Raises:
        QueryRejected: the text uses LOAD, or SERVICE with an endpoint that is not on the
            allow-list (a variable endpoint never is).
    """
    for keyword, reason in FORBIDDEN.items():
        if keyword not in shape.keywords:
            continue
        if keyword == "SERVICE" and allowed_services:
            _check_services(shape, allowed_services)
            continue
        raise QueryRejected(reason)


def _check_services(shape: QueryShape, allowed_services: Collection[str]) -> None:
    allowed = {normalize_endpoint(iri) for iri in allowed_services}
    if not shape.services:
        raise QueryRejected("SERVICE must be followed by the IRI of an allowed endpoint")
    for endpoint in shape.services:
        if endpoint is None:
            raise QueryRejected("SERVICE with a variable (or no IRI) is not allowed: name the endpoint")
        if normalize_endpoint(endpoint) not in allowed:
            raise QueryRejected(
                f"SERVICE <{endpoint}> is not allowed: this endpoint only calls {', '.join(sorted(allowed))}"
            )


def normalize_endpoint(iri: str) -> str:
    """The form of an endpoint IRI the allow-list compares: scheme and host lower-cased, the
    default port and the fragment dropped, an empty path made ``/``.

    >>> normalize_endpoint("HTTP://Example.org:80?x=1#f")
    'http://example.org/?x=1'
    >>> normalize_endpoint("https://u:p@[::1]:8443/sparql")
    'https://u:p@[::1]:8443/sparql'
    """
    parts = urlsplit(iri.strip())
    try:
        port = parts.port
    except ValueError:  # not a port number: left as written, so it only matches itself
        return iri.strip()
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if port == {"http": 80, "https": 443}.get(scheme):
        port = None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    userinfo, at, _ = parts.netloc.rpartition("@")
    return urlunsplit((scheme, userinfo + at + netloc, parts.path or "/", parts.query, ""))


def service_endpoints(text: str) -> Iterator[str | None]:
    """Yield the endpoint after each SERVICE [SILENT], resolved against PREFIX and BASE.

    Yields None for a variable or anything else that is not an IRI or a known prefixed name.

    >>> list(service_endpoints("PREFIX e: <http://ex/> SELECT * { SERVICE SILENT e:sparql {} SERVICE ?x {} }"))
    ['http://ex/sparql', None]
    """
    tokens = _significant_tokens(text)
    prefixes: dict[str, str] = {}
    base = ""
    for i, token in enumerate(tokens):
        keyword = token.upper()
        if keyword == "BASE" and i + 1 < len(tokens) and tokens[i + 1].startswith("<"):
            base = urljoin(base, tokens[i + 1][1:-1])
        elif keyword == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].startswith("<"):
            prefixes[tokens[i + 1].rstrip(":")] = urljoin(base, tokens[i + 2][1:-1])
        elif keyword == "SERVICE":
            j = i + 2 if i + 1 < len(tokens) and tokens[i + 1].upper() == "SILENT" else i + 1
            yield _resolve(tokens[j], prefixes, base) if j < len(tokens) else None


def tokens(text: str) -> Iterator[str]:
    """Every token of ``text`` in order, white space and comments included (they join back into ``text``).

    >>> list(tokens("ASK{'a b'}#c"))
    ['ASK', '{', "'a b'", '}', '#c']
    """
    for match in _TOKEN.finditer(text):
        yield match.group(0)


def _significant_tokens(text: str) -> list[str]:
    """Every token but whitespace and comments (strings, IRIs and names kept whole)."""
    tokens = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token.isspace() or token.startswith("#"):
            continue
        tokens.append(token)
    return tokens


def _resolve(token: str, prefixes: dict[str, str], base: str) -> str | None:
    if token.startswith("<") and token.endswith(">"):
        return urljoin(base, token[1:-1])
    prefix, colon, local = token.partition(":")
    if colon and not token.startswith(("?", "$", "_:")) and prefix in prefixes and "\\" not in local:
        return prefixes[prefix] + local
    return None
