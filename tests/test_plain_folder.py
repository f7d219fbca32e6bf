"""`migration-kg build --corpus DIR` on a plain folder of documents: no catalogue, no dates in the file
names; derived records, honest warnings, and no silent replacement of the served graph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migration_kg.corpus import TITLE_MAX, derive_date, derive_title, read_corpus
from migration_kg.errors import CorpusError

ROOT = Path(__file__).resolve().parents[1]

LONG_HEADING = ("# Joint statement of the participating states of the regional consultation on labour mobility, "
                "skills partnerships and the protection of migrant workers in the construction, care and "
                "agriculture sectors, adopted after two days of deliberations in the capital\n\n")
READOUT = LONG_HEADING + (
    "Accra, 12 March 2024\n\n"
    "The Regional Workshop on Labour Mobility, held in Accra on 12 March 2024, was opened by Ama Mensah, "
    "Minister for Employment of Ghana. Representatives of Nigeria, Senegal and Côte d'Ivoire attended the "
    "workshop. The participants agreed to establish a working group on skills recognition.\n")
NOTE = "Thank you.\n\nMore soon, on 3 April 2025.\n"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migration_kg.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_title_is_cut_at_a_word_and_the_date_comes_from_the_text(tmp_path: Path) -> None:
    path = tmp_path / "statement.md"
    title = derive_title(path, READOUT)
    assert len(title) <= TITLE_MAX + 1 and title.endswith("…")
    assert LONG_HEADING.strip("# \n").startswith(title[:-1]) and title[-2] != " "
    assert derive_date(path, READOUT)[0].isoformat() == "2024-03-12"
    assert derive_date(tmp_path / "2019-04-04-x.txt", READOUT)[1] == "date from the file name"
    assert derive_date(path, "no date here")[0] is None


def test_a_document_without_any_date_is_named_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "undated.txt").write_text("Some text without a date.\n", encoding="utf-8")
    documents, errors = read_corpus(tmp_path)
    assert documents == [] and len(errors) == 1
    assert isinstance(errors[0], CorpusError) and errors[0].source == str(tmp_path / "undated.txt")
    assert "date" in errors[0].message


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("plain")
    (docs / "statement.md").write_text(READOUT, encoding="utf-8")
    (docs / "note.txt").write_text(NOTE, encoding="utf-8")
    return docs


def test_another_folder_without_out_does_not_replace_the_served_graph(folder: Path) -> None:
    result = _run("build", "--corpus", str(folder))
    assert result.returncode == 1
    assert "--out" in result.stderr and "--replace" in result.stderr and str(folder) in result.stderr


def test_a_plain_folder_builds_with_derived_records_and_warnings(folder: Path, tmp_path: Path) -> None:
    result = _run("build", "--corpus", str(folder), "--out", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert "derived (no catalogue record): statement: title from the first heading or line, date from the text" \
        in result.stdout
    assert f"warning: {folder / 'note.txt'}: no facts from" in result.stderr
    assert "statement.md" not in result.stderr  # the readout yields facts
    again = _run("build", "--corpus", str(folder), "--out", str(tmp_path / "data"))
    assert again.returncode == 0 and "replaced: " in again.stdout
