"""What the explorer's entity page shows: the entity's names and types, its evidenced facts, its neighbours."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..executor import QueryExecutor
from .facets import select


@dataclass(frozen=True)
class Source:
    """One extraction behind a fact: the quote in its sentence, where, by which rule, with which modality."""

    quote: str
    start: int
    end: int
    sentence: str
    document: str
    document_title: str | None
    rule: str
    modality: str | None
    modality_label: str | None


@dataclass
class Fact:
    """One reified statement about the entity, with every extraction that supports it."""

    statement: str
    subject: tuple[str, str]  # (IRI or value, label)
    predicate: tuple[str, str]
    object: tuple[str, str]
    sources: list[Source] = field(default_factory=list)


@dataclass
class Neighbour:
    """An entity one triple away."""

    iri: str
    label: str
    predicate_label: str
    outgoing: bool


@dataclass
class EntityView:
    """Everything the entity page shows."""

    iri: str
    label: str
    alt: list[str]
    types: list[tuple[str, str]]
    facts: list[Fact]
    neighbours: list[Neighbour]

    @property
    def exists(self) -> bool:
        """True when the graph names, types or states anything about the entity."""
        return bool(self.types or self.facts or self.alt or self.label != self.iri)


def entity_view(executor: QueryExecutor, iri: str, *, base: str) -> EntityView:
    """Read the entity ``iri`` for its page (three queries through ``executor``).

    Raises:
        QueryTimeout, Overloaded, StoreError … from the executor.
    """
    node = ox.NamedNode(iri)
    labels: list[str] = []
    alt: list[str] = []
    types: list[tuple[str, str]] = []
    for row in select(executor, "entity-names", base=base, r=node):
        kind, value = row["kind"], row["value"]
        if kind == "label" and value not in labels:
            labels.append(value)
        elif kind == "alt" and value not in alt:
            alt.append(value)
        elif kind == "type":
            types.append((value, row.get("valueLabel") or value.rsplit("#", 1)[-1]))
    label = sorted(labels, key=lambda text: (len(text), text))[0] if labels else iri
    facts: dict[str, Fact] = {}
    for row in select(executor, "entity-facts", base=base, r=node):
        fact = facts.setdefault(row["st"], Fact(
            row["st"], (row["s"], row.get("sLabel") or ""), (row["p"], row.get("pLabel") or ""),
            (row["o"], row.get("oLabel") or "")))
        source = Source(row["quote"], int(row["start"]), int(row["end"]), (row.get("sentence") or row["quote"]).strip(),
                        row["doc"], row.get("docTitle"), row["rule"], row.get("modality"), row.get("modalityLabel"))
        if source not in fact.sources:
            fact.sources.append(source)
    neighbours: dict[tuple[str, str, bool], Neighbour] = {}
    for row in select(executor, "entity-neighbours", base=base, r=node):
        key = (row["n"], row["p"], row["dir"] == "out")
        if key not in neighbours:
            neighbours[key] = Neighbour(row["n"], row["label"], row.get("pLabel") or row["p"].rsplit("#", 1)[-1],
                                        row["dir"] == "out")
    return EntityView(iri, label, [a for a in alt if a != label] + [x for x in labels if x != label],
                      sorted(set(types)), list(facts.values()), list(neighbours.values()))
