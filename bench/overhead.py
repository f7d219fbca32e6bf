"""Where the time of one small ``/sparql`` request goes: the engine, the worker's IPC, the app, HTTP.

Run: ``PYTHONPATH=src python bench/overhead.py [--data data] [--n 400] [--query FILE.rq]``

One query (by default a one-row SELECT; ``--query`` takes a ``.rq`` file), asked ``--n``
times in a row in each of four layers, and the median of each (ms):

1. ``pyoxigraph``: ``Store.query`` + JSON serialisation in this process (the floor);
2. ``worker pool``: :meth:`WorkerPool.execute` (pipe round trip to a worker process);
3. ``asgi app``: the whole FastAPI app called as an ASGI function on uvloop, no sockets
   (routing, middleware, dependencies, checks, the executor);
4. ``http``: ``GET /sparql`` to uvicorn (uvloop + httptools, as ``migration-kg serve``) over
   a keep-alive ``http.client`` connection, as ``bench/run.py`` sends it.

Each layer's extra is the difference to the one above. Numbers only; no test asserts them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402
import uvloop  # noqa: E402

from bench import servers  # noqa: E402

JSON = "application/sparql-results+json"
TINY = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


def median_ms(call: Callable[[], object], n: int) -> float:
    """The median wall time of ``call`` over ``n`` runs, after ``n // 10`` warm-up runs (ms)."""
    for _ in range(max(1, n // 10)):
        call()
    times = []
    for _ in range(n):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 3)


def asgi_median_ms(data: Path, query: str, n: int) -> float:
    """Median time of ``GET /sparql?query=…`` through the app object itself, on uvloop (ms)."""
    from migration_kg.serve.app import create_app
    from migration_kg.settings import Settings

    query_string = urlencode({"query": query}).encode()
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/sparql", "raw_path": b"/sparql", "query_string": query_string, "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", JSON.encode())], "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }  # fmt: skip

    async def one(app: Any) -> None:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({**scope, "state": {}}, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"HTTP {sent[0]['status']}: {sent[-1].get('body', b'')[:200]!r}")

    async def measure() -> float:
        app = create_app(Settings(data_dir=data))
        async with app.router.lifespan_context(app):
            for _ in range(max(1, n // 10)):
                await one(app)
            times = []
            for _ in range(n):
                began = time.perf_counter()
                await one(app)
                times.append(time.perf_counter() - began)
        return round(statistics.median(times) * 1000, 3)

    return uvloop.run(measure())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "data", help="data folder with a current/ build")
    p.add_argument("--n", type=int, default=400, help="requests per layer")
    p.add_argument("--query", type=Path, help="a .rq file (default: a one-row SELECT)")
    args = p.parse_args(argv)
    query = args.query.read_text(encoding="utf-8") if args.query else TINY
    dump = args.data / "current" / "graph.nq"

    from migration_kg.serve.executor import Limits
    from migration_kg.serve.pool import WorkerPool

    store = ox.Store()
    store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    rows: list[tuple[str, float]] = [("pyoxigraph", median_ms(
        lambda: store.query(query, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON),
        args.n))]  # fmt: skip
    with WorkerPool(dump, workers=2, limits=Limits()) as pool:
        rows.append(("worker pool", median_ms(lambda: pool.execute(query, results_type=JSON, graph_type=None), args.n)))
    rows.append(("asgi app", asgi_median_ms(args.data, query, args.n)))
    port = servers.free_port()
    spec = servers.ours(args.data, port)
    with servers.running(spec, port, Path("/tmp/migration-kg-overhead.log")):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        target = f"/sparql?{urlencode({'query': query})}"

        def get() -> None:
            conn.request("GET", target, headers={"Accept": JSON})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")

        rows.append(("http", median_ms(get, args.n)))
        conn.close()
    previous = 0.0
    print(f"{'layer':<12} {'median ms':>10} {'extra ms':>9}")
    for name, value in rows:
        print(f"{name:<12} {value:>10.3f} {value - previous:>9.3f}")
        previous = value
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
