"""Evaluate stage: how much of a gold annotation a build holds.

``migration-kg evaluate --gold DIR [--data DIR]`` reads the build being served (or the one under
``--data``) and a gold annotation in the format of ``../shared/gold/`` and prints entity recall by
type, fact recall by relation class, modality agreement and evidence overlap, as a table or JSON.
How gold relation classes and types are read in the ontology is data: ``mappings/gold-relations.yaml``
and ``mappings/gold-types.yaml``. See :mod:`.score` for the matching.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import StoreError
from .gold import Gold, load_gold
from .score import GraphView, Mappings, Result, fold, score

__all__ = ["Gold", "GraphView", "Mappings", "Result", "evaluate", "fold", "load_build", "load_gold", "render",
           "score"]


def load_build(data_dir: Path) -> Any:
    """The graph of the build in ``data_dir`` (its current build), or of the build folder ``data_dir``."""
    from ..store import DUMP_NAME, OxigraphStore, current_build

    folder = data_dir if (data_dir / DUMP_NAME).is_file() else current_build(data_dir)
    if folder is None:
        raise StoreError("no build here; run 'migration-kg build' first", source=str(data_dir))
    return OxigraphStore.load_nquads(folder / DUMP_NAME)


def evaluate(gold_dir: Path, data_dir: Path, mappings_dir: Path, *, tiers: tuple[str, ...] = ("core", "all")
             ) -> list[Result]:
    """Score the build in ``data_dir`` against the gold annotation in ``gold_dir``, per tier."""
    gold = load_gold(gold_dir)
    mappings = Mappings.load(mappings_dir)
    view = GraphView(load_build(data_dir))
    return [score(view, gold, mappings, tier=tier) for tier in tiers]


def _row(name: str, total: int, found: int) -> str:
    recall = found / total if total else 0.0
    return f"  {name:<36} {found:>5} / {total:<5} {recall:6.2f}"


def render(results: list[Result]) -> str:
    """The results as a plain-text table."""
    lines: list[str] = []
    for r in results:
        lines.append(f"gold {r.gold}, tier {r.tier}")
        lines.append(f"  entity recall        {r.entities.recall:.3f} ({r.entities.found}/{r.entities.total}),"
                     f" type agreement {r.type_agreement:.3f}")
        lines.append(f"  fact recall          {r.facts.recall:.3f} ({r.facts.found}/{r.facts.total})")
        lines.append(f"  modality agreement   {r.modality_agreement:.3f} on the facts found")
        lines.append(f"  evidence overlap     {r.evidence_agreement:.3f} on the facts found")
        lines.append("  entities by type                      found / total  recall")
        for name, tally in sorted(r.entities_by_type.items(), key=lambda kv: -kv[1].total):
            lines.append(_row(name, tally.total, tally.found))
        lines.append("  facts by relation class               found / total  recall")
        for name, tally in sorted(r.facts_by_relation.items(), key=lambda kv: -kv[1].total):
            lines.append(_row(name, tally.total, tally.found))
        lines.append("  modality (gold)                       agree / total")
        for name, tally in sorted(r.modality_by_gold.items(), key=lambda kv: -kv[1].total):
            lines.append(_row(name, tally.total, tally.found))
        lines.append("")
    return "\n".join(lines)
