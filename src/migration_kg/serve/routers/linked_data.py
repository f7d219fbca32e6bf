"""Linked Data: every IRI we mint dereferences here (https://www.w3.org/TR/cooluris/).

A request for ``/id/…``, ``/doc/…``, ``/vocab/…``, ``/evidence/…``, ``/statement/…``,
``/rule/…``, ``/graph/…`` or ``/ontology`` is the IRI ``Settings.base_iri`` + path.
The answer is content negotiated on the same URL (``Vary: Accept``, with a
``Content-Location`` naming the representation): HTML for browsers, or the resource's
symmetric description (outgoing, incoming, blank nodes, the reified statements about it
and their evidence) as Turtle, N-Triples, N-Quads, TriG, JSON-LD or RDF/XML. An
extension (``/id/state/ECU.ttl``) or ``?format=ttl`` picks one explicitly. Document
pages show the text with every extracted fact marked; ``?start=&end=`` highlights one
passage (``#hl`` scrolls to it). An IRI the graph knows nothing about is a 404.

Handlers are plain ``def`` (run in the thread pool); every query they run is a bounded
``.rq`` file (``serve/queries``).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from ...corpus import SUFFIXES, load_document
from ...errors import CorpusError, MigrationKGError, NotFound, QueryError
from ...namespaces import PREFIXES
from ...publish import TEXTS_DIR
from ...queries import load_queries
from ...settings import Settings
from ...store import GraphStore
from .. import describe, pages
from ..dependencies import get_settings, get_store
from ..formats import HTML, JSON_LD, N_QUADS, N_TRIPLES, RDF_OFFERS, RDF_XML, TRIG, TURTLE, write_graph
from ..iri_paths import checked_iri, request_path, to_uri
from ..negotiation import Offer, negotiate

router = APIRouter(tags=["Linked Data"])

StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

#: Path prefixes of the IRIs we mint (``docs/contracts.md``); ``doc`` has its own handler.
RESOURCE_PREFIXES = ("id", "vocab", "evidence", "statement", "rule", "graph")
LD_OFFERS: tuple[Offer, ...] = (HTML, *RDF_OFFERS)
EXTENSIONS: dict[str, Offer] = {
    ".html": HTML, ".ttl": TURTLE, ".nt": N_TRIPLES, ".nq": N_QUADS, ".trig": TRIG, ".jsonld": JSON_LD, ".rdf": RDF_XML,
}
_EXTENSION_OF = {offer: ext for ext, offer in EXTENSIONS.items()}
_QUAD_FORMATS = {N_QUADS: ox.RdfFormat.N_QUADS, TRIG: ox.RdfFormat.TRIG}


def split_extension(path: str) -> tuple[str, Offer | None]:
    """``/id/state/ECU.ttl`` -> (``/id/state/ECU``, Turtle); a path without a known extension is kept whole.

    >>> split_extension("/id/state/ECU.ttl")[0]
    '/id/state/ECU'
    >>> split_extension("/id/state/ECU")
    ('/id/state/ECU', None)
    """
    for ext, offer in EXTENSIONS.items():
        if path.endswith(ext) and len(path) > len(ext) and not path.endswith("/" + ext):
            return path[: -len(ext)], offer
    return path, None


def choose(request: Request) -> tuple[str, Offer, bool]:
    """(resource path, representation, negotiated?) for the request: extension, then ``format=``, then Accept.

    The resource path is the IRI form of the request path (``iri_paths.request_path``).

    Raises:
        InvalidIRI: the path is not UTF-8 (400). NotAcceptable: nothing offered matches (406).
    """
    path, by_extension = split_extension(request_path(request))
    if by_extension is not None:
        return path, by_extension, False
    wanted = request.query_params.get("format")
    offer = negotiate(request.headers.get("accept"), LD_OFFERS, format_override=wanted)
    return path, offer, not wanted


def alternates(path: str) -> list[tuple[str, str]]:
    """(media type, URL) of every RDF representation of the resource at ``path`` (URLs in URI form, fit for headers)."""
    return [(offer.media_type, to_uri(path + _EXTENSION_OF[offer])) for offer in RDF_OFFERS]


def represent(request: Request, path: str, offer: Offer, negotiated: bool, body: bytes, *, status: int = 200) -> Response:
    """The response with the conneg headers: ``Vary``, ``Content-Location``, ``Link`` to the alternates."""
    headers = {"Vary": "Accept"}
    if negotiated:
        headers["Content-Location"] = to_uri(path + _EXTENSION_OF[offer])
    headers["Link"] = ", ".join(f'<{href}>; rel="alternate"; type="{media}"' for media, href in alternates(path))
    return Response(body, status_code=status, media_type=offer.content_type, headers=headers)


def write_quads(quads: list[ox.Quad], offer: Offer) -> bytes:
    """Serialise ``quads`` as ``offer``: quads for N-Quads/TriG, their distinct triples otherwise."""
    if offer in _QUAD_FORMATS:
        options: dict[str, Any] = {"prefixes": PREFIXES} if offer is TRIG else {}
        body = ox.serialize(quads, format=_QUAD_FORMATS[offer], **options)
        assert body is not None
        return body
    triples = list(dict.fromkeys(q.triple for q in quads))
    return write_graph(triples, offer)


def not_found(request: Request, path: str, offer: Offer, iri: str) -> Response:
    """404 for an IRI the graph says nothing about: an HTML page for browsers, else the error handler's text/JSON."""
    if offer is HTML:
        body = pages.page("Not found", pages.not_found_body(iri)).encode("utf-8")
        return Response(body, status_code=404, media_type=HTML.content_type, headers={"Vary": "Accept"})
    raise NotFound(f"the graph says nothing about <{iri}>")


def _site(settings: Settings) -> pages.Site:
    return pages.Site(settings.base_iri)


def resource(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Dereference ``/id/…``, ``/vocab/…``, ``/evidence/…``, ``/statement/…``, ``/rule/…``, ``/graph/…``.

    Raises:
        InvalidIRI (400): the path names no IRI. NotFound (404, non-HTML), NotAcceptable (406),
        StoreError (503).
    """
    path, offer, negotiated = choose(request)
    iri = checked_iri(settings.base_iri, path)
    if offer is HTML:
        desc = describe.describe(store, iri, base=settings.base_iri)
        if not desc.exists:
            return not_found(request, path, offer, iri)
        body = pages.page(pages.title_of(desc), pages.resource_body(_site(settings), desc, alternates(path)),
                          alternates=alternates(path))
        return represent(request, path, offer, negotiated, body.encode("utf-8"))
    quads = describe.describe_quads(store, iri, base=settings.base_iri)
    if not quads:
        return not_found(request, path, offer, iri)
    return represent(request, path, offer, negotiated, write_quads(quads, offer))


for _prefix in RESOURCE_PREFIXES:
    router.add_api_route(f"/{_prefix}/{{rest:path}}", resource, methods=["GET", "HEAD"],
                         summary=f"Dereference an IRI under {_prefix}/")


@router.api_route("/doc/{rest:path}", methods=["GET", "HEAD"], summary="A document: its text with every fact marked")
def document(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    start: Annotated[int | None, Query(ge=0, description="Start offset of a passage to highlight")] = None,
    end: Annotated[int | None, Query(ge=0, description="End offset (exclusive) of the passage")] = None,
) -> Response:
    """The document page (catalogue record, text with marks, facts), or its RDF description.

    Raises:
        QueryError (400): ``start``/``end`` are not a span of the text. InvalidIRI (400): the
        path names no IRI. NotFound (404).
    """
    path, offer, negotiated = choose(request)
    iri = checked_iri(settings.base_iri, path)
    if offer is not HTML:
        quads = describe.describe_quads(store, iri, base=settings.base_iri)
        if not quads:
            return not_found(request, path, offer, iri)
        return represent(request, path, offer, negotiated, write_quads(quads, offer))
    desc = describe.describe(store, iri, base=settings.base_iri)
    if not desc.exists:
        return not_found(request, path, offer, iri)
    doc_id = path.removeprefix("/doc/")
    text = document_text(request, settings, doc_id)
    highlight = None
    if start is not None or end is not None:
        if start is None or end is None or text is None or not start < end <= len(text):
            limit = len(text) if text is not None else 0
            raise QueryError(f"start and end must both be given, with 0 <= start < end <= {limit}")
        highlight = (start, end)
    site = _site(settings)
    extractions = describe.document_extractions(store, iri, base=settings.base_iri)
    body = [pages.resource_body(site, desc, alternates(path)).split("<h2>Properties</h2>")[0]]
    record = [(label, desc.values(prop)) for label, prop in (
        ("title", "http://purl.org/dc/terms/title"), ("date", "http://purl.org/dc/terms/date"),
        ("publisher", "http://purl.org/dc/terms/publisher"),
        ("type", settings.iri("ontology#documentType")),
        ("identifier", "http://purl.org/dc/terms/identifier"), ("source", "http://xmlns.com/foaf/0.1/page"))]
    body.append('<h2>Catalogue record</h2><dl class="record">' + "".join(
        f"<dt>{label}</dt><dd>{'; '.join(site.node(v.node, v.label) for v in values)}</dd>"
        for label, values in record if values) + "</dl>")
    if highlight:
        body.append(f'<p class="notice">Highlighted: characters {start}–{end}. '
                    f'<a href="#hl">Jump to the passage</a>.</p>')
    body.append(f"<h2>Text</h2><p>{len(extractions)} extractions are marked; hover a mark for its facts "
                "and rule, follow it for the evidence.</p>")
    if text is None:
        body.append('<p class="notice">The text of this document is not available on this server.</p>')
    else:
        body.append(pages.document_text_html(site, text, extractions, highlight))
    body.append("<h2>Facts extracted</h2>" + pages.facts_table(site, iri, extractions))
    body.append("<h2>Everything about this document</h2>"
                + pages.relations_table(site, desc.outgoing, desc.property_labels, incoming=False))
    html = pages.page(pages.title_of(desc), "\n".join(body), alternates=alternates(path))
    return represent(request, path, offer, negotiated, html.encode("utf-8"))


def document_text(request: Request, settings: Settings, doc_id: str) -> str | None:
    """The text the evidence offsets index into: the build's ``texts/<id>.txt``, else the corpus file.

    Only names listed in the folder are read, so a crafted id cannot leave it.

    Raises:
        CorpusError: the corpus file exists but cannot be read.
    """
    build: Path | None = request.app.state.build
    wanted = f"{doc_id}.txt"
    if build is not None and (build / TEXTS_DIR).is_dir():
        for entry in (build / TEXTS_DIR).iterdir():
            if entry.name == wanted:
                return entry.read_text("utf-8")
        return None
    if settings.corpus_dir.is_dir():
        for entry in settings.corpus_dir.iterdir():
            if entry.stem == doc_id and entry.suffix.lower() in SUFFIXES:
                try:
                    return load_document(entry).text
                except CorpusError:
                    return None
    return None


@router.api_route("/ontology", methods=["GET", "HEAD"], summary="The ontology (hash IRIs land here)")
@router.api_route("/ontology{ext}", methods=["GET", "HEAD"], include_in_schema=False)
def ontology(request: Request, store: StoreDep, settings: SettingsDep, ext: str = "") -> Response:
    """The ontology as HTML (terms anchored by local name) or RDF (``graph/ontology``).

    Raises:
        NotFound (404): an unknown extension. NotAcceptable (406).
    """
    if ext and ext not in EXTENSIONS:
        raise NotFound(f"no representation /ontology{ext}")
    path, offer, negotiated = choose(request)
    graph = settings.iri("graph/ontology")
    iri = settings.iri("ontology")
    if offer is not HTML:
        quads = describe.graph_quads(store, graph, base=settings.base_iri)
        return represent(request, path, offer, negotiated, write_quads(quads, offer))
    desc = describe.describe(store, iri, base=settings.base_iri)
    terms = describe.ontology_terms(store, graph, iri + "#", base=settings.base_iri)
    titles = desc.literals("http://purl.org/dc/terms/title")
    descriptions = desc.literals("http://purl.org/dc/terms/description")
    body = pages.ontology_body(_site(settings), titles[0] if titles else "Ontology",
                               descriptions[0] if descriptions else None, terms, alternates(path))
    html = pages.page(titles[0] if titles else "Ontology", body, alternates=alternates(path))
    return represent(request, path, offer, negotiated, html.encode("utf-8"))


@router.api_route("/ontology/{version}", methods=["GET", "HEAD"], summary="A version IRI of the ontology")
def ontology_version(store: StoreDep, settings: SettingsDep, version: str) -> Response:
    """``owl:versionIRI`` of the ontology: 303 to ``/ontology`` when it is the version served.

    Raises:
        NotFound (404): a version this server does not serve.
    """
    desc = describe.describe(store, settings.iri("ontology"), base=settings.base_iri)
    served = {v.node.value for v in desc.values("http://www.w3.org/2002/07/owl#versionIRI")}
    if settings.iri("ontology/" + version) not in served:
        raise NotFound(f"ontology version {version!r} is not served here; the current one is at /ontology")
    return Response(status_code=303, headers={"Location": "/ontology"})


@router.get("/classes", summary="The instances of one class")
def class_instances(
    request: Request, store: StoreDep, settings: SettingsDep,
    class_: Annotated[str, Query(alias="class", min_length=1, max_length=2000, description="Class IRI")],
) -> Response:
    """An HTML list of the instances of ``class`` (at most 2000).

    Raises:
        QueryError (400): ``class`` is not an IRI.
    """
    try:
        node = ox.NamedNode(class_)
    except ValueError as exc:
        raise QueryError(f"class must be an IRI: {exc}") from exc
    site = _site(settings)
    rows = describe.instances(store, node.value, base=settings.base_iri)
    items = "".join(f"<li>{site.node(s, label)}</li>" for s, label in rows)
    body = (f"<h1>Instances of {site.link(node.value, site.curie(node.value))}</h1>"
            f"<p>{len(rows)} shown{' (the first 2000)' if len(rows) >= 2000 else ''}.</p><ul>{items}</ul>")
    return Response(pages.page(f"Instances of {site.curie(node.value)}", body).encode("utf-8"),
                    media_type=HTML.content_type)


@router.api_route("/", methods=["GET", "HEAD"], summary="Home page")
def home(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """The home page: what this is, where to go, the classes in use, example queries.

    Clients asking for RDF get the VoID description (``/.well-known/void``) by 303.
    """
    offer = negotiate(request.headers.get("accept"), LD_OFFERS, format_override=request.query_params.get("format"))
    if offer is not HTML:
        return Response(status_code=303, headers={"Location": "/.well-known/void", "Vary": "Accept"})
    site = _site(settings)
    try:
        examples = list(load_queries(settings.queries_dir).values())[:4]
    except (MigrationKGError, OSError):  # the named queries belong to another router; the home page does without them
        examples = []
    example_html = "".join(
        f"<h3>{escape(q.title)}</h3><pre class=\"query\">{escape(q.text)}</pre>"
        f'<p><a href="{escape("/sparql?" + urlencode({"query": q.text}), quote=True)}">run it</a></p>'
        for q in examples
    )
    body = f"""<h1>Migration governance knowledge graph</h1>
<p>Who does what in global migration governance — the Global Forum on Migration and Development (GFMD), the Global
Compact for Migration (GCM), the International Migration Review Forum (IMRF), the UN Network on Migration and the
Regional Consultative Processes — extracted by rules from the documents these bodies publish. Every fact taken
from a document links to the passage it was read from.</p>
<p>{store.quads_count()} quads. Every IRI under <code>{escape(settings.base_iri)}</code> resolves here
(HTML for people, RDF by content negotiation).</p>
<ul>
<li><a href="/explore">Explore</a>: search names and evidence, browse by facets</li>
<li><a href="/sparql">SPARQL 1.1 endpoint</a> (read-only)</li>
<li><a href="/dumps/">Dumps</a> (N-Quads, TriG; checksums and DCAT)</li>
<li><a href="/.well-known/void">VoID description</a> of the dataset</li>
<li><a href="/ontology">The ontology</a></li>
<li>Example resources: {site.link(settings.iri("id/state/ECU"), "Ecuador")},
{site.link(settings.iri("vocab/gcm-objective"), "GCM objectives")}</li>
</ul>
<h2>Classes</h2>
{pages.class_list(site, describe.class_counts(store, base=settings.base_iri))}
<h2>Example queries</h2>
{example_html or "<p>None installed.</p>"}
"""
    return Response(pages.page("Home", body).encode("utf-8"), media_type=HTML.content_type,
                    headers={"Vary": "Accept"})

