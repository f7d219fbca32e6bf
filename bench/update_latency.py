"""Latency of writes over real HTTP: SPARQL Update and the Graph Store Protocol.

Starts the app under uvicorn on 127.0.0.1 (a free port) with an update token and an
in-memory store, sends a bounded number of requests one after another, prints median and
95th percentile per operation, and stops the server. Nothing here is asserted: the numbers
are for reading and comparing between versions.

    PYTHONPATH=src python bench/update_latency.py [--rounds 200] [--graph-triples 10000]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

TOKEN = "bench-update-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def serve() -> Iterator[str]:
    """The app with updates on, under uvicorn in a thread; yields its base URL."""
    config = uvicorn.Config(
        create_app(Settings(update_token=TOKEN, max_request_bytes=50_000_000), store=OxigraphStore()),
        host="127.0.0.1",
        port=0,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def timed(rounds: int, call: Callable[[int], httpx.Response], *expected: int) -> list[float]:
    """Milliseconds per call for ``rounds`` calls; every answer must have one of the ``expected`` statuses."""
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        response = call(i)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code not in expected:
            raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
    return times


def report(name: str, times: list[float], extra: str = "") -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    print(f"{name:<48} n={len(times):<4} median {statistics.median(times):8.2f} ms   p95 {p95:8.2f} ms  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="requests per small operation (max 2000)")
    parser.add_argument("--graph-triples", type=int, default=10_000, help="triples in the PUT graph (max 200000)")
    args = parser.parse_args()
    rounds, size = min(args.rounds, 2000), min(args.graph_triples, 200_000)
    graph = "".join(f'<http://ex/s{i}> <http://ex/p> "value {i}" .\n' for i in range(size)).encode()
    with serve() as url, httpx.Client(timeout=60) as client:
        direct = {"Content-Type": "application/sparql-update", **AUTH}

        def insert(i: int) -> httpx.Response:
            body = f'INSERT DATA {{ GRAPH <http://ex/g> {{ <http://ex/s{i}> <http://ex/q> "{i}" }} }}'
            return client.post(url + "/update", content=body, headers=direct)

        report("SPARQL Update: INSERT DATA, one triple", timed(rounds, insert, 204))

        def put(i: int) -> httpx.Response:
            headers = {"Content-Type": "application/n-triples", **AUTH}
            params = {"graph": f"http://ex/big{i % 2}"}
            return client.put(url + "/rdf-graph-store", params=params, content=graph, headers=headers)

        put_times = timed(max(4, rounds // 20), put, 201, 204)[2:]  # the first two create, the rest replace
        rate = size / (statistics.median(put_times) / 1000)
        report(f"Graph Store: PUT {size} triples (replace)", put_times, f"{rate:,.0f} triples/s")

        def modify(i: int) -> httpx.Response:
            body = f'DELETE {{ ?s <http://ex/p> ?o }} INSERT {{ ?s <http://ex/p> "v{i}" }} WHERE {{ ?s <http://ex/p> ?o }}'
            return client.post(url + "/sparql", params={"using-graph-uri": "http://ex/big0"}, content=body, headers=direct)

        report(f"SPARQL Update: DELETE/INSERT WHERE, {size} rows", timed(max(3, rounds // 20), modify, 204))

        def get(i: int) -> httpx.Response:
            params = {"graph": "http://ex/big1"}
            return client.get(url + "/rdf-graph-store", params=params, headers={"Accept": "text/turtle"})

        report(f"Graph Store: GET {size} triples as Turtle", timed(max(3, rounds // 20), get, 200))


if __name__ == "__main__":
    main()
