"""The one place that turns exceptions into HTTP responses.

* :class:`~migration_kg.errors.MigrationKGError` subclasses answer with their
  ``http_status`` and their message (a SPARQL syntax error is a 400, a timeout a 503 …).
* Starlette's own HTTP errors (404 no route, 405 wrong method) keep their status; a 405's
  ``Allow`` names every method of the path.
* Request validation errors are a 400.
* A client that went away before the end of its body is logged at INFO and counted as a
  499 (nginx's "client closed request"); no one reads that answer.
* Anything else is a bug: a 500 whose body says so, with the traceback only in the log.

The body is JSON (``{"error": …, "status": …, "message": …}``) when the client prefers
JSON, plain text otherwise. It never contains a stack trace.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from ..errors import MigrationKGError, NotAcceptable
from .formats import JSON, PLAIN_TEXT
from .methods import allow_header
from .negotiation import negotiate

logger = logging.getLogger(__name__)


def error_response(request: Request, status: int, kind: str, message: str) -> Response:
    """A response with ``status`` whose body names the error ``kind`` and carries ``message``."""
    try:
        offer = negotiate(request.headers.get("accept"), (PLAIN_TEXT, JSON))
    except NotAcceptable:
        offer = PLAIN_TEXT
    if offer is JSON:
        body = json.dumps({"error": kind, "status": status, "message": message}, ensure_ascii=False)
    else:
        body = f"{status} {kind}: {message}\n"
    headers = {"Cache-Control": "no-store"}  # an error says nothing lasting about the resource
    return Response(body.encode("utf-8"), status_code=status, media_type=offer.content_type, headers=headers)


def _known_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MigrationKGError)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.count_error(type(exc).__name__, exc.http_status)
    if exc.http_status >= 500:
        logger.warning("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
    response = error_response(request, exc.http_status, type(exc).__name__, str(exc))
    response.headers.update(getattr(exc, "headers", {}))  # e.g. the 401 challenge
    return response


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    response = error_response(request, exc.status_code, "HTTPError", str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:  # Starlette names the methods of one route; the path may have several
        response.headers["Allow"] = allow_header(request)
    return response


def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
        for error in exc.errors()
    )
    return error_response(request, 400, "InvalidRequest", problems or "invalid request")


#: Not an HTTP status anyone receives: the client is gone. nginx logs the same case as 499.
CLIENT_CLOSED_REQUEST = 499


def _client_gone(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientDisconnect)
    logger.info("client went away during %s %s before the end of its body", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "InternalError", "the server failed to answer; the error was logged")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    app.add_exception_handler(MigrationKGError, _known_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
