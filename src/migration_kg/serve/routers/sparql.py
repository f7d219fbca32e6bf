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
sees it. The handlers are ``async``: a query of up to ``_INLINE_CHARS`` characters is checked
(``guard``'s scans are cached) and handed to a worker from the event loop, whose answer is
awaited there too (``executor.execute_async``), which saves a thread-pool hop per request.
Longer texts, updates and the service description run in the thread pool, so nothing slow
ever runs on the event loop. Answers go through the result cache (``serve.result_cache``):
a repeated query is answered from memory, with an ``ETag`` that ``If-None-Match`` can revalidate.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...errors import URITooLong
from ...settings import Settings
from ...store import GraphStore
from .. import guard, protocol
from ..cache_front import raw_accept
from ..dependencies import executor_of, get_settings, get_store, request_body
from ..formats import HTML, RDF_OFFERS, negotiate_query, write_graph
from ..methods import allow_header
from ..negotiation import Offer, negotiate
from ..result_cache import CacheKey, ResultCache, cacheable
from ..service_description import describe_service, service_page
from . import update

router = APIRouter(tags=["SPARQL protocol"])

SPARQL_PATH = "/sparql"
#: Requests whose query string or body is at most this long are handled on the event loop.
_INLINE_CHARS = 8192
_SERVICE_DESCRIPTION_OFFERS = (*RDF_OFFERS, HTML)

StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BodyDep = Annotated[bytes, Depends(request_body)]


@router.api_route(SPARQL_PATH, methods=["GET", "HEAD"], summary="Query by GET, or read the service description")
async def sparql_get(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Answer ``GET /sparql``: a query if ``query=`` is given, else the service description.

    ``HEAD`` answers the same headers (the query runs; the server drops the body).

    Raises:
        QueryError (400), QueryRejected (403), NotAcceptable (406), URITooLong (414),
        ResultTooLarge (422), Overloaded (429), QueryTimeout, QueryCrashed, StoreError (503).
    """
    limit = settings.max_request_bytes
    size = len(request.scope.get("query_string", b""))
    if size > limit:  # the same bound as a POST body
        raise URITooLong(f"the query string is over the limit of {limit} bytes; send the query with POST")
    if size > _INLINE_CHARS:
        return await run_in_threadpool(_get, request, store, settings)
    alias = (request.scope.get("query_string", b""), raw_accept(request.scope))  # for ``serve.cache_front``
    operation = protocol.from_get(request.query_params.multi_items())
    return await _dispatch(request, operation, store, settings, alias=alias)


@router.options(SPARQL_PATH, summary="The methods /sparql answers to", status_code=204)
async def sparql_options(request: Request) -> Response:
    """Answer ``OPTIONS /sparql`` (not a CORS preflight, which the CORS middleware answers) with ``Allow``."""
    return Response(status_code=204, headers={"Allow": allow_header(request)})


def _get(request: Request, store: GraphStore, settings: Settings) -> Response:
    return _dispatch_sync(request, protocol.from_get(request.query_params.multi_items()), store, settings)


@router.post(SPARQL_PATH, summary="Query by POST (form or direct)")
async def sparql_post(
    request: Request, body: BodyDep, store: StoreDep, settings: SettingsDep
) -> Response:
    """Answer ``POST /sparql`` with a form (``query=``/``update=``) or a direct query/update body.

    Raises:
        UnsupportedMediaType (415), PayloadTooLarge (413), QueryError (400),
        QueryRejected (403), NotAcceptable (406), StoreError (503).
    """
    if len(body) + len(request.scope.get("query_string", b"")) > _INLINE_CHARS:
        return await run_in_threadpool(_post, request, body, store, settings)
    return await _dispatch(request, _post_operation(request, body), store, settings)


def _post(request: Request, body: bytes, store: GraphStore, settings: Settings) -> Response:
    return _dispatch_sync(request, _post_operation(request, body), store, settings)


def _post_operation(request: Request, body: bytes) -> protocol.ProtocolRequest:
    return protocol.from_post(request.headers.get("content-type"), body, request.query_params.multi_items())


async def _dispatch(
    request: Request, operation: protocol.ProtocolRequest, store: GraphStore, settings: Settings,
    *, alias: tuple[bytes, bytes] | None = None,
) -> Response:
    """A short query runs from the event loop; anything else goes to the thread pool (:func:`_dispatch_sync`)."""
    if operation.operation is not protocol.Operation.QUERY or len(operation.text) > _INLINE_CHARS:
        return await run_in_threadpool(_dispatch_sync, request, operation, store, settings)
    guard.check_nesting(operation.text, limit=settings.max_query_nesting)
    executor = executor_of(request)
    arguments = _query_arguments(request, operation, settings)
    cache, key = _cache_key(request, operation, arguments)
    cached = cache.lookup(request, key, max_age=settings.result_cache_max_age_s, alias=alias)
    if cached is not None:
        return cached
    answer = await executor.execute_async(operation.text, **arguments)
    return cache.respond(key, answer, max_age=settings.result_cache_max_age_s, alias=alias)


def _dispatch_sync(
    request: Request, operation: protocol.ProtocolRequest, store: GraphStore, settings: Settings
) -> Response:
    if operation.operation is protocol.Operation.SERVICE_DESCRIPTION:
        return _service_description(request, operation, store, settings)
    guard.check_nesting(operation.text, limit=settings.max_query_nesting)  # before any parser runs
    if operation.operation is protocol.Operation.UPDATE:
        return _update(request, operation, settings)
    executor = executor_of(request)
    arguments = _query_arguments(request, operation, settings)
    cache, key = _cache_key(request, operation, arguments)
    cached = cache.lookup(request, key, max_age=settings.result_cache_max_age_s)
    if cached is not None:
        return cached
    answer = executor.execute(operation.text, **arguments)
    return cache.respond(key, answer, max_age=settings.result_cache_max_age_s)


def _cache_key(
    request: Request, operation: protocol.ProtocolRequest, arguments: dict[str, Any]
) -> tuple[ResultCache, CacheKey | None]:
    """The result cache and the key of this query's answer (None: the answer may change without a write)."""
    cache: ResultCache = request.app.state.result_cache
    if not cacheable(operation.text):
        return cache, None
    return cache, cache.key("sparql", operation.text, **arguments)


def _query_arguments(request: Request, operation: protocol.ProtocolRequest, settings: Settings) -> dict[str, Any]:
    """The executor's keyword arguments for a query: its formats, dataset and base.

    Raises:
        QueryRejected (403): LOAD or a SERVICE that is not allowed.
        NotAcceptable (406): no format for this query form matches the Accept header.
    """
    shape = guard.scan(operation.text)
    guard.check_allowed(shape, allowed_services=settings.service_allowlist)
    results_offer, graph_offer = negotiate_query(
        request.headers.get("accept"), shape.form, format_override=operation.format
    )
    return {
        "results_type": results_offer.media_type if results_offer else None,
        "graph_type": graph_offer.media_type if graph_offer else None,
        "dataset": operation.dataset,
        # with FROM/FROM NAMED the query picks its dataset; a union would override it
        "default_graph_as_union": not shape.has_dataset_clause,
        "base_iri": settings.base_iri,
    }


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
    build: str | None = request.app.state.build_id
    if offer is HTML:
        page = service_page(endpoint, graphs, update=settings.update_enabled, build=build)
        return _response(page.encode("utf-8"), offer)
    triples = describe_service(
        endpoint, graphs, update=settings.update_enabled, federated=bool(settings.service_allowlist), build=build
    )
    return _response(write_graph(triples, offer), offer)


def endpoint_url(request: Request, settings: Settings) -> str:
    """The public URL of the endpoint: ``public_base_url`` + path if set, else the request URL."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + SPARQL_PATH
    return str(request.url.replace(query="", fragment=""))


def _response(body: bytes, offer: Offer) -> Response:
    return Response(body, media_type=offer.content_type, headers={"Vary": "Accept"})
