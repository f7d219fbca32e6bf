"""The hand precision audits stay true of the graph the rules build now.

``docs/precision/sample-*.yaml`` holds 100 extracted facts per audit, drawn at random by
``scripts/sample_facts.py`` and judged by hand against their quotes. This test checks each
audit itself (size, verdicts, the counts in its header) and holds the rules to it: every fact
judged correct is still extracted from its document.

* The audit of 2026-11-22 (pattern rules only) gave 98%; its two wrong facts were fixed after it
  and must stay gone.
* The audit of 2026-12-03 (pattern rules and the linguistic layer) gave 87%: 100% of the pattern
  rules' facts, 72% of the linguistic layer's. It misses the 95% target of issue 8; the test holds
  the pattern rules to 95% and the whole to the precision measured, so that a change that loses
  precision fails. Its wrong facts are not fixed yet and are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from migration_kg.pipeline import BuildReport
from migration_kg.settings import Settings
from migration_kg.store import DUMP_NAME

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "docs" / "precision").glob("sample-*.yaml"))
BASE = "https://w3id.org/migration-kg/"
_IRI_AT_END = re.compile(r"<(https?://[^<>]+)>$")


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _term(text: str, *, predicate: bool = False) -> ox.NamedNode | str:
    """An IRI (``Label <iri>``, ``<iri>``, ``mkg:x`` or a full predicate IRI) or a literal's lexical form."""
    found = _IRI_AT_END.search(text)
    if found:
        return ox.NamedNode(found.group(1))
    if predicate:
        return ox.NamedNode(BASE + "ontology#" + text[4:] if text.startswith("mkg:") else text)
    return text


@pytest.fixture(scope="module")
def doc_store(built: tuple[Settings, BuildReport]) -> ox.Store:
    report = built[1]
    assert report.build_dir is not None
    store = ox.Store()
    store.bulk_load(path=str(report.build_dir / DUMP_NAME), format=ox.RdfFormat.N_QUADS)
    return store


def _extracted(store: ox.Store, fact: dict) -> bool:
    subject, predicate, obj = fact["fact"]
    s, p, o = _term(subject), _term(predicate, predicate=True), _term(obj)
    assert isinstance(s, ox.NamedNode) and isinstance(p, ox.NamedNode)
    graph = ox.NamedNode(BASE + "graph/doc/" + fact["document"])
    if isinstance(o, ox.NamedNode):
        return any(True for _ in store.quads_for_pattern(s, p, o, graph))
    return any(q.object.value == o for q in store.quads_for_pattern(s, p, None, graph))


def test_there_is_an_audit() -> None:
    assert SAMPLES, "docs/precision/ holds the hand-judged sample"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_the_audit_is_complete_and_precise(path: Path) -> None:
    audit = _load(path)
    facts = audit["facts"]
    assert len(facts) == 100
    assert len({f["statement"] for f in facts}) == 100, "a sample draws without replacement"
    assert {f["verdict"] for f in facts} <= {"correct", "wrong"}, "every fact is judged"
    assert all(f.get("why") for f in facts if f["verdict"] == "wrong"), "a wrong verdict says why"
    correct = sum(f["verdict"] == "correct" for f in facts)
    judged = audit["drawn"]["judged"]
    assert judged["correct"] == correct
    assert judged["precision"] == pytest.approx(correct / len(facts))
    if "pattern_rules" in judged:  # an audit of both layers: each layer's share as recorded
        for layer, key in (("pattern", "pattern_rules"), ("linguistic", "linguistic_layer")):
            mine = [f for f in facts if f["layer"] == layer]
            ok = sum(f["verdict"] == "correct" for f in mine)
            assert (judged[key]["facts"], judged[key]["facts"] - judged[key]["wrong"]) == (len(mine), ok)
        pattern = [f for f in facts if f["layer"] == "pattern"]
        assert sum(f["verdict"] == "correct" for f in pattern) / len(pattern) >= 0.95
        assert correct / len(facts) >= 0.87
    else:
        assert correct / len(facts) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_correct_facts_stay_and_wrong_ones_stay_fixed(path: Path, doc_store: ox.Store) -> None:
    facts = _load(path)["facts"]
    lost = [f["fact"] for f in facts if f["verdict"] == "correct" and not _extracted(doc_store, f)]
    assert lost == [], "facts judged correct are no longer extracted"
    if "pattern_rules" in _load(path)["drawn"]["judged"]:
        return  # the wrong facts of the audit of both layers are not fixed yet (see the module's note)
    back = [f["fact"] for f in facts if f["verdict"] == "wrong" and _extracted(doc_store, f)]
    assert back == [], "facts judged wrong are extracted again"
