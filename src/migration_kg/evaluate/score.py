"""Score a build against a gold annotation: entity recall by type, fact recall by relation class,
modality agreement and evidence overlap.

The build is read through SPARQL (the ``.rq`` files beside this module) into four tables: the names
of resources, their classes, the links between them and the evidence of every reified statement.
Everything after that is set arithmetic over those tables, so the score is the same whatever store
holds the graph.

* An entity is **found** when a resource carries one of its names (label, alias, other name) after
  folding case, accents, punctuation and a leading article. Its **type agrees** when one of the
  resource's classes is mapped to the gold type in ``mappings/gold-types.yaml``.
* A fact is **found** when resources of its subject and object are linked by one of its relation
  class's properties (``mappings/gold-relations.yaml``), directly or through one non-hub node.
  A literal fact is found when its value sits on the subject or one node away.
* **Modality agrees** when the evidence of a link that found the fact has the gold modality.
* **Evidence overlaps** when a quote of that evidence, in the same document, shares text with the gold
  quote.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from ..errors import EvaluateError
from ..queries import packaged_query
from .gold import Gold, GoldFact, GoldLiteral

QUERIES = Path(__file__).with_name("queries")
_MODALITIES = {"stated": "Stated", "proposed": "Proposed", "expected": "Expected", "disputed": "Disputed"}
_ARTICLE = re.compile(r"^(the|a|an) ")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*")


def fold(text: str) -> str:
    """Case, accents, punctuation, whitespace and a leading article folded away."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['\u2019\u2018`]s\b", "s", text)
    text = re.sub(r"[^\w]+", " ", text).strip()
    return _ARTICLE.sub("", text)


@dataclass(frozen=True)
class Link:
    s: str
    p: str
    o: str


@dataclass(frozen=True)
class EvidenceRow:
    doc: str
    quote: str
    sentence: str
    modality: str


class GraphView:
    """The tables of a build that scoring needs, read once through SPARQL."""

    def __init__(self, store: Any) -> None:
        self.names: dict[str, set[str]] = defaultdict(set)  # folded name -> resources
        for row in _select(store, "labels"):
            key = fold(row["name"])
            if key:
                self.names[key].add(row["s"])
        self.classes: dict[str, set[str]] = defaultdict(set)
        for row in _select(store, "types"):
            self.classes[row["s"]].add(row["class"])
        self.out: dict[str, list[Link]] = defaultdict(list)
        self.into: dict[str, list[Link]] = defaultdict(list)
        self.literals: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # s -> (p, value, datatype)
        for row in _select(store, "edges"):
            if row["o_kind"] == "literal":
                self.literals[row["s"]].append((row["p"], row["o"], row["o_datatype"]))
            else:
                link = Link(row["s"], row["p"], row["o"])
                self.out[link.s].append(link)
                self.into[link.o].append(link)
        self.evidence: dict[tuple[str, str, str], list[EvidenceRow]] = defaultdict(list)
        for row in _select(store, "statements"):
            doc = row["doc"].rsplit("/", 1)[-1]
            self.evidence[(row["s"], row["p"], row["o"])].append(
                EvidenceRow(doc, row["quote"], row.get("sentence") or "", row["modality"].rsplit("#", 1)[-1]))
        self.hubs = {row["hub"] for row in _select(store, "hubs")}

    def is_hub(self, node: str, degree: int) -> bool:
        return node in self.hubs or len(self.out[node]) + len(self.into[node]) > degree

    def links(self, node: str) -> Iterable[tuple[Link, str]]:
        """Every link at ``node``, with the node at its other end."""
        for link in self.out.get(node, ()):
            yield link, link.o
        for link in self.into.get(node, ()):
            yield link, link.s


def _select(store: Any, name: str) -> list[dict[str, str]]:
    import pyoxigraph as ox

    sparql = packaged_query(QUERIES, name)
    rows = []
    for solution in store.query(sparql):
        row: dict[str, str] = {}
        for key in ("s", "p", "o", "name", "class", "doc", "quote", "sentence", "modality", "hub"):
            try:
                term = solution[key]
            except (KeyError, IndexError, ValueError):
                continue
            if term is None:
                continue
            row[key] = term.value
            if key == "o":
                row["o_kind"] = "literal" if isinstance(term, ox.Literal) else "iri"
                row["o_datatype"] = term.datatype.value if isinstance(term, ox.Literal) else ""
        rows.append(row)
    return rows


@dataclass
class Mappings:
    relations: dict[str, set[str] | None]  # None: any property
    types: dict[str, set[str]]
    hub_degree: int = 60

    @classmethod
    def load(cls, mappings_dir: Path) -> Mappings:
        rel_file, type_file = mappings_dir / "gold-relations.yaml", mappings_dir / "gold-types.yaml"
        rel, typ = _yaml(rel_file), _yaml(type_file)
        relations: dict[str, set[str] | None] = {}
        for name, props in (rel.get("relations") or {}).items():
            flat = [q for p in props for q in (p if isinstance(p, list) else [p])] if props != "any" else []
            relations[str(name)] = None if props == "any" else {_expand(p, rel, rel_file) for p in flat}
        types = {str(k): {_expand(c, typ, type_file) for c in v} for k, v in (typ.get("types") or {}).items()}
        return cls(relations, types, int(rel.get("hub_degree") or 60))


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvaluateError(f"cannot read the mapping: {exc}", source=str(path)) from exc
    if not isinstance(data, dict):
        raise EvaluateError("expected a mapping", source=str(path), line=1)
    return data


def _expand(curie: str, data: dict[str, Any], source: Path) -> str:
    prefix, _, local = str(curie).partition(":")
    base = (data.get("prefixes") or {}).get(prefix)
    if not base or not local:
        raise EvaluateError(f"unknown prefix in {curie!r}", source=str(source))
    return str(base) + local


@dataclass
class Tally:
    total: int = 0
    found: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"total": self.total, "found": self.found, "recall": round(self.recall, 4)}


@dataclass
class Result:
    gold: str
    tier: str
    entities: Tally = field(default_factory=Tally)
    entities_typed: int = 0
    entities_by_type: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    facts: Tally = field(default_factory=Tally)
    facts_by_relation: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    modality_agree: int = 0
    modality_by_gold: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    evidence_overlap: int = 0
    missed_facts: list[str] = field(default_factory=list)
    missed_entities: list[str] = field(default_factory=list)

    @property
    def modality_agreement(self) -> float:
        return self.modality_agree / self.facts.found if self.facts.found else 0.0

    @property
    def evidence_agreement(self) -> float:
        return self.evidence_overlap / self.facts.found if self.facts.found else 0.0

    @property
    def type_agreement(self) -> float:
        return self.entities_typed / self.entities.found if self.entities.found else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "gold": self.gold,
            "tier": self.tier,
            "entity_recall": round(self.entities.recall, 4),
            "entities": self.entities.as_dict(),
            "type_agreement": round(self.type_agreement, 4),
            "entities_by_type": {k: v.as_dict() for k, v in sorted(self.entities_by_type.items())},
            "fact_recall": round(self.facts.recall, 4),
            "facts": self.facts.as_dict(),
            "facts_by_relation": {k: v.as_dict() for k, v in sorted(self.facts_by_relation.items())},
            "modality_agreement": round(self.modality_agreement, 4),
            "modality_by_gold": {k: v.as_dict() for k, v in sorted(self.modality_by_gold.items())},
            "evidence_overlap": round(self.evidence_agreement, 4),
            "missed_facts": self.missed_facts,
            "missed_entities": self.missed_entities,
        }


def _overlaps(gold_quote: str, quotes: Iterable[str]) -> bool:
    g = " ".join(gold_quote.split()).lower()
    for quote in quotes:
        q = " ".join(quote.split()).lower()
        if not q or not g:
            continue
        if g in q or q in g:
            return True
        m = SequenceMatcher(None, g, q, autojunk=False).find_longest_match(0, len(g), 0, len(q))
        if m.size >= min(20, len(g), len(q)):
            return True
    return False


def _literal_matches(gold: GoldLiteral, value: str, datatype: str) -> bool:
    dt = (gold.datatype or "").rsplit(":", 1)[-1]
    want = gold.value.strip()
    if dt in {"gYear", "date", "gYearMonth", "dateTime"}:
        return value.startswith(want) or (len(value) >= 4 and want.startswith(value) and dt != "gYear")
    if dt in {"integer", "decimal", "double", "float", "nonNegativeInteger", "positiveInteger"}:
        try:
            target = float(want.replace(",", ""))
        except ValueError:
            return fold(want) == fold(value)
        for number in _NUMBER.findall(value):
            try:
                if float(number.replace(",", "")) == target:
                    return True
            except ValueError:
                continue
        return False
    a, b = fold(want), fold(value)
    if not a or not b:
        return False
    if a == b or (min(len(a), len(b)) >= 4 and (a in b or b in a)):
        return True
    ta, tb = set(a.split()), set(b.split())
    return len(ta & tb) / len(ta | tb) >= 0.5


class Scorer:
    def __init__(self, view: GraphView, gold: Gold, mappings: Mappings) -> None:
        self.view, self.gold, self.mappings = view, gold, mappings
        self.resources: dict[str, set[str]] = {}
        for entity in gold.entities.values():
            found: set[str] = set()
            for name in entity.names:
                found |= view.names.get(fold(name), set())
            self.resources[entity.id] = found

    def entity(self, entity_id: str) -> tuple[bool, bool]:
        entity = self.gold.entities[entity_id]
        found = self.resources[entity_id]
        wanted = self.mappings.types.get(entity.type, set())
        return bool(found), any(self.view.classes.get(r, set()) & wanted for r in found)

    def _evidence(self, links: Iterable[tuple[str, str, str]]) -> list[EvidenceRow]:
        return [ev for t in links for ev in self.view.evidence.get(t, [])]

    def fact(self, fact: GoldFact) -> list[EvidenceRow] | None:
        """The evidence of the links that state ``fact``, or None when the graph does not hold it."""
        props = self.mappings.relations.get(fact.relation_class, set())
        if props is not None and not props:
            return None  # an unmapped class is never found
        subjects = self.resources.get(fact.subject, set())
        degree = self.mappings.hub_degree
        hits: list[tuple[str, str, str]] = []
        if isinstance(fact.object, GoldLiteral):
            for s in subjects:
                for p, value, dt in self.view.literals.get(s, []):
                    if (props is None or p in props) and _literal_matches(fact.object, value, dt):
                        hits.append((s, p, value))
                for link, mid in self.view.links(s):
                    if self.view.is_hub(mid, degree):
                        continue
                    for p, value, dt in self.view.literals.get(mid, []):
                        if (props is None or p in props or link.p in props) and _literal_matches(fact.object, value, dt):
                            hits += [(link.s, link.p, link.o), (mid, p, value)]
            return self._evidence(hits) or ([] if hits else None)
        objects = self.resources.get(fact.object, set())
        if not subjects or not objects:
            return None
        found = False
        for s in subjects:
            for link, other in self.view.links(s):
                first = props is None or link.p in props
                if other in objects and first:
                    hits.append((link.s, link.p, link.o))
                    found = True
                    continue
                if other in subjects or self.view.is_hub(other, degree):
                    continue
                for second, end in self.view.links(other):
                    if end in objects and end != s and (first or props is None or second.p in props):
                        hits += [(link.s, link.p, link.o), (second.s, second.p, second.o)]
                        found = True
        if not found:
            return None
        return self._evidence(hits)


def score(view: GraphView, gold: Gold, mappings: Mappings, *, tier: str = "core") -> Result:
    """Score the graph in ``view`` against ``gold``, on the facts of ``tier`` (``all`` for every tier)."""
    result = Result(gold=gold.source, tier=tier)
    scorer = Scorer(view, gold, mappings)
    for entity in gold.entities.values():
        found, typed = scorer.entity(entity.id)
        result.entities.total += 1
        result.entities_by_type[entity.type].total += 1
        if found:
            result.entities.found += 1
            result.entities_by_type[entity.type].found += 1
            result.entities_typed += typed
        else:
            result.missed_entities.append(f"{entity.type}: {entity.label}")
    for fact in gold.facts:
        if tier != "all" and fact.tier != tier:
            continue
        result.facts.total += 1
        result.facts_by_relation[fact.relation_class].total += 1
        evidence = scorer.fact(fact)
        if evidence is None:
            obj = fact.object.value if isinstance(fact.object, GoldLiteral) else fact.object
            result.missed_facts.append(f"{fact.id} {fact.subject} [{fact.relation_class}] {obj}")
            continue
        result.facts.found += 1
        result.facts_by_relation[fact.relation_class].found += 1
        result.modality_by_gold[fact.modality].total += 1
        doc = fact.doc.rsplit(".", 1)[0]
        same_doc = [ev for ev in evidence if ev.doc == doc] or evidence
        if _MODALITIES.get(fact.modality, fact.modality) in {ev.modality for ev in same_doc} or (
                not evidence and fact.modality == "stated"):
            result.modality_agree += 1
            result.modality_by_gold[fact.modality].found += 1
        if _overlaps(fact.quote, [ev.quote for ev in evidence if ev.doc == doc]
                     + [ev.sentence for ev in evidence if ev.doc == doc]):
            result.evidence_overlap += 1
    return result
