"""Build time by pipeline stage: the corpus (or any folder) built twice in one run, first with an empty
parse cache (every document parsed by spaCy), then with the cache the first build filled.

    PYTHONPATH=src python bench/build_stages.py                       # the corpus
    PYTHONPATH=src python bench/build_stages.py --corpus ../shared/devset/docs
    PYTHONPATH=src python bench/build_stages.py --update-readme

Each build goes into its own temporary data folder; nothing served is touched. Seconds come from the
pipeline's own stage timers (``BuildReport.seconds``), so the table shows where the time goes, and the
cold/warm ratio of the extract stage shows what the parse cache saves. The machine is noisy: compare
the two columns of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "bench" / "README.md"
BEGIN, END = "<!-- build-stages:begin -->", "<!-- build-stages:end -->"


def _build(corpus: Path, data: Path, cache: Path) -> tuple[dict[str, float], float, int]:
    from migration_kg.pipeline import build
    from migration_kg.settings import Settings

    settings = Settings(corpus_dir=corpus, data_dir=data, cache_dir=cache)
    start = time.perf_counter()
    report = build(settings, corpus_dir=corpus, out_dir=data)
    return dict(report.seconds), time.perf_counter() - start, len(report.documents)


def run(corpus: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="mkg-bench-build-") as tmp:
        cache = Path(tmp) / "cache"
        cold, cold_total, n = _build(corpus, Path(tmp) / "cold", cache)
        warm, warm_total, _ = _build(corpus, Path(tmp) / "warm", cache)
    return {"corpus": str(corpus), "documents": n, "cold": cold, "warm": warm,
            "cold_total": cold_total, "warm_total": warm_total}


def table(result: dict[str, object]) -> str:
    cold, warm = result["cold"], result["warm"]
    assert isinstance(cold, dict) and isinstance(warm, dict)
    lines = [f"Corpus `{Path(str(result['corpus'])).name}`, {result['documents']} documents "
             "(`PYTHONPATH=src python bench/build_stages.py`):", "",
             "| stage | cold parse cache (s) | warm parse cache (s) |", "| --- | ---: | ---: |"]
    for stage in cold:
        lines.append(f"| {stage} | {cold[stage]:.2f} | {warm.get(stage, 0.0):.2f} |")
    lines.append(f"| **total (wall)** | **{result['cold_total']:.1f}** | **{result['warm_total']:.1f}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.corpus.resolve())
    print(json.dumps(result, indent=1) if args.json else table(result))
    if args.update_readme:
        text = README.read_text(encoding="utf-8")
        block = f"{BEGIN}\n{table(result)}\n{END}"
        if BEGIN in text:
            text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        else:
            text += f"\n## Build time by stage\n\n{block}\n"
        README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
