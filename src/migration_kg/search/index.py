"""Writing the search index of a build: entities (every name, with the type) and evidence passages.

:func:`build_index` runs ``queries/entities.rq`` and ``queries/passages.rq`` over the
build's store and writes ``search.sqlite`` (``schema.sql``) next to it, so the index is
swapped in with the build and always describes the graph it is served with.

A passage is one sentence of one document, with every quote read from it: 1,726
extractions of the corpus come from 578 sentences, and a hit on a sentence should be
shown once, with its quotes, not once per rule that matched it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import StoreError
from ..queries import packaged_query
from ..store import GraphStore
from .text import compact

INDEX_NAME = "search.sqlite"
_HERE = Path(__file__).resolve().parent
#: Format of the index file; the server refuses a file of another version.
INDEX_VERSION = "1"


@dataclass(frozen=True)
class IndexStats:
    """What :func:`build_index` wrote."""

    path: Path
    entities: int
    names: int
    passages: int


def load_query(name: str) -> str:
    """The text of ``search/queries/<name>.rq`` (see :func:`migration_kg.queries.packaged_query`)."""
    return packaged_query(_HERE / "queries", name)


def _rows(store: GraphStore, name: str, base: str) -> list[ox.QuerySolution]:
    result = store.query(load_query(name), base_iri=base)
    try:
        return list(result)  # type: ignore[arg-type]
    except OSError as exc:
        raise StoreError(f"query {name} failed: {exc}") from exc


def _value(row: ox.QuerySolution, var: str) -> str | None:
    term = row[var]
    return None if term is None else str(term.value)


def build_index(store: GraphStore, path: Path, *, base: str, texts: Mapping[str, str]) -> IndexStats:
    """Write the search index of ``store`` to ``path`` (replacing it, atomically).

    Args:
        store: the build's graph.
        path: where the SQLite file goes (``<build>/search.sqlite``).
        base: the base IRI the store's IRIs are under (the queries' relative ``mkg:`` prefix).
        texts: document IRI -> the text its evidence offsets index into, to find the sentences'
            own offsets (a passage links to its sentence in the document page).

    Returns:
        The counts written.

    Raises:
        StoreError: the store cannot be read or the file cannot be written.
    """
    entities = _entities(_rows(store, "entities", base))
    passages = _passages(_rows(store, "passages", base), texts)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with sqlite3.connect(partial) as db:
            db.executescript((_HERE / "schema.sql").read_text("utf-8"))
            db.execute("INSERT INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
            names = _write_entities(db, entities)
            _write_passages(db, passages)
            db.execute("INSERT INTO entity_fts(entity_fts) VALUES ('optimize')")
            db.execute("INSERT INTO passage_fts(passage_fts) VALUES ('optimize')")
        db.close()
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"cannot write the search index: {exc}", source=str(path)) from exc
    return IndexStats(path, len(entities), names, len(passages))


@dataclass
class _Entity:
    iri: str
    types: dict[str, str]  # type IRI -> label
    labels: list[str]
    names: dict[str, str]  # other name -> kind


def _entities(rows: list[ox.QuerySolution]) -> list[_Entity]:
    found: dict[str, _Entity] = {}
    for row in rows:
        iri, kind, name = _value(row, "e"), _value(row, "nameKind"), _value(row, "name")
        type_iri = _value(row, "type")
        if not iri or not kind or not name or not type_iri or not name.strip():
            continue
        entity = found.setdefault(iri, _Entity(iri, {}, [], {}))
        entity.types.setdefault(type_iri, _value(row, "typeLabel") or type_iri.rsplit("#", 1)[-1])
        if kind == "label":
            if name not in entity.labels:
                entity.labels.append(name)
        else:
            entity.names.setdefault(name, kind)
    return [e for e in found.values() if e.labels]


def _write_entities(db: sqlite3.Connection, entities: list[_Entity]) -> int:
    written = 0
    for number, entity in enumerate(sorted(entities, key=lambda e: e.iri), start=1):
        label = sorted(entity.labels, key=lambda text: (len(text), text))[0]
        type_iri = sorted(entity.types)[0]  # one type shown; several most specific ones are rare
        others = {text: kind for text, kind in entity.names.items() if text != label}
        others.update({text: "alt" for text in entity.labels if text != label})
        db.execute("INSERT INTO entity VALUES (?, ?, ?, ?, ?)",
                   (number, entity.iri, label, type_iri, entity.types[type_iri]))
        db.execute("INSERT INTO entity_fts(rowid, label, names, type_label) VALUES (?, ?, ?, ?)",
                   (number, label, "\n".join(others), " ".join(entity.types.values())))
        for text, kind in [(label, "label"), *others.items()]:
            key = compact(text)
            if not key:
                continue
            cursor = db.execute("INSERT INTO name(entity, name, kind, compact) VALUES (?, ?, ?, ?)",
                                (number, text, kind, key))
            db.execute("INSERT INTO name_tri(rowid, compact) VALUES (?, ?)", (cursor.lastrowid, key))
            written += 1
    return written


@dataclass
class _Passage:
    document: str
    title: str | None
    sentence: str
    start: int
    end: int
    quotes: list[dict[str, Any]]


def _passages(rows: list[ox.QuerySolution], texts: Mapping[str, str]) -> list[_Passage]:
    found: dict[tuple[str, str], _Passage] = {}
    for row in rows:
        doc, quote = _value(row, "doc"), _value(row, "quote")
        start, end = _value(row, "start"), _value(row, "end")
        if not doc or quote is None or start is None or end is None:
            continue
        a, b = int(start), int(end)
        sentence = (_value(row, "sentence") or quote).strip()
        passage = found.get((doc, sentence))
        if passage is None:
            s_start, s_end = _locate(texts.get(doc), sentence, a, b)
            passage = found[(doc, sentence)] = _Passage(doc, _value(row, "title"), sentence, s_start, s_end, [])
        entry = {"quote": quote, "start": a, "end": b, "rule": _value(row, "rule"), "modality": _value(row, "modality")}
        if entry not in passage.quotes:
            passage.quotes.append(entry)
    for passage in found.values():
        passage.quotes.sort(key=lambda q: (q["start"], q["end"], q["rule"] or ""))
    return sorted(found.values(), key=lambda p: (p.document, p.start))


def _locate(text: str | None, sentence: str, start: int, end: int) -> tuple[int, int]:
    """The offsets of ``sentence`` in ``text``, the occurrence that holds ``[start, end)``; else the quote's."""
    if text is not None and sentence:
        at = text.find(sentence, max(0, end - len(sentence)))
        while 0 <= at <= start:
            if at + len(sentence) >= end:
                return at, at + len(sentence)
            at = text.find(sentence, at + 1)
    return start, end


def _write_passages(db: sqlite3.Connection, passages: list[_Passage]) -> None:
    for number, p in enumerate(passages, start=1):
        quotes = json.dumps(p.quotes, ensure_ascii=False)
        db.execute("INSERT INTO passage VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (number, p.document, p.title, p.sentence, p.start, p.end, quotes))
        db.execute("INSERT INTO passage_fts(rowid, sentence, quotes, title) VALUES (?, ?, ?, ?)",
                   (number, p.sentence, "\n".join(dict.fromkeys(q["quote"] for q in p.quotes)), p.title or ""))
