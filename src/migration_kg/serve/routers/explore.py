"""The researchers' explorer under ``/explore``: search, suggestions, facets (JSON APIs) and the pages.

* ``GET /explore/api/search?q=`` — entities and evidence passages from the build's search
  index (``search.sqlite``), each ranked by bm25; ``/explore/api/suggest?q=`` — typed
  autocomplete entries. A query without a word, or too long, is a 400 naming the problem.
* ``GET /explore/api/facets?kind=events&year=2019&process=<iri>`` — the instances of a kind
  narrowed by facet values, every facet's counts over them, the result table (``format=csv``
  for the table as CSV, ``sort=`` a column, ``order=desc``).
* ``GET /explore`` — the page (``static/explore.js`` keeps the selection in the URL);
  ``GET /explore/entity?iri=`` — one entity's facts, each with its evidence.

Handlers are plain ``def``: FastAPI runs them in its thread pool, where SQLite and the
executor may block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import JSONResponse, Response

from ...errors import NotFound, QueryError, StoreError
from ...search import INDEX_NAME, SearchIndex
from ...settings import Settings
from ..dependencies import executor_of, get_settings
from ..explore import facets as facet_stage
from ..explore import render
from ..explore.entity import entity_view
from ..formats import HTML
from ..pages import Site, not_found_body, page

router = APIRouter(prefix="/explore", tags=["explorer"])
SettingsDep = Annotated[Settings, Depends(get_settings)]
STATIC = Path(__file__).resolve().parents[1] / "static"
#: The files under /explore/static/ (only these are served).
STATIC_FILES = {"explore.js": "text/javascript; charset=utf-8", "explore.css": "text/css; charset=utf-8"}
#: Parameters of /explore/api/facets other than facet names.
BROWSE_PARAMS = ("kind", "sort", "order", "format", "limit")

Q = Annotated[str, Query(min_length=1, max_length=1000, description="Words to look for (at most 200 characters)")]


def search_index(request: Request) -> SearchIndex:
    """The search index of the served build.

    Raises:
        StoreError: no build is served (an injected store has no index), 503.
    """
    build: Path | None = request.app.state.build
    if build is None:
        raise StoreError("search needs a served build (migration-kg build), with its search index")
    return SearchIndex(build / INDEX_NAME)


@router.get("/api/search", summary="Entities and evidence passages matching words, ranked by bm25")
def search(request: Request, q: Q, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> JSONResponse:
    """``{"query", "entities": [...], "passages": [...]}``; each list best first.

    Raises:
        QueryError (400): ``q`` has no word or is too long. StoreError (503): no index.
    """
    index = search_index(request)
    entities = index.entities(q, limit=limit)
    passages = index.passages(q, limit=limit)
    return JSONResponse({"query": q, "entities": [e.as_json() for e in entities],
                         "passages": [p.as_json() for p in passages]})


@router.get("/api/suggest", summary="Autocomplete: entities whose names start with the words typed")
def suggest(request: Request, q: Q, limit: Annotated[int, Query(ge=1, le=50)] = 8) -> JSONResponse:
    """``{"query", "suggestions": [{"label", "iri", "type", "typeLabel", "matched", "match"}]}``.

    Raises:
        QueryError (400): ``q`` has no word or is too long. StoreError (503): no index.
    """
    hits = search_index(request).entities(q, limit=limit)
    return JSONResponse({"query": q, "suggestions": [h.as_json() for h in hits]})


@router.get("/api/perspectives", summary="The kinds that can be browsed and their facets")
def perspectives() -> JSONResponse:
    """What ``perspectives.yaml`` declares, for the front end."""
    declared = facet_stage.load_perspectives()
    return JSONResponse({"kinds": [
        {"name": k.name, "label": k.label, "facets": [{"name": f.name, "label": f.label} for f in k.facets]}
        for k in declared.kinds.values()], "sort": list(facet_stage.SORT_COLUMNS)})


@router.get("/api/facets", summary="Faceted browse: a kind narrowed by facet values, with counts")
def facets(request: Request, settings: SettingsDep) -> Response:
    """The matching items, the facet counts over them, as JSON (or the items as CSV with ``format=csv``).

    Facet values are given as ``facet=value`` (``year=2019``, ``process=<IRI>``), one per facet.

    Raises:
        QueryError (400): an unknown kind, facet or parameter, a facet given twice, a bad sort,
        order, format or limit. StoreError, QueryTimeout (503), Overloaded (429).
    """
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise QueryError(f"{name} is given twice; one value per facet")
        params[name] = value
    kind = facet_stage.load_perspectives().kind(params.pop("kind", "events"))
    sort = params.pop("sort", "label")
    order = params.pop("order", "asc")
    form = params.pop("format", "json")
    limit = params.pop("limit", str(facet_stage.MAX_ROWS))
    if order not in ("asc", "desc"):
        raise QueryError(f"order={order!r} must be asc or desc")
    if form not in ("json", "csv"):
        raise QueryError(f"format={form!r} must be json or csv")
    if not limit.isdigit() or not 1 <= int(limit) <= facet_stage.MAX_ROWS:
        raise QueryError(f"limit={limit!r} must be a whole number from 1 to {facet_stage.MAX_ROWS}")
    result = facet_stage.browse(executor_of(request), kind, params, base=settings.base_iri, sort=sort,
                                descending=order == "desc", limit=int(limit))
    if form == "csv":
        return Response(result.to_csv().encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="migration-kg-{kind.name}.csv"'})
    return JSONResponse(result.as_json())


@router.get("", summary="The explorer page", include_in_schema=False)
def explore_page() -> Response:
    """The search, facet and result-table page."""
    return Response(render.explore_page(facet_stage.load_perspectives()).encode("utf-8"), media_type=HTML.content_type)


@router.get("/entity", summary="One entity's facts, each with its evidence")
def entity(request: Request, settings: SettingsDep,
           iri: Annotated[str, Query(min_length=1, max_length=2000, description="The entity's IRI")]) -> Response:
    """The entity page (HTML); a 404 page for an IRI the graph says nothing about.

    Raises:
        QueryError (400): ``iri`` is not an IRI.
    """
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"iri must be an absolute IRI: {exc}") from exc
    view = entity_view(executor_of(request), iri, base=settings.base_iri)
    if not view.exists:
        body = page("Not found", not_found_body(iri)).encode("utf-8")
        return Response(body, status_code=404, media_type=HTML.content_type)
    return Response(render.entity_page(Site(settings.base_iri), view).encode("utf-8"), media_type=HTML.content_type)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    """The explorer's script and stylesheet (only the files of :data:`STATIC_FILES`).

    Raises:
        NotFound (404): any other name.
    """
    if name not in STATIC_FILES:
        raise NotFound(f"no file /explore/static/{name}")
    return Response((STATIC / name).read_bytes(), media_type=STATIC_FILES[name],
                    headers={"Cache-Control": "no-cache"})
