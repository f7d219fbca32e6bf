"""What a passage is about: links from events to the GCM objectives (mappings/linguistic/topics.yaml), and
the curated query "which meetings discussed objective N"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from migration_kg.corpus import CatalogueRecord, Document
from migration_kg.extract import Fact, extract, load_rules
from migration_kg.extract.topics import RULE_ID
from migration_kg.namespaces import MKG
from migration_kg.queries import load_queries
from migration_kg.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
OBJ = "https://w3id.org/migration-kg/vocab/gcm-objective/"
RULES = load_rules(ROOT / "mappings", check=False)


def _topics(text: str) -> list[Fact]:
    doc = Document(id="topic-doc", path=Path("topic-doc.txt"), text=text,
                   record=CatalogueRecord(title="t", date=dt.date(2026, 3, 1), publisher="p"))
    # the topic rule, or a pattern rule that already states the same link
    return [f for f in extract(doc, load_rules(ROOT / "mappings", check=False))
            if any(p == MKG.discussed and str(o).startswith(OBJ) for _, p, o in f.triples)]


def _links(facts: list[Fact]) -> set[tuple[str, str]]:
    return {(str(s).rsplit("/", 1)[-1], str(o).removeprefix(OBJ)) for f in facts for s, p, o in f.triples
            if p == MKG.discussed}


def test_every_objective_has_weighted_words_from_its_title() -> None:
    assert sorted(o.number for o in RULES.topics.objectives) == list(range(1, 24))
    assert all(o.weights for o in RULES.topics.objectives)
    remittances = next(o for o in RULES.topics.objectives if o.number == 20)
    assert "remittance" in remittances.weights and "migration" not in remittances.weights


@pytest.mark.parametrize(("text", "objective", "score"), [
    # the short label as a phrase
    ("The Regional Workshop on Diaspora Finance, held in Accra on 3 May 2025, discussed remittances.", "20", 1.0),
    # an explicit reference, numbers in a list
    ("The Regional Workshop on Diaspora Finance, held in Accra on 3 May 2025, reviewed objectives 9 and 10.", "9", None),
    # two distinctive words of the title
    ("The Regional Workshop on Labour Mobility, held in Accra on 3 May 2025, focused on fair and ethical "
     "recruitment.", "6", None),
])
def test_a_sentence_links_the_event_it_names_to_the_objective(text: str, objective: str, score: float | None) -> None:
    facts = _topics(text)
    links = _links(facts)
    assert any(o == objective for _, o in links), links
    fact = next(f for f in facts if any(str(t[2]) == OBJ + objective for t in f.triples))
    assert fact.evidence.quote in text and fact.evidence.sentence.strip() == text
    if score is not None:
        assert fact.evidence.rule_id == RULE_ID and fact.evidence.score == score
    elif fact.evidence.rule_id == RULE_ID:
        assert fact.evidence.score is not None and 0.34 <= fact.evidence.score <= 1


def test_a_sentence_with_one_word_of_a_title_or_no_event_links_nothing() -> None:
    assert _links(_topics("The Regional Workshop, held in Accra on 3 May 2025, was about recruitment.")) == set()
    assert _links(_topics("Remittances rose in 2024.")) == set()  # no event named, none reported on


def test_the_curated_query_answers_for_any_objective_with_evidence(graph_store: OxigraphStore) -> None:
    query = load_queries(ROOT / "queries")["meetings-discussing-objective"]
    rows = list(graph_store.query(query.text, substitutions=query.bindings([("n", "20")])))
    assert rows, "no meeting discussed objective 20 (remittances) in the corpus"
    for row in rows:
        assert row["objective"].value == OBJ + "20"
        assert "remittance" in row["quote"].value.lower() and row["quote"].value in row["sentence"].value
        assert row["modality"].value.startswith(str(MKG))
    assert {r["meeting"].value.rsplit("/", 1)[-1] for r in rows} >= {"2017-04-06-dialogue-working-session-ii"}
    other = list(graph_store.query(query.text, substitutions=query.bindings([("n", "2")])))
    assert all(r["objective"].value == OBJ + "2" for r in other)
