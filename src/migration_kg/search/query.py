"""Reading the search index: ranked entity and passage search, and autocomplete.

Every query is a list of words (:func:`~migration_kg.search.text.words`), each matched as a
prefix, all required, ranked by FTS5's bm25 (``score`` is ``-bm25``: higher is better).
Entities are also matched by trigrams of their compact folded names and rescored by
:func:`~migration_kg.search.text.similarity`, so that "UNDSA" or "Lauberr" still find
UN DESA and Jürg Lauber; those hits come after the word hits, marked ``"match": "fuzzy"``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import QueryError, StoreError
from .index import INDEX_VERSION
from .text import MIN_FUZZY_CHARS, match_expression, similarity, trigram_expression, words

#: Longest query accepted, in characters.
MAX_QUERY_CHARS = 200
#: A fuzzy hit must be at least this similar (0-1) to one of the entity's names.
FUZZY_THRESHOLD = 0.85
#: Trigram candidates rescored per query.
FUZZY_CANDIDATES = 60
#: Marks around the matched words in a passage snippet (control characters: never in the text).
_HIT_OPEN, _HIT_CLOSE = "\x02", "\x03"

_ENTITY_WORDS = """
SELECT e.id, e.iri, e.label, e.type, e.type_label, entity_fts.names, -bm25(entity_fts, 10.0, 4.0, 1.0) AS score
FROM entity_fts JOIN entity e ON e.id = entity_fts.rowid
WHERE entity_fts MATCH ? ORDER BY bm25(entity_fts, 10.0, 4.0, 1.0) LIMIT ?"""
_ENTITY_TRIGRAMS = """
SELECT e.id, e.iri, e.label, e.type, e.type_label, n.name, n.compact
FROM name_tri JOIN name n ON n.id = name_tri.rowid JOIN entity e ON e.id = n.entity
WHERE name_tri MATCH ? ORDER BY bm25(name_tri) LIMIT ?"""
_PASSAGE_WORDS = """
SELECT p.document, p.title, p.sentence, p.start, p."end", p.quotes,
       snippet(passage_fts, 0, char(2), char(3), '…', 40), -bm25(passage_fts, 5.0, 2.0, 1.0) AS score
FROM passage_fts JOIN passage p ON p.id = passage_fts.rowid
WHERE passage_fts MATCH ? ORDER BY bm25(passage_fts, 5.0, 2.0, 1.0) LIMIT ?"""


@dataclass(frozen=True)
class EntityHit:
    """One entity found: what it is, the name that matched and how."""

    iri: str
    label: str
    type: str
    type_label: str
    matched: str
    match: str  # "words" | "fuzzy"
    score: float

    def as_json(self) -> dict[str, Any]:
        """The hit as the API answers it."""
        return {"iri": self.iri, "label": self.label, "type": self.type, "typeLabel": self.type_label,
                "matched": self.matched, "match": self.match, "score": round(self.score, 4)}


@dataclass(frozen=True)
class PassageHit:
    """One evidence sentence found, with its quotes and a snippet around the matched words."""

    document: str
    title: str | None
    sentence: str
    start: int
    end: int
    quotes: list[dict[str, Any]]
    snippet: list[tuple[str, bool]]  # (text, is a matched word)
    score: float

    def as_json(self) -> dict[str, Any]:
        """The hit as the API answers it (the snippet as ``[text, hit]`` pairs, to be shown as text)."""
        return {"document": self.document, "title": self.title, "sentence": self.sentence, "start": self.start,
                "end": self.end, "quotes": self.quotes, "snippet": [list(part) for part in self.snippet],
                "score": round(self.score, 4)}


def query_words(q: str) -> list[str]:
    """The words of the query ``q``.

    Raises:
        QueryError: ``q`` is longer than :data:`MAX_QUERY_CHARS` or has no letter or digit (400).
    """
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"q is {len(q)} characters long; at most {MAX_QUERY_CHARS} are searched")
    found = words(q)
    if not found:
        raise QueryError(f"q={q!r} has no word to search for (letters or digits)")
    return found


class SearchIndex:
    """A build's ``search.sqlite``, opened read-only for each call (cheap, and safe across threads).

    Raises (every method):
        StoreError: the file is missing, not an index, or of another version (503).
        QueryError: the query has no word, or is too long (400).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.path.is_file():
            raise StoreError("this build has no search index; rebuild it", source=str(self.path))
        try:
            db = sqlite3.connect(self.path.as_uri() + "?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the search index: {exc}", source=str(self.path)) from exc
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row is None or row[0] != INDEX_VERSION:
                raise StoreError(f"the search index is of version {row and row[0]}, not {INDEX_VERSION}; rebuild",
                                 source=str(self.path))
            yield db
        except sqlite3.Error as exc:
            raise StoreError(f"the search index cannot be read: {exc}", source=str(self.path)) from exc
        finally:
            db.close()

    def entities(self, q: str, *, limit: int = 20) -> list[EntityHit]:
        """Entities whose names hold every word of ``q`` (as prefixes), best first; then fuzzy matches."""
        found = query_words(q)
        with self._connect() as db:
            hits = [
                EntityHit(iri, label, type_, type_label, _matched_name(found, label, names), "words", score)
                for _, iri, label, type_, type_label, names, score
                in db.execute(_ENTITY_WORDS, (match_expression(found), limit))
            ]
            if len(hits) < limit:
                seen = {h.iri for h in hits}
                hits += [h for h in _fuzzy(db, found) if h.iri not in seen][: limit - len(hits)]
        return hits

    def passages(self, q: str, *, limit: int = 20) -> list[PassageHit]:
        """Evidence sentences holding every word of ``q`` (as prefixes), best first."""
        found = query_words(q)
        with self._connect() as db:
            return [
                PassageHit(document, title, sentence, start, end, json.loads(quotes), _snippet(snippet), score)
                for document, title, sentence, start, end, quotes, snippet, score
                in db.execute(_PASSAGE_WORDS, (match_expression(found), limit))
            ]


def _matched_name(found: list[str], label: str, names: str) -> str:
    """The entity's name that holds the query's words: the label if it does, else the first other name."""
    for name in (label, *names.split("\n")):
        name_words = words(name)
        if all(any(w.startswith(q) for w in name_words) for q in found):
            return name
    return label


def _fuzzy(db: sqlite3.Connection, found: list[str]) -> list[EntityHit]:
    key = "".join(found)
    if len(key) < MIN_FUZZY_CHARS:
        return []
    best: dict[str, EntityHit] = {}
    for _, iri, label, type_, type_label, name, _key in db.execute(
            _ENTITY_TRIGRAMS, (trigram_expression(key), FUZZY_CANDIDATES)):
        score = similarity(found, name)
        if score >= FUZZY_THRESHOLD and (iri not in best or best[iri].score < score):
            best[iri] = EntityHit(iri, label, type_, type_label, name, "fuzzy", score)
    return sorted(best.values(), key=lambda h: (-h.score, h.label))


def _snippet(text: str) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    for i, piece in enumerate(text.split(_HIT_OPEN)):
        if i == 0:
            if piece:
                parts.append((piece, False))
            continue
        hit, _, rest = piece.partition(_HIT_CLOSE)
        parts.append((hit, True))
        if rest:
            parts.append((rest, False))
    return parts
