"""Named SPARQL queries: one ``queries/*.rq`` file each, read by one loader.

A file starts with comment lines that describe it::

    # title: In which documents does a state appear?
    # description: Documents that mention the state, by the dictionary matcher.
    # cq: CQ61
    # param: state iri  the state (default: <https://w3id.org/migration-kg/id/state/ECU>)

``# param: NAME KIND [required] DESCRIPTION [(default: VALUE)]`` declares a parameter: the
query variable ``?NAME`` is bound to the value, of kind :class:`ParamKind`. Values reach a
query only as bindings (pyoxigraph ``substitutions=``), never pasted into the text, and
pyoxigraph only substitutes variables a SELECT projects, so the loader checks that too.

The files name our IRIs under the default base (``PREFIX mkg: <https://w3id.org/migration-kg/ontology#>``);
:func:`load_queries` moves them to the configured base with :func:`rewrite_base_iris`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import ConfigError, NotFound, QueryError
from .namespaces import DEFAULT_BASE

_HEADER = re.compile(r"^#\s*(?P<key>title|description|param|cq):\s*(?P<value>.*)$")
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUERY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a URL path segment as it is
_DEFAULT = re.compile(r"\(default:\s*(?P<value>.+?)\)\s*$")
#: Request parameters every named query takes besides its own (the result format).
RESERVED_PARAMS = frozenset({"format"})

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GYEAR = re.compile(r"^-?\d{4,}$")
_LANG_STRING = re.compile(r"^(?P<text>.*)@(?P<lang>[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$", re.DOTALL)
_LITERAL = re.compile(
    r'^"(?P<lexical>(?:[^"\\]|\\.)*)"(?:@(?P<lang>[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)|\^\^<(?P<datatype>[^<>"{}|^`\\\x00-\x20]+)>)?$',
    re.DOTALL,
)
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class ParamKind(Enum):
    """What a parameter's value is, and so which RDF term it becomes."""

    IRI = "iri"  #: an absolute IRI -> ``NamedNode``
    STRING = "string"  #: any text -> ``xsd:string`` literal
    LANGSTRING = "langstring"  #: ``text@lang`` -> language-tagged literal
    LITERAL = "literal"  #: an N-Triples literal: ``"text"``, ``"text"@en`` or ``"5"^^<http://…#int>``
    INTEGER = "integer"  #: ``-12`` -> ``xsd:integer``
    DECIMAL = "decimal"  #: ``3.5`` -> ``xsd:decimal``
    BOOLEAN = "boolean"  #: ``true``/``false`` (or ``1``/``0``) -> ``xsd:boolean``
    DATE = "date"  #: ``YYYY-MM-DD`` -> ``xsd:date``
    GYEAR = "gyear"  #: ``YYYY`` -> ``xsd:gYear``


@dataclass(frozen=True)
class Param:
    """A query parameter: its variable name, kind, whether it is required, and its default value (raw text)."""

    name: str
    kind: str = "string"
    required: bool = False
    description: str = ""
    default: str | None = None

    @property
    def param_kind(self) -> ParamKind:
        """``kind`` as a :class:`ParamKind`."""
        return ParamKind(self.kind)


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name (the file stem), text and header."""

    name: str
    text: str
    title: str
    description: str = ""
    params: tuple[Param, ...] = field(default_factory=tuple)
    cq: str | None = None

    def bindings(self, items: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        """The substitutions for request parameters ``items`` (name, raw value), with defaults filled in.

        Names in :data:`RESERVED_PARAMS` are skipped. Returns variable name -> pyoxigraph term.

        Raises:
            QueryError: an unknown parameter, one given twice, a missing required one, or a
                value that is not of the parameter's kind; the message names the parameter.

        >>> q = NamedQuery("q", "SELECT ?n {}", "t", params=(Param("n", "integer", default="3"),))
        >>> q.bindings([("n", "+42")])["n"]
        <Literal value=42 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
        >>> q.bindings()["n"].value
        '3'
        """
        declared = {p.name: p for p in self.params}
        given: dict[str, str] = {}
        for name, value in items:
            if name in RESERVED_PARAMS:
                continue
            if name not in declared:
                known = ", ".join(sorted(declared)) or "none"
                raise QueryError(f"unknown parameter {name!r} for query {self.name!r}; its parameters: {known}")
            if name in given:
                raise QueryError(f"parameter {name!r} is given more than once")
            given[name] = value
        terms: dict[str, Any] = {}
        for param in self.params:
            raw = given.get(param.name, param.default)
            if raw is None:
                if param.required:
                    raise QueryError(f"parameter {param.name!r} ({param.kind}) is required")
                continue
            try:
                terms[param.name] = to_term(param.param_kind, raw)
            except ValueError as exc:
                raise QueryError(f"parameter {param.name!r}: {exc}") from exc
        return terms


def to_term(kind: ParamKind, raw: str) -> ox.NamedNode | ox.Literal:
    """The RDF term that the raw request value ``raw`` stands for as a ``kind`` parameter.

    Raises:
        ValueError: ``raw`` is not a valid value of that kind (the message says what was expected).

    >>> to_term(ParamKind.DATE, "2019-04-04")
    <Literal value=2019-04-04 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#date>>
    >>> to_term(ParamKind.LITERAL, '"Genève"@fr')
    <Literal value=Genève language=fr>
    """
    if kind is ParamKind.IRI:
        value = raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw
        try:
            return ox.NamedNode(value)
        except ValueError as exc:
            raise ValueError(f"expected an absolute IRI, got {raw!r} ({exc})") from None
    if kind is ParamKind.STRING:
        return ox.Literal(raw)
    if kind is ParamKind.LANGSTRING:
        m = _LANG_STRING.match(raw)
        if not m:
            raise ValueError(f"expected text@language-tag, got {raw!r}")
        return ox.Literal(m["text"], language=m["lang"])
    if kind is ParamKind.LITERAL:
        return _literal(raw)
    if kind is ParamKind.INTEGER:
        if not _INTEGER.match(raw):
            raise ValueError(f"expected an integer, got {raw!r}")
        return _typed(str(int(raw)), "integer")
    if kind is ParamKind.DECIMAL:
        if not _DECIMAL.match(raw):
            raise ValueError(f"expected a decimal number, got {raw!r}")
        try:
            number = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern rules it out
            raise ValueError(f"expected a decimal number, got {raw!r}") from None
        return _typed(format(number, "f"), "decimal")
    if kind is ParamKind.BOOLEAN:
        if raw not in ("true", "false", "1", "0"):
            raise ValueError(f"expected true or false, got {raw!r}")
        return _typed("true" if raw in ("true", "1") else "false", "boolean")
    if kind is ParamKind.DATE:
        try:
            if not _DATE.match(raw):
                raise ValueError
            datetime.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {raw!r}") from None
        return _typed(raw, "date")
    if kind is ParamKind.GYEAR:
        if not _GYEAR.match(raw):
            raise ValueError(f"expected a year YYYY, got {raw!r}")
        return _typed(raw, "gYear")
    raise ValueError(f"unknown parameter kind {kind!r}")  # pragma: no cover - the enum is closed


def _typed(lexical: str, xsd_type: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=ox.NamedNode(_XSD + xsd_type))


def _literal(raw: str) -> ox.Literal:
    m = _LITERAL.match(raw)
    if not m:
        raise ValueError(f'expected an N-Triples literal ("text", "text"@lang or "text"^^<datatype>), got {raw!r}')
    try:
        lexical = re.sub(r"\\(.)", lambda e: _ESCAPES[e[1]], m["lexical"], flags=re.DOTALL)
    except KeyError as exc:
        raise ValueError(f"unknown escape \\{exc.args[0]} in {raw!r}") from None
    if m["lang"]:
        return ox.Literal(lexical, language=m["lang"])
    if m["datatype"]:
        try:
            return ox.Literal(lexical, datatype=ox.NamedNode(m["datatype"]))
        except ValueError as exc:
            raise ValueError(f"bad datatype IRI in {raw!r} ({exc})") from None
    return ox.Literal(lexical)


# Comments, strings and IRI references of the SPARQL grammar (https://www.w3.org/TR/sparql11-query/#grammar):
# strings are skipped so that a literal which happens to hold an IRI is left alone.
_IRIREF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_SPARQL_TOKENS = re.compile(
    r"""
      (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*''' | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 | '(?:[^'\\\r\n]|\\.)*' | "(?:[^"\\\r\n]|\\.)*")
    | (?P<iri>"""
    + _IRIREF
    + r""")
    """,
    re.VERBOSE | re.DOTALL,
)
_IRI_IN_COMMENT = re.compile(_IRIREF)


def rewrite_base_iris(text: str, from_base: str, to_base: str) -> str:
    """Move every IRI reference ``<…>`` of a SPARQL text that starts with ``from_base`` to ``to_base``.

    Only IRIREF tokens change (in the query and in comments, so header defaults follow);
    string literals, prefixed names and everything else are left as they are.

    >>> rewrite_base_iris('PREFIX mkg: <https://a/ontology#> ASK { ?s mkg:p "<https://a/x>" }',
    ...                   "https://a/", "https://b/")
    'PREFIX mkg: <https://b/ontology#> ASK { ?s mkg:p "<https://a/x>" }'
    """
    if from_base == to_base:
        return text

    def move(iri: str) -> str:
        inner = iri[1:-1]
        return f"<{to_base}{inner[len(from_base):]}>" if inner.startswith(from_base) else iri

    def token(m: re.Match[str]) -> str:
        if m["iri"] is not None:
            return move(m["iri"])
        if m["comment"] is not None:
            return _IRI_IN_COMMENT.sub(lambda i: move(i[0]), m["comment"])
        return m[0]

    return _SPARQL_TOKENS.sub(token, text)


def _parse(path: Path, text: str) -> NamedQuery:
    if not _QUERY_NAME.match(path.stem):
        raise ConfigError("a query file name may only hold letters, digits, '-', '_' and '.'", source=str(path))
    meta, params = read_header(text, source=str(path))
    if "title" not in meta:
        raise ConfigError("query file lacks a '# title:' header line", source=str(path), line=1)
    query = NamedQuery(path.stem, text, meta["title"], meta.get("description", ""), params, meta.get("cq"))
    _check_bindable(query, path)
    return query


def read_header(text: str, *, source: str) -> tuple[dict[str, str], tuple[Param, ...]]:
    """The header of a query text: ``title``/``description``/``cq`` values and the declared parameters.

    Raises:
        ConfigError: a malformed ``# param:`` line (names ``source`` and the line).

    >>> read_header("# title: t\\n# param: n integer  a count (default: 2)\\nASK {}", source="x")[1]
    (Param(name='n', kind='integer', required=False, description='a count', default='2'),)
    """
    meta: dict[str, str] = {}
    params: list[Param] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        if m["key"] == "param":
            params.append(_parse_param(m["value"], source, lineno, params))
        else:
            meta[m["key"]] = m["value"].strip()
    return meta, tuple(params)


def _parse_param(value: str, source: str, lineno: int, earlier: list[Param]) -> Param:
    parts = value.split(None, 2)
    kinds = "|".join(k.value for k in ParamKind)
    if len(parts) < 2 or parts[1] not in {k.value for k in ParamKind}:
        raise ConfigError(f"param needs 'name kind [description]' with kind {kinds}", source=source, line=lineno)
    name, kind = parts[0], ParamKind(parts[1])
    if not _VARNAME.match(name) or name in RESERVED_PARAMS or any(p.name == name for p in earlier):
        raise ConfigError(f"param name {name!r} is not a free SPARQL variable name", source=source, line=lineno)
    rest = parts[2].strip() if len(parts) > 2 else ""
    default_match = _DEFAULT.search(rest)
    default = default_match["value"].strip() if default_match else None
    if default is not None:
        try:
            to_term(kind, default)
        except ValueError as exc:
            raise ConfigError(f"param {name!r} has a bad default: {exc}", source=source, line=lineno) from exc
    required = rest.split(None, 1)[0] == "required" if rest else False
    description = _DEFAULT.sub("", rest.removeprefix("required") if required else rest).strip()
    return Param(name, kind.value, required, description, default)


_SAMPLE = {
    ParamKind.IRI: "http://example.org/x",
    ParamKind.LANGSTRING: "x@en",
    ParamKind.LITERAL: '"x"',
    ParamKind.INTEGER: "1",
    ParamKind.DECIMAL: "1.0",
    ParamKind.BOOLEAN: "true",
    ParamKind.DATE: "2000-01-01",
    ParamKind.GYEAR: "2000",
}


def _check_bindable(query: NamedQuery, path: Path) -> None:
    """Run the query once on an empty store with every parameter bound, so a bad file fails at load time."""
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(p.name): to_term(p.param_kind, _SAMPLE.get(p.param_kind, "x")) for p in query.params
    }
    try:
        result = ox.Store().query(query.text, substitutions=substitutions, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions | ox.QueryTriples):
            list(result)
    except SyntaxError as exc:
        raise ConfigError(f"SPARQL syntax error: {exc}", source=str(path)) from exc
    except (RuntimeError, OSError) as exc:  # e.g. a parameter the SELECT does not project
        raise ConfigError(f"its parameters cannot be bound: {exc}", source=str(path)) from exc


def load_queries(directory: Path, *, base_iri: str = DEFAULT_BASE) -> dict[str, NamedQuery]:
    """Every ``*.rq`` in ``directory`` by name, with IRIs under the default base moved to ``base_iri``.

    Raises:
        ConfigError: a bad header, a parameter the query cannot bind, or a syntax error (names the file).
    """
    queries: dict[str, NamedQuery] = {}
    for path in sorted(Path(directory).glob("*.rq")):
        text = rewrite_base_iris(path.read_text(encoding="utf-8"), DEFAULT_BASE, base_iri)
        query = _parse(path, text)
        queries[query.name] = query
    return queries


def get_query(directory: Path, name: str) -> NamedQuery:
    """One named query. Raises NotFound if there is no such file."""
    queries = load_queries(directory)
    if name not in queries:
        raise NotFound(f"no query named {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]


@cache
def packaged_query(folder: Path, name: str) -> str:
    """The text of ``folder/<name>.rq``, a query file that ships with the package (read once).

    Raises:
        StoreError: the file is missing (a packaging bug).
    """
    from .errors import StoreError

    path = folder / f"{name}.rq"
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise StoreError(f"missing query file: {exc}", source=str(path)) from exc
