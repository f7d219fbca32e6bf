"""The SPARQL 1.1 Protocol at ``/sparql`` (https://www.w3.org/TR/sparql11-protocol/).

* ``GET /sparql?query=…``, ``POST`` form (``query=``) and ``POST`` direct
  (``application/sparql-query``) run a query; ``default-graph-uri`` and
  ``named-graph-uri`` pick the dataset among *our* named graphs (nothing is fetched).
* ``GET /sparql`` without a query returns the service description (RDF, or HTML for browsers).
* ``POST`` with ``update=`` or ``application/sparql-update`` runs an update if the update
  token is set and sent (``routers.update``), else 403. LOAD is always refused, SERVICE
  unless its endpoint is on ``Settings.service_allowlist``.

Queries run in the query executor (``serve.executor``): worker processes that parse,
evaluate and serialise under a deadline and the result caps, so the handler only relays
bytes. Text nested deeper than ``Settings.max_query_nesting`` is refused before any parser
sees it. Handlers are plain ``def``: FastAPI runs them in its thread pool, so waiting for a
worker never blocks the event loop. Only reading the body is async (``dependencies.request_body``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ...errors import URITooLong
from ...settings import Settings
from ...store import GraphStore
from .. import guard, protocol
from ..dependencies import executor_of, get_settings, get_store, request_body
from ..executor import QueryExecutor
from ..formats import HTML, RDF_OFFERS, negotiate_query, write_graph
from ..negotiation import Offer, negotiate
from ..service_description import describe_service, service_page
from . import update

router = APIRouter(tags=["SPARQL protocol"])

SPARQL_PATH = "/sparql"
_SERVICE_DESCRIPTION_OFFERS = (*RDF_OFFERS, HTML)

StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BodyDep = Annotated[bytes, Depends(request_body)]


@router.get(SPARQL_PATH, summary="Query by GET, or read the service description")
def sparql_get(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Answer ``GET /sparql``: a query if ``query=`` is given, else the service description.

    Raises:
        QueryError (400), QueryRejected (403), NotAcceptable (406), URITooLong (414),
        ResultTooLarge (422), Overloaded (429), QueryTimeout, QueryCrashed, StoreError (503).
    """
    limit = settings.max_request_bytes
    if len(request.url.query) > limit:  # the same bound as a POST body
        raise URITooLong(f"the query string is over the limit of {limit} bytes; send the query with POST")
    operation = protocol.from_get(request.query_params.multi_items())
    return _dispatch(request, operation, store, settings)


@router.post(SPARQL_PATH, summary="Query by POST (form or direct)")
def sparql_post(
    request: Request, body: BodyDep, store: StoreDep, settings: SettingsDep
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
    guard.check_nesting(operation.text, limit=settings.max_query_nesting)  # before any parser runs
    if operation.operation is protocol.Operation.UPDATE:
        return _update(request, operation, settings)
    return _query(request, operation, executor_of(request), settings)


def _query(
    request: Request, operation: protocol.ProtocolRequest, executor: QueryExecutor, settings: Settings
) -> Response:
    shape = guard.scan(operation.text)
    guard.check_allowed(shape, allowed_services=settings.service_allowlist)
    results_offer, graph_offer = negotiate_query(
        request.headers.get("accept"), shape.form, format_override=operation.format
    )
    answer = executor.execute(
        operation.text,
        results_type=results_offer.media_type if results_offer else None,
        graph_type=graph_offer.media_type if graph_offer else None,
        dataset=operation.dataset,
        # with FROM/FROM NAMED the query picks its dataset; a union would override it
        default_graph_as_union=not shape.has_dataset_clause,
        base_iri=settings.base_iri,
    )
    return Response(answer.body, media_type=answer.content_type, headers={"Vary": "Accept"})


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
