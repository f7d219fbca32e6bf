"""The conflict step: different values of a single-valued property from different sentences are
both kept, marked disputed and linked by an mkg:Conflict (the Guadalajara stocktaking dates)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rdflib import Literal

from migration_kg.conflicts import conflicts_graph, find_conflicts
from migration_kg.corpus import CatalogueRecord, Document
from migration_kg.extract import extract, load_rules
from migration_kg.mapping import statement_iri
from migration_kg.namespaces import MKG, XSD
from migration_kg.queries import load_queries

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules(ROOT / "mappings")
QUERIES = load_queries(ROOT / "queries")
STOCKTAKING = "https://w3id.org/migration-kg/id/event/stocktaking-mex"


def _doc(text: str) -> Document:
    return Document(id="test-doc", path=Path("test-doc.txt"), text=text,
                    record=CatalogueRecord(title="t", date=dt.date(2017, 4, 6), publisher="p"))


def test_two_sentences_giving_two_start_dates_make_one_conflict() -> None:
    facts = extract(_doc("It goes to a stock-taking exercise in Guadalajara, Mexico on 4-6 December 2017. "
                         "He said the stocktaking conference will be held on 4-6 November in Guadalajara, Mexico."), RULES)
    found = {(str(c.subject), str(c.predicate)): c for c in find_conflicts(facts)}
    start = found[(STOCKTAKING, str(MKG.startDate))]
    assert {str(v) for v, _ in start.values} == {"2017-12-04", "2017-11-04"}
    assert (STOCKTAKING, str(MKG.endDate)) in found
    g = conflicts_graph(found.values())
    for value in ("2017-12-04", "2017-11-04"):
        stmt = statement_iri((start.subject, MKG.startDate, Literal(value, datatype=XSD.date)))
        assert (stmt, MKG.modality, MKG.Disputed) in g
        assert (start.iri, MKG.conflictingStatement, stmt) in g
    assert (start.subject, MKG.hasConflict, start.iri) in g


def test_one_sentence_or_one_value_is_no_conflict() -> None:
    same = extract(_doc("A stock-taking exercise in Guadalajara, Mexico on 4-6 December 2017 and again "
                        "a stock-taking exercise in Guadalajara, Mexico on 4-6 December 2017."), RULES)
    assert find_conflicts(same) == []
    precision = extract(_doc("A stock-taking exercise in Guadalajara, Mexico on 4-6 December 2017. "
                             "The stocktaking exercise to be held in Mexico in December 2017."), RULES)
    assert find_conflicts(precision) == []  # 2017-12-04 and 2017-12 are dates of different precision


def test_the_built_graph_keeps_both_guadalajara_dates_as_disputed(graph_store) -> None:  # type: ignore[no-untyped-def]
    rows = {(sol["property"].value, sol["value"].value, sol["modality"].value.rsplit("#", 1)[-1], sol["quote"].value)
            for sol in graph_store.query(QUERIES["conflicts"].text) if sol["entity"].value == STOCKTAKING}
    assert ("mkg:startDate", "2017-12-04", "Disputed",
            "stock-taking exercise in Guadalajara, Mexico on 4-6 December 2017") in rows
    assert ("mkg:startDate", "2017-11-04", "Disputed",
            "stocktaking conference will be held on 4-6 November in Guadalajara, Mexico") in rows


def test_a_query_separates_what_was_proposed_from_what_was_stated(graph_store) -> None:  # type: ignore[no-untyped-def]
    rows = {(sol["document"].value.rsplit("/", 1)[-1], sol["modality"].value.rsplit("#", 1)[-1])
            for sol in graph_store.query(QUERIES["cq25-gfmd-reports-to-imrf-on"].text)}
    assert rows == {("2019-04-04-gfmd-gcm-relationship-consultation", "Proposed"),
                    ("2024-world-migration-report-chapter-8-imrf", "Stated")}


def test_agreed_or_proposed_keeps_one_modality_when_bound(graph_store) -> None:  # type: ignore[no-untyped-def]
    from rdflib import URIRef

    query = QUERIES["agreed-or-proposed"].text
    every = {sol["modality"].value.rsplit("#", 1)[-1] for sol in graph_store.query(query)}
    assert {"Stated", "Proposed", "Expected", "Disputed"} <= every
    proposed = list(graph_store.query(query, substitutions={"modality": URIRef(str(MKG.Proposed))}))
    assert proposed and {sol["modality"].value for sol in proposed} == {str(MKG.Proposed)}
    texts = {sol["text"].value for sol in proposed}
    assert any(t.startswith("Drafting of a dedicated report") for t in texts)  # a 2019 suggestion, not a decision
