"""Corpus stage: read source documents and their catalogue records.

A corpus folder holds documents (``.txt``, ``.md``, ``.html``/``.htm``, ``.pdf``) and an
optional ``catalogue.yaml`` with one record per file name (title, date, publisher,
type). Where a record is missing, :func:`load_document` derives one from the file
name (a leading ``YYYY-MM-DD`` or ``YYYY``) and the first heading. Offsets used as
evidence are indices into :attr:`Document.text`, which is the file's text exactly as
decoded (HTML and PDF are converted to text first, deterministically).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

from .errors import CorpusError

SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")
CATALOGUE = "catalogue.yaml"
DOCUMENT_TYPES = ("SummaryReport", "ConceptPaper", "Report", "Publication", "NonPaper", "Document")


@dataclass(frozen=True)
class CatalogueRecord:
    """What we know of a document as a publication."""

    title: str
    date: dt.date
    publisher: str
    doctype: str = "Document"
    identifier: str | None = None
    source_url: str | None = None
    #: the fields derived from the document (no catalogue record), each with how: ("date from the text", …)
    derived: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """One source document. ``id`` is the file name without its extension."""

    id: str
    path: Path
    text: str
    record: CatalogueRecord
    sha256: str = field(default="")

    @property
    def year(self) -> int:
        """The publication year, used to complete dates written without one."""
        return self.record.date.year


class _HTMLText(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _read_text(path: Path) -> str:
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            from pypdf import PdfReader

            reader = PdfReader(str(path))
            return "\n\n".join((page.extract_text() or "") for page in reader.pages)
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read document: {exc}", source=str(path)) from exc
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise CorpusError(f"cannot read PDF: {exc}", source=str(path)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(f"not valid UTF-8 (byte {exc.start})", source=str(path), line=line) from exc
    if suffix in (".html", ".htm"):
        parser = _HTMLText()
        parser.feed(text)
        text = re.sub(r"\n{3,}", "\n\n", "".join(parser.parts))
    return text


_HEADING = re.compile(r"^\s*#{1,6}\s+(?P<h>\S.*)$", re.M)
#: a derived title longer than this is cut at a word boundary and ends with "…"
TITLE_MAX = 200


def derive_title(path: Path, text: str) -> str:
    """The document's title: the first markdown heading, else the first non-empty line, cut at a word."""
    m = _HEADING.search(text[:5000])
    line = m["h"] if m else next((ln for ln in text.splitlines() if ln.strip(" #*\t")), path.stem)
    title = re.sub(r"\s+", " ", line.strip(" #*\t")).strip()
    if len(title) <= TITLE_MAX:
        return title
    cut = title[: TITLE_MAX + 1].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + "…"


def derive_date(path: Path, text: str) -> tuple[dt.date | None, str]:
    """The document's date and where it was found: a leading YYYY-MM-DD (or YYYY) of the file name,
    else the first full date in the first 5,000 characters of the text."""
    from .extract.dates import DATE_REGEX, parse_date

    m = re.match(r"(\d{4})(?:-(\d{2})-(\d{2}))?(?!\d)", path.stem)
    if m and 1900 <= int(m[1]) <= 2100:
        return dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1)), "date from the file name"
    for dm in re.finditer(rf"(?<!\d)(?:{DATE_REGEX})", text[:5000]):
        value = parse_date(dm.group(0))
        if not value.year_inferred and value.start is not None:
            return value.start, "date from the text"
    return None, ""


def _derive_record(path: Path, text: str) -> CatalogueRecord:
    date, how = derive_date(path, text)
    if date is None:
        raise CorpusError(f"no catalogue record in {CATALOGUE}, no date at the start of the file name and no "
                          "full date in the first lines of the text; add a record or a date", source=str(path))
    return CatalogueRecord(title=derive_title(path, text), date=date, publisher="unknown",
                           derived=("title from the first heading or line", how, "publisher unknown"))


def load_catalogue(corpus_dir: Path) -> dict[str, CatalogueRecord]:
    """Read ``catalogue.yaml`` (file name -> record). Raises CorpusError on bad records."""
    path = corpus_dir / CATALOGUE
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError(f"YAML syntax error: {exc}", source=str(path), line=mark.line + 1 if mark else None) from exc
    records: dict[str, CatalogueRecord] = {}
    for name, rec in (data.get("documents") or {}).items():
        try:
            doctype = rec.get("type", "Document")
            if doctype not in DOCUMENT_TYPES:
                raise ValueError(f"type must be one of {', '.join(DOCUMENT_TYPES)}")
            date = rec["date"] if isinstance(rec["date"], dt.date) else dt.date.fromisoformat(str(rec["date"]))
            records[name] = CatalogueRecord(
                title=str(rec["title"]), date=date, publisher=str(rec["publisher"]), doctype=doctype,
                identifier=rec.get("identifier"), source_url=rec.get("source_url"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"bad catalogue record for {name!r}: {exc!r}", source=str(path)) from exc
    return records


def load_document(path: Path, record: CatalogueRecord | None = None) -> Document:
    """Read one document. Raises CorpusError if it cannot be read or is empty."""
    if path.suffix.lower() not in SUFFIXES:
        raise CorpusError(f"unsupported file type {path.suffix!r}; expected one of {SUFFIXES}", source=str(path))
    text = _read_text(path)
    if not text.strip():
        raise CorpusError("document has no text", source=str(path))
    record = record or _derive_record(path, text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(id=path.stem, path=path, text=text, record=record, sha256=digest)


def read_corpus(corpus_dir: Path) -> tuple[list[Document], list[CorpusError]]:
    """The readable documents in ``corpus_dir`` (sorted by file name) and an error per unreadable one.

    Raises:
        CorpusError: the folder or its catalogue cannot be read, or it holds no document.
    """
    if not corpus_dir.is_dir():
        raise CorpusError("corpus folder does not exist", source=str(corpus_dir))
    catalogue = load_catalogue(corpus_dir)
    paths = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not paths:
        raise CorpusError("corpus folder holds no documents", source=str(corpus_dir))
    documents, errors = [], []
    for p in paths:
        try:
            documents.append(load_document(p, catalogue.get(p.name)))
        except CorpusError as exc:
            errors.append(exc)
    return documents, errors


def load_corpus(corpus_dir: Path, *, skip_unreadable: bool = False) -> list[Document]:
    """All documents in ``corpus_dir``, sorted by file name.

    Args:
        skip_unreadable: leave out the documents that cannot be read (the caller reports them,
            see :func:`read_corpus`) instead of failing; at least one must be readable.

    Raises CorpusError naming every document that cannot be read (file and line or reason).
    """
    documents, errors = read_corpus(corpus_dir)
    if errors and not (skip_unreadable and documents):
        raise unreadable(errors, corpus_dir)
    return documents


def unreadable(errors: list[CorpusError], corpus_dir: Path) -> CorpusError:
    """One error naming every unreadable document at once (the error itself when there is one)."""
    if len(errors) == 1:
        return errors[0]
    return CorpusError(f"{len(errors)} documents cannot be read:\n" + "\n".join(f"  {e}" for e in errors),
                       source=str(corpus_dir))
