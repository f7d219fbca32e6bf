"""What the operator may ask of a running server; every route needs the update token (``serve.auth``).

* ``POST /admin/reload``: serve the build ``data/current`` points at now, if it is not the one
  served (``serve.reload``); the answer comes once the new build is served, or refused.
  SIGHUP does the same without a token, and the server also looks by itself every
  ``Settings.reload_poll_s`` seconds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from ...errors import StoreError
from ..auth import require_operator
from ..reload import Reloader

router = APIRouter(tags=["admin"])

RELOAD_PATH = "/admin/reload"


@router.post(RELOAD_PATH, summary="Serve the build data/current points at (needs the update token)")
def reload_post(request: Request, _operator: Annotated[None, Depends(require_operator)]) -> JSONResponse:
    """Reload if ``data/current`` changed; runs in the thread pool (loading a build takes a while).

    Returns:
        200 with ``{"switched": bool, "build": id served now, "previous": id served before or null}``.

    Raises:
        Unauthorized (401), Forbidden (403). BuildRefused (409): the new build is damaged (the
        message names the file); the old one is still served. StoreError (503): no builds to
        reload (an injected store).
    """
    reloader: Reloader | None = request.app.state.reloader
    if reloader is None:
        raise StoreError("this server serves a store it was given, not the builds of a data folder")
    outcome = reloader.reload()
    return JSONResponse(
        {"switched": outcome.switched, "build": outcome.build, "previous": outcome.previous},
        headers={"Cache-Control": "no-store"},
    )
