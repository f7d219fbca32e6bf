"""`migration-kg ingest`: real files (Markdown, HTML, a PDF written byte by byte), real builds, real subprocesses.

A readable document is copied into the corpus with a catalogue record and served after a rebuild; the
same document again changes nothing; an unreadable one is reported with its file and reason and
never half-loaded: the corpus folder and the served graph stay as they were.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migration_kg.ingest import derive_date, derive_title
from migration_kg.store import DUMP_NAME, OxigraphStore, current_build

ROOT = Path(__file__).resolve().parents[1]
UNSEEN = ROOT / "tests" / "unseen"


def pdf_bytes(lines: list[str]) -> bytes:
    """A minimal one-page PDF 1.4 whose text is ``lines`` (Helvetica), with a correct xref table."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PDF_LINES = [
    "Budapest Process Ministerial Conference: Chair's Statement",
    "22 October 2025",
    "The Seventh Ministerial Conference of the Budapest Process was held in Istanbul, Turkey on 22-23 October 2025.",
    "Ms. Elif Demir, Deputy Minister of Interior of Turkey, opened the conference.",
    "The International Centre for Migration Policy Development (ICMPD) serves the process.",
]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migration_kg.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=900)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A copy of the corpus, an empty data folder and the files to ingest."""
    base = tmp_path_factory.mktemp("ingest")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    files = base / "in"
    files.mkdir()
    shutil.copyfile(UNSEEN / "gfmd-summit-2026" / "document.md", files / "gfmd-summit-nairobi.md")
    shutil.copyfile(UNSEEN / "colombo-process-ministerial-2026" / "document.html", files / "colombo.html")
    (files / "budapest.pdf").write_bytes(pdf_bytes(PDF_LINES))
    (files / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n")
    (files / "empty.pdf").write_bytes(pdf_bytes([]))
    (files / "latin1.txt").write_bytes("Summary\n\n5 May 2026\n\nCaf\xe9 meeting\n".encode("latin-1"))
    (files / "blank.md").write_text("   \n\n", encoding="utf-8")
    (files / "notes.docx").write_bytes(b"PK\x03\x04 not a text document")
    return {"base": base, "corpus": corpus, "data": base / "data", "files": files}


def test_title_and_date_come_from_the_document() -> None:
    text = (UNSEEN / "gfmd-summit-2026" / "document.md").read_text(encoding="utf-8")
    assert derive_title(Path("x.md"), text).startswith("Sixteenth Global Forum on Migration and Development")
    assert str(derive_date(Path("x.md"), text)) == "2026-01-14"
    assert str(derive_date(Path("2024-05-07-report.txt"), text)) == "2024-05-07"


def test_a_document_without_a_date_needs_the_option(tmp_path: Path) -> None:
    import datetime as dt

    from migration_kg.errors import CorpusError
    from migration_kg.ingest import RecordOptions, read_new

    path = tmp_path / "undated-note.md"
    path.write_text("# A note\n\nThe Network met again.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="pass --date"):
        read_new(path, RecordOptions())
    doc = read_new(path, RecordOptions(date=dt.date(2026, 2, 1), doctype="NonPaper"))
    assert (doc.record.title, str(doc.record.date), doc.record.doctype) == ("A note", "2026-02-01", "NonPaper")
    with pytest.raises(CorpusError, match="type must be one of"):
        read_new(path, RecordOptions(date=dt.date(2026, 2, 1), doctype="Memo"))
    bad_date = _run("ingest", str(path), "--date", "1 Feb 2026", "--corpus", str(tmp_path), "--out", str(tmp_path))
    assert bad_date.returncode == 1 and "--date '1 Feb 2026' is not YYYY-MM-DD" in bad_date.stderr


def test_the_hand_made_pdf_is_read_by_the_corpus_stage(tmp_path: Path) -> None:
    from migration_kg.ingest import RecordOptions, read_new

    path = tmp_path / "b.pdf"
    path.write_bytes(pdf_bytes(PDF_LINES))
    doc = read_new(path, RecordOptions())
    assert "Seventh Ministerial Conference of the Budapest Process" in doc.text
    assert str(doc.record.date) == "2025-10-22"


def test_unreadable_documents_only_change_nothing(workspace: dict[str, Path]) -> None:
    corpus, files = workspace["corpus"], workspace["files"]
    before = _snapshot(corpus)
    bad = ["broken.pdf", "empty.pdf", "latin1.txt", "blank.md", "notes.docx", "missing.md"]
    result = _run("ingest", *(str(files / n) for n in bad), "--corpus", str(corpus), "--out", str(workspace["data"]))
    assert result.returncode == 1
    for name in bad:
        assert f"{files / name}" in result.stderr, name
    assert "latin1.txt:5" in result.stderr and "UTF-8" in result.stderr  # file and line
    assert "unsupported file type '.docx'" in result.stderr
    assert "no text" in result.stderr and "cannot read PDF" in result.stderr
    assert _snapshot(corpus) == before
    assert current_build(workspace["data"]) is None  # nothing was built


def test_ingest_adds_readable_documents_skips_bad_ones_and_serves_the_new_facts(workspace: dict[str, Path]) -> None:
    corpus, files, data = workspace["corpus"], workspace["files"], workspace["data"]
    result = _run("ingest", str(files / "gfmd-summit-nairobi.md"), str(files / "budapest.pdf"),
                  str(files / "notes.docx"), "--corpus", str(corpus), "--out", str(data))
    assert result.returncode == 1, result.stderr  # one document was skipped
    assert "notes.docx" in result.stderr and "unsupported file type" in result.stderr
    assert (corpus / "2026-01-14-sixteenth-global-forum-on-migration-and-development-summary-report-of-the-summit.md"
            ).exists()
    pdf_name = "2025-10-22-budapest-process-ministerial-conference-chair-s-statement.pdf"
    assert (corpus / pdf_name).read_bytes() == (files / "budapest.pdf").read_bytes()
    assert not (corpus / "notes.docx").exists()
    records = yaml.safe_load((corpus / "catalogue.yaml").read_text(encoding="utf-8"))["documents"]
    assert len(records) == 7
    assert str(records[pdf_name]["date"]) == "2025-10-22"
    assert records[pdf_name]["title"] == "Budapest Process Ministerial Conference: Chair's Statement"
    build = current_build(data)
    assert build is not None
    store = OxigraphStore.load_nquads(build / DUMP_NAME)
    ask = store.query("PREFIX mkg: <https://w3id.org/migration-kg/ontology#> ASK { "
                      "<https://w3id.org/migration-kg/id/event/2025-10-22-conference> mkg:location ?p . "
                      "?p <http://www.w3.org/2000/01/rdf-schema#label> \"Istanbul\" }")
    assert bool(ask)
    ask = store.query("PREFIX mkg: <https://w3id.org/migration-kg/ontology#> ASK { "
                      "<https://w3id.org/migration-kg/id/org/icmpd> mkg:acronym \"ICMPD\" }")
    assert bool(ask)


def test_the_same_document_again_is_a_no_op(workspace: dict[str, Path]) -> None:
    corpus, files, data = workspace["corpus"], workspace["files"], workspace["data"]
    before, served = _snapshot(corpus), current_build(data)
    assert served is not None
    renamed = workspace["base"] / "copy-of-the-summit.md"
    shutil.copyfile(files / "gfmd-summit-nairobi.md", renamed)
    result = _run("ingest", str(files / "gfmd-summit-nairobi.md"), str(renamed), "--corpus", str(corpus),
                  "--out", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("unchanged (already in the corpus)") == 2 and "served graph is unchanged" in result.stdout
    assert _snapshot(corpus) == before and current_build(data) == served


def test_a_failing_build_leaves_corpus_and_served_graph_alone(workspace: dict[str, Path], tmp_path: Path) -> None:
    corpus, files, data = workspace["corpus"], workspace["files"], workspace["data"]
    before, served = _snapshot(corpus), current_build(data)
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    (mappings / "rules" / "99-bad.yaml").write_text(
        "rules:\n  - id: broken\n    pattern: '{x:Nobody}'\n    emit: []\n", encoding="utf-8")
    result = _run("ingest", str(files / "colombo.html"), "--corpus", str(corpus), "--out", str(data),
                  env={"MKG_MAPPINGS_DIR": str(mappings)})
    assert result.returncode == 1
    assert "99-bad.yaml:2" in result.stderr
    assert _snapshot(corpus) == before and current_build(data) == served


def test_build_names_every_unreadable_document_and_keeps_the_served_graph(workspace: dict[str, Path],
                                                                          tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(workspace["corpus"], corpus)
    shutil.copyfile(workspace["files"] / "latin1.txt", corpus / "2026-05-05-latin1.txt")
    shutil.copyfile(workspace["files"] / "empty.pdf", corpus / "2026-05-06-empty.pdf")
    served = current_build(workspace["data"])
    result = _run("build", "--corpus", str(corpus), "--out", str(workspace["data"]))
    assert result.returncode == 1
    assert "2 documents cannot be read" in result.stderr
    assert "2026-05-05-latin1.txt:5: not valid UTF-8" in result.stderr
    assert "2026-05-06-empty.pdf: document has no text" in result.stderr
    assert current_build(workspace["data"]) == served
