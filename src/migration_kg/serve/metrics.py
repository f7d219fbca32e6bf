"""Operations metrics in the Prometheus text exposition format 0.0.4.

https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

One :class:`Metrics` per app (``app.state.metrics``, no global registry): the
:class:`MetricsMiddleware` counts every HTTP request by route template, method and status
and times it; ``serve/errors.py`` counts every error answer by its kind; the query
executor's counters and gauges are read when ``/metrics`` is scraped (:func:`render`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .executor import ExecutorStats
from .result_cache import CacheStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Latency buckets in seconds (upper bounds; ``+Inf`` is added).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_UNMATCHED = "unmatched"


class Metrics:
    """HTTP counters and latency histograms, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str, str]] = Counter()
        self._errors: Counter[tuple[str, str]] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and add its duration to the route's histogram."""
        with self._lock:
            self._requests[(route, method, str(status))] += 1
            buckets = self._buckets.setdefault(route, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            buckets[-1] += 1
            self._sums[route] = self._sums.get(route, 0.0) + seconds

    def count_error(self, kind: str, status: int) -> None:
        """Count one error answer (``kind`` is the error class, e.g. ``QueryTimeout``)."""
        with self._lock:
            self._errors[(kind, str(status))] += 1

    def render(self, executor: ExecutorStats | None, cache: CacheStats | None = None) -> str:
        """Every metric in the text format, with the executor's and the result cache's if there are."""
        with self._lock:
            requests, errors = dict(self._requests), dict(self._errors)
            buckets = {route: list(counts) for route, counts in self._buckets.items()}
            sums = dict(self._sums)
        out: list[str] = []
        _family(out, "mkg_http_requests_total", "counter", "HTTP requests answered, by route template, method and status.")
        for (route, method, status), value in sorted(requests.items()):
            out.append(_sample("mkg_http_requests_total", value, route=route, method=method, status=status))
        name = "mkg_http_request_duration_seconds"
        _family(out, name, "histogram", "Time from request to the end of the answer, by route template.")
        for route in sorted(buckets):
            counts = buckets[route]
            for bound, value in zip((*(f"{b:g}" for b in BUCKETS), "+Inf"), counts, strict=True):
                out.append(_sample(name + "_bucket", value, route=route, le=bound))
            out.append(_sample(name + "_sum", sums[route], route=route))
            out.append(_sample(name + "_count", counts[-1], route=route))
        _family(out, "mkg_http_errors_total", "counter", "Error answers, by error kind and status (429, 4xx, 503 ...).")
        for (kind, status), value in sorted(errors.items()):
            out.append(_sample("mkg_http_errors_total", value, error=kind, status=status))
        if executor is not None:
            out.extend(_executor_lines(executor))
        if cache is not None:
            out.extend(_cache_lines(cache))
        return "\n".join(out) + "\n"


class MetricsMiddleware:
    """Pure ASGI middleware: times each HTTP request and counts it in :class:`Metrics`."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler ends as a 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            route = getattr(scope.get("route"), "path", None) or _UNMATCHED  # the template: bounded labels
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.observe_request(route, method, status, time.perf_counter() - started)


def _executor_lines(stats: ExecutorStats) -> Iterable[str]:
    mode = {"mode": stats.mode}
    families: list[tuple[str, str, str, Any]] = [
        ("mkg_queries_total", "counter", "Queries admitted by the executor.", stats.queries_total),
        ("mkg_query_timeouts_total", "counter", "Queries stopped at their deadline (503).", stats.timeouts_total),
        ("mkg_query_worker_crashes_total", "counter", "Query workers that died on a query.", stats.crashes_total),
        ("mkg_query_worker_restarts_total", "counter", "Query workers started to replace one.", stats.restarts_total),
        ("mkg_query_rejected_total", "counter", "Queries refused because too many were admitted.", stats.rejected_total),
        ("mkg_queries_in_flight", "gauge", "Queries running now.", stats.in_flight),
        ("mkg_queries_waiting", "gauge", "Queries waiting for a free worker.", stats.waiting),
        ("mkg_query_workers", "gauge", "Configured query worker processes.", stats.workers),
        ("mkg_query_workers_ready", "gauge", "Query workers holding the current data.", stats.workers_ready),
    ]
    for name, kind, text, value in families:
        yield f"# HELP {name} {text}"
        yield f"# TYPE {name} {kind}"
        yield _sample(name, value, **mode)


def _cache_lines(stats: CacheStats) -> Iterable[str]:
    families: list[tuple[str, str, str, int]] = [
        ("mkg_result_cache_hits_total", "counter", "Read answers sent from the result cache.", stats.hits_total),
        ("mkg_result_cache_misses_total", "counter", "Cacheable read answers computed by a worker.", stats.misses_total),
        ("mkg_result_cache_not_modified_total", "counter", "304 answers to If-None-Match.", stats.not_modified_total),
        ("mkg_result_cache_uncacheable_total", "counter", "Read answers never cached (NOW, RAND, SERVICE ...).",
         stats.uncacheable_total),
        ("mkg_result_cache_evictions_total", "counter", "Entries dropped to stay within the cap.", stats.evictions_total),
        ("mkg_result_cache_invalidations_total", "counter", "Times a write or a new build emptied the cache.",
         stats.invalidations_total),
        ("mkg_result_cache_entries", "gauge", "Answers in the result cache.", stats.entries),
        ("mkg_result_cache_bytes", "gauge", "Bytes the result cache holds.", stats.bytes),
        ("mkg_result_cache_max_bytes", "gauge", "The result cache's cap in bytes.", stats.max_bytes),
    ]
    for name, kind, text, value in families:
        yield f"# HELP {name} {text}"
        yield f"# TYPE {name} {kind}"
        yield _sample(name, value)


def _family(out: list[str], name: str, kind: str, text: str) -> None:
    out.append(f"# HELP {name} {text}")
    out.append(f"# TYPE {name} {kind}")


def _sample(name: str, value: float, **labels: str) -> str:
    inner = ",".join(f'{key}="{_escape(str(val))}"' for key, val in labels.items())
    number = str(value) if isinstance(value, int) else repr(float(value))  # exact, no rounding of large counts
    return f"{name}{{{inner}}} {number}" if inner else f"{name} {number}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
