"""`migration-kg report`: per-document facts, rules, coverage and SHACL results on the real corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from migration_kg.corpus import load_corpus
from migration_kg.extract import extract, load_rules, sentence_spans
from migration_kg.report import CorpusReport, corpus_report
from migration_kg.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CHAMPIONS = "2021-11-03-gcm-champions-technical-meeting"


@pytest.fixture(scope="module")
def report() -> CorpusReport:
    """The report of the corpus, with HermiT and SHACL over the whole build."""
    return corpus_report(Settings(), corpus_dir=ROOT / "corpus")


def test_one_report_per_document_with_coverage_between_0_and_1(report: CorpusReport) -> None:
    assert [d.document for d in report.documents] == sorted(p.stem for p in (ROOT / "corpus").glob("*.txt"))
    for d in report.documents:
        assert 0 < d.sentences and 0 <= d.covered <= d.sentences
        assert 0.0 <= d.coverage <= 1.0 and d.coverage == d.covered / d.sentences
        assert len(d.uncovered) == d.sentences - d.covered


def test_coverage_of_one_document_equals_an_independent_count(report: CorpusReport) -> None:
    doc = next(d for d in load_corpus(ROOT / "corpus") if d.id == CHAMPIONS)
    facts = [f for f in extract(doc, load_rules(ROOT / "mappings")) if f.evidence.rule_id != "dictionary-mention"]
    spans = sentence_spans(doc.text)
    with_fact = [s for s in spans if any(f.evidence.start < s[1] and f.evidence.end > s[0] for f in facts)]
    mine = next(d for d in report.documents if d.document == CHAMPIONS)
    assert (mine.covered, mine.sentences) == (len(with_fact), len(spans))
    assert mine.coverage == pytest.approx(len(with_fact) / len(spans))
    assert mine.rules_fired["new-champion-countries"] == 1 and mine.rules_fired["heading-event"] == 1
    assert mine.rules_fired == dict(Counter(f.evidence.rule_id for f in extract(doc, load_rules(ROOT / "mappings"))))
    assert mine.entities_by_class["mkg:State"] >= 15  # champions, observers, committee members
    without = [" ".join(doc.text[a:b].split()) for a, b in spans if (a, b) not in with_fact]
    assert mine.uncovered == without
    # A descriptive sentence no rule reads; the numbered session headings are read (numbered-session-heading).
    assert "In response, Champions' interventions focused on:" in mine.uncovered
    assert mine.rules_fired["numbered-session-heading"] == 2
    assert not any(s.startswith("Session ") for s in mine.uncovered)
    assert mine.facts_by_property["org:member"] >= 20


def test_shacl_results_of_the_build_are_listed_per_document(report: CorpusReport) -> None:
    assert report.error is None and report.consistent is True
    assert report.validation is not None and report.validation.conforms
    for d in report.documents:
        assert set(d.shacl) <= set(report.validation.results)


def test_json_output_for_machines() -> None:
    result = subprocess.run([sys.executable, "-m", "migration_kg.cli", "report", "--json", "--no-shacl"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    champions = next(d for d in data["documents"] if d["document"] == CHAMPIONS)
    assert 0 < champions["coverage"] < 1
    assert champions["sentences_with_facts"] + len(champions["sentences_without_facts"]) == champions["sentences"]
    assert data["shacl"] is None and data["consistent"] is None


def test_a_reproducible_random_sample_of_facts_for_a_precision_audit() -> None:
    a = corpus_report(Settings(), corpus_dir=ROOT / "corpus", shacl=False, sample=12, seed=3)
    b = corpus_report(Settings(), corpus_dir=ROOT / "corpus", shacl=False, sample=12, seed=3)
    assert a.sample == b.sample and len(a.sample) == 12
    assert all(item["rule"] != "dictionary-mention" and item["triples"] for item in a.sample)
    text = (ROOT / "corpus" / f"{a.sample[0]['document']}.txt").read_text(encoding="utf-8")
    assert a.sample[0]["quote"] in " ".join(text.split())
    assert "random sample of 12 facts" in a.to_text()
