"""Running queries with a deadline: a pool of worker processes, each with a copy of the graph.

pyoxigraph cannot cancel a query, so the served queries run in pre-started worker processes
(:class:`~migration_kg.serve.pool.WorkerPool`), each holding the build's N-Quads dump in an
in-memory store (3-4x faster to query than the on-disk store). A worker parses, evaluates and serialises; the
server only relays the bytes. A query past its deadline gets its worker SIGKILLed and
replaced: the client gets :class:`~migration_kg.errors.QueryTimeout` (503), never a
truncated 200, and the other workers keep answering. A worker that dies on a query (a
crash of the engine) costs only that request (:class:`~migration_kg.errors.QueryCrashed`).

Both executors share one public API, used by ``/sparql`` and by named queries::

    answer = executor.execute(text, results_type=..., graph_type=..., substitutions={"s": term})
    answer = await executor.execute_async(text, ...)  # the same, from the event loop
    Response(answer.body, media_type=answer.content_type)

``execute_async`` is what the web handlers use: :class:`WorkerPool` waits for the worker's
answer on the event loop itself (no thread-pool hop, about 0.15 ms less per request), and
falls back to a thread only to wait for a busy pool or to kill a worker.

At most ``max_pending`` queries are admitted at once (running plus waiting for a free
worker); the next one is refused at once with :class:`~migration_kg.errors.Overloaded`
(429, ``Retry-After``). Waiting for a worker counts towards the deadline.

:class:`InProcessExecutor` runs queries on an injected store in the calling thread (tests,
remote stores): same caps and admission, but no deadline can stop it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from ..errors import Overloaded
from ..settings import Settings
from ..store import GraphStore, QueryDataset
from .worker import QueryAnswer, QueryJob, answer, encode_term


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
    #: Process ids of the live query workers (empty in process): for probes, and tests that kill one.
    worker_pids: tuple[int, ...] = ()


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
        """Run a query and return its serialised answer; see :meth:`BaseExecutor.execute`."""
        ...

    async def execute_async(
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
        """:meth:`execute` for the event loop: never blocks it; see :meth:`BaseExecutor.execute_async`."""
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


class BaseExecutor:
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
        job = self._job(text, results_type, graph_type, substitutions, dataset, default_graph_as_union, base_iri)
        deadline_s = deadline_s or self.limits.deadline_s
        with self._admitted():
            return self._run(job, time.monotonic() + deadline_s, deadline_s)

    async def execute_async(
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
        """:meth:`execute` without blocking the event loop (here: in the thread pool). Same
        arguments, answer and errors."""
        call = partial(
            self.execute, text, results_type=results_type, graph_type=graph_type, substitutions=substitutions,
            dataset=dataset, default_graph_as_union=default_graph_as_union, base_iri=base_iri, deadline_s=deadline_s,
        )  # fmt: skip
        return await run_in_threadpool(call)

    def _job(
        self,
        text: str,
        results_type: str | None,
        graph_type: str | None,
        substitutions: Mapping[str, Any] | None,
        dataset: QueryDataset | None,
        default_graph_as_union: bool,
        base_iri: str | None,
    ) -> QueryJob:
        return QueryJob(
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

    @contextmanager
    def _admitted(self) -> Iterator[None]:
        """Hold one of ``limits.max_pending`` admissions and count the query.

        Raises:
            Overloaded: every admission is taken.
        """
        if not self._admission.acquire(blocking=False):
            self._count("rejected")
            raise Overloaded(
                f"too many queries are running or waiting ({self.limits.max_pending}); try again in a moment"
            )
        try:
            self._count("queries")
            yield
        finally:
            self._admission.release()

    def _run(self, job: QueryJob, deadline: float, deadline_s: float) -> QueryAnswer:
        raise NotImplementedError

    def _count(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] += by

    def _stats(self, workers: int, ready: int, waiting: int, pids: tuple[int, ...] = ()) -> ExecutorStats:
        with self._lock:
            c = self._counts
            return ExecutorStats(
                self.mode, workers, ready, c["in_flight"], waiting, c["queries"], c["timeouts"],
                c["crashes"], c["restarts"], c["rejected"], pids,
            )  # fmt: skip


class InProcessExecutor(BaseExecutor):
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
