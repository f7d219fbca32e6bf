"""Turning a run's measurements into the ratios the issue sets as targets, and a Markdown table."""

from __future__ import annotations

import math
import re
import statistics
from pathlib import Path
from typing import Any

#: (key, column, what it compares, target, higher is better)
TARGETS = (
    ("ours_vs_in_process_throughput", "ours/in-process req/s", "our throughput / in-process pyoxigraph's", 0.8, True),
    ("ours_vs_oxigraph_throughput", "ours/Oxigraph req/s", "our throughput / the Oxigraph server's", 2.0, True),
    ("ours_vs_rdflib_throughput", "ours/rdflib req/s", "our throughput / rdflib-endpoint's", 100.0, True),
    ("ours_vs_oxigraph_per_query", "Oxigraph/ours per query",
     "geometric mean over queries of the Oxigraph server's median latency / ours", 2.0, True),
    ("ours_vs_rdflib_per_query", "rdflib/ours per query",
     "geometric mean over queries of rdflib-endpoint's median latency / ours", 100.0, True),
    ("added_median_ms", "added median ms", "our median latency − in-process median latency (ms)", 2.0, False),
    ("added_median_ms_per_query", "added per-query ms",
     "median over queries of (our median − in-process median) (ms)", 2.0, False),
)
_START, _END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def _cell(dataset: dict[str, Any], server: str, clients: str) -> dict[str, Any] | None:
    cell: dict[str, Any] | None = dataset["servers"].get(server, {}).get("cells", {}).get(clients)
    return cell if cell and cell.get("ok") else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def speedup(ours: dict[str, Any] | None, other: dict[str, Any] | None) -> float | None:
    """Geometric mean over the queries both answered of ``other``'s per-query median latency / ``ours``."""
    if not ours or not other:
        return None
    mine, theirs = ours["per_query_median_ms"], other["per_query_median_ms"]
    logs = [math.log(theirs[q] / mine[q]) for q in mine if q in theirs and mine[q] > 0 and theirs[q] > 0]
    return round(math.exp(statistics.fmean(logs)), 2) if logs else None


def ratios(datasets: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per dataset and client count: the ratios of :data:`TARGETS` (None where a side is missing)."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for dataset in datasets:
        per_clients: dict[str, dict[str, float | None]] = {}
        clients_seen = {c for s in dataset["servers"].values() for c in s.get("cells", {})}
        for clients in sorted(clients_seen, key=int):
            ours = _cell(dataset, "ours", clients)
            floor = _cell(dataset, "in-process", clients)
            oxigraph = _cell(dataset, "oxigraph-server", clients)
            rdflib = _cell(dataset, "rdflib-endpoint", clients)
            tp = (lambda c: c["throughput_rps"] if c else None)  # noqa: E731
            added = None
            per_query = None
            if ours and floor:
                added = round(ours["median_ms"] - floor["median_ms"], 3)
                diffs = [
                    ours["per_query_median_ms"][q] - floor["per_query_median_ms"][q]
                    for q in ours["per_query_median_ms"]
                    if q in floor["per_query_median_ms"]
                ]
                per_query = round(statistics.median(diffs), 3) if diffs else None
            per_clients[clients] = {
                "ours_vs_in_process_throughput": _ratio(tp(ours), tp(floor)),
                "ours_vs_oxigraph_throughput": _ratio(tp(ours), tp(oxigraph)),
                "ours_vs_rdflib_throughput": _ratio(tp(ours), tp(rdflib)),
                "ours_vs_oxigraph_per_query": speedup(ours, oxigraph),
                "ours_vs_rdflib_per_query": speedup(ours, rdflib),
                "added_median_ms": added,
                "added_median_ms_per_query": per_query,
            }
        out[dataset["name"]] = per_clients
    return out


def markdown(results: dict[str, Any]) -> str:
    """The measurements and the ratios against their targets, as Markdown tables."""
    m = results["machine"]
    lines = [
        f"Measured {m['date']} at commit `{m['commit']}` on {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"load average at start {', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}; "
        f"{results['settings']['seconds']} s per cell; whole run {results.get('elapsed_s', '?')} s.",
        "",
        "| workload (quads) | server | clients | req/s | median ms | p95 ms | ok | errors | timeouts |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for dataset in results["datasets"]:
        for server, measured in dataset["servers"].items():
            if "cells" not in measured:
                reason = measured.get("failed") or measured.get("skipped")
                lines.append(f"| {dataset['name']} ({dataset['quads']}) | {server} | – | {reason} | | | | | |")
                continue
            for clients, c in measured["cells"].items():
                lines.append(
                    f"| {dataset['name']} ({dataset['quads']}) | {server} | {clients} | {c['throughput_rps']} | "
                    f"{c['median_ms']} | {c['p95_ms']} | {c['ok']} | {c['errors']} | {c['timeouts']} |"
                )
    lines += ["", "| workload | clients | " + " | ".join(column for _, column, _, _, _ in TARGETS) + " |",
              "| --- | ---: | " + " | ".join("---:" for _ in TARGETS) + " |"]
    for name, per_clients in results["ratios"].items():
        for clients, values in per_clients.items():
            cells = []
            for key, _, _, target, higher in TARGETS:
                value = values.get(key)
                if value is None:
                    cells.append("–")
                else:
                    met = value >= target if higher else value <= target
                    cells.append(f"{value} {'✅' if met else '❌'}")
            lines.append(f"| {name} | {clients} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += ["Columns and targets:", ""]
    lines += [f"- {column}: {what}; target {'≥' if higher else '≤'} {target}" for _, column, what, target, higher in TARGETS]
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str, *, markers: tuple[str, str] = (_START, _END)) -> None:
    """Replace the text between the ``markers`` of ``readme`` with ``table`` (append the markers if absent)."""
    start, end = markers
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    block = f"{start}\n{table}{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")
