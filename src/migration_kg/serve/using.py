"""The protocol's ``using-graph-uri`` / ``using-named-graph-uri`` applied to an update.

https://www.w3.org/TR/sparql11-protocol/#update-dataset: the parameters act as if every
DELETE/INSERT operation of the request had those ``USING`` / ``USING NAMED`` clauses, and a
request that has both the parameters and ``USING``/``USING NAMED``/``WITH`` in its text is an
error. pyoxigraph's ``Store.update`` takes no dataset, so the clauses are written into the
text: each graph IRI is checked and written by ``pyoxigraph.NamedNode`` (which cannot emit
anything but one IRI token), and inserted right before the ``WHERE`` of each DELETE/INSERT
operation, found with the same lexer as ``guard`` (strings, IRIs and comments are never
looked into). The graphs are graphs of *this* store: nothing is fetched.
"""

from __future__ import annotations

import pyoxigraph as ox

from ..errors import QueryError
from ..store import QueryDataset
from .guard import _TOKEN

_DATASET_KEYWORDS = ("USING", "WITH")


def with_using(text: str, using: QueryDataset | None) -> str:
    """``text`` with ``USING <g>`` for each default and ``USING NAMED <g>`` for each named graph of ``using``.

    >>> with_using("DELETE WHERE { ?s ?p ?o } ; INSERT { ?s a ?t } WHERE { { SELECT * WHERE { ?s a ?t } } }",
    ...            QueryDataset(default_graphs=("http://ex/g",)))
    'DELETE WHERE { ?s ?p ?o } ; INSERT { ?s a ?t } USING <http://ex/g> WHERE { { SELECT * WHERE { ?s a ?t } } }'

    Raises:
        QueryError: a graph IRI is not an absolute IRI, or the text has USING or WITH of its
            own (the protocol forbids both at once).
    """
    if using is None or not (using.default_graphs or using.named_graphs):
        return text
    try:
        clauses = [f"USING {ox.NamedNode(g)}" for g in using.default_graphs]
        clauses += [f"USING NAMED {ox.NamedNode(g)}" for g in using.named_graphs]
    except ValueError as exc:
        raise QueryError(f"invalid graph IRI in using-graph-uri/using-named-graph-uri: {exc}") from exc
    insertion = " ".join(clauses) + " "
    pieces: list[str] = []
    depth, previous_word, last = 0, "", 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        word = (match.group("word") or "").upper()
        if word in _DATASET_KEYWORDS:
            raise QueryError(
                f"the update has {word} and the request using-graph-uri/using-named-graph-uri: send one or the other"
            )
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif word == "WHERE" and depth == 0 and previous_word != "DELETE":
            pieces += [text[last : match.start()], insertion]
            last = match.start()
        if token.isspace() or token.startswith("#"):
            continue
        previous_word = word
    pieces.append(text[last:])
    return "".join(pieces)
