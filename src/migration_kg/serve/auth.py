"""Who may write, and call the admin API: the update token (``Settings.update_token``, ``MKG_UPDATE_TOKEN``).

Writes (SPARQL Update, Graph Store PUT/POST/DELETE) are off unless a token is set. With a
token, a write must carry ``Authorization: Bearer <token>``; the token is compared in
constant time (``hmac.compare_digest``). No token sent is a 401 with a ``WWW-Authenticate``
challenge (RFC 6750), a wrong one a 403, and so is any write while updates are off.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from fastapi import Request

from ..errors import Forbidden, StoreError, Unauthorized
from ..settings import Settings
from ..store import WritableGraphStore
from .dependencies import store_of

logger = logging.getLogger(__name__)

DISABLED = (
    "SPARQL Update and Graph Store writes are disabled: this endpoint is read-only "
    "(the operator enables them by setting MKG_UPDATE_TOKEN)"
)
ADMIN_DISABLED = "the admin API is off: the operator enables it by setting MKG_UPDATE_TOKEN (send SIGHUP instead)"


def require_writer(request: Request) -> None:
    """Let the request through only if updates are on and it carries the right bearer token.

    Raises:
        Forbidden: updates are off, or the token is wrong (403).
        Unauthorized: no ``Authorization: Bearer …`` header (401).
    """
    require_token(request, disabled=DISABLED, action="a write")


def require_operator(request: Request) -> None:
    """Let an operator's request (``/admin/…``) through only if it carries the update token.

    Raises:
        Forbidden: no update token is set, or the token is wrong (403).
        Unauthorized: no ``Authorization: Bearer …`` header (401).
    """
    require_token(request, disabled=ADMIN_DISABLED, action="this request")


def require_token(request: Request, *, disabled: str, action: str) -> None:
    """The check behind :func:`require_writer` and :func:`require_operator`: ``disabled`` is the
    403 message when no token is set, ``action`` names what needs the token in the 401 message."""
    settings: Settings = request.app.state.settings
    if settings.update_token is None:
        raise Forbidden(disabled)
    scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(f"{action} needs the header 'Authorization: Bearer <update token>'")
    # digests of equal length, so not even the token's length shows in the timing
    given = hashlib.sha256(token.strip().encode("utf-8")).digest()
    expected = hashlib.sha256(settings.update_token.get_secret_value().encode("utf-8")).digest()
    if not hmac.compare_digest(given, expected):
        logger.warning("refused %s with a wrong token from %s", request.url.path,
                       request.client.host if request.client else "?")
        raise Forbidden("the bearer token is not the update token")


def writable_store(request: Request) -> WritableGraphStore:
    """The served store, if it takes writes.

    Raises:
        StoreError: no store is loaded, or the served store is read-only (503).
    """
    store = store_of(request)
    if not isinstance(store, WritableGraphStore):
        raise StoreError("the served store does not take writes")
    return store


def store_changed(request: Request, store: WritableGraphStore) -> None:
    """Tell the app a write succeeded: refresh the quad count, call ``app.state.on_store_changed()``
    if the app has one (the query executor reloads its copies of the data then) and empty the
    result cache."""
    state = request.app.state
    state.quads = store.quads_count()
    logger.info("write %s %s: the store now holds %d quads", request.method, request.url.path, state.quads)
    hook = getattr(state, "on_store_changed", None)
    if callable(hook):
        hook()
    cache = getattr(state, "result_cache", None)
    if cache is not None:  # after the workers have the change: no answer from before it is served again
        cache.invalidate()
