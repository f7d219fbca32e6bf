"""A cache of read answers, keyed by the data they were computed on.

Every answer of ``/sparql`` (GET and POST) and of the named-query API is the bytes a worker
wrote for one *key*: the data version, the query (its text with comments and runs of white
space collapsed, or a named query's name), its bindings, the negotiated result format and
the protocol dataset. The data version is the served build's id plus the number of writes
applied to it (``app.state``), so a new build or any write makes every older entry
unreachable; :meth:`ResultCache.invalidate` also drops them at once.

Entries are kept in least-recently-used order within ``Settings.result_cache_bytes``; an
answer larger than an eighth of that is served but not kept, so one big answer cannot
flush the rest. Queries whose answer may change without a write are never cached: those
calling ``NOW``, ``RAND``, ``UUID``, ``STRUUID`` or ``BNODE``, and those with ``SERVICE``.

HTTP (RFC 9111, RFC 9110 §13): a cacheable answer carries ``ETag: "<version>-<hash of the
key>"``, ``Cache-Control: public, max-age=<Settings.result_cache_max_age_s>`` and
``X-Cache: hit`` or ``miss``. The tag is computed from the key alone, so a ``GET``/``HEAD``
whose ``If-None-Match`` holds it is answered ``304 Not Modified`` without running the query
(RFC 9110 §13.1.2; ``POST`` ignores it). Anything not cacheable is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..store import QueryDataset
from . import guard
from .worker import QueryAnswer, encode_term

#: Functions whose value differs between two evaluations on the same data.
VOLATILE_KEYWORDS = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE", "SERVICE"})
NO_STORE = "no-store"
#: Bytes an entry costs besides its body and key text (the entry, the key tuple, the dict slot).
_ENTRY_OVERHEAD = 256
_CONDITIONAL_METHODS = frozenset({"GET", "HEAD"})
#: Texts up to this many characters have their normal form remembered (at most 512 of them).
_CACHED_TEXT_CHARS = 8192


@dataclass(frozen=True)
class CacheKey:
    """What an answer depends on; ``etag`` is its HTTP entity tag."""

    version: str
    parts: tuple[Any, ...]
    digest: str

    @property
    def etag(self) -> str:
        """``"<data version>-<hash of the rest>"`` (a strong tag: the bytes are the same each time)."""
        return f'"{self.version}-{self.digest}"'

    @property
    def size(self) -> int:
        """Bytes the key holds (for the memory cap)."""
        return sum(len(p) for p in self.parts if isinstance(p, str)) + _ENTRY_OVERHEAD


@dataclass(frozen=True)
class CacheStats:
    """A snapshot for ``/metrics``; the ``*_total`` fields only grow."""

    hits_total: int
    misses_total: int
    not_modified_total: int
    uncacheable_total: int
    evictions_total: int
    invalidations_total: int
    entries: int
    bytes: int
    max_bytes: int


def normalise(text: str) -> str:
    """The query text as a cache key: comments dropped, runs of white space made one space,
    strings and IRIs untouched. Never run: only compared.

    >>> normalise("SELECT * # all\\n{  ?s ?p 'a  b' }  ")
    "SELECT * { ?s ?p 'a  b' }"
    """
    if len(text) <= _CACHED_TEXT_CHARS:  # clients repeat their queries: lexing a 1 KB text is 0.1 ms
        return _cached_normalise(text)
    return _normalise(text)


def _normalise(text: str) -> str:
    out: list[str] = []
    for token in guard.tokens(text):
        if token.isspace() or token.startswith("#"):  # a comment ends at a line break: it was white space
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(token)
    return "".join(out).strip()


_cached_normalise = lru_cache(maxsize=512)(_normalise)


def cacheable(text: str) -> bool:
    """Whether the answer to ``text`` depends only on the data (no volatile function, no SERVICE).

    >>> cacheable("SELECT ?s { ?s ?p 'NOW()' }"), cacheable("SELECT (NOW() AS ?t) {}")
    (True, False)
    """
    return not (guard.scan(text).keywords & VOLATILE_KEYWORDS)


class ResultCache:
    """Answers by :class:`CacheKey`, least recently used first out, within ``max_bytes``.

    Safe to use from the event loop and from worker threads at once.

    >>> cache = ResultCache(max_bytes=4096)
    >>> key = cache.key("sparql", "ASK {}", results_type="application/sparql-results+json")
    >>> cache.get(key) is None
    True
    >>> cache.put(key, QueryAnswer(b'{"boolean":true}', "application/sparql-results+json", False))
    True
    >>> cache.get(key).body
    b'{"boolean":true}'
    >>> cache.invalidate("build-2"); cache.get(key) is None
    True
    """

    def __init__(self, *, max_bytes: int, label: str = "data") -> None:
        """Keep at most ``max_bytes`` of answers (0: keep none) for data called ``label`` (a build id)."""
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, QueryAnswer] = OrderedDict()
        self._bytes = 0
        # raw request (query string, Accept) -> key, for :mod:`serve.cache_front`; within an eighth of the cap
        self._aliases: OrderedDict[tuple[bytes, bytes], CacheKey] = OrderedDict()
        self._alias_bytes = 0
        self._label = label
        self._writes = 0
        self._counts = dict.fromkeys(
            ("hits", "misses", "not_modified", "uncacheable", "evictions", "invalidations"), 0
        )

    @property
    def version(self) -> str:
        """The data version answers are computed on: ``<label>.<writes>``."""
        return f"{self._label}.{self._writes}"

    def key(
        self,
        kind: str,
        text: str,
        *,
        results_type: str | None = None,
        graph_type: str | None = None,
        substitutions: Mapping[str, Any] | None = None,
        dataset: QueryDataset | None = None,
        default_graph_as_union: bool = True,
        base_iri: str | None = None,
    ) -> CacheKey:
        """The key of an answer to ``text`` (``kind`` ``"sparql"``) or to the named query called ``text``."""
        bindings = tuple(sorted((name, encode_term(term)) for name, term in (substitutions or {}).items()))
        parts: tuple[Any, ...] = (
            kind, normalise(text) if kind == "sparql" else text, bindings, results_type, graph_type,
            dataset.default_graphs if dataset else None, dataset.named_graphs if dataset else None,
            default_graph_as_union, base_iri,
        )  # fmt: skip
        digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:24]
        return CacheKey(self.version, parts, digest)

    def get(self, key: CacheKey) -> QueryAnswer | None:
        """The answer kept for ``key`` (now the most recently used), or None; counts a hit or a miss."""
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self._counts["misses"] += 1
                return None
            self._entries.move_to_end(key)
            self._counts["hits"] += 1
            return answer

    def put(self, key: CacheKey, answer: QueryAnswer) -> bool:
        """Keep ``answer`` for ``key``, evicting the least recently used entries to stay within the cap.

        Returns:
            False (nothing kept) if the data changed since ``key`` was made, or the answer is
            larger than an eighth of the cap.
        """
        size = len(answer.body) + key.size
        with self._lock:
            if key.version != self.version or size > self.max_bytes // 8:
                return False
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous.body) + key.size
            self._entries[key] = answer
            self._bytes += size
            while self._bytes > self.max_bytes:
                old_key, old = self._entries.popitem(last=False)
                self._bytes -= len(old.body) + old_key.size
                self._counts["evictions"] += 1
            return True

    def invalidate(self, label: str | None = None) -> None:
        """The data changed (a write, or the build ``label`` is now served): drop every entry."""
        with self._lock:
            if label is not None:
                self._label, self._writes = label, 0
            else:
                self._writes += 1
            self._entries.clear()
            self._bytes = 0
            self._aliases.clear()
            self._alias_bytes = 0
            self._counts["invalidations"] += 1

    def remember(self, alias: tuple[bytes, bytes], key: CacheKey) -> None:
        """``alias`` (a GET's raw query string and Accept header) asks for ``key``'s answer."""
        size = len(alias[0]) + len(alias[1]) + _ENTRY_OVERHEAD
        with self._lock:
            if key.version != self.version or size > self.max_bytes // 64:
                return
            if self._aliases.pop(alias, None) is None:
                self._alias_bytes += size
            self._aliases[alias] = key
            while self._alias_bytes > self.max_bytes // 8:
                old, _ = self._aliases.popitem(last=False)
                self._alias_bytes -= len(old[0]) + len(old[1]) + _ENTRY_OVERHEAD

    def by_alias(self, alias: tuple[bytes, bytes]) -> tuple[CacheKey, QueryAnswer] | None:
        """The key and kept answer a raw request was seen to ask for (a hit), or None (nothing counted)."""
        with self._lock:
            key = self._aliases.get(alias)
            answer = self._entries.get(key) if key is not None else None
            if key is None or answer is None:
                return None
            self._entries.move_to_end(key)
            self._counts["hits"] += 1
            return key, answer

    def count(self, name: str) -> None:
        """Count a ``not_modified`` or an ``uncacheable`` answer."""
        with self._lock:
            self._counts[name] += 1

    def stats(self) -> CacheStats:
        """Counters and sizes."""
        with self._lock:
            c = self._counts
            return CacheStats(
                c["hits"], c["misses"], c["not_modified"], c["uncacheable"], c["evictions"], c["invalidations"],
                len(self._entries), self._bytes, self.max_bytes,
            )  # fmt: skip

    # --- HTTP -------------------------------------------------------------------------------

    def lookup(
        self, request: Request, key: CacheKey | None, *, max_age: int, alias: tuple[bytes, bytes] | None = None
    ) -> Response | None:
        """The answer to send without running the query: a 304 if ``If-None-Match`` holds the key's
        tag (GET and HEAD), the kept answer if there is one; else None (run it, then :meth:`respond`).
        ``alias``: the raw request, remembered for the next one."""
        if key is None:
            return None
        if alias is not None:
            self.remember(alias, key)
        if request.method in _CONDITIONAL_METHODS and _matches(request.headers.get("if-none-match"), key.etag):
            self.count("not_modified")
            return Response(status_code=304, headers=_validators(key, max_age))
        answer = self.get(key)
        if answer is None:
            return None
        return _response(answer, {**_validators(key, max_age), "X-Cache": "hit"})

    def respond(
        self, key: CacheKey | None, answer: QueryAnswer, *, max_age: int, alias: tuple[bytes, bytes] | None = None
    ) -> Response:
        """The response for a freshly computed ``answer``, kept under ``key`` (None: not cacheable)."""
        if key is None:
            self.count("uncacheable")
            return _response(answer, {"Cache-Control": NO_STORE})
        if self.put(key, answer) and alias is not None:
            self.remember(alias, key)
        return _response(answer, {**_validators(key, max_age), "X-Cache": "miss"})


def validators(key: CacheKey, max_age: int) -> dict[str, str]:
    """The caching headers of a cacheable answer (and of its 304)."""
    return _validators(key, max_age)


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match: header`` matches ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    return _matches(header, etag)


def _validators(key: CacheKey, max_age: int) -> dict[str, str]:
    return {"ETag": key.etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"}


def _response(answer: QueryAnswer, headers: dict[str, str]) -> Response:
    return Response(answer.body, media_type=answer.content_type, headers={"Vary": "Accept", **headers})


def _matches(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match: header`` matches ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    if not header:
        return False
    tags: Sequence[str] = [t.strip() for t in header.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag for t in tags)
