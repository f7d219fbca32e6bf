"""The rules generalise: three documents of the genre that are not in the corpus, read as if ingested.

Each case folder ``tests/unseen/<case>/`` holds ``document.<ext>`` and ``expected.yaml``, written by
hand from the text: the entities (type and label) and the facts (subject, property, object, with the
words of the document that state them). The test runs the ingest reader, the extraction and the
mapping, renders every asserted triple (entities by label, ontology terms as ``mkg:``/``org:``
CURIEs, other minted nodes by their IRI path below ``id/``, literals by value) and checks

* recall: every expected entity and fact is extracted, with evidence whose sentence holds the quote;
* precision of the pattern rules: every entity and fact the regular-expression rules extract is
  expected or listed in ``known_extra`` (each with a reason; those marked ``wrong: true`` count as
  errors), and the share of correct facts is >= 0.95. The linguistic layer finds far more than these
  hand lists hold; its precision is measured by the hand audit in ``docs/precision/`` and its recall
  on real documents by ``migration-kg evaluate`` against ``../shared/devset``.

``missed`` lists facts the documents state but the rules do not extract (they lower the reported
recall, not the test). ``MKG_UNSEEN_DUMP=1`` prints what was extracted, for writing a new case.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.term import Node

from migration_kg.extract import Fact, RuleSet, extract, load_rules
from migration_kg.ingest import RecordOptions, read_new
from migration_kg.mapping import map_document
from migration_kg.namespaces import DEFAULT_BASE, MKG, PREFIXES, RDF, RDFS

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).parent / "unseen"
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.yaml").exists())
_CURIES = sorted(((k, v) for k, v in PREFIXES.items() if k in ("mkg", "org", "skos", "schema", "rdfs", "dct")),
                 key=lambda kv: -len(kv[1]))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


class Rendered:
    """The facts of one document as comparable (subject, property, object) strings."""

    def __init__(self, facts: list[Fact], rules: RuleSet) -> None:
        triples = [t for f in facts for t in f.triples]
        self.labels: dict[Node, str] = {}
        for e in rules.dictionary.entities.values():
            self.labels.setdefault(URIRef(e.iri), e.label)
        for s, p, o in triples:
            if p == RDFS.label:
                self.labels[s] = str(o)
        self.types: dict[Node, set[str]] = defaultdict(set)
        for e in rules.dictionary.entities.values():
            self.types[URIRef(e.iri)] = {f"mkg:{t}" for t in e.types}
        for s, p, o in triples:
            if p == RDF.type:
                self.types[s].add(self.term(o))
        mentioned = {o for _, p, o in triples if p == MKG.mentions}
        labelled = {s for s, p, _ in triples if p == RDFS.label} | mentioned
        self.entities = {(sorted(self.types[s])[0] if self.types[s] else "?", self.labels.get(s, str(s)))
                         for s in labelled}
        self.triples: dict[tuple[str, str, str], list[Fact]] = defaultdict(list)
        for f in facts:
            for s, p, o in f.triples:
                if p == MKG.mentions or p == RDF.type or (p == RDFS.label and s in labelled):
                    continue
                self.triples[(self.term(s), self.term(p), self.term(o))].append(f)

    def term(self, node: Node) -> str:
        """A readable, stable form of ``node``."""
        if isinstance(node, Literal):
            return _norm(str(node))
        if node in self.labels:
            return self.labels[node]
        text = str(node)
        for prefix, ns in _CURIES:
            if text.startswith(ns):
                return f"{prefix}:{text[len(ns):]}"
        if text.startswith(DEFAULT_BASE):
            return text[len(DEFAULT_BASE):].removeprefix("id/")
        return text


def _expected_triples(spec: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    for item in spec:
        quote = _norm(item["quote"])
        for s, p, o in item.get("triples", []):
            out[(str(s), str(p), _norm(str(o)))] = quote
        for p, objects in (item.get("props") or {}).items():
            for o in objects if isinstance(objects, list) else [objects]:
                out[(str(item["node"]), str(p), _norm(str(o)))] = quote
    return out


def _run(case: str, *, patterns_only: bool = False) -> tuple[dict[str, Any], Rendered]:
    expected = yaml.safe_load((HERE / case / "expected.yaml").read_text(encoding="utf-8"))
    path = next((HERE / case).glob("document.*"))
    document = read_new(path, RecordOptions())  # title and date derived as `migration-kg ingest` does
    rules = load_rules(ROOT / "mappings")  # fresh: minting adds to the dictionary
    facts = extract(document, rules)
    graph = map_document(document, facts)
    assert len(graph) > 0
    if patterns_only:
        pattern_ids = {r.id for r in rules.rules}
        facts = [f for f in facts if f.evidence.rule_id in pattern_ids]
    rendered = Rendered(facts, rules)
    if os.environ.get("MKG_UNSEEN_DUMP"):
        for ent in sorted(rendered.entities):
            print("ENTITY", *ent, sep=" | ")
        for triple, fs in sorted(rendered.triples.items()):
            print("FACT", *triple, _norm(fs[0].evidence.quote), sep=" | ")
    return expected, rendered


@pytest.mark.parametrize("case", CASES)
def test_every_expected_entity_and_fact_is_extracted(case: str) -> None:
    expected, rendered = _run(case)
    want_entities = {(e["type"], e["label"]) for e in expected["entities"]}
    assert want_entities - rendered.entities == set(), "entities not extracted"
    want = _expected_triples(expected["facts"])
    missing = [t for t in want if t not in rendered.triples]
    assert missing == [], "facts not extracted"
    for triple, quote in want.items():
        sentences = [_norm(f.evidence.sentence) + " " + _norm(f.evidence.quote) for f in rendered.triples[triple]]
        assert any(quote in s for s in sentences), f"{triple}: no evidence holds {quote!r}"


@pytest.mark.parametrize("case", CASES)
def test_every_extracted_fact_is_expected_or_a_known_extra(case: str) -> None:
    expected, rendered = _run(case, patterns_only=True)
    want = set(_expected_triples(expected["facts"]))
    extras = {(str(s), str(p), _norm(str(o))): x for x in expected.get("known_extra") or []
              for s, p, o in x["triples"]}
    extra_entities = {(e["type"], e["label"]): e for e in expected.get("known_extra_entities") or []}
    want_entities = {(e["type"], e["label"]) for e in expected["entities"]}
    assert rendered.entities - want_entities - set(extra_entities) == set(), "unexpected entities"
    unexpected = sorted(set(rendered.triples) - want - set(extras))
    assert unexpected == [], "unexpected facts"
    wrong = [t for t in rendered.triples if t in extras and extras[t].get("wrong")]
    wrong += [t for t in rendered.entities if t in extra_entities and extra_entities[t].get("wrong")]
    total = len(rendered.triples) + len(rendered.entities)
    precision = 1 - len(wrong) / total
    missed = len(expected.get("missed") or [])
    recall = len(want) / (len(want) + missed)
    print(f"{case}: {total} entities+facts, precision {precision:.3f}, recall {recall:.3f} ({missed} missed)")
    assert precision >= 0.95


def test_the_unseen_documents_ingest_into_a_consistent_and_valid_build(tmp_path: Path) -> None:
    """All three documents, ingested together into a copy of the corpus: HermiT and SHACL accept the build."""
    import shutil

    from migration_kg.ingest import ingest
    from migration_kg.settings import Settings
    from migration_kg.store import current_build

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data")
    report = ingest(settings, [next((HERE / case).glob("document.*")) for case in CASES])
    assert report.ok and len(report.added) == len(CASES)
    assert current_build(settings.data_dir) == report.build_dir
