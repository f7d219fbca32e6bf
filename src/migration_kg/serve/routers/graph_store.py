"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/rdf-graph-store``.

https://www.w3.org/TR/sparql11-http-rdf-update/

* ``?graph=<iri>`` names a graph of this store (indirect identification), ``?default`` the
  store's own default graph (empty in a build: the query endpoint's default graph is the
  union of all graphs), and a URL below the endpoint, ``/rdf-graph-store/…``, names the graph
  whose IRI is that URL (direct identification; ``Settings.public_base_url`` if set).
* ``GET``/``HEAD`` read one graph in any RDF format we write (404 if the named graph does
  not exist); reading needs no token, as every triple can be queried at ``/sparql`` anyway.
* ``PUT`` replaces a graph (201 if it was created, else 204), ``POST`` merges into it (also
  ``multipart/form-data`` of RDF files), ``POST`` without ``graph``/``default`` creates a new
  graph and answers 201 with its IRI in ``Location``, ``DELETE`` removes it (204, or 404).
  Writes need the update token (``serve.auth``).

Graph IRIs are taken as given (decoded once, from the query string) and never fetched.
"""

from __future__ import annotations

import uuid
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ...errors import NotFound, QueryError, UnsupportedMediaType
from ...settings import Settings
from ...store import RdfDocument
from ..auth import require_writer, store_changed, writable_store
from ..dependencies import get_settings, query_slot, request_body
from ..formats import RDF_OFFERS, write_graph
from ..negotiation import negotiate
from ..result_cache import NO_STORE

router = APIRouter(tags=["Graph Store protocol"])

GRAPH_STORE_PATH = "/rdf-graph-store"
#: Where graphs created by ``POST /rdf-graph-store`` are named (under ``Settings.base_iri``).
NEW_GRAPH_PATH = "graph/upload/"

_READ_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_MULTIPART = "multipart/form-data"

SettingsDep = Annotated[Settings, Depends(get_settings)]
SlotDep = Annotated[None, Depends(query_slot)]
BodyDep = Annotated[bytes, Depends(request_body)]


@router.api_route(GRAPH_STORE_PATH, methods=["GET", "HEAD"], summary="Read one graph")
@router.api_route(GRAPH_STORE_PATH + "/{path:path}", methods=["GET", "HEAD"], summary="Read the graph named by this URL")
def graph_get(request: Request, _slot: SlotDep) -> Response:
    """Answer ``GET``/``HEAD /rdf-graph-store?graph=<iri>`` or ``?default`` with the graph.

    Raises:
        QueryError (400: no or two graph selectors, a relative IRI), NotFound (404),
        NotAcceptable (406), StoreError (503).
    """
    graph = _target(request, required=True)
    offer = negotiate(request.headers.get("accept"), RDF_OFFERS, format_override=request.query_params.get("format"))
    store = writable_store(request)  # graph-level access is part of the writable interface
    if not store.graph_exists(graph):
        raise NotFound(f"no graph <{graph}> in this store")
    body = write_graph(store.graph_get(graph), offer)
    if request.method == "HEAD":
        headers = {"Content-Type": offer.content_type, "Content-Length": str(len(body)), "Vary": "Accept"}
        return Response(headers=headers)
    return Response(body, media_type=offer.content_type, headers={"Vary": "Accept"})


@router.put(GRAPH_STORE_PATH, summary="Replace one graph (needs the update token)")
@router.put(GRAPH_STORE_PATH + "/{path:path}", summary="Replace the graph named by this URL (needs the update token)")
def graph_put(request: Request, body: BodyDep, settings: SettingsDep, _slot: SlotDep) -> Response:
    """Replace the graph with the request body (RDF, or ``multipart/form-data`` of RDF files):
    201 if it was created, else 204.

    Raises:
        Forbidden (403), Unauthorized (401), QueryError (400: bad selector or RDF),
        UnsupportedMediaType (415), PayloadTooLarge (413), StoreError (503).
    """
    require_writer(request)
    graph = _target(request, required=True)
    documents = _documents(request.headers.get("content-type"), body)
    store = writable_store(request)
    created = store.graph_put(graph, documents, base_iri=graph or settings.base_iri)
    store_changed(request, store)
    return Response(status_code=201 if created else 204, headers={"Cache-Control": NO_STORE})


@router.post(GRAPH_STORE_PATH, summary="Merge into one graph, or create a new one (needs the update token)")
@router.post(GRAPH_STORE_PATH + "/{path:path}", summary="Merge into the graph named by this URL (needs the update token)")
def graph_post(request: Request, body: BodyDep, settings: SettingsDep, _slot: SlotDep) -> Response:
    """Merge the body (RDF, or ``multipart/form-data`` of RDF files) into the graph.

    Without ``graph``/``default`` a new graph is created under ``Settings.base_iri`` and the
    answer is 201 with its IRI in ``Location``; otherwise 201 if the graph was created, else 204.

    Raises:
        Forbidden (403), Unauthorized (401), QueryError (400), UnsupportedMediaType (415),
        PayloadTooLarge (413), StoreError (503).
    """
    require_writer(request)
    graph = _target(request, required=False)
    new_graph = graph is None and "default" not in request.query_params and "path" not in request.path_params
    if new_graph:
        graph = settings.iri(NEW_GRAPH_PATH + uuid.uuid4().hex)
    documents = _documents(request.headers.get("content-type"), body)
    store = writable_store(request)
    created = store.graph_post(graph, documents, base_iri=graph or settings.base_iri)
    store_changed(request, store)
    if new_graph:
        assert graph is not None
        return Response(status_code=201, headers={"Location": graph, "Cache-Control": NO_STORE})
    return Response(status_code=201 if created else 204, headers={"Cache-Control": NO_STORE})


@router.delete(GRAPH_STORE_PATH, summary="Remove one graph (needs the update token)")
@router.delete(GRAPH_STORE_PATH + "/{path:path}", summary="Remove the graph named by this URL (needs the update token)")
def graph_delete(request: Request, _slot: SlotDep) -> Response:
    """Remove the named graph (or empty the default graph): 204, or 404 if there is no such graph.

    Raises:
        Forbidden (403), Unauthorized (401), QueryError (400), NotFound (404), StoreError (503).
    """
    require_writer(request)
    graph = _target(request, required=True)
    store = writable_store(request)
    if not store.graph_delete(graph):
        raise NotFound(f"no graph <{graph}> in this store")
    store_changed(request, store)
    return Response(status_code=204, headers={"Cache-Control": NO_STORE})


def _target(request: Request, *, required: bool) -> str | None:
    """The graph IRI of ``?graph=`` or of a graph URL below the endpoint, or None for ``?default``
    (or, when not ``required``, for neither).

    Raises:
        QueryError: both or neither selector (when ``required``), ``graph`` repeated, or not absolute.
    """
    graphs = request.query_params.getlist("graph")
    default = "default" in request.query_params
    if "path" in request.path_params:  # direct identification: the request URL names the graph
        if graphs or default:
            raise QueryError("a graph URL takes neither ?graph= nor ?default")
        settings: Settings = request.app.state.settings
        base = settings.public_base_url.rstrip("/") if settings.public_base_url else str(request.base_url).rstrip("/")
        graphs = [base + request.url.path]
    if len(graphs) > 1:
        raise QueryError("the graph parameter is given more than once")
    if graphs and default:
        raise QueryError("give either ?graph=<iri> or ?default, not both")
    if not graphs:
        if required and not default:
            raise QueryError("name the graph: ?graph=<absolute IRI> or ?default")
        return None
    try:
        return ox.NamedNode(graphs[0]).value
    except ValueError as exc:
        raise QueryError(f"the graph parameter is not an absolute IRI: {graphs[0]!r}") from exc


def _body_format(content_type: str | None) -> ox.RdfFormat:
    """The RDF format of a body from its ``Content-Type``.

    Raises:
        UnsupportedMediaType: no Content-Type, one we do not parse, or a charset other than UTF-8.
    """
    accepted = ", ".join(_READ_FORMATS)
    if not content_type:
        raise UnsupportedMediaType(f"the body needs a Content-Type: {accepted}")
    media_type, *params = (p.strip().lower() for p in content_type.split(";"))
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"{param} is not supported; send UTF-8")
    if media_type not in _READ_FORMATS:
        raise UnsupportedMediaType(f"Content-Type {media_type!r} is not an RDF format we read: {accepted}")
    return _READ_FORMATS[media_type]


def _documents(content_type: str | None, body: bytes) -> list[RdfDocument]:
    """The RDF documents in a body: the body itself, or each part of a ``multipart/form-data``.

    Raises:
        UnsupportedMediaType: a body or part that is not an RDF format we read.
        QueryError: a multipart body without parts.
    """
    if not content_type or content_type.split(";")[0].strip().lower() != _MULTIPART:
        return [RdfDocument(body, _body_format(content_type))]
    header = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    parts = list(message.iter_parts()) if message.is_multipart() else []
    if not parts:
        raise QueryError("the multipart/form-data body has no parts")
    documents = []
    for part in parts:
        data = part.get_payload(decode=True)
        documents.append(RdfDocument(data if isinstance(data, bytes) else b"", _body_format(part.get("content-type"))))
    return documents
