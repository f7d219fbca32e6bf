"""The SPARQL 1.1 Protocol at ``/sparql`` (https://www.w3.org/TR/sparql11-protocol/).

* ``GET /sparql?query=…``, ``POST`` form (``query=``) and ``POST`` direct
  (``application/sparql-query``) run a query; ``default-graph-uri`` and
  ``named-graph-uri`` pick the dataset among *our* named graphs (nothing is fetched).
* ``GET /sparql`` without a query returns the service description (RDF, or HTML for browsers).
* ``POST`` with ``update=`` or ``application/sparql-update`` runs an update if the update
  token is set and sent (``routers.update``), else 403. LOAD is always refused, SERVICE
  unless its endpoint is on ``Settings.service_allowlist``.

Handlers are plain ``def``: FastAPI runs them in its thread pool, so query evaluation
and serialisation never block the event loop. Only reading the body is async
(``dependencies.request_body``).
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ...errors import StoreError
from ...settings import Settings
from ...store import GraphStore
from .. import guard, protocol
from ..dependencies import get_settings, get_store, query_slot, request_body
from ..formats import HTML, RDF_OFFERS, RESULT_OFFERS, write_graph, write_results
from ..negotiation import Offer, negotiate
from ..service_description import describe_service, service_page
from . import update

router = APIRouter(tags=["SPARQL protocol"])

SPARQL_PATH = "/sparql"
_SERVICE_DESCRIPTION_OFFERS = (*RDF_OFFERS, HTML)

StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SlotDep = Annotated[None, Depends(query_slot)]
BodyDep = Annotated[bytes, Depends(request_body)]


@router.get(SPARQL_PATH, summary="Query by GET, or read the service description")
def sparql_get(request: Request, store: StoreDep, settings: SettingsDep, _slot: SlotDep) -> Response:
    """Answer ``GET /sparql``: a query if ``query=`` is given, else the service description.

    Raises:
        QueryError (400), QueryRejected (403), NotAcceptable (406), StoreError (503).
    """
    operation = protocol.from_get(request.query_params.multi_items())
    return _dispatch(request, operation, store, settings)


@router.post(SPARQL_PATH, summary="Query by POST (form or direct)")
def sparql_post(
    request: Request, body: BodyDep, store: StoreDep, settings: SettingsDep, _slot: SlotDep
) -> Response:
    """Answer ``POST /sparql`` with a form (``query=``/``update=``) or a direct query/update body.

    Raises:
        UnsupportedMediaType (415), PayloadTooLarge (413), QueryError (400),
        QueryRejected (403), NotAcceptable (406), StoreError (503).
    """
    operation = protocol.from_post(
        request.headers.get("content-type"), body, request.query_params.multi_items()
    )
    return _dispatch(request, operation, store, settings)


def _dispatch(
    request: Request, operation: protocol.ProtocolRequest, store: GraphStore, settings: Settings
) -> Response:
    if operation.operation is protocol.Operation.SERVICE_DESCRIPTION:
        return _service_description(request, operation, store, settings)
    if operation.operation is protocol.Operation.UPDATE:
        return _update(request, operation, settings)
    return _query(request, operation, store, settings)


def _query(
    request: Request, operation: protocol.ProtocolRequest, store: GraphStore, settings: Settings
) -> Response:
    shape = guard.scan(operation.text)
    guard.check_allowed(shape, allowed_services=settings.service_allowlist)
    accept = request.headers.get("accept")
    offer: Offer | None = None
    if shape.form is not None:  # fail fast with 406 before running the query
        offers = RDF_OFFERS if shape.form.returns_graph else RESULT_OFFERS
        offer = negotiate(accept, offers, format_override=operation.format)
    result = store.query(
        operation.text,
        dataset=operation.dataset,
        # with FROM/FROM NAMED the query picks its dataset; a union would override it
        default_graph_as_union=not shape.has_dataset_clause,
        base_iri=settings.base_iri,
    )
    try:
        if isinstance(result, ox.QueryTriples):
            if offer not in RDF_OFFERS:
                offer = negotiate(accept, RDF_OFFERS, format_override=operation.format)
            body = write_graph(result, offer)
        else:
            if offer not in RESULT_OFFERS:
                offer = negotiate(accept, RESULT_OFFERS, format_override=operation.format)
            body = write_results(result, offer)
    except OSError as exc:  # evaluation is lazy: store errors surface while writing
        raise StoreError(f"query evaluation failed: {exc}") from exc
    return _response(body, offer)


def _update(request: Request, operation: protocol.ProtocolRequest, settings: Settings) -> Response:
    """Updates sent to the query endpoint, as the protocol allows: see ``routers.update``.

    Raises:
        Forbidden (403: updates are off or the token is wrong), Unauthorized (401),
        QueryRejected (403: LOAD, SERVICE), QueryError (400), StoreError (503).
    """
    return update.run_update(request, operation, settings)


def _service_description(
    request: Request, operation: protocol.ProtocolRequest, store: GraphStore, settings: Settings
) -> Response:
    offer = negotiate(
        request.headers.get("accept"), _SERVICE_DESCRIPTION_OFFERS, format_override=operation.format
    )
    endpoint = endpoint_url(request, settings)
    graphs = store.named_graphs()
    if offer is HTML:
        return _response(service_page(endpoint, graphs, update=settings.update_enabled).encode("utf-8"), offer)
    triples = describe_service(
        endpoint, graphs, update=settings.update_enabled, federated=bool(settings.service_allowlist)
    )
    return _response(write_graph(triples, offer), offer)


def endpoint_url(request: Request, settings: Settings) -> str:
    """The public URL of the endpoint: ``public_base_url`` + path if set, else the request URL."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + SPARQL_PATH
    return str(request.url.replace(query="", fragment=""))


def _response(body: bytes, offer: Offer) -> Response:
    return Response(body, media_type=offer.content_type, headers={"Vary": "Accept"})
