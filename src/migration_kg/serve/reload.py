"""Live rebuilds: serve a new ``data/current`` without refusing a single query.

:class:`Reloader` looks at the build ``data/current`` points at every ``Settings.reload_poll_s``
seconds, and at once when told (SIGHUP, ``POST /admin/reload``). When it points at a build other
than the served one, :meth:`Reloader.reload`

1. checks the new build (``store.verify_build``: its manifest, and the sha256 of its dump); a
   damaged build is refused, naming the file, and the old one keeps being served;
2. loads it: the in-process store and a new :class:`~migration_kg.serve.pool.WorkerPool`, both
   with the write journal replayed on top, as at start; the old workers answer meanwhile;
3. switches, while no write can start (``JournaledStore.hand_over``): the writes journaled since
   step 2 are applied to the new build, new queries go to the new workers, the result cache is
   emptied and its tags name the new build;
4. lets the queries running on the old workers finish there, then stops those workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from ..errors import BuildRefused, StoreError
from ..journal import Change, Journal, journal_path
from ..journaled_store import JournaledStore, warn_on_clashes
from ..settings import Settings
from ..store import DUMP_NAME, OxigraphStore, current_build, read_manifest, verify_build
from .executor import Limits
from .pool import WorkerPool
from .result_cache import ResultCache
from .switching import SwitchingExecutor

logger = logging.getLogger(__name__)

#: Seconds a replaced build's workers may take to finish their queries, beyond the query deadline.
_DRAIN_GRACE_S = 5.0


@dataclass(frozen=True)
class ReloadOutcome:
    """What :meth:`Reloader.reload` did: ``build`` is the id served afterwards (None: none)."""

    switched: bool
    build: str | None
    previous: str | None = None


def build_id_of(build: Path, manifest: dict[str, Any]) -> str:
    """The build's id as its manifest gives it (the folder name if it gives none)."""
    value = manifest.get("build_id")
    return value if isinstance(value, str) and value else build.name


class Reloader:
    """Loads the build ``data/current`` points at into ``app``, at start and whenever it changes."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        """Serve the builds of ``settings.data_dir`` in ``app`` (its ``state`` is filled here)."""
        self._app = app
        self._settings = settings
        self._lock = threading.Lock()  # one reload at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: Path | None = None  # a damaged build is not checked again every second

    # --- the watcher ------------------------------------------------------------------------

    def start(self) -> None:
        """Watch ``data/current`` in a background thread (every ``reload_poll_s``; 0: only when :meth:`wake` is called)."""
        self._thread = threading.Thread(target=self._watch, name="mkg-build-watcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at ``data/current`` now, and retry a refused build (SIGHUP). Returns at once."""
        self._refused = None
        self._wake.set()

    def close(self) -> None:
        """Stop watching (a reload under way finishes first)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _watch(self) -> None:
        interval = self._settings.reload_poll_s or None
        while not self._stop.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.reload(retry_refused=False)
            except StoreError:
                pass  # logged by reload; the old build is still served
            except Exception:  # a bug must not end the watching
                logger.exception("reloading the current build failed")

    # --- loading ----------------------------------------------------------------------------

    def reload(self, *, retry_refused: bool = True) -> ReloadOutcome:
        """Serve the build ``data/current`` points at, if it is not the one served. Blocks until done.

        Args:
            retry_refused: check again a build that was refused before (False: the watcher's
                polls, which would log the same refusal every second).

        Returns:
            Whether a new build is served now, and its id.

        Raises:
            BuildRefused: the new build is damaged or its workers cannot load it (the message
                names the file); the build served before is still served.
            StoreError: the first build cannot be served (``/readyz`` says why).
        """
        with self._lock:
            state = self._app.state
            served: Path | None = state.build
            target = current_build(self._settings.data_dir)
            if target is None or target == served or (not retry_refused and target == self._refused):
                return ReloadOutcome(False, state.build_id)
            try:
                previous = self._switch_to(target)
            except StoreError as exc:
                self._refused = target
                if served is None:
                    state.not_ready_reason = str(exc)
                    raise
                logger.warning("refused the new build %s (still serving %s): %s", target.name, state.build_id, exc)
                raise BuildRefused(f"the new build {target.name} is refused ({state.build_id} is served still): "
                                   f"{exc.message}", source=exc.source, line=exc.line) from exc
            self._refused = None
            return ReloadOutcome(True, state.build_id, previous)

    def _switch_to(self, build: Path) -> str | None:
        state = self._app.state
        settings = self._settings
        first = state.build is None
        manifest = read_manifest(build) if first else verify_build(build)  # at start, as before: no full read
        build_id = build_id_of(build, manifest)
        old_store: JournaledStore | None = state.store if isinstance(state.store, JournaledStore) else None
        journal = old_store.journal if old_store is not None else Journal(journal_path(settings.data_dir))
        # the changes so far, read while no write runs; those written while the build loads are taken at the switch
        changes = old_store.changes() if old_store is not None else journal.replay()
        inner = OxigraphStore.load_nquads(build / DUMP_NAME)
        for change in changes:
            inner.apply_ops(change.ops)
        read_only = [graph or None for graph in manifest.get("triples_per_graph", {})]
        cache: ResultCache = state.result_cache
        pool = WorkerPool(build / DUMP_NAME, workers=settings.query_workers, limits=Limits.from_settings(settings),
                          changes=changes)
        replaced: list[WorkerPool] = []

        def switch(every: Sequence[Change]) -> JournaledStore:
            for change in every[len(changes):]:
                inner.apply_ops(change.ops)
                pool.apply(change)
            store = JournaledStore(inner, journal, read_only_graphs=read_only,
                                   listener=partial(_change_journaled, pool, cache))
            warn_on_clashes(every, store.read_only)
            executor: SwitchingExecutor | None = state.executor
            if executor is None:
                state.executor = SwitchingExecutor(pool)
            else:
                replaced.append(executor.switch(pool))
            state.build, state.build_id, state.store, state.quads = build, build_id, store, store.quads_count()
            # after the workers' switch: an answer under the new tag can only come from the new build
            cache.invalidate(f"{build_id}.j{journal.seq}")
            return store

        previous: str | None = state.build_id
        try:
            pool.start()
            if old_store is None:
                switch(changes)
            else:
                old_store.hand_over(switch)
        except BaseException:
            pool.close()
            raise
        logger.info("serving build %s (%d quads, %d journaled writes, %d query workers)%s", build_id, state.quads,
                    journal.seq, settings.query_workers, f"; it replaces {previous}" if previous else "")
        for old_pool in replaced:  # the queries running there finish first
            state.executor.retire(old_pool, timeout_s=settings.query_timeout_s + _DRAIN_GRACE_S)
        return previous


def _change_journaled(pool: WorkerPool, cache: ResultCache, change: Change) -> None:
    """A write to the build's store is on disk: the workers take it before their next query, the cache empties."""
    pool.apply(change)
    cache.invalidate()
