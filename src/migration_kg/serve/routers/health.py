"""Liveness and readiness probes, and the Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from ..executor import QueryExecutor
from ..metrics import CONTENT_TYPE, Metrics

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> JSONResponse:
    """Always 200 while the process answers HTTP."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="A graph is loaded and queries can be answered")
def readyz(request: Request) -> JSONResponse:
    """200 with the build id, quad count and query workers when queries can be answered, else 503 with the reason.

    Not ready: no store is loaded, or no query worker holds the current data (all of them
    are being restarted).

    ``workers``: ``mode``, ``configured`` (how many there should be), ``ready`` (how many are
    alive and hold the current data, idle or busy) and ``pids`` (their process ids, for an
    operator who wants to look at one, or a test that kills one).
    """
    state = request.app.state
    if state.store is None:
        return JSONResponse({"status": "not ready", "reason": state.not_ready_reason}, status_code=503)
    executor: QueryExecutor | None = state.executor
    workers = None
    if executor is not None:
        stats = executor.stats()
        workers = {"mode": stats.mode, "ready": stats.workers_ready, "configured": stats.workers,
                   "pids": list(stats.worker_pids)}
        if stats.mode == "processes" and stats.workers_ready == 0:
            reason = "no query worker is ready (they are being restarted)"
            return JSONResponse({"status": "not ready", "reason": reason, "workers": workers}, status_code=503)
    return JSONResponse(
        {
            "status": "ready",
            "build": state.build_id,  # the manifest's id of the build served now (None: an injected store)
            "quads": state.quads,
            "workers": workers,
        }
    )


@router.get("/metrics", summary="Operations metrics (Prometheus text format 0.0.4)")
def metrics(request: Request) -> Response:
    """Requests by route, method and status; latency histograms; errors by kind; the query
    executor's timeouts, rejections, worker crashes and restarts, in-flight and waiting queries;
    the result cache's hits, misses, 304s, evictions and size."""
    registry: Metrics = request.app.state.metrics
    executor: QueryExecutor | None = request.app.state.executor
    cache = getattr(request.app.state, "result_cache", None)
    body = registry.render(executor.stats() if executor is not None else None, cache.stats() if cache else None)
    return Response(body.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE})
