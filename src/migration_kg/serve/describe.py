"""What the Linked Data pages know about a resource: bounded, known queries over the served store.

Every query is a ``.rq`` file in ``serve/queries/``; values go in through
``substitutions=`` (the variable must be projected, a pyoxigraph rule). The functions
return plain dataclasses; rendering is ``serve.pages``' job, serialising ``serve.formats``'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import StoreError
from ..queries import packaged_query
from ..store import GraphStore

QUERIES_DIR = Path(__file__).resolve().parent / "queries"

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def load_query(name: str) -> str:
    """The text of ``serve/queries/<name>.rq`` (see :func:`migration_kg.queries.packaged_query`)."""
    return packaged_query(QUERIES_DIR, name)


def run(store: GraphStore, name: str, *, base: str, **bindings: Any) -> list[ox.QuerySolution]:
    """Run the SELECT query ``name`` with ``bindings`` (variable -> term); all solutions as a list.

    ``base`` is the served base IRI: the queries write ``PREFIX mkg: <ontology#>``, relative
    to it, so they work for any ``Settings.base_iri``.

    Raises:
        QueryError / StoreError from the store (a broken query file is a bug, seen as 500/503).
    """
    result = store.query(load_query(name), substitutions=bindings or None, base_iri=base)
    try:
        return list(result)  # type: ignore[arg-type]
    except OSError as exc:  # evaluation is lazy
        raise StoreError(f"query {name} failed: {exc}") from exc


@dataclass(frozen=True)
class Evidence:
    """One extraction supporting a triple: the quote and where it is in which document."""

    extraction: str
    statement: str
    quote: str
    start: int
    end: int
    document: str
    document_title: str | None
    rule: str
    modality: str | None


@dataclass
class Value:
    """One value of a property on the page: the node, its label, the graphs it is stated in, its evidence."""

    node: Any
    label: str | None = None
    graphs: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    #: For a blank node: its own (property, value) pairs, one level deep.
    inner: list[tuple[Any, Any]] = field(default_factory=list)


@dataclass
class Description:
    """A resource as the HTML page shows it."""

    iri: str
    outgoing: dict[str, list[Value]] = field(default_factory=dict)
    incoming: dict[str, list[Value]] = field(default_factory=dict)
    property_labels: dict[str, str] = field(default_factory=dict)
    incoming_capped: bool = False
    #: For a reified statement: the extractions supporting it.
    own_evidence: list[Evidence] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        """True when the store says anything about the resource."""
        return bool(self.outgoing or self.incoming)

    def values(self, *properties: str) -> list[Value]:
        """The outgoing values of any of ``properties`` (full IRIs)."""
        return [v for p in properties for v in self.outgoing.get(p, [])]

    def literals(self, *properties: str) -> list[str]:
        """The lexical forms of the outgoing literal values of ``properties``, without duplicates."""
        seen: list[str] = []
        for value in self.values(*properties):
            if isinstance(value.node, ox.Literal) and value.node.value not in seen:
                seen.append(value.node.value)
        return seen


def describe_quads(store: GraphStore, iri: str, *, base: str) -> list[ox.Quad]:
    """The RDF description of ``iri`` as quads (see ``queries/describe.rq``); empty if unknown."""
    return [
        ox.Quad(row["s"], row["p"], row["o"], row["g"])
        for row in run(store, "describe", base=base, r=ox.NamedNode(iri))
    ]


def graph_quads(store: GraphStore, graph: str, *, base: str) -> list[ox.Quad]:
    """Every triple of the named graph ``graph`` as quads."""
    solutions = run(store, "graph-quads", base=base, g=ox.NamedNode(graph))
    return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in solutions]


def describe(store: GraphStore, iri: str, *, base: str) -> Description:
    """The page view of ``iri``: values out and in, grouped by property, with graphs, labels and evidence."""
    node = ox.NamedNode(iri)
    desc = Description(iri)
    evidence = _evidence(run(store, "evidence", base=base, r=node))
    desc.own_evidence = [e for items in evidence.values() for e in items if e.statement == iri]
    out_index: dict[tuple[str, Any], Value] = {}
    for row in run(store, "outgoing", base=base, r=node):
        p, o = row["p"].value, row["o"]
        _label(desc, p, row["plabel"])
        value = out_index.get((p, o))
        if value is None:
            value = out_index[(p, o)] = Value(o, evidence=evidence.get((iri, p, _key(o)), []))
            desc.outgoing.setdefault(p, []).append(value)
        _merge(value, row["g"].value, row["olabel"])
        if row["bp"] is not None and (row["bp"], row["bo"]) not in value.inner:
            value.inner.append((row["bp"], row["bo"]))
    in_index: dict[tuple[str, Any], Value] = {}
    rows = run(store, "incoming", base=base, r=node)
    desc.incoming_capped = len(rows) >= 3000
    for row in rows:
        p, s = row["p"].value, row["s"]
        _label(desc, p, row["plabel"])
        value = in_index.get((p, s))
        if value is None:
            value = in_index[(p, s)] = Value(s, evidence=evidence.get((_key(s), p, iri), []))
            desc.incoming.setdefault(p, []).append(value)
        _merge(value, row["g"].value, row["slabel"])
    for values in (*desc.outgoing.values(), *desc.incoming.values()):
        for value in values:
            value.inner.sort(key=lambda pair: (str(pair[0]), str(pair[1])))
    return desc


def _key(term: Any) -> Any:
    return term.value if isinstance(term, ox.NamedNode) else term


def _label(desc: Description, prop: str, label: Any) -> None:
    if label is not None and prop not in desc.property_labels:
        desc.property_labels[prop] = label.value


def _merge(value: Value, graph: str, label: Any) -> None:
    if graph not in value.graphs:
        value.graphs.append(graph)
    if value.label is None and label is not None:
        value.label = label.value


def _evidence(rows: Iterable[ox.QuerySolution]) -> dict[tuple[Any, str, Any], list[Evidence]]:
    """Evidence keyed by the (subject, predicate, object) it supports (IRIs as strings)."""
    found: dict[tuple[Any, str, Any], list[Evidence]] = {}
    for row in rows:
        key = (_key(row["s"]), row["p"].value, _key(row["o"]))
        modality, title = row["modality"], row["doctitle"]
        item = Evidence(
            extraction=row["ev"].value, statement=row["st"].value, quote=row["quote"].value,
            start=int(row["start"].value), end=int(row["end"].value), document=row["doc"].value,
            document_title=title.value if title is not None else None, rule=row["rule"].value,
            modality=modality.value if modality is not None else None,
        )
        bucket = found.setdefault(key, [])
        if all(e.extraction != item.extraction for e in bucket):
            bucket.append(item)
    return found


@dataclass
class Extraction:
    """One extraction of a document, for the document page: its span and the triples it supports."""

    iri: str
    quote: str
    start: int
    end: int
    rule: str
    modality: str | None
    #: (subject, predicate, object) as (node, label) pairs.
    triples: list[tuple[tuple[Any, str | None], tuple[Any, str | None], tuple[Any, str | None]]] = field(
        default_factory=list
    )


def document_extractions(store: GraphStore, document_iri: str, *, base: str) -> list[Extraction]:
    """Every extraction whose ``mkg:document`` is ``document_iri``, sorted by position."""
    found: dict[str, Extraction] = {}
    for row in run(store, "document-facts", base=base, r=ox.NamedNode(document_iri)):
        iri = row["ev"].value
        item = found.get(iri)
        if item is None:
            modality = row["modality"]
            item = found[iri] = Extraction(
                iri, row["quote"].value, int(row["start"].value), int(row["end"].value), row["rule"].value,
                modality.value if modality is not None else None,
            )
        if row["s"] is None:
            continue
        triple = tuple((row[v], row[f"{v}label"].value if row[f"{v}label"] is not None else None) for v in "spo")
        if all(tuple(t[0] for t in known) != (row["s"], row["p"], row["o"]) for known in item.triples):
            item.triples.append(triple)  # type: ignore[arg-type]
    return sorted(found.values(), key=lambda e: (e.start, -e.end, e.iri))


@dataclass
class Term:
    """One ontology term for the ontology page."""

    iri: str
    kinds: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    supers: list[str] = field(default_factory=list)


def ontology_terms(store: GraphStore, graph: str, namespace: str, *, base: str) -> list[Term]:
    """The terms under ``namespace`` declared in ``graph``, sorted by local name."""
    terms: dict[str, Term] = {}
    rows = run(store, "ontology-terms", base=base, g=ox.NamedNode(graph), ns=ox.Literal(namespace))
    for row in rows:
        term = terms.setdefault(row["term"].value, Term(row["term"].value))
        for attr, var in (("kinds", "kind"), ("labels", "label"), ("comments", "comment"),
                          ("definitions", "definition"), ("domains", "domain"), ("ranges", "range"),
                          ("supers", "super")):
            value = row[var]
            if value is not None and value.value not in getattr(term, attr):
                getattr(term, attr).append(value.value)
    return sorted(terms.values(), key=lambda t: t.iri.lower())


def class_counts(store: GraphStore, *, base: str) -> list[tuple[str, int, str | None]]:
    """(class IRI, instances, label) for every class in use, most used first."""
    return [
        (row["class"].value, int(row["n"].value), row["label"].value if row["label"] is not None else None)
        for row in run(store, "classes", base=base)
        if isinstance(row["class"], ox.NamedNode)
    ]


def instances(store: GraphStore, class_iri: str, *, base: str) -> list[tuple[Any, str | None]]:
    """(instance, label) of ``class_iri``, sorted by label; at most 2000."""
    return [
        (row["s"], row["label"].value if row["label"] is not None else None)
        for row in run(store, "instances", base=base, **{"class": ox.NamedNode(class_iri)})
    ]


__all__ = [
    "Description", "Evidence", "Extraction", "Term", "Value", "class_counts", "describe", "describe_quads",
    "document_extractions", "graph_quads", "instances", "load_query", "ontology_terms", "run",
]
