"""The query executor without HTTP: real worker processes, real crashes, real reloads."""

from __future__ import annotations

import asyncio
import doctest
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import uvloop

from migration_kg.errors import Overloaded, QueryCrashed, QueryError, QueryTimeout, ResultTooLarge, StoreError
from migration_kg.serve import pool as pool_module
from migration_kg.serve import worker
from migration_kg.serve.executor import InProcessExecutor, Limits
from migration_kg.serve.formats import write_results
from migration_kg.serve.pool import WorkerPool
from migration_kg.store import OxigraphStore

EX = "http://example.org/"
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
DATA = (
    f'<{EX}a> <{EX}label> "Genève"@fr .\n'
    f'<{EX}a> <{EX}count> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    f"<{EX}b> <{EX}knows> <{EX}a> .\n"
    f"<{EX}b> <{EX}knows> _:someone .\n"
)
LIMITS = Limits(deadline_s=5.0, max_rows=3, max_bytes=10_000, max_pending=4)


def write_dump(path: Path, text: str = DATA) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerPool]:
    with WorkerPool(write_dump(tmp_path_factory.mktemp("pool") / "g.nq"), workers=1, limits=LIMITS) as started:
        yield started


def bindings(body: bytes) -> list[dict[str, str]]:
    return [{k: v["value"] for k, v in row.items()} for row in json.loads(body)["results"]["bindings"]]


def test_substitutions_cross_the_process_boundary(pool: WorkerPool) -> None:
    query = "SELECT ?s ?label WHERE { ?s ?p ?label }"
    french = pool.execute(query, results_type=JSON, graph_type=None,
                          substitutions={"label": ox.Literal("Genève", language="fr")})
    assert bindings(french.body) == [{"s": EX + "a", "label": "Genève"}]
    english = pool.execute(query, results_type=JSON, graph_type=None,
                          substitutions={"label": rdflib.Literal("Genève", lang="en")})
    assert bindings(english.body) == []
    typed = pool.execute(query, results_type=JSON, graph_type=None,
                          substitutions={"label": rdflib.Literal(3)})
    assert bindings(typed.body) == [{"s": EX + "a", "label": "3"}]
    known = pool.execute("SELECT ?s ?o WHERE { ?s ?p ?o }", results_type=JSON, graph_type=None,
                         substitutions={"o": rdflib.URIRef(EX + "a")})  # fmt: skip
    assert bindings(known.body) == [{"s": EX + "b", "o": EX + "a"}]
    with pytest.raises(QueryError, match="does not contain|projection"):
        pool.execute("SELECT ?s WHERE { ?s ?p ?o }", results_type=JSON, graph_type=None,
                     substitutions={"o": ox.Literal("x")})


def test_graph_answers_and_format_choice(pool: WorkerPool) -> None:
    answer = pool.execute(f"DESCRIBE <{EX}b>", results_type=JSON, graph_type=TURTLE)
    assert answer.is_graph and answer.content_type == "text/turtle; charset=utf-8"
    graph = rdflib.Graph().parse(data=answer.body, format="turtle")
    assert (rdflib.URIRef(EX + "b"), rdflib.URIRef(EX + "knows"), rdflib.URIRef(EX + "a")) in graph
    ask = pool.execute("ASK { ?s ?p ?o }", results_type=JSON, graph_type=TURTLE)
    assert not ask.is_graph and json.loads(ask.body) == {"head": {}, "boolean": True}


def test_caps_are_errors_never_truncation(pool: WorkerPool) -> None:
    with pytest.raises(ResultTooLarge, match="more than 3 rows"):
        pool.execute("SELECT * WHERE { ?s ?p ?o }", results_type="text/tab-separated-values", graph_type=None)
    with pytest.raises(ResultTooLarge, match="more than 3 rows"):
        pool.execute("CONSTRUCT WHERE { ?s ?p ?o }", results_type=None, graph_type=TURTLE)
    three = pool.execute("SELECT * WHERE { ?s ?p ?o } LIMIT 3", results_type=JSON, graph_type=None)
    assert len(bindings(three.body)) == 3
    big = "SELECT ?x WHERE { VALUES ?x { '" + "x" * 12_000 + "' } }"  # one row of 12,000 bytes
    with pytest.raises(ResultTooLarge, match="larger than 10000 bytes"):
        pool.execute(big, results_type=JSON, graph_type=None)


def test_a_crashing_query_costs_only_its_request(pool: WorkerPool) -> None:
    hostile = "SELECT * WHERE " + "{" * 20_000 + "}" * 20_000  # overflows the parser's stack: SIGSEGV
    crashes_before = pool.stats().crashes_total
    with pytest.raises(QueryCrashed, match="killed by SIG"):
        pool.execute(hostile, results_type=JSON, graph_type=None)
    assert pool.stats().crashes_total == crashes_before + 1
    # the next query waits for the replacement worker (within its deadline) and is answered
    assert pool.execute("ASK { ?s ?p ?o }", results_type=JSON, graph_type=None).body.endswith(b"true}")
    assert pool.stats().restarts_total >= 1 and pool.stats().workers_ready == 1


def test_a_worker_that_died_idle_is_replaced_without_failing_a_query(pool: WorkerPool) -> None:
    deadline = time.monotonic() + 30
    while len(pool._idle) != 1 and time.monotonic() < deadline:  # a replacement from an earlier test may be loading
        time.sleep(0.05)
    (idle,) = list(pool._idle)
    idle.process.kill()  # as the OOM killer would
    idle.process.join(timeout=5)
    assert pool.execute("ASK { ?s ?p ?o }", results_type=JSON, graph_type=None).body.endswith(b"true}")
    assert all(worker.process.is_alive() for worker in pool._idle)


def test_reload_serves_new_data_and_a_bad_dump_changes_nothing(pool: WorkerPool, tmp_path: Path) -> None:
    store = OxigraphStore()
    store.update(f"INSERT DATA {{ <{EX}c> <{EX}label> 'new' }}")
    pool.store_changed(store)
    try:
        labels = pool.execute(f"SELECT ?l WHERE {{ <{EX}c> <{EX}label> ?l }}", results_type=JSON, graph_type=None)
        assert bindings(labels.body) == [{"l": "new"}]
        with pytest.raises(StoreError, match="line 1|cannot load"):
            pool.reload(write_dump(tmp_path / "bad.nq", "this is not N-Quads\n"))
        again = pool.execute(f"ASK {{ <{EX}c> <{EX}label> 'new' }}", results_type=JSON, graph_type=None)
        assert again.body.endswith(b"true}")
    finally:
        pool.reload(write_dump(tmp_path / "back.nq"))


def test_a_pool_that_cannot_load_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "missing.nq"
    pool = WorkerPool(missing, workers=1, limits=LIMITS)
    with pytest.raises(StoreError, match="missing.nq"):
        pool.start()
    pool.close()


def test_in_process_executor_has_the_same_caps_and_admission() -> None:
    store = OxigraphStore()
    store.update(f"INSERT DATA {{ <{EX}a> <{EX}p> 1, 2, 3, 4 }}")
    executor = InProcessExecutor(store, Limits(max_rows=3, max_pending=1))
    with pytest.raises(ResultTooLarge):
        executor.execute("SELECT * WHERE { ?s ?p ?o }", results_type="application/sparql-results+xml", graph_type=None)
    assert executor._admission.acquire(blocking=False)  # one query admitted and still running
    started = time.monotonic()
    with pytest.raises(Overloaded):
        executor.execute("ASK {}", results_type=JSON, graph_type=None)
    assert time.monotonic() - started < 1.0  # refused at once, never queued
    executor._admission.release()
    assert executor.stats().rejected_total == 1


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])  # fmt: skip
def test_row_counts_are_exact_in_every_format(media_type: str) -> None:
    store = ox.Store()
    tricky = ['a\nb', 'x,"y"', "<result>", "{}", "\r\n", "tab\there"]
    for i, value in enumerate(tricky):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(value)))
    offer = worker._BY_MEDIA_TYPE[media_type]
    results = store.query("SELECT ?s ?o WHERE { ?s ?p ?o }")
    assert isinstance(results, ox.QuerySolutions)
    body = write_results(results, offer)
    assert worker.count_rows(body, offer) == len(tricky)


# --- execute_async: the event-loop path of the web handlers ----------------------------------

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def cross_product(patterns: int) -> str:
    """A COUNT over ``patterns`` copies of ``?s ?p ?o``: 4**patterns rows on DATA, so as slow as asked."""
    return "SELECT (COUNT(*) AS ?n) WHERE { " + " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(patterns)) + " }"


def run_async(loop: str, coroutine_factory: object) -> object:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        return runner.run(coroutine_factory())  # type: ignore[operator]


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_execute_async_answers_and_fails_as_execute_does(pool: WorkerPool, loop: str) -> None:
    query = "SELECT ?s ?label WHERE { ?s ?p ?label }"
    expected = pool.execute(query, results_type=JSON, graph_type=None,
                            substitutions={"label": ox.Literal("Genève", language="fr")})  # fmt: skip

    async def calls() -> list[object]:
        answers: list[object] = []
        for _ in range(3):  # the same worker again and again: its pipe must stay usable
            answers.append(await pool.execute_async(query, results_type=JSON, graph_type=None,
                                                    substitutions={"label": ox.Literal("Genève", language="fr")}))
        for bad, error in (("SELECT nonsense", QueryError), ("SELECT * WHERE { ?s ?p ?o }", ResultTooLarge)):
            with pytest.raises(error):
                await pool.execute_async(bad, results_type=JSON, graph_type=None)
        answers.append(await pool.execute_async(f"DESCRIBE <{EX}b>", results_type=JSON, graph_type=TURTLE))
        return answers

    *selects, graph = run_async(loop, calls)  # type: ignore[misc]
    assert all(answer == expected for answer in selects)
    assert graph.is_graph and b"knows" in graph.body


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_execute_async_stops_a_runaway_at_its_deadline(pool: WorkerPool, loop: str) -> None:
    timeouts_before = pool.stats().timeouts_total

    async def runaway() -> None:
        await pool.execute_async(cross_product(16), results_type=JSON, graph_type=None, deadline_s=0.5)

    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="deadline of 0.5 s"):
        run_async(loop, runaway)
    assert time.monotonic() - started < 5
    assert pool.stats().timeouts_total == timeouts_before + 1
    assert pool.execute("ASK { ?s ?p ?o }", results_type=JSON, graph_type=None).body.endswith(b"true}")


def test_execute_async_reads_a_big_answer_in_a_thread(pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_module, "_INLINE_BODY_BYTES", 10)
    query = f"SELECT ?o WHERE {{ <{EX}a> ?p ?o }} ORDER BY ?o"
    expected = pool.execute(query, results_type=JSON, graph_type=None)
    assert len(expected.body) > 10
    assert run_async("uvloop", lambda: pool.execute_async(query, results_type=JSON, graph_type=None)) == expected


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_an_abandoned_async_query_gives_its_worker_back(pool: WorkerPool, loop: str) -> None:
    async def abandon() -> None:
        task = asyncio.ensure_future(pool.execute_async(cross_product(11), results_type=JSON, graph_type=None))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run_async(loop, abandon)
    # the one worker finishes (or is stopped at the deadline) in the background, then answers again
    assert pool.execute("ASK { ?s ?p ?o }", results_type=JSON, graph_type=None).body.endswith(b"true}")
    deadline = time.monotonic() + 10
    while pool.stats().in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.stats().in_flight == 0 and pool.stats().workers_ready == 1


def test_doctests() -> None:
    failures, _ = doctest.testmod(worker)
    assert failures == 0
