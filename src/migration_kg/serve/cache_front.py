"""Repeated ``GET /sparql`` requests answered from the result cache before routing.

A cache hit through the app costs about 0.2 ms, most of it FastAPI's dependency solving and
the percent-decoding of a 2 KB query string: more than the engine needs for most of the
curated questions. :class:`CacheFront` is a pure ASGI middleware, the innermost one (CORS
and the metrics still wrap it), that answers a ``GET``/``HEAD /sparql`` whose raw query
string and ``Accept`` header the handler has already seen (``ResultCache.remember``) with
the kept answer, or a 304 for ``If-None-Match``, without parsing anything. It answers only
what the handler would: the same bytes and headers, for the same data version (a write or a
new build forgets every alias), and only requests within the URL and header limits; anything
else, and every miss, goes on to the app unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .result_cache import ResultCache, if_none_match, validators

_METHODS = frozenset({"GET", "HEAD"})


class CacheFront:
    """Pure ASGI middleware over the app whose ``state`` holds ``result_cache`` and ``settings``."""

    def __init__(self, app: ASGIApp, *, owner: Any, path: str) -> None:
        """Answer hits on ``path`` for ``owner`` (the FastAPI app, read at request time)."""
        self.app = app
        self.owner = owner
        self.path = path
        self._route = _Routed(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        state = self.owner.state
        cache: ResultCache | None = getattr(state, "result_cache", None)
        query_string: bytes = scope.get("query_string", b"")
        if cache is None or not query_string or not _within_limits(scope, state.settings):
            await self.app(scope, receive, send)
            return
        accept, match = _headers(scope)
        found = cache.by_alias((query_string, accept))
        if found is None:
            await self.app(scope, receive, send)
            return
        key, answer = found
        scope["route"] = self._route  # the metrics label answers by their route template, as if routed
        max_age = state.settings.result_cache_max_age_s
        headers = validators(key, max_age)
        if match is not None and if_none_match(match.decode("latin-1"), key.etag):
            cache.count("not_modified")
            await _send(send, 304, headers, b"")
            return
        headers = {**headers, "Content-Type": answer.content_type, "X-Cache": "hit"}
        await _send(send, 200, headers, answer.body, head=scope["method"] == "HEAD")



@dataclass(frozen=True)
class _Routed:
    """What ``MetricsMiddleware`` reads of ``scope["route"]``: the route template."""

    path: str


def raw_accept(scope: Scope) -> bytes:
    """Every ``Accept`` header of the request, joined: with the raw query string, what an alias is made of."""
    return _headers(scope)[0]


def _headers(scope: Scope) -> tuple[bytes, bytes | None]:
    accept: list[bytes] = []
    match = None
    for name, value in scope["headers"]:
        if name == b"accept":
            accept.append(value)
        elif name == b"if-none-match":
            match = value if match is None else match + b"," + value
    return b",".join(accept), match


def _within_limits(scope: Scope, settings: Any) -> bool:
    """What ``dependencies.request_head_limits`` checks; beyond it the app answers 414/431."""
    url_bytes = len(scope.get("raw_path") or scope["path"].encode("utf-8")) + len(scope.get("query_string", b""))
    header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
    return bool(url_bytes <= settings.max_url_bytes and header_bytes <= settings.max_header_bytes)


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes, *, head: bool = False) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if status != 304:
        raw.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if head else body})
