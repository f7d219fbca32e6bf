"""Shared fixtures: one real build of the corpus per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from migration_kg.pipeline import BuildReport, build
from migration_kg.settings import Settings
from migration_kg.store import DUMP_NAME, OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, BuildReport]:
    """The whole pipeline (reasoner and shapes included) over corpus/, into a temporary data folder."""
    data = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data)
    return settings, build(settings)


@pytest.fixture(scope="session")
def graph_store(built: tuple[Settings, BuildReport]) -> OxigraphStore:
    """The built graph, loaded in memory as the server loads it."""
    report = built[1]
    assert report.build_dir is not None
    return OxigraphStore.load_nquads(report.build_dir / DUMP_NAME)
