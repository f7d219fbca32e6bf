"""Ingest stage: add new documents to the corpus folder and rebuild through the same pipeline.

:func:`ingest` reads each file as the corpus stage would (``corpus.load_document``), so a
document the rules cannot read (unsupported type, broken or text-less PDF, invalid
UTF-8, no text) is reported with its file and reason and skipped. Readable documents get
a catalogue record (title and date from the options, else derived from the document),
are built together with the existing corpus in a staging copy, and only if that build
succeeds — and swapped in the new store — are the files copied into the corpus folder
and their records appended to ``catalogue.yaml``. A document whose text is already in
the corpus (same SHA-256) is a no-op; if nothing is new, nothing is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import corpus as corpus_stage
from .errors import CorpusError, MigrationKGError
from .extract.dictionary import slugify
from .settings import Settings


@dataclass(frozen=True)
class RecordOptions:
    """Catalogue fields given on the command line; None means derive from the document."""

    title: str | None = None
    date: dt.date | None = None
    publisher: str | None = None
    doctype: str | None = None


@dataclass
class IngestReport:
    """What an ingest did: documents added, unchanged (already there) and skipped (unreadable)."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    build_dir: Path | None = None
    #: the new documents the rules read little of (see :func:`migration_kg.pipeline.few_facts`)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no document had to be skipped."""
        return not self.skipped

    def to_text(self) -> str:
        """One line per document, then the build folder if a build ran."""
        lines = [f"added: {name}" for name in self.added]
        lines += [f"unchanged (already in the corpus): {name}" for name in self.unchanged]
        lines += [f"skipped: {why}" for _, why in self.skipped]
        lines += [f"warning: {message}" for message in self.warnings]
        lines.append(f"build: {self.build_dir}" if self.build_dir else "build: not needed, the served graph is unchanged")
        return "\n".join(lines)


def derive_title(path: Path, text: str) -> str:
    """The document's title: see :func:`migration_kg.corpus.derive_title`."""
    return corpus_stage.derive_title(path, text)


def derive_date(path: Path, text: str) -> dt.date | None:
    """The document's date: see :func:`migration_kg.corpus.derive_date`."""
    return corpus_stage.derive_date(path, text)[0]


def make_record(path: Path, text: str, options: RecordOptions) -> corpus_stage.CatalogueRecord:
    """The catalogue record of a new document. Raises CorpusError when no date can be found."""
    date = options.date or derive_date(path, text)
    if date is None:
        raise CorpusError("no date in the file name or the first lines of the text; pass --date YYYY-MM-DD",
                          source=str(path))
    doctype = options.doctype or "Document"
    if doctype not in corpus_stage.DOCUMENT_TYPES:
        raise CorpusError(f"type must be one of {', '.join(corpus_stage.DOCUMENT_TYPES)}", source=str(path))
    return corpus_stage.CatalogueRecord(title=options.title or derive_title(path, text), date=date,
                                        publisher=options.publisher or "unknown", doctype=doctype)


def read_new(path: Path, options: RecordOptions) -> corpus_stage.Document:
    """Read a document to be ingested, with its derived record. Raises CorpusError if unreadable."""
    if not path.is_file():
        raise CorpusError("no such file", source=str(path))
    probe = corpus_stage.load_document(path, corpus_stage.CatalogueRecord(title="", date=dt.date.min, publisher=""))
    record = make_record(path, probe.text, options)
    return corpus_stage.Document(id=probe.id, path=path, text=probe.text, record=record, sha256=probe.sha256)


def target_name(doc: corpus_stage.Document) -> str:
    """The file name in the corpus: kept if it starts with a date, else ``{date}-{slug of title}``."""
    if re.match(r"\d{4}-\d{2}-\d{2}", doc.path.stem):
        return doc.path.name
    return f"{doc.record.date.isoformat()}-{slugify(doc.record.title)[:80].rstrip('-')}{doc.path.suffix.lower()}"


def _record_yaml(name: str, record: corpus_stage.CatalogueRecord) -> str:
    entry = {name: {"title": record.title, "date": record.date, "publisher": record.publisher,
                    "type": record.doctype}}
    body = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=1000)
    return "".join("  " + line + "\n" for line in body.splitlines())


def _catalogue_with(corpus_dir: Path, additions: list[tuple[str, corpus_stage.CatalogueRecord]]) -> str:
    """The catalogue text with records appended (comments and order of the old text kept)."""
    path = corpus_dir / corpus_stage.CATALOGUE
    text = path.read_text(encoding="utf-8") if path.exists() else "documents:\n"
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or set(data) - {"documents"}:
        raise CorpusError("catalogue must hold only a 'documents' mapping to be appended to", source=str(path))
    if not data.get("documents"):
        text = "documents:\n"
    if not text.endswith("\n"):
        text += "\n"
    return text + "".join(_record_yaml(name, record) for name, record in additions)


def ingest(settings: Settings, paths: list[Path], options: RecordOptions = RecordOptions()) -> IngestReport:
    """Add ``paths`` to the corpus and rebuild; return what happened.

    Unreadable documents are listed in ``report.skipped`` (never copied); documents whose
    text is already in the corpus in ``report.unchanged``. Raises the build's error
    (RuleError, ReasonerError, ValidationFailed …) if the corpus with the new documents
    does not build, and CorpusError if the corpus folder is missing or holds an unreadable
    document; then the corpus folder and the served graph are unchanged.
    """
    from .pipeline import build

    corpus_dir = settings.corpus_dir
    if not corpus_dir.is_dir():
        raise CorpusError("corpus folder does not exist", source=str(corpus_dir))
    report = IngestReport()
    existing = corpus_stage.load_corpus(corpus_dir) if any(
        p.suffix.lower() in corpus_stage.SUFFIXES for p in corpus_dir.glob("*")) else []
    known_hashes = {d.sha256: d.path.name for d in existing}
    taken = {p.name for p in corpus_dir.iterdir()}
    new: list[tuple[str, corpus_stage.Document]] = []
    for path in paths:
        try:
            doc = read_new(path, options)
        except CorpusError as exc:
            report.skipped.append((str(path), str(exc)))
            continue
        if doc.sha256 in known_hashes:
            report.unchanged.append(f"{path} (as {known_hashes[doc.sha256]})")
            continue
        name = target_name(doc)
        if name in taken:
            report.skipped.append((str(path), f"{path}: the corpus already holds a different {name}"))
            continue
        known_hashes[doc.sha256] = name
        taken.add(name)
        new.append((name, doc))
    if not new:
        return report
    catalogue = _catalogue_with(corpus_dir, [(name, doc.record) for name, doc in new])
    with tempfile.TemporaryDirectory(prefix="mkg-ingest-") as tmp:
        staging = Path(tmp) / "corpus"
        shutil.copytree(corpus_dir, staging)
        for name, doc in new:
            shutil.copyfile(doc.path, staging / name)
        (staging / corpus_stage.CATALOGUE).write_text(catalogue, encoding="utf-8")
        try:
            build_report = build(settings, corpus_dir=staging, out_dir=settings.data_dir)
        except CorpusError as exc:
            raise CorpusError(f"the corpus with the new documents cannot be read: {exc.message}",
                              source=exc.source) from exc
        except MigrationKGError:
            raise
        # The new store is served; now the corpus folder follows, files first, catalogue last (atomic).
        for name, doc in new:
            shutil.copyfile(doc.path, corpus_dir / name)
        tmp_catalogue = corpus_dir / (corpus_stage.CATALOGUE + ".tmp")
        tmp_catalogue.write_text(catalogue, encoding="utf-8")
        os.replace(tmp_catalogue, corpus_dir / corpus_stage.CATALOGUE)
    report.added = [name for name, _ in new]
    report.build_dir = build_report.build_dir
    names = {name for name, _ in new}
    report.warnings = [w.replace(str(staging), str(corpus_dir)) for w in build_report.warnings
                       if Path(w.split(":", 1)[0]).name in names]
    return report
