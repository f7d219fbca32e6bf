"""The load generator: query workloads, targets (in-process or HTTP) and the closed-loop client threads.

A *target* opens one *connection* per client thread; a connection runs one query text and
says how it went. Each client thread loops over the workload's queries (starting at a
different one per thread) on its own persistent keep-alive connection until the cell's
time or request budget is spent, recording every latency. No test asserts on these numbers.
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import pyoxigraph as ox

_TITLE = re.compile(r"^#\s*title:\s*(.*)$", re.MULTILINE)
ACCEPT_JSON = "application/sparql-results+json"


@dataclass(frozen=True)
class Query:
    """One workload query: its name (file stem), title and text."""

    name: str
    title: str
    text: str


def load_workload(folder: Path) -> list[Query]:
    """Every ``*.rq`` of ``folder``, sorted by name (the ``# title:`` header line is optional)."""
    queries = []
    for path in sorted(Path(folder).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        m = _TITLE.search(text)
        queries.append(Query(path.stem, m[1].strip() if m else path.stem, text))
    return queries


@dataclass(frozen=True)
class Outcome:
    """How one request went: ``ok``, ``error`` (non-200 or a broken answer) or ``timeout``; its rows when ok."""

    status: str
    rows: int | None = None
    detail: str = ""


def count_rows(body: bytes) -> int:
    """Solutions in a SPARQL JSON results document (an ASK counts as 1 if true, else 0)."""
    doc = json.loads(body)
    if "boolean" in doc:
        return int(bool(doc["boolean"]))
    return len(doc["results"]["bindings"])


class Connection(Protocol):
    """One client's channel to a target."""

    def run(self, text: str, *, count: bool = False) -> Outcome:
        """Run ``text``; with ``count``, parse the answer and return its row count."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


class Target(Protocol):
    """Something that answers SPARQL queries: an in-process store or an HTTP endpoint."""

    name: str

    def connect(self) -> Connection:
        """A new connection for one client thread."""
        ...


class InProcessConnection:
    """Calls pyoxigraph directly and writes SPARQL JSON, as a server would before sending it."""

    def __init__(self, store: ox.Store) -> None:
        """Query ``store`` (the union of its graphs is the default graph)."""
        self.store = store

    def run(self, text: str, *, count: bool = False) -> Outcome:
        """Evaluate and serialise ``text``."""
        try:
            result = self.store.query(text, use_default_graph_as_union=True)
            if isinstance(result, ox.QueryTriples):
                body = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
                return Outcome("ok", body.count(b"\n") if count else None)
            body = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
        except (SyntaxError, OSError, RuntimeError) as exc:
            return Outcome("error", detail=str(exc)[:200])
        return Outcome("ok", count_rows(body) if count else None)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class InProcessTarget:
    """pyoxigraph in this process: the engine's floor, no HTTP."""

    store: ox.Store
    name: str = "in-process"

    def connect(self) -> InProcessConnection:
        """A connection to the shared store."""
        return InProcessConnection(self.store)


class HttpConnection:
    """A persistent HTTP/1.1 keep-alive connection that sends ``GET path?query=…``."""

    def __init__(self, host: str, port: int, path: str, timeout: float) -> None:
        """Connect lazily to ``host:port``; ``timeout`` bounds each request (seconds)."""
        self.host, self.port, self.path, self.timeout = host, port, path, timeout
        self._conn: http.client.HTTPConnection | None = None
        self._urls: dict[str, str] = {}  # query text -> request target, encoded once (not timed per request)

    def run(self, text: str, *, count: bool = False) -> Outcome:
        """One GET; a timeout or a broken connection drops the connection (the next request reconnects)."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        url = self._urls.get(text)
        if url is None:
            url = self._urls[text] = f"{self.path}?{urlencode({'query': text})}"
        try:
            self._conn.request("GET", url, headers={"Accept": ACCEPT_JSON})
            response = self._conn.getresponse()
            body = response.read()
        except TimeoutError:
            self.close()
            return Outcome("timeout")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Outcome("error", detail=f"{type(exc).__name__}: {exc}"[:200])
        if response.status != 200:
            return Outcome("error", detail=f"HTTP {response.status}: {body[:200].decode('utf-8', 'replace')}")
        try:
            return Outcome("ok", count_rows(body) if count else None)
        except (ValueError, KeyError) as exc:
            return Outcome("error", detail=f"unreadable results: {exc}")

    def close(self) -> None:
        """Close the socket."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class HttpTarget:
    """A SPARQL endpoint on 127.0.0.1."""

    name: str
    port: int
    path: str
    timeout: float = 30.0
    host: str = "127.0.0.1"

    def connect(self) -> HttpConnection:
        """A new keep-alive connection."""
        return HttpConnection(self.host, self.port, self.path, self.timeout)


@dataclass
class CellResult:
    """What one (target, workload, clients) cell measured."""

    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    per_query_ms: dict[str, list[float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    capped: bool = False

    def summary(self) -> dict[str, Any]:
        """Median/p95 latency (ms, successful requests), throughput (successful requests/s), counts."""
        ok = sorted(self.latencies_ms)
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "ok": len(ok),
            "errors": self.errors,
            "timeouts": self.timeouts,
            "capped_by_request_budget": self.capped,
            "median_ms": round(statistics.median(ok), 3) if ok else None,
            "p95_ms": round(percentile(ok, 95), 3) if ok else None,
            "throughput_rps": round(len(ok) / self.seconds, 2) if self.seconds else None,
            "per_query_median_ms": {
                name: round(statistics.median(values), 3) for name, values in sorted(self.per_query_ms.items()) if values
            },
            "error_samples": self.error_samples[:5],
        }


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile of already sorted values (nearest rank)."""
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def run_cell(
    target: Target, queries: Sequence[Query], *, clients: int, seconds: float, max_requests: int,
    clock: Callable[[], float] = time.perf_counter, pick: Callable[[int, int], Query] | None = None,
) -> CellResult:
    """Run ``clients`` closed-loop client threads against ``target`` for ``seconds`` or ``max_requests`` requests.

    Each thread starts at a different query and cycles through ``queries``; a request that
    started before the deadline is waited for (bounded by the connection's own timeout).
    ``pick(client, n)``, if given, chooses the ``n``-th query of thread ``client`` instead.
    """
    result = CellResult(clients=clients, seconds=0.0)
    lock = threading.Lock()
    budget = [max_requests]
    start = clock()
    deadline = start + seconds

    def client(index: int) -> None:
        connection = target.connect()
        position = index * max(1, len(queries) // max(1, clients))
        try:
            while clock() < deadline:
                with lock:
                    if budget[0] <= 0:
                        result.capped = True
                        return
                    budget[0] -= 1
                query = pick(index, position) if pick is not None else queries[position % len(queries)]
                position += 1
                began = clock()
                outcome = connection.run(query.text)
                elapsed_ms = (clock() - began) * 1000
                with lock:
                    result.requests += 1
                    if outcome.status == "ok":
                        result.latencies_ms.append(elapsed_ms)
                        result.per_query_ms.setdefault(query.name, []).append(elapsed_ms)
                    elif outcome.status == "timeout":
                        result.timeouts += 1
                    else:
                        result.errors += 1
                        if len(result.error_samples) < 5:
                            result.error_samples.append(f"{query.name}: {outcome.detail}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = clock() - start
    return result


def check_answers(
    target: Target, queries: Sequence[Query], *, budget_s: float = 300.0,
    after_timeout: Callable[[], object] | None = None,
) -> dict[str, int | str]:
    """Run each query once (the warm-up) and return its row count, or ``error: …``, ``timeout`` or ``not tried``.

    After a timeout ``after_timeout`` is called (to wait until the server has given up on
    the abandoned query); once ``budget_s`` seconds are spent the rest are ``not tried``.
    """
    connection = target.connect()
    answers: dict[str, int | str] = {}
    deadline = time.monotonic() + budget_s
    try:
        for query in queries:
            if time.monotonic() > deadline:
                answers[query.name] = "not tried"
                continue
            outcome = connection.run(query.text, count=True)
            if outcome.status == "ok" and outcome.rows is not None:
                answers[query.name] = outcome.rows
            else:
                answers[query.name] = f"{outcome.status}: {outcome.detail}"[:200] if outcome.detail else outcome.status
                if outcome.status == "timeout" and after_timeout is not None:
                    after_timeout()
    finally:
        connection.close()
    return answers
