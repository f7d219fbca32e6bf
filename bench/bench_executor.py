"""What the query worker processes cost per query: median and p95 latency, in-process vs workers.

Run: ``PYTHONPATH=src python bench/bench_executor.py [--dump data/current/graph.nq] [--n 500]``

Without ``--dump`` it builds a synthetic graph of 20,000 triples. Three queries (an ASK,
a 10-row SELECT and a 1,000-row SELECT as JSON), each timed three ways:

* ``pyoxigraph``: ``Store.query`` + ``serialize`` in this process (the floor);
* ``executor``: :meth:`WorkerPool.execute` (pipe round trip, pickling, worker serialises);
* ``http in-process`` / ``http workers``: ``GET /sparql`` over real HTTP against uvicorn
  with an injected store (in-process) and with a served build (worker processes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from livehttp import serve  # noqa: E402  (uvicorn on 127.0.0.1 in a thread, as the tests use it)

from migration_kg.serve import create_app
from migration_kg.serve.executor import Limits
from migration_kg.serve.pool import WorkerPool
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore, build_store, swap_in

JSON = "application/sparql-results+json"
QUERIES = {
    "ask": "ASK { ?s ?p ?o }",
    "select-10": "SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT 10",
    "select-1000": "SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT 1000",
}


def synthetic(path: Path, triples: int = 20_000) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(triples):
            out.write(f'<http://example.org/s{i}> <http://example.org/p{i % 7}> "value {i}" .\n')
    return path


def timed(run: Callable[[], object], n: int) -> tuple[float, float]:
    for _ in range(min(20, n)):
        run()  # warm up
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.95)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="an N-Quads dump (default: a synthetic graph)")
    parser.add_argument("--n", type=int, default=300, help="timed runs per query and way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = args.dump or synthetic(Path(tmp) / "g.nq")
        store = ox.Store()
        store.load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        data_dir = Path(tmp) / "data"
        swap_in(build_store(dump, data_dir), data_dir)
        rows: list[tuple[str, str, float, float]] = []
        with WorkerPool(dump, workers=2, limits=Limits()) as pool:
            for name, query in QUERIES.items():
                def direct(q: str = query) -> object:
                    return store.query(q, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON)

                def executor(q: str = query) -> object:
                    return pool.execute(q, results_type=JSON, graph_type=None)

                rows.append((name, "pyoxigraph", *timed(direct, args.n)))
                rows.append((name, "executor", *timed(executor, args.n)))

        injected = create_app(Settings(data_dir=data_dir), store=OxigraphStore.load_nquads(dump))
        served = create_app(Settings(data_dir=data_dir, query_workers=2))
        for label, app in (("http in-process", injected), ("http workers", served)):
            with serve(app) as url, httpx.Client(base_url=url) as client:
                for name, query in QUERIES.items():
                    rows.append((name, label, *timed(lambda q=query: client.get("/sparql", params={"query": q}), args.n)))
    print(f"{'query':<12} {'way':<16} {'median ms':>10} {'p95 ms':>8}")
    for name, way, median, p95 in sorted(rows, key=lambda r: (list(QUERIES).index(r[0]), r[1])):
        print(f"{name:<12} {way:<16} {median:>10.3f} {p95:>8.3f}")


if __name__ == "__main__":
    main()
