"""The worker processes behind :class:`WorkerPool`: start, deadline, kill, replace, reload.

See ``serve/executor.py`` for the contract. Workers are started with the ``forkserver``
method: the server runs threads, and forking a threaded process is unsafe; the forkserver
preloads the worker module, so a new worker costs a fork plus loading the dump. Like any
``multiprocessing`` user, a script that starts a pool must guard its entry point with
``if __name__ == "__main__":`` (the console script and ``uvicorn`` do).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as _wait_readable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from .. import errors
from ..errors import MigrationKGError, QueryCrashed, QueryTimeout, StoreError
from ..journal import Change, Op
from ..store import GraphStore, QueryDataset
from .executor import BaseExecutor, ExecutorStats, Limits
from .worker import QueryAnswer, QueryJob, worker_main

logger = logging.getLogger(__name__)

#: Answers up to this size are read on the event loop (the worker writes them at memory speed);
#: larger ones are read in a thread, so the loop never waits for a big copy.
_INLINE_BODY_BYTES = 1 << 20
#: Query texts up to this size are sent from the event loop (a pipe holds 64 KiB unread).
_INLINE_TEXT_CHARS = 16_384
#: How soon an idle worker is watched for its death after it is put back (it is noticed at once after).
_WATCH_S = 0.5


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    generation: int
    applied: int  # how many of the pool's changes this worker's store holds


class WorkerPool(BaseExecutor):
    """``workers`` processes, each with the graph of an N-Quads dump in memory.

    Call :meth:`start` (or use it as a context manager), then :meth:`execute` from any thread.
    """

    mode = "processes"

    def __init__(
        self, dump: Path, *, workers: int, limits: Limits, start_timeout_s: float = 600.0, method: str = "forkserver",
        changes: Sequence[Change] = (),
    ) -> None:
        """Serve the N-Quads ``dump`` plus ``changes`` (journaled writes, applied in order after loading it)."""
        super().__init__(limits)
        self._dump = Path(dump)
        self._changes: list[tuple[Op, ...]] = [change.ops for change in changes]
        self._base = 0  # how many of the changes the dump already holds
        self._size = workers
        self._start_timeout_s = start_timeout_s
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload([worker_main.__module__])
        self._cond = threading.Condition(self._lock)
        self._idle: deque[_Worker] = deque()
        self._members: set[_Worker] = set()  # the workers of the current generation, idle or busy
        self._live = 0  # workers of the current generation that are running or starting
        self._waiting = 0
        self._generation = 0
        self._closed = False
        self._last_error = ""
        self._reload_lock = threading.RLock()  # one reload (and dump) at a time, in the order of the writes
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
        fresh = self._start_generation(self._dump, 0, applied=0)
        with self._cond:
            self._idle.extend(fresh)
            self._members = set(fresh)
            self._live = len(fresh)
            self._cond.notify_all()
        threading.Thread(target=self._watch_idle, name="mkg-worker-watch", daemon=True).start()

    def reload(self, dump: Path, *, applied: int = 0) -> None:
        """Serve the graph in ``dump`` from now on: new workers load it, then replace the old ones.

        Queries keep being answered from the old data while the new workers load; a running
        query finishes on the old data. Blocks until the new workers are ready.

        Args:
            applied: how many of the pool's changes ``dump`` already holds (the rest are applied on top).

        Raises:
            StoreError: the new workers could not load ``dump`` (the old ones keep serving).
        """
        with self._reload_lock:
            with self._cond:
                generation = self._generation + 1
            fresh = self._start_generation(Path(dump), generation, applied=applied)
            with self._cond:
                old = list(self._idle)
                self._idle = deque(fresh)
                self._members = set(fresh)
                self._dump, self._generation, self._live = Path(dump), generation, len(fresh)
                self._base = applied
                self._cond.notify_all()
            for worker in old:
                self._stop(worker)

    def apply(self, change: Change) -> None:
        """A write is on disk: every worker applies its operations before its next query.

        This is the write path of a served build (``JournaledStore``): it costs the size of the
        change, sent once to each worker, never a reload of the graph.
        """
        with self._cond:
            self._changes.append(change.ops)

    def store_changed(self, store: GraphStore) -> None:
        """Dump ``store`` (changed behind the pool's back) into a private temporary folder and
        :meth:`reload` from it: the whole graph, in every worker. Writes to a served build use
        :meth:`apply` instead.

        Raises:
            StoreError: the dump or the reload failed (the old data keeps being served).
        """
        with self._reload_lock:
            if self._tempdir is None:
                self._tempdir = Path(tempfile.mkdtemp(prefix="mkg-executor-"))
            previous = self._dump
            dump = self._tempdir / f"graph-{time.monotonic_ns()}.nq"
            with self._cond:
                applied = len(self._changes)
            store.dump(dump)
            try:
                self.reload(dump, applied=applied)
            except StoreError:
                dump.unlink(missing_ok=True)
                raise
            if previous.parent == self._tempdir:
                previous.unlink(missing_ok=True)

    def stats(self) -> ExecutorStats:
        """Counters and gauges; ``workers_ready`` counts the live workers of the current data, idle or
        busy (one that died is not counted, even before a query finds it dead), ``worker_pids`` their
        process ids."""
        pids = self.worker_pids()
        with self._cond:
            waiting = self._waiting
        return self._stats(self._size, len(pids), waiting, pids)

    def worker_pids(self) -> tuple[int, ...]:
        """The process ids of the live workers of the current data, idle or busy, sorted (read-only:
        for probes and for tests that kill one)."""
        with self._cond:
            members = list(self._members)
        return tuple(sorted(w.process.pid for w in members if w.process.pid is not None and _alive(w)))

    def close(self) -> None:
        """Stop the idle workers now and each busy one when its query ends; remove temporary dumps."""
        with self._cond:
            self._closed = True
            idle, self._idle = list(self._idle), deque()
            self._members.clear()
            self._cond.notify_all()
        for worker in idle:
            self._stop(worker)
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)

    # --- running a query --------------------------------------------------------------------

    def _run(self, job: QueryJob, deadline: float, deadline_s: float) -> QueryAnswer:
        worker = self._checkout(deadline, deadline_s)
        while not worker.process.is_alive():  # died while idle (e.g. the OOM killer): not this query's fault
            self._count("in_flight", -1)
            self._lose(worker, "crashes")
            worker = self._checkout(deadline, deadline_s)
        try:
            self._catch_up(worker)
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._lose(worker, "timeouts")
                raise _timeout(deadline_s)
            reply = worker.conn.recv()
            body = worker.conn.recv_bytes() if reply[0] == "ok" else b""
        except (EOFError, OSError):
            raise _crashed(self._lose(worker, "crashes")) from None
        finally:
            self._count("in_flight", -1)
        self._checkin(worker)
        return _unpack(reply, body)

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
        """:meth:`execute` from the event loop: with an idle worker at hand, the job is sent and
        the answer awaited on the loop itself (no thread); waiting for a busy pool, killing a
        worker and reading a big answer happen in the thread pool. Same answer and errors."""
        job = self._job(text, results_type, graph_type, substitutions, dataset, default_graph_as_union, base_iri)
        deadline_s = deadline_s or self.limits.deadline_s
        with self._admitted():
            deadline = time.monotonic() + deadline_s
            worker = self._try_checkout() if len(text) <= _INLINE_TEXT_CHARS else None
            if worker is None:  # every worker busy (or a long text): the blocking path, in a thread
                return await run_in_threadpool(self._run, job, deadline, deadline_s)
            return await self._run_on_loop(worker, job, deadline, deadline_s)

    async def _run_on_loop(self, worker: _Worker, job: QueryJob, deadline: float, deadline_s: float) -> QueryAnswer:
        handed_off = False
        try:
            try:
                worker.conn.send(job)
                try:
                    readable = await _readable(worker.conn, deadline - time.monotonic())
                except asyncio.CancelledError:  # the request was abandoned: a thread finishes with this worker
                    handed_off = True
                    threading.Thread(
                        target=self._drain, args=(worker, deadline), name="mkg-worker-drain", daemon=True
                    ).start()
                    raise
                if not readable:
                    await run_in_threadpool(self._lose, worker, "timeouts")
                    raise _timeout(deadline_s)
                reply = worker.conn.recv()
                body = b""
                if reply[0] == "ok":
                    body = worker.conn.recv_bytes() if reply[3] <= _INLINE_BODY_BYTES else await self._read_big(worker)
            except (EOFError, OSError):
                raise _crashed(await run_in_threadpool(self._lose, worker, "crashes")) from None
        finally:
            if not handed_off:
                self._count("in_flight", -1)
        if not self._return(worker):
            await run_in_threadpool(self._stop, worker)
        return _unpack(reply, body)

    async def _read_big(self, worker: _Worker) -> bytes:
        """Read a big answer in a thread; if the request is abandoned meanwhile, the worker is put back once it is read."""
        reading = asyncio.ensure_future(run_in_threadpool(worker.conn.recv_bytes))
        try:
            return await asyncio.shield(reading)
        except asyncio.CancelledError:
            reading.add_done_callback(lambda _: self._return_or_stop_in_background(worker))
            raise

    def _return_or_stop_in_background(self, worker: _Worker) -> None:
        if not self._return(worker):
            threading.Thread(target=self._stop, args=(worker,), name="mkg-worker-stop", daemon=True).start()

    def _drain(self, worker: _Worker, deadline: float) -> None:
        """Wait (in a thread) for the answer nobody waits for any more, then reuse the worker, or kill it at the deadline."""
        try:
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._lose(worker, "timeouts")
                return
            if worker.conn.recv()[0] == "ok":
                worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._lose(worker, "crashes")
            return
        finally:
            self._count("in_flight", -1)
        self._checkin(worker)

    def _try_checkout(self) -> _Worker | None:
        """An idle, live worker of the current data and changes (counted in flight), or None without waiting."""
        with self._cond:
            if self._closed or not self._idle or not self._idle[0].process.is_alive():
                return None  # the blocking path handles shut-down, waiting and dead workers
            if self._idle[0].applied < len(self._changes):
                return None  # it has changes to catch up on: sent from a thread, never from the loop
            self._counts["in_flight"] += 1
            return self._idle.popleft()

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

    def _catch_up(self, worker: _Worker) -> None:
        """Send ``worker`` the changes it does not hold yet; it applies them before reading the next job.

        Raises:
            OSError: the pipe is broken (the worker died).
        """
        with self._cond:
            pending = self._changes[worker.applied :]
        if pending:
            worker.conn.send(("apply", pending))
            worker.applied += len(pending)

    def _checkin(self, worker: _Worker) -> None:
        if not self._return(worker):
            self._stop(worker)

    def _return(self, worker: _Worker) -> bool:
        """Put ``worker`` back among the idle ones; False if it serves old data or the pool is closed (stop it)."""
        with self._cond:
            if not self._closed and worker.generation == self._generation:
                self._idle.append(worker)
                self._cond.notify()
                return True
        return False

    def _lose(self, worker: _Worker, reason: str) -> int | None:
        """Kill ``worker`` (timed out or died) and start its replacement in the background."""
        with self._cond:
            self._members.discard(worker)
        worker.process.kill()  # SIGKILL: the engine cannot be interrupted any other way
        worker.process.join(timeout=5)
        worker.conn.close()
        self._count(reason)
        code = worker.process.exitcode
        logger.warning("query worker %s lost (%s, %s)", worker.process.pid, reason, _exit_reason(code))
        threading.Thread(target=self._replace, args=(worker.generation,), name="mkg-worker-respawn", daemon=True).start()
        return code

    def _watch_idle(self) -> None:
        """Replace a worker that dies while idle (the OOM killer, an operator's ``kill``) as soon as it
        dies, not when a query next picks it: the pool is whole again without waiting for traffic. A
        busy worker's death is its query's to find (``EOFError``); an idle one is watched again within
        :data:`_WATCH_S` of being put back."""
        while True:
            with self._cond:
                if self._closed:
                    return
                idle = {worker.process.sentinel: worker for worker in self._idle}
            if not idle:
                time.sleep(_WATCH_S)
                continue
            for sentinel in _wait_readable(list(idle), _WATCH_S):
                worker = idle[sentinel]  # type: ignore[index]
                with self._cond:
                    if worker not in self._idle:  # a query took it meanwhile, and finds it dead itself
                        continue
                    self._idle.remove(worker)
                self._lose(worker, "crashes")

    def _replace(self, generation: int) -> None:
        with self._cond:
            if self._closed or generation != self._generation:
                return
            dump, applied = self._dump, self._base
        try:
            (worker,) = self._start_generation(dump, generation, applied=applied, count=1)
        except StoreError as exc:
            logger.error("cannot restart a query worker: %s", exc)
            with self._cond:
                if generation == self._generation:
                    self._live -= 1
                    self._last_error = str(exc)
                    self._cond.notify_all()
            return
        self._count("restarts")
        with self._cond:
            if not self._closed and generation == self._generation:
                self._members.add(worker)
        self._checkin(worker)

    # --- processes --------------------------------------------------------------------------

    def _start_generation(self, dump: Path, generation: int, *, applied: int, count: int | None = None) -> list[_Worker]:
        started = [self._spawn(dump, generation, applied) for _ in range(count or self._size)]
        try:
            for worker in started:
                self._await_ready(worker)
                self._catch_up(worker)  # now, not on its first query
        except (StoreError, OSError) as exc:
            for worker in started:
                self._stop(worker)
            if isinstance(exc, OSError):
                raise StoreError(f"a query worker died while loading: {exc}") from exc
            raise
        return started

    def _spawn(self, dump: Path, generation: int, applied: int) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(  # type: ignore[attr-defined]
            target=worker_main, args=(child_end, str(dump)), name="mkg-query-worker", daemon=True
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end, generation, applied)

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
        with self._cond:
            self._members.discard(worker)
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.process.join(timeout=2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()


def _alive(worker: _Worker) -> bool:
    """Whether ``worker``'s process runs, without reaping it: its sentinel becomes readable when it ends
    (``is_alive`` would consume the exit status, which a concurrent ``join`` needs)."""
    return not _wait_readable([worker.process.sentinel], 0)


async def _readable(conn: Connection, timeout: float) -> bool:
    """Wait on the event loop until ``conn`` has something to read (True) or ``timeout`` seconds pass (False)."""
    if conn.poll():
        return True
    if timeout <= 0:
        return False
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = conn.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(True)

    loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
        os.set_blocking(fd, True)  # uvloop makes a watched fd non-blocking; Connection.recv needs it blocking


def _timeout(deadline_s: float) -> QueryTimeout:
    return QueryTimeout(f"the query ran past its deadline of {deadline_s:g} s and was stopped")


def _crashed(code: int | None) -> QueryCrashed:
    return QueryCrashed(f"the query engine died while running this query ({_exit_reason(code)}); it was restarted")


def _unpack(reply: tuple[Any, ...], body: bytes) -> QueryAnswer:
    if reply[0] == "ok":
        return QueryAnswer(body, reply[1], reply[2])
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
