"""The console script: real subprocesses, real builds, bad input that must not replace the served graph."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from migration_kg.store import current_build

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "migration_kg.cli", *args], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=600,
    )


def test_console_script_entry_point_imports() -> None:
    from migration_kg.cli import main, parser

    assert callable(main)
    assert {"build", "serve", "validate", "query"} <= set(parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def test_query_prints_a_table_and_json(built) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    table = _run("query", "queries/cq29-attendance-2019.rq", "--data", str(settings.data_dir))
    assert table.returncode == 0, table.stderr
    assert "Member States" in table.stdout and "70" in table.stdout
    ask = subprocess.run([sys.executable, "-m", "migration_kg.cli", "query", "-", "--data", str(settings.data_dir)],
                         input="ASK { ?s ?p ?o }", cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ask.stdout.strip() == "true"


def test_query_binds_the_header_parameters(built) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    cq61 = ("query", "queries/cq61-ecuador-documents.rq", "--data", str(settings.data_dir), "--format", "csv")
    ecuador = _run(*cq61)
    assert ecuador.returncode == 0, ecuador.stderr
    states = {row["state"] for row in csv.DictReader(io.StringIO(ecuador.stdout))}
    assert states == {"https://w3id.org/migration-kg/id/state/ECU"}  # the declared default
    germany = _run(*cq61, "--param", "state=https://w3id.org/migration-kg/id/state/DEU")
    assert {row["state"] for row in csv.DictReader(io.StringIO(germany.stdout))} == {
        "https://w3id.org/migration-kg/id/state/DEU"
    }
    for bad, named in (("state=not an IRI", "'state'"), ("colour=red", "'colour'"), ("state", "NAME=VALUE")):
        result = _run(*cq61, "--param", bad)
        assert result.returncode == 1 and named in result.stderr


def test_bad_document_fails_the_build_and_keeps_the_served_graph(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    before = current_build(settings.data_dir)
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "2020-01-01-broken.txt").write_bytes(b"line one\nline two \xff\xfe broken\n")
    result = _run("build", "--corpus", str(corpus), "--out", str(settings.data_dir))
    assert result.returncode == 1
    assert "2020-01-01-broken.txt:2" in result.stderr and "UTF-8" in result.stderr
    assert current_build(settings.data_dir) == before


def test_skip_unreadable_builds_the_rest_and_names_the_skipped_document(tmp_path: Path) -> None:
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "2020-01-01-broken.txt").write_bytes(b"line one\nline two \xff\xfe broken\n")
    result = _run("build", "--skip-unreadable", "--corpus", str(corpus), "--out", str(data),
                  env={"MKG_REASONER": "false"})
    assert result.returncode == 3, result.stderr  # built, but not from every document
    assert "skipped: " in result.stderr and "2020-01-01-broken.txt:2" in result.stderr
    build = current_build(data)
    assert build is not None
    dump = (build / "graph.nq").read_text(encoding="utf-8")
    assert "graph/doc/2019-04-04-gfmd-gcm-relationship-consultation>" in dump
    assert "2020-01-01-broken" not in dump, "a skipped document leaves nothing behind"


def test_bad_rule_fails_with_file_line_and_rule_id(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, _ = built
    before = current_build(settings.data_dir)
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    (mappings / "rules" / "99-bad.yaml").write_text(
        "rules:\n  - id: ok-rule\n    pattern: 'x'\n    emit: []\n"
        "  - id: broken-rule\n    pattern: '{who:Nobody} chaired'\n    emit: ['?who a mkg:State']\n",
        encoding="utf-8",
    )
    result = _run("build", "--out", str(settings.data_dir), env={"MKG_MAPPINGS_DIR": str(mappings)})
    assert result.returncode == 1
    assert "99-bad.yaml:5" in result.stderr and "broken-rule" in result.stderr and "Nobody" in result.stderr
    assert current_build(settings.data_dir) == before


def test_rule_using_an_undeclared_term_is_refused(tmp_path: Path) -> None:
    from migration_kg.errors import RuleError
    from migration_kg.extract import load_rules

    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    (mappings / "rules" / "99-bad.yaml").write_text(
        "rules:\n  - id: typo\n    pattern: '{s:State} chaired'\n    emit: ['?s mkg:chairedd ?s']\n", encoding="utf-8"
    )
    try:
        load_rules(mappings)
    except RuleError as exc:
        assert "99-bad.yaml:2" in str(exc) and "mkg:chairedd" in str(exc)
    else:
        raise AssertionError("a rule with an undeclared term loaded")
