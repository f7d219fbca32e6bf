"""The dataset's self-description and its files: ``/.well-known/void`` and ``/dumps/``.

* ``/.well-known/void`` (RFC 8615 / https://www.w3.org/TR/void/#well-known): the VoID
  graph (``graph/void``) plus the DCAT catalogue of the dumps, content negotiated; HTML
  for browsers is the dataset's resource page.
* ``/dumps/`` lists the current build's dumps (HTML table, or the DCAT catalogue as RDF).
* ``/dumps/{file}`` serves one of them: only names listed in the build's
  ``dumps/dumps.json`` (plus ``SHA256SUMS`` and ``catalog.ttl``), so no path can leave
  the folder. ``ETag`` is the SHA-256 of the file, and ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from starlette.responses import FileResponse, Response

from ...errors import NotFound
from ...publish import CATALOG_NAME, CHECKSUMS_NAME, DATASET_PATH, DUMPS_DIR, read_dumps_manifest
from ...settings import Settings
from ...store import GraphStore, sha256_file
from .. import describe, pages
from ..dependencies import get_settings, get_store
from ..formats import HTML
from ..negotiation import negotiate
from .linked_data import LD_OFFERS, represent, write_quads

router = APIRouter(tags=["Dataset description and dumps"])

StoreDep = Annotated[GraphStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_SIDE_FILES = {CATALOG_NAME: "text/turtle; charset=utf-8", CHECKSUMS_NAME: "text/plain; charset=utf-8"}


def _dumps(request: Request) -> tuple[Path | None, dict[str, Any] | None]:
    build: Path | None = request.app.state.build
    if build is None:
        return None, None
    return build / DUMPS_DIR, read_dumps_manifest(build)


def _catalog_quads(folder: Path | None) -> list[ox.Quad]:
    if folder is None or not (folder / CATALOG_NAME).is_file():
        return []
    return [ox.Quad(t.subject, t.predicate, t.object) for t in
            ox.parse(path=str(folder / CATALOG_NAME), format=ox.RdfFormat.TURTLE)]


@router.get("/.well-known/void", summary="The VoID description of the dataset")
def well_known_void(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """``graph/void`` plus the dumps' DCAT catalogue as RDF; HTML: the dataset's page.

    Raises:
        NotAcceptable (406). StoreError (503) without a loaded graph.
    """
    path = request.url.path
    offer = negotiate(request.headers.get("accept"), LD_OFFERS, format_override=request.query_params.get("format"))
    if offer is HTML:
        desc = describe.describe(store, settings.iri(DATASET_PATH), base=settings.base_iri)
        formats = [(o.media_type, f"{path}?format={o.names[0]}") for o in LD_OFFERS if o is not HTML]
        body = pages.resource_body(pages.Site(settings.base_iri), desc, formats)
        html = pages.page("VoID: " + pages.title_of(desc), body, alternates=formats)
        return Response(html.encode("utf-8"), media_type=HTML.content_type, headers={"Vary": "Accept"})
    folder, _ = _dumps(request)
    quads = describe.graph_quads(store, settings.iri("graph/void"), base=settings.base_iri) + _catalog_quads(folder)
    response = represent(request, path, offer, False, write_quads(quads, offer))
    del response.headers["Link"]
    return response


@router.get("/dumps", include_in_schema=False)
@router.get("/dumps/", summary="The dumps of the current build")
def dumps_index(request: Request, settings: SettingsDep) -> Response:
    """The dump files (name, format, size, SHA-256) as HTML, or the DCAT catalogue as RDF."""
    folder, manifest = _dumps(request)
    offer = negotiate(request.headers.get("accept"), LD_OFFERS, format_override=request.query_params.get("format"))
    if offer is not HTML:
        response = represent(request, "/dumps/", offer, False, write_quads(_catalog_quads(folder), offer))
        del response.headers["Link"]
        return response
    files = (manifest or {}).get("files", [])
    rows = "".join(
        f'<tr><td><a href="/dumps/{escape(f["name"], quote=True)}">{escape(f["name"])}</a></td>'
        f'<td>{escape(f["media_type"])}{" (gzip)" if f.get("compress_format") else ""}</td>'
        f'<td>{int(f["bytes"]):,}</td><td><code>{escape(f["sha256"])}</code></td></tr>'
        for f in files
    )
    version = escape(str((manifest or {}).get("build_id", "")))
    body = (
        "<h1>Dumps</h1>"
        + (f"<p>Build <code>{version}</code>. The whole dataset with its named graphs, compressed with gzip. "
           f'Checksums: <a href="/dumps/{CHECKSUMS_NAME}">{CHECKSUMS_NAME}</a> (<code>sha256sum -c</code>); '
           f'DCAT description: <a href="/dumps/{CATALOG_NAME}">{CATALOG_NAME}</a>.</p>'
           "<table><tr><th>file</th><th>format</th><th>bytes</th><th>SHA-256</th></tr>" + rows + "</table>"
           if files else '<p class="notice">This server has no dumps for the graph it serves.</p>')
    )
    return Response(pages.page("Dumps", body).encode("utf-8"), media_type=HTML.content_type, headers={"Vary": "Accept"})


@router.api_route("/dumps/{name}", methods=["GET", "HEAD"], summary="One dump file")
def dump_file(request: Request, name: str) -> Response:
    """The file ``name`` if the build lists it, with ``ETag`` = its SHA-256.

    Raises:
        NotFound (404): not a file of the current build's dumps.
    """
    folder, manifest = _dumps(request)
    listed = {f["name"]: f for f in (manifest or {}).get("files", [])}
    if folder is None or (name not in listed and name not in _SIDE_FILES):
        raise NotFound(f"no dump file named {name!r}; see /dumps/")
    path = folder / name
    if name in listed:
        media_type, digest = "application/gzip" if listed[name].get("compress_format") else listed[name]["media_type"], \
            listed[name]["sha256"]
    else:
        media_type, digest = _SIDE_FILES[name], sha256_file(path)
    etag = f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    response = FileResponse(path, media_type=media_type, filename=name, headers=headers)
    response.headers["ETag"] = etag
    return response
