"""The serve stage: linked data and the SPARQL 1.1 Protocol over the current build.

Entry point: :func:`create_app`. Error-to-status mapping lives in ``serve/errors.py``,
shared dependencies in ``serve/dependencies.py``, one router per concern in ``routers/``.
"""

from .app import create_app

__all__ = ["create_app"]
