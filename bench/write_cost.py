"""What one small write costs on a served build, now (journal + change to each worker) and before (reload).

    python bench/write_cost.py --data DIR [--rounds 50]

1. ``journaled``: our server (uvicorn subprocess, 2 query workers, the build at
   ``DIR/current``; its journal in a scratch data folder whose ``current`` links to that
   build) answers ``--rounds`` one-triple ``INSERT DATA`` requests, each followed by an
   ``ASK`` that must see it (every write is fsynced before its 204): median and p95 of the
   write, and of the write plus the first query after it.
2. ``reload``: what each write cost before: ``WorkerPool.store_changed`` (dump the whole
   store, start 2 workers on the dump, replace the old ones), timed in this process on the
   same build, a few times.

Numbers only; no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import servers  # noqa: E402

TOKEN = "bench-update-token-0123456789abcdef"
HEADERS = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}


def journaled(build: Path, rounds: int, work: Path) -> tuple[list[float], list[float]]:
    """Milliseconds per write, and per write plus the query that reads it back."""
    data = Path(tempfile.mkdtemp(prefix="write-cost-", dir=work))
    os.symlink(build, data / "current", target_is_directory=True)
    port = servers.free_port()
    spec = servers.ours(data, port)
    spec = servers.ServerSpec(spec.name, spec.command, spec.path, {**(spec.env or {}), "MKG_UPDATE_TOKEN": TOKEN})
    writes, round_trips = [], []
    with servers.running(spec, port, work / "write-cost.log"), httpx.Client(timeout=60) as client:
        url = f"http://127.0.0.1:{port}"
        for i in range(rounds):
            triple = f"<http://example.org/n{i}> <http://example.org/p> {i}"
            text = f"INSERT DATA {{ GRAPH <http://example.org/bench/notes> {{ {triple} }} }}"
            began = time.perf_counter()
            response = client.post(url + "/update", content=text, headers=HEADERS)
            wrote = time.perf_counter()
            ask = client.get(url + "/sparql", params={"query": f"ASK {{ ?s <http://example.org/p> {i} }}"},
                             headers={"Accept": "application/sparql-results+json"})
            done = time.perf_counter()
            if response.status_code != 204 or ask.json()["boolean"] is not True:
                raise RuntimeError(f"write {i}: {response.status_code} {response.text[:200]} / {ask.text[:200]}")
            writes.append((wrote - began) * 1000)
            round_trips.append((done - began) * 1000)
    return writes, round_trips


def reload(build: Path, times: int) -> list[float]:
    """Milliseconds per ``WorkerPool.store_changed`` of the whole build (the write path before the journal)."""
    from migration_kg.serve.executor import Limits
    from migration_kg.serve.pool import WorkerPool
    from migration_kg.store import DUMP_NAME, OxigraphStore

    store = OxigraphStore.load_nquads(build / DUMP_NAME)
    costs = []
    with WorkerPool(build / DUMP_NAME, workers=2, limits=Limits()) as pool:
        for _ in range(times):
            began = time.perf_counter()
            pool.store_changed(store)
            costs.append((time.perf_counter() - began) * 1000)
    return costs


def line(name: str, values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)
    return f"| {name} | {len(values)} | {statistics.median(values):.2f} | {p95:.2f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="data folder whose current/ build is used")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--reloads", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/migration-kg-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    build = (args.data / "current").resolve()
    writes, trips = journaled(build, args.rounds, args.work)
    reloads = reload(build, args.reloads)
    print(f"build {build.name}, load average {os.getloadavg()[0]:.1f}")
    print("| write path | n | median ms | p95 ms |\n| --- | ---: | ---: | ---: |")
    print(line("journaled: INSERT DATA of one triple, 204 after fsync", writes))
    print(line("journaled: the write and an ASK that sees it", trips))
    print(line("before: dump the store and reload 2 workers (per write)", reloads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
