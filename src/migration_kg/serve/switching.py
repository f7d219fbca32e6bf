"""The executor the app holds while builds come and go: it hands each query to the current
:class:`~migration_kg.serve.pool.WorkerPool` and lets a replaced pool finish its queries.

:meth:`SwitchingExecutor.switch` makes a new pool current: a query that starts after it runs on
the new pool. A query that took the old pool before the switch runs there to its end;
:meth:`SwitchingExecutor.retire` waits for the last of them and then stops the old workers.
So no query is refused because of a switch (``serve.reload`` is the caller).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..store import GraphStore, QueryDataset
from .executor import ExecutorStats
from .pool import WorkerPool
from .worker import QueryAnswer

logger = logging.getLogger(__name__)

_TOTALS = ("queries_total", "timeouts_total", "crashes_total", "restarts_total", "rejected_total")


class SwitchingExecutor:
    """A :class:`~migration_kg.serve.executor.QueryExecutor` over the pool of the served build."""

    def __init__(self, pool: WorkerPool) -> None:
        """Serve queries from ``pool`` (started) until :meth:`switch`."""
        self.limits = pool.limits
        self._pool = pool
        self._users: Counter[int] = Counter()  # id(pool) -> queries running on it
        self._cond = threading.Condition()
        self._retired_totals: Counter[str] = Counter()  # the counters of replaced pools: ``*_total`` only grows

    @property
    def current(self) -> WorkerPool:
        """The pool new queries go to."""
        return self._pool

    def _take(self) -> WorkerPool:
        with self._cond:
            pool = self._pool
            self._users[id(pool)] += 1
            return pool

    def _give_back(self, pool: WorkerPool) -> None:
        with self._cond:
            self._users[id(pool)] -= 1
            if self._users[id(pool)] <= 0:
                del self._users[id(pool)]
                self._cond.notify_all()

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
        """:meth:`WorkerPool.execute <migration_kg.serve.executor.BaseExecutor.execute>` on the current pool."""
        pool = self._take()
        try:
            return pool.execute(
                text, results_type=results_type, graph_type=graph_type, substitutions=substitutions, dataset=dataset,
                default_graph_as_union=default_graph_as_union, base_iri=base_iri, deadline_s=deadline_s,
            )  # fmt: skip
        finally:
            self._give_back(pool)

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
        """:meth:`WorkerPool.execute_async` on the current pool."""
        pool = self._take()
        try:
            return await pool.execute_async(
                text, results_type=results_type, graph_type=graph_type, substitutions=substitutions, dataset=dataset,
                default_graph_as_union=default_graph_as_union, base_iri=base_iri, deadline_s=deadline_s,
            )  # fmt: skip
        finally:
            self._give_back(pool)

    def store_changed(self, store: GraphStore) -> None:
        """See :meth:`WorkerPool.store_changed`."""
        self._pool.store_changed(store)

    def switch(self, pool: WorkerPool) -> WorkerPool:
        """Send every query that starts from now on to ``pool`` (started); returns the pool it replaces."""
        with self._cond:
            old, self._pool = self._pool, pool
        totals = old.stats()
        with self._cond:
            for name in _TOTALS:
                self._retired_totals[name] += getattr(totals, name)
        return old

    def retire(self, pool: WorkerPool, *, timeout_s: float) -> None:
        """Wait until no query runs on ``pool`` any more (at most ``timeout_s``; a query cannot outlive its
        deadline), then stop its workers."""
        with self._cond:
            drained = self._cond.wait_for(lambda: self._users[id(pool)] == 0, timeout_s)
            self._users.pop(id(pool), None)
        if not drained:
            logger.warning("queries still ran on the replaced build's workers after %g s; stopping them", timeout_s)
        pool.close()

    def stats(self) -> ExecutorStats:
        """The current pool's gauges, and counters summed over every pool it has had."""
        stats = self._pool.stats()
        with self._cond:
            extra = {name: getattr(stats, name) + self._retired_totals[name] for name in _TOTALS}
        return dataclasses.replace(stats, **extra)

    def close(self) -> None:
        """Stop the current pool's workers."""
        self._pool.close()
