"""`migration-kg evaluate`: the scorer on a hand-made graph, malformed gold, and the floors reached on
the two gold sets (the corpus, and the devset that no rule was written for)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from migration_kg.errors import EvaluateError
from migration_kg.evaluate import GraphView, Mappings, evaluate, fold, load_gold, score
from migration_kg.pipeline import BuildReport, build
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TINY = HERE / "tiny"
FLOORS = yaml.safe_load((HERE / "floors.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tiny() -> GraphView:
    store = OxigraphStore()
    store.add_quads(ox.parse((TINY / "graph.trig").read_bytes(), format=ox.RdfFormat.TRIG))
    return GraphView(store)


def test_names_fold_case_accents_punctuation_and_a_leading_article() -> None:
    assert fold("The North American Leaders’ Summit") == fold("north american leaders summit")
    assert fold("México") == fold("Mexico") and fold("Jürg Lauber") == fold("Jurg Lauber")
    assert fold("UN DESA") != fold("UNDESA")  # no fuzzy matching of acronyms


def test_the_tiny_graph_scores_as_read_by_hand(tiny: GraphView) -> None:
    result = score(tiny, load_gold(TINY), Mappings.load(ROOT / "mappings"), tier="core")
    assert (result.entities.found, result.entities.total) == (3, 4)  # Canada is missing
    assert result.missed_entities == ["State: Canada"]
    assert result.type_agreement == 1.0
    assert (result.facts.found, result.facts.total) == (2, 4)  # T4 is tier detail
    assert sorted(m.split()[0] for m in result.missed_facts) == ["T3", "T5"]
    assert result.facts_by_relation["organized / hosted"].found == 1  # through the membership node
    assert result.facts_by_relation["authored by"].found == 0  # linked, but not by an authorship property
    assert result.modality_agreement == 0.5  # T2: the graph says Expected, the gold stated
    assert result.evidence_agreement == 1.0
    everything = score(tiny, load_gold(TINY), Mappings.load(ROOT / "mappings"), tier="all")
    assert everything.facts.total == 5 and everything.facts.found == 2


def test_a_gold_fact_naming_an_unknown_entity_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "entities.yaml").write_text((TINY / "entities.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "facts.yaml").write_text(
        "facts:\n- id: X1\n  subject: mexico\n  relation_class: part of\n  object: atlantis\n  doc: d.txt\n",
        encoding="utf-8")
    with pytest.raises(EvaluateError) as err:
        load_gold(tmp_path)
    assert err.value.line == 2 and err.value.source is not None and err.value.source.endswith("facts.yaml")
    assert "atlantis" in err.value.message


def test_a_folder_without_gold_is_a_clear_cli_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "migration_kg.cli", "evaluate", "--gold", str(tmp_path),
                             "--data", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert str(tmp_path) in result.stderr and "entities.yaml" in result.stderr


def _floors(name: str, result: dict[str, float]) -> None:
    floor = FLOORS[name]
    for key in ("entity_recall", "fact_recall", "modality_agreement", "evidence_overlap"):
        assert result[key] >= floor[key], f"{name}: {key} fell to {result[key]:.3f} (floor {floor[key]})"


def _gold(name: str) -> Path:
    path = (ROOT / FLOORS[name]["gold"]).resolve()
    if not path.is_dir():
        pytest.skip(f"the gold set {path} is absent on this machine")
    return path


def test_the_corpus_gold_keeps_its_floors(built: tuple[Settings, BuildReport]) -> None:
    settings, _ = built
    result = subprocess.run([sys.executable, "-m", "migration_kg.cli", "evaluate", "--gold", str(_gold("corpus")),
                             "--data", str(settings.data_dir), "--tier", "core", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (core,) = json.loads(result.stdout)
    _floors("corpus", core)
    assert core["entities_by_type"]["State"]["recall"] == 1.0


def test_the_devset_gold_keeps_its_floors(tmp_path_factory: pytest.TempPathFactory) -> None:
    gold = _gold("devset")
    docs = (ROOT / FLOORS["devset"]["corpus"]).resolve()
    data = tmp_path_factory.mktemp("devdata")
    settings = Settings(corpus_dir=docs, data_dir=data)
    report = build(settings, corpus_dir=docs, out_dir=data)
    assert report.build_dir is not None
    (core,) = evaluate(gold, data, ROOT / "mappings", tiers=("core",))
    _floors("devset", core.as_dict())
