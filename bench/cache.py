"""Benchmark the result cache: the curated questions with 90% repeats, 1 and 8 clients, one run.

    python bench/cache.py --data DIR --update-readme      # about 3 minutes on 2 cores
    python bench/cache.py --data DIR --clients 1 --seconds 2   # a quick look

The workload is every ``queries/*.rq`` (run as plain SPARQL, parameters unbound) over the
build at ``DIR/current``. Each client sends, of every ten requests, nine of the curated
queries in turn (repeats) and one *distinct* query never sent before: a curated query with
a trailing ``VALUES ?mkg_bench_variant { <n> }`` (one row joined in: the same answer rows,
a different text, so no cache can have it). Measured, one after the other, in the same run:

* ``in-process``: pyoxigraph called from the client threads, no cache (the engine's floor);
* ``ours-no-cache``: our server over HTTP with ``MKG_RESULT_CACHE_BYTES=0``;
* ``ours-no-cache-distinct``: the same, every request a distinct query;
* ``ours-cold``: our server, cache on, every request a distinct query (all misses: against
  ``ours-no-cache-distinct``, what the cache costs when it never helps);
* ``ours-warm``: our server, cache on, each curated query sent once before the cell;
* ``oxigraph-server``: ``oxigraph serve-read-only`` on RocksDB (the ``oxigraph`` package).

Results go to ``bench/results/cache-<UTC time>.json`` and ``cache-latest.json``, and with
``--update-readme`` into the cache table of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the bench package importable
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import pyoxigraph as ox  # noqa: E402

from bench import report, servers, workload  # noqa: E402
from bench.run import competency_build, log, machine  # noqa: E402

BENCH = ROOT / "bench"
TARGETS = ("in-process", "ours-no-cache", "ours-no-cache-distinct", "ours-cold", "ours-warm", "oxigraph-server")
MARKERS = ("<!-- bench:cache:start -->", "<!-- bench:cache:end -->")
#: One request in this many is a distinct query (10%).
DISTINCT_EVERY = 10
DISTINCT = "(distinct)"


def variant(query: workload.Query, n: str) -> workload.Query:
    """``query`` with a trailing one-row ``VALUES`` block: the same rows, a text never seen before."""
    return workload.Query(DISTINCT, query.title, f"{query.text.rstrip()}\nVALUES ?mkg_bench_variant {{ \"{n}\" }}\n")


def mixed(queries: list[workload.Query], *, distinct_every: int, tag: str) -> Callable[[int, int], workload.Query]:
    """``pick(client, n)``: the curated queries in turn, and every ``distinct_every``-th a new variant
    (``distinct_every`` 1: every request a new variant); ``tag`` keeps the variants of two cells apart."""

    def pick(client: int, n: int) -> workload.Query:
        query = queries[n % len(queries)]
        if distinct_every == 1 or n % distinct_every == distinct_every - 1:
            return variant(query, f"{tag}-{client}-{n}")
        return query

    return pick


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "data", help="data folder whose current/ build is served")
    p.add_argument("--work", type=Path, default=Path("/tmp/migration-kg-bench"), help="scratch folder (Oxigraph store)")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    p.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    p.add_argument("--seconds", type=float, default=8.0, help="duration of one cell")
    p.add_argument("--max-requests", type=int, default=40_000, help="request budget of one cell")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request client timeout (s)")
    p.add_argument("--out", type=Path, default=BENCH / "results", help="folder for the JSON results")
    p.add_argument("--update-readme", action="store_true", help="write the table into bench/README.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    args.work.mkdir(parents=True, exist_ok=True)
    data_dir = competency_build(args.data)
    queries = workload.load_workload(ROOT / "queries")
    results: dict[str, Any] = {"machine": machine(), "settings": {k: str(v) for k, v in vars(args).items()},
                               "queries": len(queries), "targets": {}}
    for name in args.targets:
        log(f"-- {name}")
        try:
            results["targets"][name] = measure(args, name, data_dir, queries)
        except servers.ServerFailed as exc:
            log(f"   failed: {exc}")
            results["targets"][name] = {"failed": str(exc)}
    results["ratios"] = ratios(results["targets"])
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (args.out / f"cache-{stamp}.json", args.out / "cache-latest.json"):
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = markdown(results)
    print(table)
    if args.update_readme:
        report.update_readme(BENCH / "README.md", table, markers=MARKERS)
    return 0


def measure(args: argparse.Namespace, name: str, data_dir: Path, queries: list[workload.Query]) -> dict[str, Any]:
    """Warm up (each curated query once, answers checked), then one cell per client count."""
    dump = data_dir / "current" / "graph.nq"
    distinct_every = 1 if name in ("ours-cold", "ours-no-cache-distinct") else DISTINCT_EVERY
    if name == "in-process":
        store = ox.Store()
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        return _cells(args, workload.InProcessTarget(store), queries, distinct_every, None)
    port = servers.free_port()
    log_file = args.work / f"cache-{name}.log"
    if name == "oxigraph-server":
        location = args.work / "competency-oxigraph"
        servers.oxigraph_load(dump, location, log_file)
        spec = servers.oxigraph(location, port)
    else:
        spec = servers.ours(data_dir, port)
        cache_bytes = "0" if name.startswith("ours-no-cache") else str(64 * 2**20)
        spec = dataclasses.replace(spec, env={**(spec.env or {}), "MKG_RESULT_CACHE_BYTES": cache_bytes})
    metrics = f"http://127.0.0.1:{port}/metrics" if name.startswith("ours") else None
    with servers.running(spec, port, log_file, timeout=args.timeout) as target:
        return _cells(args, target, queries, distinct_every, metrics)


def _cells(
    args: argparse.Namespace, target: Any, queries: list[workload.Query], distinct_every: int, metrics: str | None
) -> dict[str, Any]:
    answers = workload.check_answers(target, queries)  # the warm-up: every curated query once
    usable = [q for q in queries if isinstance(answers[q.name], int)]
    # each variant must give its query's rows (the trailing VALUES row changes the text only)
    variants = {q.name: workload.check_answers(target, [variant(q, "check")])[DISTINCT] for q in usable}
    differ = {name: (answers[name], rows) for name, rows in variants.items() if rows != answers[name]}
    cells = {}
    for clients in args.clients:
        before = _cache_counts(metrics)
        cell = workload.run_cell(target, usable, clients=clients, seconds=args.seconds, max_requests=args.max_requests,
                                 pick=mixed(usable, distinct_every=distinct_every, tag=f"c{clients}"))
        summary = cell.summary()
        after = _cache_counts(metrics)
        if before and after:
            summary["cache"] = {k: after[k] - before[k] for k in after}
        cells[str(clients)] = summary
        log(f"   {clients} client(s): {summary['throughput_rps']} req/s, median {summary['median_ms']} ms, "
            f"p95 {summary['p95_ms']} ms, {summary['errors']} errors, cache {summary.get('cache', '-')}")
    return {"answers": answers, "variants_differ": differ, "cells": cells}


def _cache_counts(url: str | None) -> dict[str, float] | None:
    if url is None:
        return None
    counts: dict[str, float] = {}
    for line in httpx.get(url, timeout=10).text.splitlines():
        for name in ("hits", "misses"):
            if line.startswith(f"mkg_result_cache_{name}_total "):
                counts[name] = float(line.split()[-1])
    return counts


def ratios(targets: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per client count: throughput of each of ours over in-process and over the Oxigraph server."""
    out: dict[str, dict[str, float | None]] = {}
    clients = sorted({c for t in targets.values() for c in t.get("cells", {})}, key=int)
    for c in clients:
        def rps(name: str, c: str = c) -> float | None:
            cell = targets.get(name, {}).get("cells", {}).get(c)
            return cell["throughput_rps"] if cell and cell.get("ok") else None

        row: dict[str, float | None] = {}
        for ours in ("ours-no-cache", "ours-cold", "ours-warm"):
            row[f"{ours}/in-process"] = _ratio(rps(ours), rps("in-process"))
            row[f"{ours}/oxigraph-server"] = _ratio(rps(ours), rps("oxigraph-server"))
        row["ours-cold/ours-no-cache-distinct"] = _ratio(rps("ours-cold"), rps("ours-no-cache-distinct"))
        out[c] = row
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def markdown(results: dict[str, Any]) -> str:
    """The cells and the ratios (targets: warm ≥ 1.0× in-process, ≥ 3× the Oxigraph server)."""
    m = results["machine"]
    lines = [
        f"Measured {m['date']} at commit `{m['commit']}` on {m['cores']} cores ({m['cpu']}), "
        f"load average at start {', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}; "
        f"{results['queries']} curated queries, 1 request in {DISTINCT_EVERY} distinct; "
        f"{results['settings']['seconds']} s per cell; whole run {results.get('elapsed_s', '?')} s.",
        "",
        "| target | clients | req/s | median ms | p95 ms | ok | errors | cache hits / misses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, measured in results["targets"].items():
        if "cells" not in measured:
            lines.append(f"| {name} | – | {measured.get('failed')} | | | | | |")
            continue
        for clients, c in measured["cells"].items():
            cache = c.get("cache")
            counts = f"{int(cache['hits'])} / {int(cache['misses'])}" if cache else "–"
            lines.append(f"| {name} | {clients} | {c['throughput_rps']} | {c['median_ms']} | {c['p95_ms']} | "
                         f"{c['ok']} | {c['errors']} | {counts} |")
    lines += ["", "| clients | ratio | value | target |", "| ---: | --- | ---: | --- |"]
    goals = {"ours-warm/in-process": 1.0, "ours-warm/oxigraph-server": 3.0}
    for clients, row in results["ratios"].items():
        for key, value in row.items():
            goal = goals.get(key)
            mark = "" if goal is None or value is None else (" ✅" if value >= goal else " ❌")
            lines.append(f"| {clients} | {key} req/s | {value}{mark} | {f'≥ {goal}' if goal else ''} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
