"""SPARQL 1.1 Update over the protocol (https://www.w3.org/TR/sparql11-protocol/#update-operation).

``POST /update`` (form ``update=`` or direct ``application/sparql-update``) and updates sent
to ``POST /sparql`` (the protocol's single endpoint, which the W3C tests use) both end in
:func:`run_update`. Writes need the update token (``serve.auth``); ``LOAD`` is refused
because it would fetch a document, and SERVICE is refused unless its endpoint is on the
allow-list. ``using-graph-uri``/``using-named-graph-uri`` pick the WHERE dataset among *our*
graphs (``serve.using``). Success is ``204 No Content``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ...errors import QueryError
from ...settings import Settings
from .. import guard, protocol
from ..auth import require_writer, store_changed, writable_store
from ..dependencies import get_settings, query_slot, request_body
from ..result_cache import NO_STORE
from ..using import with_using

router = APIRouter(tags=["SPARQL update"])

UPDATE_PATH = "/update"

SettingsDep = Annotated[Settings, Depends(get_settings)]
SlotDep = Annotated[None, Depends(query_slot)]
BodyDep = Annotated[bytes, Depends(request_body)]


@router.post(UPDATE_PATH, summary="SPARQL Update (needs the update token)", status_code=204)
def update_post(request: Request, body: BodyDep, settings: SettingsDep, _slot: SlotDep) -> Response:
    """Answer ``POST /update`` with a form (``update=``) or a direct ``application/sparql-update`` body.

    Raises:
        Forbidden (403: updates off, wrong token, LOAD, SERVICE), Unauthorized (401),
        UnsupportedMediaType (415), PayloadTooLarge (413), QueryError (400), StoreError (503).
    """
    require_writer(request)
    operation = protocol.from_post(request.headers.get("content-type"), body, request.query_params.multi_items())
    if operation.operation is not protocol.Operation.UPDATE:
        raise QueryError("this is the update endpoint: send an update (update= or application/sparql-update)")
    return run_update(request, operation, settings)


def run_update(request: Request, operation: protocol.ProtocolRequest, settings: Settings) -> Response:
    """Run the update in ``operation`` on the served store and answer 204.

    Raises:
        Forbidden/Unauthorized: no or a wrong token, or updates are off.
        QueryRejected (403): LOAD, or SERVICE to an endpoint not on the allow-list.
        QueryError (400): syntax error, nesting deeper than ``Settings.max_query_nesting``, a bad
            using-graph IRI, or USING/WITH in the text together with the using-graph-uri parameters.
        StoreError (503): no store, a read-only store, or the write failed.
    """
    require_writer(request)
    guard.check_allowed(guard.scan(operation.text), allowed_services=settings.service_allowlist)
    # pyoxigraph's update parser runs in this process and overflows its stack (killing the
    # server) at some thousands of nested groups: refuse those unparsed
    guard.check_nesting(operation.text, limit=settings.max_query_nesting)
    text = with_using(operation.text, operation.using)
    store = writable_store(request)
    store.update(text, base_iri=settings.base_iri)
    store_changed(request, store)
    return Response(status_code=204, headers={"Cache-Control": NO_STORE})
