"""The rule engine on small texts: slots, lists, dates, entity resolution and evidence offsets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from migration_kg.corpus import CatalogueRecord, Document
from migration_kg.dates import parse_date
from migration_kg.extract import clean_view, extract
from migration_kg.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules(ROOT / "mappings")
ORG = "http://www.w3.org/ns/org#"
ID = "https://w3id.org/migration-kg/id/"


def _doc(text: str, date: dt.date = dt.date(2020, 6, 1)) -> Document:
    return Document(id="test-doc", path=Path("test-doc.txt"), text=text,
                    record=CatalogueRecord(title="t", date=date, publisher="p"))


def _facts(text: str) -> list:  # type: ignore[type-arg]
    return [f for f in extract(_doc(text), RULES) if f.evidence.rule_id != "dictionary-mention"]


def test_every_rule_has_a_description_and_an_example_that_matches() -> None:
    for rule in RULES.rules:
        assert rule.description, rule.id
        assert rule.examples, rule.id


def test_a_new_year_and_state_yield_a_new_membership() -> None:
    facts = _facts("Opening remarks came from the GFMD 2022 Chair France.")
    triples = {(str(s), str(p), str(o)) for f in facts for s, p, o in f.triples}
    assert (f"{ID}membership/fra-gfmd-chairrole-2022", f"{ORG}member", f"{ID}state/FRA") in triples


def test_lists_emit_one_membership_per_state() -> None:
    facts = _facts("We thank the 2022-2023 Co-Chairs of the GFMD, France and Senegal, for hosting.")
    members = {str(o) for f in facts for _, p, o in f.triples if str(p) == f"{ORG}member"}
    assert members == {f"{ID}state/FRA", f"{ID}state/SEN"}


def test_misspellings_resolve_to_one_person() -> None:
    a = _facts("GCM Co-Facilitators, Ambassador Jurg Lauber, Permanent Representative of Switzerland to the UNOG")
    b = _facts("Ambassador Jürg Lauber, Permanent Representative of Switzerland to the UNOG")
    pa = {str(o) for f in a for _, p, o in f.triples if str(p) == f"{ORG}member"}
    pb = {str(o) for f in b for _, p, o in f.triples if str(p) == f"{ORG}member"}
    assert pa == pb == {f"{ID}person/jurg-lauber"}


def test_evidence_offsets_point_into_the_original_text_with_markup() -> None:
    text = "Intro.\n\n**Mr. Jan Novak**, representing GFMD Co-Chair Morocco, delivered the closing remarks."
    doc = _doc("## Dialogue on things\n\n6 April 2020\nGeneva\n\n" + text)
    for fact in extract(doc, RULES):
        ev = fact.evidence
        assert doc.text[ev.start : ev.end] == ev.quote


def test_clean_view_maps_back_to_the_original() -> None:
    text = "a **b** [c](#) d<sup>1</sup> e"
    clean, index = clean_view(text)
    assert clean == "a b c d e"
    assert [text[index[i]] for i in range(len(clean))] == list(clean)


@pytest.mark.parametrize(("text", "lexical"), [
    ("6 April 2017", ("2017-04-06", "date")),
    ("4-6 December 2017", ("2017-12-04", "date")),
    ("February 2", ("2020-02-02", "date")),
    ("November 2016", ("2016-11", "gYearMonth")),
])
def test_dates(text: str, lexical: tuple[str, str]) -> None:
    assert parse_date(text, default_year=2020).lexical() == lexical
