"""The benchmark code runs: its workload generator and one query in-process (no timing is asserted, see bench/)."""

from __future__ import annotations

import doctest
import json
import sys
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import overhead, report, synthetic, workload  # noqa: E402


def test_doctests() -> None:
    assert doctest.testmod(synthetic).failed == 0


def test_synthetic_graph_is_deterministic_and_answers_every_bench_query(tmp_path: Path) -> None:
    path = tmp_path / "s.nq"
    lines = synthetic.write_nquads(path, synthetic.MIN_TRIPLES)
    assert path.read_bytes() == "".join(synthetic.generate(synthetic.MIN_TRIPLES)).encode("utf-8")
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    assert 0.9 * lines <= len(store) <= lines
    target = workload.InProcessTarget(store)
    queries = workload.load_workload(ROOT / "bench" / "queries")
    assert {"lookup-iri", "aggregate-roles", "path-places", "filter-quotes", "join-evidence"} <= {q.name for q in queries}
    answers = workload.check_answers(target, queries)
    assert all(isinstance(rows, int) for rows in answers.values()), answers  # no query failed
    assert answers["lookup-iri"] == 7 and answers["ask-chair"] in (0, 1) and answers["path-places"] > 0


def test_one_cell_in_process_and_its_report(tmp_path: Path) -> None:
    store = ox.Store()
    synthetic.write_nquads(tmp_path / "s.nq", synthetic.MIN_TRIPLES)
    store.bulk_load(path=str(tmp_path / "s.nq"), format=ox.RdfFormat.N_QUADS)
    queries = workload.load_workload(ROOT / "bench" / "queries")[:2]
    cell = workload.run_cell(workload.InProcessTarget(store), queries, clients=2, seconds=5.0, max_requests=20)
    summary = cell.summary()
    assert summary["requests"] == 20 and summary["ok"] == 20 and summary["capped_by_request_budget"]
    assert set(summary["per_query_median_ms"]) == {q.name for q in queries}
    dataset = {"name": "s", "quads": len(store), "servers": {"in-process": {"cells": {"2": summary}},
                                                             "ours": {"cells": {"2": summary}}}}
    ratios = report.ratios([dataset])
    assert ratios["s"]["2"]["ours_vs_in_process_throughput"] == 1.0
    assert ratios["s"]["2"]["added_median_ms"] == 0.0
    results = {"machine": {"date": "d", "commit": "c", "cores": 2, "cpu": "x", "memory_gib": 1,
                           "load_average_at_start": (0.0, 0.0, 0.0)},
               "settings": {"seconds": 5.0}, "datasets": [dataset], "ratios": ratios}
    table = report.markdown(json.loads(json.dumps(results)))
    assert "| s (" in table and "ours/in-process req/s" in table


def test_count_rows_reads_select_and_ask() -> None:
    assert workload.count_rows(b'{"head":{"vars":["s"]},"results":{"bindings":[{},{}]}}') == 2
    assert workload.count_rows(b'{"head":{},"boolean":true}') == 1


def test_overhead_layers_run_on_a_real_build(tmp_path: Path) -> None:
    from migration_kg.store import build_store, swap_in

    synthetic.write_nquads(tmp_path / "s.nq", synthetic.MIN_TRIPLES)
    data = tmp_path / "data"
    swap_in(build_store(tmp_path / "s.nq", data), data)
    calls: list[int] = []
    assert overhead.median_ms(lambda: calls.append(1), 10) >= 0 and len(calls) == 11  # 1 warm-up + 10 timed
    # the whole app as an ASGI function, with its worker processes: it raises unless every answer is a 200
    assert overhead.asgi_median_ms(data, "ASK { ?s ?p ?o }", 5) > 0


def test_cache_bench_mix_repeats_nine_in_ten_and_its_variants_answer_the_same_rows(tmp_path: Path) -> None:
    from bench import cache

    store = ox.Store()
    synthetic.write_nquads(tmp_path / "s.nq", synthetic.MIN_TRIPLES)
    store.bulk_load(path=str(tmp_path / "s.nq"), format=ox.RdfFormat.N_QUADS)
    queries = workload.load_workload(ROOT / "bench" / "queries")
    pick = cache.mixed(queries, distinct_every=10, tag="t")
    stream = [pick(0, n) for n in range(100)]
    distinct = [q for q in stream if q.name == cache.DISTINCT]
    assert len(distinct) == 10 and len({q.text for q in distinct}) == 10
    assert {q.text for q in stream if q.name != cache.DISTINCT} <= {q.text for q in queries}
    cold = cache.mixed(queries, distinct_every=1, tag="u")
    assert all(cold(1, n).name == cache.DISTINCT for n in range(5))
    target = workload.InProcessTarget(store)
    for query in queries:  # the trailing VALUES row changes the text, never the rows
        assert workload.check_answers(target, [query]) == {
            query.name: workload.check_answers(target, [cache.variant(query, "x")])[cache.DISTINCT]
        }
