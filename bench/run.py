"""Benchmark the SPARQL service: one command, every workload, four servers, 1 and 8 clients.

    python bench/run.py                      # the full run (about 10-15 minutes on 2 cores)
    python bench/run.py --sizes 100000 --clients 1 --seconds 3   # a quick look

Workloads: the competency queries (``queries/*.rq``) over the real build (``DATA/current``,
built first if missing) and ``bench/queries/*.rq`` over synthetic graphs of each ``--sizes``.
Servers: pyoxigraph in this process (the engine's floor), ours over HTTP, the Oxigraph
server and rdflib-endpoint. Results go to ``bench/results/`` as JSON and, with
``--update-readme``, into the table of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the bench package importable
    sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from bench import report, servers, synthetic, workload  # noqa: E402

BENCH = ROOT / "bench"
SERVERS = ("in-process", "ours", "oxigraph-server", "rdflib-endpoint")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT / "data", help="data folder whose current/ build is benchmarked")
    p.add_argument("--work", type=Path, default=Path("/tmp/migration-kg-bench"), help="scratch folder (synthetic data)")
    p.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000], help="synthetic graph sizes (triples)")
    p.add_argument("--no-competency", action="store_true", help="skip the competency-question workload")
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    p.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    p.add_argument("--seconds", type=float, default=8.0, help="duration of one cell")
    p.add_argument("--max-requests", type=int, default=20_000, help="request budget of one cell")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request client timeout (s)")
    p.add_argument("--rdflib-timeout", type=float, default=10.0, help="per-request timeout for rdflib-endpoint (s)")
    p.add_argument("--rdflib-max-requests", type=int, default=300, help="request budget of one rdflib-endpoint cell")
    p.add_argument("--warmup-budget", type=float, default=120.0, help="time for one server's warm-up (s)")
    p.add_argument("--idle-wait", type=float, default=30.0, help="wait this long for a server to drop abandoned queries")
    p.add_argument("--max-minutes", type=float, default=15.0, help="skip the remaining cells after this long")
    p.add_argument("--ours-via-cli", action="store_true", help="start ours with `migration-kg serve` (access log on)")
    p.add_argument("--out", type=Path, default=BENCH / "results", help="folder for the JSON results")
    p.add_argument("--update-readme", action="store_true", help="write the table into bench/README.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "settings": _settings(args), "datasets": []}
    datasets = []
    if not args.no_competency:
        datasets.append(("competency", competency_build(args.data), workload.load_workload(ROOT / "queries")))
    for size in args.sizes:
        datasets.append((f"synthetic-{size}", synthetic_build(args.work, size), workload.load_workload(BENCH / "queries")))
    for name, data_dir, queries in datasets:
        log(f"== {name}: {data_dir}")
        results["datasets"].append(run_dataset(args, name, data_dir, queries, started))
    results["ratios"] = report.ratios(results["datasets"])
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (args.out / f"{stamp}.json", args.out / "latest.json"):
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = report.markdown(results)
    print(table)
    if args.update_readme:
        report.update_readme(BENCH / "README.md", table)
    log(f"results: {args.out / f'{stamp}.json'} ({results['elapsed_s']} s)")
    return 0


def run_dataset(args: argparse.Namespace, name: str, data_dir: Path, queries: list[workload.Query], started: float) -> dict:
    dump = data_dir / "current" / "graph.nq"
    entry: dict[str, Any] = {"name": name, "quads": _quads(data_dir), "queries": [q.name for q in queries], "servers": {}}
    reference: dict[str, int | str] | None = None
    for server in args.servers:
        if time.monotonic() - started > args.max_minutes * 60:
            entry["servers"][server] = {"skipped": f"time budget of {args.max_minutes} min spent"}
            continue
        log(f"-- {name} / {server}")
        begun = time.monotonic()
        try:
            measured = _measure(args, server, name, data_dir, dump, queries)
        except servers.ServerFailed as exc:
            log(f"   failed: {exc}")
            entry["servers"][server] = {"failed": str(exc)}
            continue
        measured["total_s"] = round(time.monotonic() - begun, 1)
        answers = measured["answers"]
        if server == "in-process":
            reference = answers
        elif reference is not None:
            measured["answers_differ_from_in_process"] = {
                q: {"in-process": reference.get(q), server: a} for q, a in answers.items() if reference.get(q) != a
            }
        entry["servers"][server] = measured
    return entry


def _measure(args: argparse.Namespace, server: str, name: str, data_dir: Path, dump: Path, queries: list) -> dict:
    rdflib = server == "rdflib-endpoint"
    budget = args.rdflib_max_requests if rdflib else args.max_requests
    log_file = args.work / f"{name}-{server}.log"
    begun = time.monotonic()
    if server == "in-process":
        store = ox.Store()
        store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        target: Any = workload.InProcessTarget(store)
        return _cells(args, target, queries, budget, time.monotonic() - begun, rdflib=False)
    port = servers.free_port()
    if server == "ours":
        spec = servers.ours(data_dir, port, via_cli=args.ours_via_cli)
    elif server == "oxigraph-server":
        location = args.work / f"{name}-oxigraph"
        servers.oxigraph_load(dump, location, log_file)
        spec = servers.oxigraph(location, port)
    else:
        spec = servers.rdflib_endpoint(dump, port)
    timeout = args.rdflib_timeout if rdflib else args.timeout
    with servers.running(spec, port, log_file, timeout=timeout) as http_target:
        return _cells(args, http_target, queries, budget, time.monotonic() - begun, rdflib=rdflib)


def _cells(args: argparse.Namespace, target: Any, queries: list, budget: int, startup: float, *, rdflib: bool) -> dict:
    """Warm up (checking the answers), drop the queries that timed out, then run one cell per client count."""
    log(f"   ready in {startup:.1f} s; warm-up and answer check")
    http = isinstance(target, workload.HttpTarget)
    answers = workload.check_answers(
        target, queries, budget_s=args.warmup_budget,
        after_timeout=(lambda: servers.wait_idle(target, timeout=args.idle_wait)) if http else None,
    )
    usable = [q for q in queries if isinstance(answers[q.name], int)]
    excluded = {q.name: answers[q.name] for q in queries if not isinstance(answers[q.name], int)}
    if excluded:
        log(f"   excluded from the cells (no answer in the warm-up): {', '.join(sorted(excluded))}")
    cells = {}
    for clients in args.clients if usable else []:
        cell = workload.run_cell(target, usable, clients=clients, seconds=args.seconds, max_requests=budget)
        summary = cell.summary()
        cells[str(clients)] = summary
        log(f"   {clients} client(s): {summary['throughput_rps']} req/s, median {summary['median_ms']} ms, "
            f"p95 {summary['p95_ms']} ms, {summary['errors']} errors, {summary['timeouts']} timeouts")
        if http and summary["timeouts"] and not servers.wait_idle(target, timeout=args.idle_wait):
            log(f"   {target.name} still busy after {args.idle_wait} s; its later cells are unreliable")
    return {"startup_s": round(startup, 1), "answers": answers, "excluded_queries": excluded, "cells": cells}


def competency_build(data_dir: Path) -> Path:
    """``data_dir`` with a current build, running ``migration-kg build --out data_dir`` first if it has none."""
    if not (data_dir / "current" / "graph.nq").exists():
        log(f"no build in {data_dir}: building it")
        subprocess.run([sys.executable, "-m", "migration_kg.cli", "build", "--out", str(data_dir)], check=True, cwd=ROOT)
    return data_dir


def synthetic_build(work: Path, size: int) -> Path:
    """A data folder whose current build is the synthetic graph of ``size`` triples (made once, then reused)."""
    from migration_kg.store import build_store, swap_in

    data_dir = work / f"synthetic-{size}"
    if (data_dir / "current" / "graph.nq").exists():
        return data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    source = work / f"synthetic-{size}.nq"
    log(f"generating {size} synthetic triples")
    synthetic.write_nquads(source, size)
    swap_in(build_store(source, data_dir), data_dir)
    source.unlink()
    return data_dir


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), "")
    versions = {}
    for package in ("pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn", "starlette", "uvloop",
                    "httptools"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit.stdout.strip(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}


def _quads(data_dir: Path) -> int | None:
    try:
        quads: int = json.loads((data_dir / "current" / "manifest.json").read_text("utf-8"))["quads"]
        return quads
    except (OSError, ValueError, KeyError):
        return None


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

