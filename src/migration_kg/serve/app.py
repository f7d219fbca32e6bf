"""The application factory. Nothing is built at import time: call :func:`create_app`.

``uvicorn --factory migration_kg.serve.app:app_from_env`` serves with the settings from
the environment (``MKG_*``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from ..errors import StoreError
from ..journaled_store import JournaledStore
from ..settings import Settings, get_settings
from ..store import CURRENT_LINK, GraphStore
from .cache_front import CacheFront
from .dependencies import request_head_limits
from .errors import install_error_handlers
from .executor import InProcessExecutor, Limits, QueryExecutor
from .http_protocol import HttpToolsProtocol414
from .metrics import Metrics, MetricsMiddleware
from .reload import Reloader
from .result_cache import ResultCache
from .routers import admin, dumps, explore, graph_store, health, linked_data, named_queries, sparql, update

logger = logging.getLogger(__name__)

#: The HTTP server's own bound on a request head (request line and headers). It must be well
#: above ``Settings.max_url_bytes + max_header_bytes`` so that the app sees an oversized head
#: and answers 414/431 with a message; past it h11 answers a bare 400. (httptools has no bound.)
SERVER_HEAD_BYTES = 1 << 20


def create_app(settings: Settings, store: GraphStore | None = None) -> FastAPI:
    """Build the web application.

    Args:
        settings: where the data lives, limits, CORS origins.
        store: serve this store instead of the build at ``settings.data_dir/current``
            (tests, or a remote store).

    Returns:
        The FastAPI app. Its lifespan loads ``data/current/graph.nq`` into an in-memory
        store (3-4x faster to query than the on-disk store), replays the write journal
        ``data/writes/journal.jsonl`` on top (``journaled_store``: the build's graphs are
        read-only, writes are fsynced there before they are acknowledged) and starts
        ``settings.query_workers`` query worker processes on the same dump and journal (queries
        run there, under a deadline; each write reaches them as a change, not a reload); an
        injected ``store`` is queried in-process instead.
        A new ``data/current`` (seen every ``settings.reload_poll_s``, on SIGHUP or on
        ``POST /admin/reload``) is served without refusing a query (``serve.reload``).
        Without a build the app still starts, answers 503 and ``/readyz`` says why.
        ``app.state.on_store_changed()`` must be called after every write to
        ``app.state.store``: the workers then reload the data (it blocks until they have).
    """
    app = FastAPI(
        title="Migration governance knowledge graph",
        summary="Linked data and a SPARQL 1.1 endpoint (read-only unless an update token is set).",
        lifespan=_lifespan,
        dependencies=[Depends(request_head_limits)],  # 414/431 before any route reads the body
    )
    app.state.settings = settings
    app.state.store = store
    app.state.injected_store = store is not None
    app.state.build = None
    app.state.build_id = None
    app.state.reloader = None
    app.state.quads = None
    app.state.not_ready_reason = "starting"
    app.state.query_slots = threading.BoundedSemaphore(settings.max_concurrent_queries)
    app.state.executor = None
    app.state.on_store_changed = partial(_store_changed, app)
    app.state.metrics = Metrics()
    # an injected store has no build id: a random label, so no tag of an earlier process matches
    app.state.result_cache = ResultCache(max_bytes=settings.result_cache_bytes, label=f"store-{secrets.token_hex(4)}")
    app.add_middleware(CacheFront, owner=app, path=sparql.SPARQL_PATH)  # innermost: CORS and metrics see its hits
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allow_origins,
        allow_credentials=False,  # a public read-only endpoint has no cookies to share
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type"],
        max_age=600,
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)  # outermost: sees every answer
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(sparql.router)
    app.include_router(update.router)
    app.include_router(admin.router)
    app.include_router(graph_store.router)
    named_queries.install(app, settings)
    app.include_router(dumps.router)
    app.include_router(explore.router)
    app.include_router(linked_data.router)  # last: it answers the IRI paths we mint
    return app


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for serving :func:`create_app` (``uvicorn.run(app, **server_options(s))``).

    uvloop and httptools (uvicorn[standard]) are about 0.4 ms faster per request than asyncio
    and h11. httptools parses no URL over 64 KiB: :class:`HttpToolsProtocol414` answers 414
    there, where uvicorn would answer a bare 400. ``h11_max_incomplete_event_size`` keeps the
    app's 414/431 answers if ``http="h11"`` is chosen instead.
    """
    head = max(SERVER_HEAD_BYTES, 4 * (settings.max_url_bytes + settings.max_header_bytes))
    return {"loop": "uvloop", "http": HttpToolsProtocol414, "h11_max_incomplete_event_size": head}


def app_from_env() -> FastAPI:
    """The app with settings from the environment (for ``uvicorn --factory``)."""
    return create_app(get_settings())


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    reloader: Reloader | None = None
    if app.state.store is None:
        reloader = app.state.reloader = Reloader(app, settings)
        await run_in_threadpool(_load_first, app, reloader)
        reloader.start()
        _on_sighup(reloader)
    else:
        app.state.quads = await run_in_threadpool(app.state.store.quads_count)
        app.state.executor = InProcessExecutor(app.state.store, Limits.from_settings(settings))
    try:
        yield
    finally:
        if reloader is not None:
            _on_sighup(None)
            await run_in_threadpool(reloader.close)
        executor: QueryExecutor | None = app.state.executor
        app.state.executor = None
        if executor is not None:
            await run_in_threadpool(executor.close)
        if not app.state.injected_store:
            app.state.store = None


def _store_changed(app: FastAPI) -> None:
    """``app.state.on_store_changed``: the served store was written to. A build's journaled store
    has handed each change to the workers already; any other store is reloaded into them whole.

    Raises:
        StoreError: the workers could not reload (they keep serving the data before the write).
    """
    executor: QueryExecutor | None = app.state.executor
    if executor is not None and app.state.store is not None and not isinstance(app.state.store, JournaledStore):
        executor.store_changed(app.state.store)
    app.state.result_cache.invalidate()


def _load_first(app: FastAPI, reloader: Reloader) -> None:
    try:
        if reloader.reload().build is None:
            app.state.not_ready_reason = f"no build at {app.state.settings.data_dir / CURRENT_LINK}"
            logger.warning("not serving any graph: %s (it is served once there is)", app.state.not_ready_reason)
    except StoreError as exc:
        logger.error("cannot load the current build: %s", exc)


def _on_sighup(reloader: Reloader | None) -> None:
    """SIGHUP makes ``reloader`` look at ``data/current`` now (None: the handler is removed).
    Only the main thread's loop can take signals: a server run in another thread (tests) cannot."""
    try:
        loop = asyncio.get_running_loop()
        if reloader is None:
            loop.remove_signal_handler(signal.SIGHUP)
        else:
            loop.add_signal_handler(signal.SIGHUP, reloader.wake)
    except (RuntimeError, ValueError, NotImplementedError, AttributeError):
        logger.debug("SIGHUP cannot reach this server: it runs outside the main thread")
