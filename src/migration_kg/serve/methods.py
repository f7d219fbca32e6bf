"""The methods a path answers to, read from the app's routes, for ``Allow`` (RFC 9110 §10.2.1).

Starlette's 405 names only the methods of the first route whose path matches; a path served
by several routes (``/sparql``: GET/HEAD, POST, OPTIONS) needs the union, and so does the
answer to ``OPTIONS``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Match

#: The methods an ``Allow`` may name, in the order it names them.
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method of :data:`METHODS` that some route of the app answers on the request's path.

    Each method is tried with ``BaseRoute.matches``, the public interface every route (and
    every included router) has, rather than by reading the routes' ``methods``.
    """
    routes = request.app.router.routes
    return [method for method in METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


def allow_header(request: Request) -> str:
    """The value of ``Allow`` for the request's path."""
    return ", ".join(allowed_methods(request))
