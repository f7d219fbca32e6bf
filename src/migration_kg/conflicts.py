"""Conflict step (after extraction, before reasoning): where the documents contradict themselves.

An entity can have only one start date, end date or ordinal. When statements taken from
*different sentences* give one of these properties different values for the same entity
(the 2017 Dialogue report dates the Guadalajara stocktaking both "4-6 December 2017" and
"4-6 November"), both values stay in the graph, each reified statement is marked
``mkg:modality mkg:Disputed``, and an ``mkg:Conflict`` node links the statements
(``mkg:conflictingStatement``) and hangs off the entity (``mkg:hasConflict``). The
conflicts go to the named graph ``graph/conflicts``.

``mkg:date`` may legitimately hold several values of different precision (2017, 2017-12,
2017-12-04); two of its values conflict only when they have the same datatype.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from .extract import Evidence, Fact
from .mapping import statement_iri
from .namespaces import MKG, RDF, RDFS, data_iri

#: Properties with one value per entity, and their CURIEs (for the conflict's label).
SINGLE_VALUED: dict[URIRef, str] = {
    MKG.startDate: "mkg:startDate",
    MKG.endDate: "mkg:endDate",
    MKG.ordinal: "mkg:ordinal",
    MKG.date: "mkg:date",
}


@dataclass(frozen=True)
class Conflict:
    """Statements about one entity whose values of a single-valued property disagree."""

    subject: URIRef
    predicate: URIRef
    values: tuple[tuple[Node, Evidence], ...]

    @property
    def iri(self) -> URIRef:
        """A stable IRI for the conflict: one per entity and property."""
        digest = hashlib.sha1(f"{self.subject}|{self.predicate}".encode()).hexdigest()[:16]
        return URIRef(data_iri(f"id/conflict/{digest}"))


def _kind(value: Node) -> str:
    """Values are compared within one kind: mkg:date values of other precision do not conflict."""
    return str(value.datatype) if isinstance(value, Literal) and value.datatype else ""


def find_conflicts(facts: Iterable[Fact]) -> list[Conflict]:
    """The conflicts among ``facts`` (of any number of documents), in a stable order.

    Two values conflict when they differ and come from different sentences (one sentence
    giving a range's start and end is not a contradiction).
    """
    seen: dict[tuple[Node, Node, str], dict[Node, Evidence]] = defaultdict(dict)
    for fact in facts:
        for s, p, o in fact.triples:
            if p in SINGLE_VALUED and isinstance(s, URIRef):
                seen[(s, p, _kind(o))].setdefault(o, fact.evidence)
    out = []
    for (s, p, _), values in sorted(seen.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]), kv[0][2])):
        sentences = {(ev.document_id, ev.sentence) for ev in values.values()}
        if len(values) > 1 and len(sentences) > 1:
            pairs = tuple(sorted(values.items(), key=lambda kv: str(kv[0])))
            out.append(Conflict(subject=s, predicate=p, values=pairs))  # type: ignore[arg-type]
    return out


def conflicts_graph(conflicts: Iterable[Conflict], labels: Mapping[Node, str] | None = None) -> Graph:
    """The ``graph/conflicts`` triples: one mkg:Conflict per conflict, statements marked disputed.

    ``labels`` (entity -> label) names the entity in the conflict's label when known.
    """
    g = Graph()
    for c in conflicts:
        node = c.iri
        name = (labels or {}).get(c.subject, str(c.subject).rsplit("/", 1)[-1])
        shown = " vs ".join(str(v) for v, _ in c.values)
        g.add((node, RDF.type, MKG.Conflict))
        g.add((node, RDFS.label, Literal(f"conflicting {SINGLE_VALUED[c.predicate]} of {name}: {shown}")))
        g.add((node, MKG.conflictProperty, Literal(SINGLE_VALUED[c.predicate])))
        g.add((c.subject, MKG.hasConflict, node))
        for value, _ in c.values:
            stmt = statement_iri((c.subject, c.predicate, value))
            g.add((node, MKG.conflictingStatement, stmt))
            g.add((stmt, MKG.modality, MKG.Disputed))
    return g
