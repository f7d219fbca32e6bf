"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> JSONResponse:
    """Always 200 while the process answers HTTP."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="A graph is loaded and queries can be answered")
def readyz(request: Request) -> JSONResponse:
    """200 with the build id and quad count when a store is loaded, else 503 with the reason."""
    state = request.app.state
    if state.store is None:
        return JSONResponse({"status": "not ready", "reason": state.not_ready_reason}, status_code=503)
    build = state.build
    return JSONResponse(
        {"status": "ready", "build": build.name if build is not None else None, "quads": state.quads}
    )
