"""Shared FastAPI dependencies. Everything comes from ``app.state``, which ``create_app`` fills.

Tests swap the store or the settings with ``app.dependency_overrides[get_store] = …``.

The dependencies are ``async def`` because none of them blocks (attribute reads, a
non-blocking semaphore): FastAPI calls a plain ``def`` dependency in its thread pool, a hop
that costs more than the dependency itself on every request.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import AsyncIterator

from fastapi import Request

from ..errors import (
    HeaderFieldsTooLarge,
    Overloaded,
    PayloadTooLarge,
    QueryError,
    StoreError,
    UnsupportedEncoding,
    URITooLong,
)
from ..settings import Settings
from ..store import GraphStore
from .executor import QueryExecutor


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def store_of(request: Request) -> GraphStore:
    """The served store.

    Raises:
        StoreError: no build is loaded yet (answered as 503).
    """
    store: GraphStore | None = request.app.state.store
    if store is None:
        raise StoreError(
            "no graph is loaded: build one and swap it in", source=str(request.app.state.settings.data_dir)
        )
    return store


async def get_store(request: Request) -> GraphStore:
    """The served store, as a dependency (see :func:`store_of`).

    Raises:
        StoreError: no build is loaded yet (503).
    """
    return store_of(request)


def executor_of(request: Request) -> QueryExecutor:
    """The query executor (worker processes for a served build, in-process for an injected store).

    Raises:
        StoreError: no build is loaded yet, or the workers did not start (503).
    """
    executor: QueryExecutor | None = request.app.state.executor
    if executor is None:
        raise StoreError(f"queries cannot run: {request.app.state.not_ready_reason}")
    return executor


async def get_executor(request: Request) -> QueryExecutor:
    """The query executor, as a dependency (see :func:`executor_of`).

    Raises:
        StoreError: no build is loaded yet, or the workers did not start (503).
    """
    return executor_of(request)


async def query_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of ``Settings.max_concurrent_queries`` slots for the length of the request
    (writes; queries are admitted by the query executor instead).

    Raises:
        Overloaded: every slot is taken (answered as 429 with ``Retry-After``).
    """
    slots: threading.BoundedSemaphore = request.app.state.query_slots
    if not slots.acquire(blocking=False):
        raise Overloaded("too many queries are running; try again in a moment")
    try:
        yield
    finally:
        slots.release()


async def request_head_limits(request: Request) -> None:
    """Refuse a request whose URL or headers are over ``Settings.max_url_bytes``/``max_header_bytes``.

    An app-wide dependency, so it runs after routing (metrics keep the route) and before any
    other dependency reads the body. The HTTP server's own bound on the request head must be
    larger (``app.server_options``), or the client gets its bare 400 instead.

    Raises:
        URITooLong (414), HeaderFieldsTooLarge (431).
    """
    settings: Settings = request.app.state.settings
    scope = request.scope
    url_bytes = len(scope.get("raw_path") or scope["path"].encode("utf-8")) + len(scope.get("query_string", b""))
    if url_bytes > settings.max_url_bytes:
        raise URITooLong(f"the URL is {url_bytes} bytes, over the limit of {settings.max_url_bytes} bytes; "
                         "if it carries a SPARQL query, send the query with POST")
    header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
    if header_bytes > settings.max_header_bytes:
        raise HeaderFieldsTooLarge(
            f"the request headers are {header_bytes} bytes in all, over the limit of {settings.max_header_bytes} bytes")


_IDENTITY = ("", "identity")
_GZIP = ("gzip", "x-gzip")


async def request_body(request: Request) -> bytes:
    """The request body, read without blocking and cut off at ``Settings.max_request_bytes``.

    A ``Content-Encoding: gzip`` body is decompressed, under the same limit (a small body
    cannot unpack into a large one); any other encoding but ``identity`` is refused.

    Raises:
        UnsupportedEncoding: a ``Content-Encoding`` other than identity or gzip (415).
        PayloadTooLarge: the declared or actual body is larger than the limit, compressed
            or not (413).
        QueryError: a gzip body that does not decompress (400).
        starlette.requests.ClientDisconnect: the client went away before the end of the body.
    """
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in _IDENTITY + _GZIP:
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported; send the body as it is, or gzip")
    body = await _read_body(request)
    return _gunzip(body, request.app.state.settings.max_request_bytes) if encoding in _GZIP else body


def _gunzip(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise QueryError(f"the gzip body cannot be decompressed: {exc}") from exc
    if len(body) > limit:
        raise PayloadTooLarge(f"request body is over the limit of {limit} bytes once decompressed")
    if not decompressor.eof or decompressor.unused_data:
        raise QueryError("the gzip body is truncated, or has data after its end")
    return body


async def _read_body(request: Request) -> bytes:
    limit = request.app.state.settings.max_request_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
