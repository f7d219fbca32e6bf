"""Each competency query returns exactly the answers read by hand from the documents.

The expected rows are in ``tests/competency/expected.yaml``; the questions and their
hand-checked answers in ``tests/competency/competency-questions.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from migration_kg.queries import load_queries

HERE = Path(__file__).parent / "competency"
QUERIES = load_queries(Path(__file__).resolve().parents[1] / "queries")
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
QUESTIONS = {q["id"]: q for q in yaml.safe_load((HERE / "competency-questions.yaml").read_text("utf-8"))["questions"]}


def _norm(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return re.split(r"[/#]", term.value)[-1]
    return re.sub(r"\s+", " ", term.value).strip()


def solution_rows(solutions: ox.QuerySolutions, columns: list[str]) -> list[tuple[str, ...]]:
    """The distinct rows of ``solutions`` over ``columns``, normalised as expected.yaml writes them, sorted."""
    return sorted({tuple(_norm(sol[c]) for c in columns) for sol in solutions})


def expected_rows(spec: dict) -> list[tuple[str, ...]]:  # type: ignore[type-arg]
    """The rows of one expected.yaml entry, whitespace folded, sorted."""
    return sorted({tuple(re.sub(r"\s+", " ", str(v)).strip() for v in row) for row in spec["rows"]})


def test_every_expected_answer_names_a_public_question_and_a_query() -> None:
    for cq, spec in EXPECTED.items():
        assert cq in QUESTIONS, cq
        assert spec["query"] in QUERIES, spec["query"]
        assert QUERIES[spec["query"]].cq == cq


def test_at_least_twenty_public_questions_are_answered() -> None:
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("cq", sorted(EXPECTED))
def test_competency_question(cq: str, graph_store) -> None:  # type: ignore[no-untyped-def]
    spec = EXPECTED[cq]
    query = QUERIES[spec["query"]]
    result = graph_store.query(query.text, substitutions=query.bindings())  # the declared defaults
    assert isinstance(result, ox.QuerySolutions)
    assert solution_rows(result, spec["columns"]) == expected_rows(spec), f"{cq}: {QUESTIONS[cq]['question']}"
