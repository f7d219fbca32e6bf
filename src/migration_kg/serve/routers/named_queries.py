"""Curated questions as a web API (the grlc pattern): each ``queries/*.rq`` is ``GET /api/queries/{name}``.

* ``GET /api/queries`` lists the queries (JSON, or HTML for browsers): title, description,
  parameters, the competency question each answers, and links.
* ``GET /api/queries/{name}?param=value`` runs one. The values are bound by pyoxigraph
  ``substitutions=`` as typed RDF terms (``queries.ParamKind``), never pasted into the text;
  results are negotiated as on ``/sparql`` (``Accept`` or ``format=``), and cached by query
  name, bindings and format as ``/sparql`` answers are (``serve.result_cache``).
* ``GET /api/queries/{name}.rq`` returns the query text (``application/sparql-query``).

Errors: an unknown query is a 404; an unknown, repeated, missing or ill-typed parameter a
400 whose message names the parameter. Every query gets its own route at app creation, so
``/openapi.json`` documents each with its summary and typed parameters.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import Response

from ...errors import NotFound
from ...queries import NamedQuery, Param, ParamKind, load_queries
from ...settings import Settings
from .. import guard
from ..dependencies import get_executor, get_settings
from ..executor import QueryExecutor
from ..formats import HTML, JSON, RDF_OFFERS, RESULT_OFFERS, negotiate_query
from ..negotiation import Offer, negotiate
from ..result_cache import ResultCache, cacheable
from ..worker import QueryAnswer

API_PATH = "/api/queries"
TAG = "named queries"
_LIST_OFFERS = (JSON, HTML)

ExecutorDep = Annotated[QueryExecutor, Depends(get_executor)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

#: OpenAPI schema of a parameter of each kind (the server checks the value itself, see ``queries.to_term``).
_SCHEMAS: dict[ParamKind, dict[str, Any]] = {
    ParamKind.IRI: {"type": "string", "format": "uri"},
    ParamKind.STRING: {"type": "string"},
    ParamKind.LANGSTRING: {"type": "string", "pattern": r"^.*@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
    ParamKind.LITERAL: {"type": "string", "description": 'an N-Triples literal: "text", "text"@en or "5"^^<datatype>'},
    ParamKind.INTEGER: {"type": "integer"},
    ParamKind.DECIMAL: {"type": "string", "pattern": r"^[+-]?(\d+(\.\d*)?|\.\d+)$"},
    ParamKind.BOOLEAN: {"type": "boolean"},
    ParamKind.DATE: {"type": "string", "format": "date"},
    ParamKind.GYEAR: {"type": "string", "pattern": r"^-?\d{4,}$"},
}
_FORMAT_PARAM = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "Result format, overriding the Accept header: json, xml, csv, tsv (SELECT/ASK) "
    "or ttl, nt, nq, trig, jsonld, rdfxml (CONSTRUCT/DESCRIBE).",
    "schema": {"type": "string"},
}


def execute(
    executor: QueryExecutor,
    settings: Settings,
    text: str,
    substitutions: Mapping[str, Any],
    *,
    results: Offer | None,
    graph: Offer | None,
) -> QueryAnswer:
    """Run a named query's text with its parameter bindings: the one place named queries reach the engine.

    The query executor runs it as it runs ``/sparql`` queries (worker processes, deadline,
    caps); the bindings cross to the worker as RDF terms, never as query text.

    Raises:
        QueryError (400), NotAcceptable (406), ResultTooLarge (422), Overloaded (429),
        QueryTimeout (503), StoreError (503), as the executor raises them.
    """
    return executor.execute(
        text,
        results_type=results.media_type if results else None,
        graph_type=graph.media_type if graph else None,
        substitutions=substitutions,
        base_iri=settings.base_iri,
    )


def install(app: FastAPI, settings: Settings) -> None:
    """Load ``settings.queries_dir`` and add the list, text and one run route per query to ``app``.

    Raises:
        ConfigError: a query file is malformed (the app does not start; the message names the file).
    """
    queries = load_queries(settings.queries_dir, base_iri=settings.base_iri)
    app.state.named_queries = queries
    router = APIRouter(tags=[TAG])
    router.add_api_route(
        API_PATH,
        list_queries,
        methods=["GET"],
        summary="List the named queries",
        response_class=Response,
        responses={200: {"content": {JSON.media_type: {}, HTML.media_type: {}}}},
    )
    router.add_api_route(
        API_PATH + "/{name}.rq",
        query_text,
        methods=["GET"],
        summary="The SPARQL text of a named query",
        response_class=Response,
        responses={200: {"content": {"application/sparql-query": {}}}, 404: {"description": "No such query"}},
    )
    for query in queries.values():
        router.add_api_route(
            f"{API_PATH}/{query.name}",
            NamedQueryEndpoint(query).run,
            methods=["GET"],
            name=f"named-query:{query.name}",
            summary=query.title,
            description=_description(query),
            operation_id=f"query_{query.name.replace('-', '_')}",
            response_class=Response,
            openapi_extra={"parameters": [*(_openapi_param(p) for p in query.params), _FORMAT_PARAM]},
            responses=_responses(query),
        )
    router.add_api_route(API_PATH + "/{name}", unknown_query, methods=["GET"], include_in_schema=False)
    app.include_router(router)


class NamedQueryEndpoint:
    """The handler of one named query (``run`` is registered as the route's endpoint)."""

    def __init__(self, query: NamedQuery) -> None:
        """Serve ``query``."""
        self.query = query
        self.offers = _offers(query)

    def run(self, request: Request, executor: ExecutorDep, settings: SettingsDep) -> Response:
        """Bind the request's parameters, run the query and write the negotiated result.

        Raises:
            QueryError (400): unknown or bad parameter. NotAcceptable (406). ResultTooLarge (422).
            Overloaded (429). QueryTimeout, StoreError (503).
        """
        params = request.query_params.multi_items()
        substitutions = self.query.bindings(params)
        form, fmt = guard.scan(self.query.text).form, request.query_params.get("format")
        results, graph = negotiate_query(request.headers.get("accept"), form, format_override=fmt)  # 406 before it runs
        cache: ResultCache = request.app.state.result_cache
        key = None
        if cacheable(self.query.text):
            key = cache.key(
                "named", self.query.name, substitutions=substitutions, base_iri=settings.base_iri,
                results_type=results.media_type if results else None, graph_type=graph.media_type if graph else None,
            )  # fmt: skip
        cached = cache.lookup(request, key, max_age=settings.result_cache_max_age_s)
        if cached is not None:
            return cached
        answer = execute(executor, settings, self.query.text, substitutions, results=results, graph=graph)
        return cache.respond(key, answer, max_age=settings.result_cache_max_age_s)


def list_queries(request: Request) -> Response:
    """``GET /api/queries``: every named query with its title, description, parameters, CQ and links (JSON or HTML).

    Raises:
        NotAcceptable (406): the client accepts neither JSON nor HTML.
    """
    queries: dict[str, NamedQuery] = request.app.state.named_queries
    offer = negotiate(request.headers.get("accept"), _LIST_OFFERS, format_override=request.query_params.get("format"))
    entries = [describe(q) for q in queries.values()]
    if offer is HTML:
        return Response(_page(entries).encode("utf-8"), media_type=HTML.content_type, headers={"Vary": "Accept"})
    body = json.dumps({"queries": entries}, ensure_ascii=False, indent=2).encode("utf-8")
    return Response(body, media_type=JSON.content_type, headers={"Vary": "Accept"})


def query_text(name: str, request: Request) -> Response:
    """``GET /api/queries/{name}.rq``: the query's SPARQL text (as loaded, with the configured base).

    Raises:
        NotFound (404): no such query.
    """
    query = _lookup(request, name)
    return Response(query.text.encode("utf-8"), media_type="application/sparql-query; charset=utf-8")


def unknown_query(name: str, request: Request) -> Response:
    """Any other ``/api/queries/{name}``: a 404 that lists the known names.

    Raises:
        NotFound: always.
    """
    _lookup(request, name)
    raise NotFound(f"no query named {name!r}")  # pragma: no cover - a known name has its own route


def describe(query: NamedQuery) -> dict[str, Any]:
    """The listing entry of ``query``: name, title, description, CQ, parameters and relative links."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "cq": query.cq,
        "params": [
            {"name": p.name, "kind": p.kind, "required": p.required, "description": p.description, "default": p.default}
            for p in query.params
        ],
        "url": f"{API_PATH}/{query.name}",
        "text": f"{API_PATH}/{query.name}.rq",
    }


def _lookup(request: Request, name: str) -> NamedQuery:
    queries: dict[str, NamedQuery] = request.app.state.named_queries
    if name not in queries:
        raise NotFound(f"no query named {name!r}; see {API_PATH} for the list")
    return queries[name]


def _description(query: NamedQuery) -> str:
    lines = [query.description or query.title]
    if query.cq:
        lines.append(f"Answers competency question {query.cq}.")
    lines.append(f"SPARQL text: [{API_PATH}/{query.name}.rq]({API_PATH}/{query.name}.rq).")
    return "\n\n".join(lines)


def _openapi_param(param: Param) -> dict[str, Any]:
    schema = dict(_SCHEMAS[param.param_kind])
    if param.default is not None:
        iri_default = param.param_kind is ParamKind.IRI and param.default.startswith("<")
        schema["default"] = param.default[1:-1] if iri_default else param.default
    description = f"{param.description} (kind: {param.kind}; bound to ?{param.name})".strip()
    return {"name": param.name, "in": "query", "required": param.required, "description": description, "schema": schema}


def _offers(query: NamedQuery) -> tuple[Offer, ...]:
    """What ``query`` can answer in: RDF for CONSTRUCT/DESCRIBE, SPARQL results for SELECT/ASK."""
    shape = guard.scan(query.text)
    return RDF_OFFERS if shape.form is not None and shape.form.returns_graph else RESULT_OFFERS


def _responses(query: NamedQuery) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": "The query's results", "content": {o.media_type: {} for o in _offers(query)}},
        400: {"description": "An unknown parameter, or a value that is not of the parameter's kind"},
        406: {"description": "No acceptable result format"},
    }


def _page(entries: list[dict[str, Any]]) -> str:
    rows = []
    for e in entries:
        params = ", ".join(
            f"<code>{html.escape(p['name'])}</code> ({html.escape(p['kind'])}"
            + (", required" if p["required"] else "")
            + (f", default {html.escape(p['default'])}" if p["default"] else "")
            + ")"
            for p in e["params"]
        )
        rows.append(
            "<tr>"
            f"<td>{html.escape(e['cq'] or '')}</td>"
            f"<td><a href=\"{html.escape(e['url'])}\">{html.escape(e['name'])}</a></td>"
            f"<td>{html.escape(e['title'])}<br><small>{html.escape(e['description'])}</small></td>"
            f"<td>{params or '—'}</td>"
            f"<td><a href=\"{html.escape(e['text'])}\">.rq</a></td>"
            "</tr>"
        )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Named queries</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;"
        "vertical-align:top;text-align:left}</style></head><body>"
        "<h1>Named queries</h1><p>Each question is a web API call: <code>GET /api/queries/{name}</code>, "
        "parameters as query-string values, results as SPARQL JSON, XML, CSV or TSV. "
        "They are described in the <a href=\"/openapi.json\">OpenAPI document</a> (try them at "
        "<a href=\"/docs\">/docs</a>).</p>"
        "<table><thead><tr><th>CQ</th><th>name</th><th>question</th><th>parameters</th><th>text</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>\n"
    )
