"""Running queries with a deadline: a pool of worker processes, each with a copy of the graph.

pyoxigraph cannot cancel a query, so the served queries run in pre-started worker processes
(:class:`WorkerPool`), each holding the build's N-Quads dump in an in-memory store (3-4x
faster to query than the on-disk store). A worker parses, evaluates and serialises; the
server only relays the bytes. A query past its deadline gets its worker SIGKILLed and
replaced: the client gets :class:`~migration_kg.errors.QueryTimeout` (503), never a
truncated 200, and the other workers keep answering. A worker that dies on a query (a
crash of the engine) costs only that request (:class:`~migration_kg.errors.QueryCrashed`).

Both executors share one public API, used by ``/sparql`` and by named queries::

    answer = executor.execute(text, results_type=..., graph_type=..., substitutions={"s": term})
    Response(answer.body, media_type=answer.content_type)

At most ``max_pending`` queries are admitted at once (running plus waiting for a free
worker); the next one is refused at once with :class:`~migration_kg.errors.Overloaded`
(429, ``Retry-After``). Waiting for a worker counts towards the deadline.

:class:`InProcessExecutor` runs queries on an injected store in the calling thread (tests,
remote stores): same caps and admission, but no deadline can stop it.

Workers are started with the ``forkserver`` method: the server runs threads, and forking a
threaded process is unsafe; the forkserver preloads this module, so a new worker costs a
fork plus loading the dump.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol

from .. import errors
from ..errors import MigrationKGError, Overloaded, QueryCrashed, QueryTimeout, StoreError
from ..settings import Settings
from ..store import GraphStore, QueryDataset
from .worker import QueryAnswer, QueryJob, answer, encode_term, worker_main

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What one query may cost (from :class:`~migration_kg.settings.Settings`)."""

    deadline_s: float = 10.0
    max_rows: int = 100_000
    max_bytes: int = 50_000_000
    max_pending: int = 8

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """``query_timeout_s``, ``max_result_rows``, ``max_result_bytes``, ``max_concurrent_queries``."""
        return cls(
            settings.query_timeout_s, settings.max_result_rows, settings.max_result_bytes,
            settings.max_concurrent_queries,
        )  # fmt: skip


@dataclass(frozen=True)
class ExecutorStats:
    """A snapshot for ``/metrics`` and ``/readyz``; the ``*_total`` fields only grow."""

    mode: str
    workers: int
    workers_ready: int
    in_flight: int
    waiting: int
    queries_total: int
    timeouts_total: int
    crashes_total: int
    restarts_total: int
    rejected_total: int


class QueryExecutor(Protocol):
    """What the web layer needs from an executor."""

    limits: Limits

    def execute(
        self,
        text: str,
        *,
        results_type: str | None,
        graph_type: str | None,
        substitutions: Mapping[str, Any] | None = None,
        dataset: QueryDataset | None = None,
        default_graph_as_union: bool = True,
        base_iri: str | None = None,
        deadline_s: float | None = None,
    ) -> QueryAnswer:
        """Run a query and return its serialised answer; see :meth:`_Admitting.execute`."""
        ...

    def store_changed(self, store: GraphStore) -> None:
        """``store`` was written to: later queries must see the change."""
        ...

    def stats(self) -> ExecutorStats:
        """Counters and gauges."""
        ...

    def close(self) -> None:
        """Stop every worker."""
        ...


class _Admitting:
    """Admission, counters and :meth:`execute`; subclasses implement :meth:`_run`."""

    mode = "abstract"

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._admission = threading.BoundedSemaphore(limits.max_pending)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def execute(
        self,
        text: str,
        *,
        results_type: str | None,
        graph_type: str | None,
        substitutions: Mapping[str, Any] | None = None,
        dataset: QueryDataset | None = None,
        default_graph_as_union: bool = True,
        base_iri: str | None = None,
        deadline_s: float | None = None,
    ) -> QueryAnswer:
        """Run the query ``text`` and serialise its answer.

        Args:
            text: the SPARQL query (check it with ``guard`` first).
            results_type: media type for a SELECT/ASK answer (from ``formats.RESULT_OFFERS``),
                None if the client accepts none.
            graph_type: media type for a CONSTRUCT/DESCRIBE answer (``formats.RDF_OFFERS``), or None.
            substitutions: variable name -> pyoxigraph or rdflib term, bound before evaluation.
            dataset, default_graph_as_union, base_iri: as for :meth:`OxigraphStore.query`.
            deadline_s: overrides ``limits.deadline_s`` for this query.

        Returns:
            The answer: ``body``, ``media_type``/``content_type``, ``is_graph``.

        Raises:
            Overloaded (429): ``limits.max_pending`` queries are already admitted.
            QueryError (400), NotAcceptable (406), ResultTooLarge (422): from the worker.
            QueryTimeout (503): the deadline passed (the worker was killed and is replaced).
            QueryCrashed (503): the worker died on this query (it is replaced).
            StoreError (503): no worker could be started, or the store failed.
        """
        job = QueryJob(
            text,
            results_type,
            graph_type,
            self.limits.max_rows,
            self.limits.max_bytes,
            tuple((name, encode_term(term)) for name, term in (substitutions or {}).items()),
            dataset,
            default_graph_as_union,
            base_iri,
        )
        if not self._admission.acquire(blocking=False):
            self._count("rejected")
            raise Overloaded(f"{self.limits.max_pending} queries are running or waiting; try again in a moment")
        deadline = time.monotonic() + (deadline_s or self.limits.deadline_s)
        try:
            self._count("queries")
            return self._run(job, deadline, deadline_s or self.limits.deadline_s)
        finally:
            self._admission.release()

    def _run(self, job: QueryJob, deadline: float, deadline_s: float) -> QueryAnswer:
        raise NotImplementedError

    def _count(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] += by

    def _stats(self, workers: int, ready: int, waiting: int) -> ExecutorStats:
        with self._lock:
            c = self._counts
            return ExecutorStats(
                self.mode, workers, ready, c["in_flight"], waiting, c["queries"], c["timeouts"],
                c["crashes"], c["restarts"], c["rejected"],
            )  # fmt: skip


class InProcessExecutor(_Admitting):
    """Queries on an injected store, in the calling thread: caps and admission, no deadline."""

    mode = "in-process"

    def __init__(self, store: GraphStore, limits: Limits) -> None:
        super().__init__(limits)
        self._store = store

    def _run(self, job: QueryJob, deadline: float, deadline_s: float) -> QueryAnswer:
        self._count("in_flight")
        try:
            return answer(self._store, job)
        finally:
            self._count("in_flight", -1)

    def store_changed(self, store: GraphStore) -> None:
        """Nothing to do: queries read the store itself."""
        self._store = store

    def stats(self) -> ExecutorStats:
        """Counters; ``workers`` is 0 (no processes)."""
        return self._stats(0, 0, 0)

    def close(self) -> None:
        """Nothing to stop."""


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    generation: int


class WorkerPool(_Admitting):
    """``workers`` processes, each with the graph of an N-Quads dump in memory.

    Call :meth:`start` (or use it as a context manager), then :meth:`execute` from any thread.
    """

    mode = "processes"

    def __init__(
        self, dump: Path, *, workers: int, limits: Limits, start_timeout_s: float = 600.0, method: str = "forkserver"
    ) -> None:
        super().__init__(limits)
        self._dump = Path(dump)
        self._size = workers
        self._start_timeout_s = start_timeout_s
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload([__name__])
        self._cond = threading.Condition(self._lock)
        self._idle: deque[_Worker] = deque()
        self._live = 0  # workers of the current generation that are running or starting
        self._waiting = 0
        self._generation = 0
        self._closed = False
        self._last_error = ""
        self._reload_lock = threading.Lock()
        self._tempdir: Path | None = None

    def __enter__(self) -> WorkerPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers and wait until each has loaded the dump.

        Raises:
            StoreError: a worker could not load the dump (the message says why) or took
                longer than ``start_timeout_s``.
        """
        fresh = self._start_generation(self._dump, 0)
        with self._cond:
            self._idle.extend(fresh)
            self._live = len(fresh)
            self._cond.notify_all()

    def reload(self, dump: Path) -> None:
        """Serve the graph in ``dump`` from now on: new workers load it, then replace the old ones.

        Queries keep being answered from the old data while the new workers load; a running
        query finishes on the old data. Blocks until the new workers are ready.

        Raises:
            StoreError: the new workers could not load ``dump`` (the old ones keep serving).
        """
        with self._reload_lock:
            with self._cond:
                generation = self._generation + 1
            fresh = self._start_generation(Path(dump), generation)
            with self._cond:
                old = list(self._idle)
                self._idle = deque(fresh)
                self._dump, self._generation, self._live = Path(dump), generation, len(fresh)
                self._cond.notify_all()
            for worker in old:
                self._stop(worker)

    def store_changed(self, store: GraphStore) -> None:
        """Dump ``store`` (after a write) into a private temporary folder and :meth:`reload` from it.

        Raises:
            StoreError: the dump or the reload failed (the old data keeps being served).
        """
        if self._tempdir is None:
            self._tempdir = Path(tempfile.mkdtemp(prefix="mkg-executor-"))
        previous = self._dump
        dump = self._tempdir / f"graph-{time.monotonic_ns()}.nq"
        store.dump(dump)
        try:
            self.reload(dump)
        except StoreError:
            dump.unlink(missing_ok=True)
            raise
        if previous.parent == self._tempdir:
            previous.unlink(missing_ok=True)

    def stats(self) -> ExecutorStats:
        """Counters and gauges; ``workers_ready`` counts workers of the current data, idle or busy."""
        with self._cond:
            ready = len([w for w in self._idle if w.generation == self._generation]) + self._counts["in_flight"]
            waiting = self._waiting
        return self._stats(self._size, min(ready, self._size), waiting)

    def close(self) -> None:
        """Stop every worker (busy ones are killed) and remove temporary dumps."""
        with self._cond:
            self._closed = True
            idle, self._idle = list(self._idle), deque()
            self._cond.notify_all()
        for worker in idle:
            self._stop(worker)
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)

    # --- running a query --------------------------------------------------------------------

    def _run(self, job: QueryJob, deadline: float, deadline_s: float) -> QueryAnswer:
        worker = self._checkout(deadline, deadline_s)
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._lose(worker, "timeouts")
                raise QueryTimeout(f"the query ran past its deadline of {deadline_s:g} s and was stopped")
            reply = worker.conn.recv()
        except (EOFError, OSError):
            code = self._lose(worker, "crashes")
            raise QueryCrashed(
                f"the query engine died while running this query ({_exit_reason(code)}); it was restarted"
            ) from None
        finally:
            self._count("in_flight", -1)
        self._checkin(worker)
        return _unpack(reply)

    def _checkout(self, deadline: float, deadline_s: float) -> _Worker:
        with self._cond:
            self._waiting += 1
            try:
                while not self._idle:
                    if self._closed:
                        raise StoreError("the query executor is shut down")
                    if self._live == 0:
                        raise StoreError(f"no query worker is running: {self._last_error or 'none started'}")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._counts["timeouts"] += 1
                        raise QueryTimeout(f"no query worker became free within the deadline of {deadline_s:g} s")
                    self._cond.wait(remaining)
                self._counts["in_flight"] += 1
                return self._idle.popleft()
            finally:
                self._waiting -= 1

    def _checkin(self, worker: _Worker) -> None:
        with self._cond:
            if not self._closed and worker.generation == self._generation:
                self._idle.append(worker)
                self._cond.notify()
                return
        self._stop(worker)

    def _lose(self, worker: _Worker, reason: str) -> int | None:
        """Kill ``worker`` (timed out or died) and start its replacement in the background."""
        worker.process.kill()  # SIGKILL: the engine cannot be interrupted any other way
        worker.process.join(timeout=5)
        worker.conn.close()
        self._count(reason)
        code = worker.process.exitcode
        logger.warning("query worker %s lost (%s, %s)", worker.process.pid, reason, _exit_reason(code))
        threading.Thread(target=self._replace, args=(worker.generation,), name="mkg-worker-respawn", daemon=True).start()
        return code

    def _replace(self, generation: int) -> None:
        with self._cond:
            if self._closed or generation != self._generation:
                return
            dump = self._dump
        try:
            (worker,) = self._start_generation(dump, generation, count=1)
        except StoreError as exc:
            logger.error("cannot restart a query worker: %s", exc)
            with self._cond:
                if generation == self._generation:
                    self._live -= 1
                    self._last_error = str(exc)
                    self._cond.notify_all()
            return
        self._count("restarts")
        self._checkin(worker)

    # --- processes --------------------------------------------------------------------------

    def _start_generation(self, dump: Path, generation: int, *, count: int | None = None) -> list[_Worker]:
        started = [self._spawn(dump, generation) for _ in range(count or self._size)]
        try:
            for worker in started:
                self._await_ready(worker)
        except StoreError:
            for worker in started:
                self._stop(worker)
            raise
        return started

    def _spawn(self, dump: Path, generation: int) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(  # type: ignore[attr-defined]
            target=worker_main, args=(child_end, str(dump)), name="mkg-query-worker", daemon=True
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end, generation)

    def _await_ready(self, worker: _Worker) -> None:
        try:
            if not worker.conn.poll(self._start_timeout_s):
                raise StoreError(f"a query worker did not load the graph within {self._start_timeout_s:g} s")
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            raise StoreError(f"a query worker died while loading ({_exit_reason(worker.process.exitcode)})") from None
        if message[0] != "ready":
            raise StoreError(f"a query worker could not load the graph: {message[1]}")

    def _stop(self, worker: _Worker) -> None:
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.process.join(timeout=2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()


def _unpack(reply: tuple[Any, ...]) -> QueryAnswer:
    if reply[0] == "ok":
        result: QueryAnswer = reply[1]
        return result
    if reply[0] == "error":
        kind = getattr(errors, reply[1], None)
        if isinstance(kind, type) and issubclass(kind, MigrationKGError):
            raise kind(reply[2])
        raise StoreError(reply[2])
    raise RuntimeError(f"query worker failed: {reply[1]}")  # a bug: answered 500, logged


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
