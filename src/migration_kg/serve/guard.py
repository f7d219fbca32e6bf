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
from dataclasses import dataclass
from enum import Enum

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
          \#[^\r\n]*                                   # comment
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


def nesting_depth(text: str, *, stop_above: int | None = None) -> int:
    """The deepest nesting of ``{``, ``(`` and ``[`` in ``text``, brackets inside strings, IRIs
    and comments not counted.

    Args:
        text: query or update text.
        stop_above: return as soon as the depth passes this (the scan of hostile text stays short).

    >>> nesting_depth("SELECT * { ?s ?p '{{{' FILTER((?x < 3)) } # (((")
    3
    """
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


def check_nesting(text: str, *, limit: int) -> None:
    """Refuse text nested deeper than ``limit`` before any parser sees it: pyoxigraph's
    recursive parser overflows its stack (a segfault) near 2,500 levels and slows down
    sharply on deeply nested collections long before that.

    Raises:
        QueryError: the text nests ``{ ( [`` deeper than ``limit`` (``Settings.max_query_nesting``).
    """
    if nesting_depth(text, stop_above=limit) > limit:
        raise QueryError(
            f"the query nests {{ ( [ more than {limit} levels deep, the limit of this endpoint"
        )


@dataclass(frozen=True)
class QueryShape:
    """What the scan found.

    Attributes:
        form: the query form (the first form keyword), or None if there is none.
        keywords: every bare word, upper-cased (``SELECT``, ``FROM``, ``SERVICE`` …).
    """

    form: QueryForm | None
    keywords: frozenset[str]

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
    return QueryShape(form=form, keywords=frozenset(keywords))


def check_allowed(shape: QueryShape) -> None:
    """Refuse text that would make the engine fetch anything.

    Raises:
        QueryRejected: the text uses SERVICE or LOAD.
    """
    for keyword, reason in FORBIDDEN.items():
        if keyword in shape.keywords:
            raise QueryRejected(reason)

