"""The SPARQL 1.1 Protocol endpoint, over real HTTP against uvicorn."""

from __future__ import annotations

import csv
import doctest
import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from livehttp import BASE, DOC_GRAPH, LABEL, TEST_NQUADS, VOCAB_GRAPH, Canary, build_test_data_dir, serve
from rdflib.compare import isomorphic
from rdflib.query import Result

from migration_kg.errors import QueryRejected
from migration_kg.serve import create_app, guard, negotiation
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore, QueryResult

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SELECT_LABELS = f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }} ORDER BY ?label"
CONSTRUCT_DOC = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{DOC_GRAPH}> {{ ?s ?p ?o }} }}"
LABELS = {"Ecuador", "Côte d’Ivoire", "GFMD Dialogue on the GCM", "Genève"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    build_test_data_dir(data_dir)
    with serve(create_app(Settings(data_dir=data_dir, max_request_bytes=10_000))) as url:
        yield url


@pytest.fixture(scope="module")
def endpoint(server: str) -> str:
    return server + "/sparql"


def expected_doc_graph() -> rdflib.Graph:
    dataset = rdflib.Dataset()
    dataset.parse(data=TEST_NQUADS, format="nquads")
    graph = rdflib.Graph()
    for s, p, o in dataset.graph(rdflib.URIRef(DOC_GRAPH)):
        graph.add((s, p, o))
    return graph


def parse_graph(body: bytes, rdflib_format: str) -> rdflib.Graph:
    graph = rdflib.Graph()
    if rdflib_format in ("nquads", "trig"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=rdflib_format)
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
    else:
        graph.parse(data=body, format=rdflib_format)
    return graph


def labels_from_json(response: httpx.Response) -> set[str]:
    return {b["label"]["value"] for b in response.json()["results"]["bindings"]}


# --- the three ways to send a query ---------------------------------------------------------


def test_get_select(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": SELECT_LABELS})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
    assert labels_from_json(response) == LABELS


def test_post_form_select(endpoint: str) -> None:
    response = httpx.post(endpoint, data={"query": SELECT_LABELS})
    assert response.status_code == 200
    assert labels_from_json(response) == LABELS


def test_post_direct_select(endpoint: str) -> None:
    body = SELECT_LABELS.encode()
    response = httpx.post(endpoint, content=body, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 200
    assert labels_from_json(response) == LABELS


@pytest.mark.parametrize(
    ("media_type", "rdflib_format"),
    [
        ("application/sparql-results+json", "json"),
        ("application/sparql-results+xml", "xml"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
    ],
)
def test_select_result_formats_parse_back(endpoint: str, media_type: str, rdflib_format: str) -> None:
    response = httpx.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    result = Result.parse(io.BytesIO(response.content), format=rdflib_format)
    assert {str(row.label) for row in result} == LABELS  # type: ignore[union-attr]
    if rdflib_format == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
        assert {row["label"] for row in rows} == LABELS


@pytest.mark.parametrize(
    ("media_type", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/n-quads", "nquads"),
        ("application/trig", "trig"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_formats_are_isomorphic(endpoint: str, media_type: str, rdflib_format: str) -> None:
    response = httpx.get(endpoint, params={"query": CONSTRUCT_DOC}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert isomorphic(parse_graph(response.content, rdflib_format), expected_doc_graph())


def test_describe_answers_rdf(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": f"DESCRIBE <{BASE}id/state/ECU>"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    ecuador = (rdflib.URIRef(BASE + "id/state/ECU"), rdflib.URIRef(LABEL), rdflib.Literal("Ecuador"))
    assert ecuador in parse_graph(response.content, "turtle")


def test_ask_true_and_false(endpoint: str) -> None:
    assert httpx.get(endpoint, params={"query": "ASK { ?s ?p 'Ecuador' }"}).json()["boolean"] is True
    assert httpx.get(endpoint, params={"query": "ASK { ?s ?p 'Atlantis' }"}).json()["boolean"] is False


def test_protocol_dataset_uses_only_our_graphs(endpoint: str) -> None:
    ask = f"ASK {{ ?e <{BASE}ontology#participant> ?state }}"
    assert httpx.get(endpoint, params={"query": ask}).json()["boolean"] is True
    only_vocab = {"query": ask, "default-graph-uri": VOCAB_GRAPH}
    assert httpx.get(endpoint, params=only_vocab).json()["boolean"] is False
    named = {"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": DOC_GRAPH}
    bindings = httpx.get(endpoint, params=named).json()["results"]["bindings"]
    assert [b["g"]["value"] for b in bindings] == [DOC_GRAPH]


# --- content negotiation --------------------------------------------------------------------


def test_accept_q_values_choose_the_higher_q(endpoint: str) -> None:
    accept = "application/sparql-results+xml;q=0.5, text/csv;q=0.9, */*;q=0.1"
    response = httpx.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("text/csv")
    accept = "application/sparql-results+xml;q=0.9, text/csv;q=0.5"
    response = httpx.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")


def test_format_parameter_overrides_accept(endpoint: str) -> None:
    params = {"query": SELECT_LABELS, "format": "tsv"}
    response = httpx.get(endpoint, params=params, headers={"Accept": "application/sparql-results+json"})
    assert response.headers["content-type"].startswith("text/tab-separated-values")


def test_unsupported_accept_is_406(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "image/png" in response.text
    response = httpx.get(endpoint, params={"query": CONSTRUCT_DOC}, headers={"Accept": "text/csv"})
    assert response.status_code == 406


# --- errors ---------------------------------------------------------------------------------


def test_syntax_error_is_400_with_the_parser_message(endpoint: str) -> None:
    bad = "SELECT ?s WHERE { ?s ?p "
    with pytest.raises(SyntaxError) as parser:
        ox.Store().query(bad)
    response = httpx.get(endpoint, params={"query": bad})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert str(parser.value) in response.text
    assert "Traceback" not in response.text


def test_errors_answer_json_when_asked(endpoint: str) -> None:
    response = httpx.get(endpoint, params={"query": "ASK {"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "QueryError" and "syntax error" in response.json()["message"]


def test_updates_are_refused_and_change_nothing(endpoint: str) -> None:
    insert = "INSERT DATA { <http://ex/s> <http://ex/p> 'injected' }"
    direct = httpx.post(endpoint, content=insert, headers={"Content-Type": "application/sparql-update"})
    assert direct.status_code == 403 and "read-only" in direct.text
    assert httpx.post(endpoint, data={"update": insert}).status_code == 403
    assert httpx.get(endpoint, params={"update": insert}).status_code == 400
    assert httpx.post(endpoint, data={"update": "LOAD <http://ex/x>"}).status_code == 403
    assert httpx.get(endpoint, params={"query": "ASK { ?s ?p 'injected' }"}).json()["boolean"] is False


def test_service_and_load_never_reach_out(endpoint: str) -> None:
    with Canary() as canary:
        service = f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"
        response = httpx.get(endpoint, params={"query": service})
        assert response.status_code == 403 and "SERVICE" in response.text
        silent = f"select * where {{ ?x ?y ?z . service silent <{canary.url}> {{ ?s ?p ?o }} }}"
        assert httpx.post(endpoint, data={"query": silent}).status_code == 403
        # FROM names a graph of ours (none here): pyoxigraph never dereferences it
        from_remote = f"ASK FROM <{canary.url}> {{ ?s ?p ?o }}"
        assert httpx.get(endpoint, params={"query": from_remote}).json()["boolean"] is False
        from_named = f"ASK FROM NAMED <{canary.url}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
        assert httpx.get(endpoint, params={"query": from_named}).json()["boolean"] is False
        # nor does it read local files (rdflib-endpoint does)
        local_file = "SELECT ?s ?p ?o FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"
        assert httpx.get(endpoint, params={"query": local_file}, headers={"Accept": "text/csv"}).text.strip() == "s,p,o"
        # so do the protocol's dataset parameters
        dataset = {"query": "ASK { ?s ?p ?o }", "default-graph-uri": canary.url, "named-graph-uri": canary.url}
        assert httpx.get(endpoint, params=dataset).json()["boolean"] is False
        load = f"LOAD <{canary.url}>"
        update = {"Content-Type": "application/sparql-update"}
        assert httpx.post(endpoint, content=load, headers=update).is_error
        assert canary.hits == []


def test_keywords_inside_strings_iris_and_comments_are_not_refused(endpoint: str) -> None:
    query = 'SELECT * WHERE { ?s ?p "SERVICE <x> {}" } # SERVICE <http://example.org/>'
    assert httpx.get(endpoint, params={"query": query}).status_code == 200
    query = "PREFIX service: <http://ex/service#> ASK { ?service service:load ?x }"
    assert httpx.get(endpoint, params={"query": query}).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/sparql-query", b"ASK { ?s ?p '\xff\xfe' }", 400),  # not UTF-8
        ("application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415),
        ("text/plain", b"ASK {}", 415),
        (None, b"query=ASK%20%7B%7D", 415),
        ("application/x-www-form-urlencoded", b"query=ASK%20%7B%7D&update=CLEAR%20ALL", 400),
        ("application/x-www-form-urlencoded", b"query=ASK%20%7B%7D&query=ASK%20%7B%7D", 400),
        ("application/x-www-form-urlencoded", b"default-graph-uri=http%3A%2F%2Fex%2F", 400),
        ("application/x-www-form-urlencoded", b"query=%FF", 400),
        ("application/sparql-query", b"", 400),
        ("application/sparql-query", b"ASK {} " + b"#" * 20_000, 413),
    ],
)
def test_malformed_requests_are_4xx_with_a_message(
    endpoint: str, content_type: str | None, body: bytes, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(endpoint, content=body, headers=headers)
    assert response.status_code == status
    assert response.text.strip()


def test_other_methods_are_405(endpoint: str) -> None:
    assert httpx.put(endpoint, params={"query": "ASK {}"}).status_code == 405


# --- service description, CORS, probes ------------------------------------------------------


def test_service_description(endpoint: str) -> None:
    response = httpx.get(endpoint, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = rdflib.Graph().parse(data=response.content, format="turtle")
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(endpoint)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert set(graph.objects(None, SD.name)) == {rdflib.URIRef(VOCAB_GRAPH), rdflib.URIRef(DOC_GRAPH)}
    xml = httpx.get(endpoint, headers={"Accept": "application/rdf+xml"})
    assert isomorphic(rdflib.Graph().parse(data=xml.content, format="xml"), graph)


def test_service_page_for_browsers(endpoint: str) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = httpx.get(endpoint, headers={"Accept": accept})
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<form" in response.text and DOC_GRAPH in response.text


def test_cors_allows_any_origin_without_credentials(endpoint: str) -> None:
    origin = {"Origin": "https://someone.example"}
    response = httpx.get(endpoint, params={"query": "ASK {}"}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    asks = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    preflight = httpx.options(endpoint, headers={**origin, **asks})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers


def test_health_and_readiness(server: str) -> None:
    assert httpx.get(server + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server + "/readyz").json()
    assert ready["status"] == "ready" and ready["quads"] == 11


def test_not_ready_without_a_build(tmp_path: Path) -> None:
    with serve(create_app(Settings(data_dir=tmp_path)), wait_path="/healthz") as url:
        ready = httpx.get(url + "/readyz")
        assert ready.status_code == 503 and ready.json()["reason"].startswith("no build")
        response = httpx.get(url + "/sparql", params={"query": "ASK {}"})
        assert response.status_code == 503 and "no graph is loaded" in response.text


# --- the pieces, without HTTP ---------------------------------------------------------------


@pytest.mark.parametrize("module", [negotiation, guard])
def test_doctests(module: object) -> None:
    failures, _ = doctest.testmod(module)  # type: ignore[arg-type]
    assert failures == 0


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", True),
        ("SELECT*{SERVICE<http://x/>{?s ?p ?o}}", True),
        ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", True),
        ("SELECT * { ?s ?p ?o FILTER(?o<?x) SERVICE ex:e { ?a ?b ?c } }", True),
        ("LOAD <http://x/> INTO GRAPH <g>", True),
        ("SELECT * { ?s ?p '''a SERVICE\n <http://x/> '''}", False),
        ("SELECT * { ?s <http://x/SERVICE> ?service } # SERVICE", False),
        ('SELECT * { ?s ?p "x"@service }', False),
        ("SELECT * { ?s ex:SERVICE _:LOAD }", False),
    ],
)
def test_guard_finds_bare_keywords_only(text: str, refused: bool) -> None:
    shape = guard.scan(text)
    if refused:
        with pytest.raises(QueryRejected):
            guard.check_allowed(shape)
    else:
        guard.check_allowed(shape)


def test_guard_reads_the_query_form() -> None:
    construct = "PREFIX ex: <http://ex/select> construct { ?s ?p ?o } WHERE { { SELECT * {} } }"
    assert guard.scan(construct).form is guard.QueryForm.CONSTRUCT
    assert guard.scan("# ASK\nDESCRIBE <x>").form is guard.QueryForm.DESCRIBE
    assert guard.scan("SELECT * FROM NAMED <g> {}").has_dataset_clause


class SlowStore:
    """A GraphStore whose queries wait until released (to fill every query slot)."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self._store = OxigraphStore()

    def query(self, sparql: str, **options: object) -> QueryResult:
        self.started.set()
        self.release.wait(timeout=10)
        return self._store.query(sparql)

    def quads_count(self) -> int:
        return 0

    def named_graphs(self) -> list[str]:
        return []

    def dump(self, path: Path, *, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
        raise NotImplementedError


def test_too_many_concurrent_queries_is_429(tmp_path: Path) -> None:
    slow = SlowStore()
    app = create_app(Settings(data_dir=tmp_path, max_concurrent_queries=1), store=slow)  # type: ignore[arg-type]
    with serve(app) as url, ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(httpx.get, url + "/sparql", params={"query": "ASK {}"}, timeout=15)
        assert slow.started.wait(timeout=10)
        second = httpx.get(url + "/sparql", params={"query": "ASK {}"})
        slow.release.set()
        assert second.status_code == 429 and "too many queries" in second.text
        assert second.headers["retry-after"] == "1"
        assert first.result().json()["boolean"] is True


class BrokenStore(SlowStore):
    def query(self, sparql: str, **options: object) -> QueryResult:
        raise ValueError("secret internal detail")


def test_a_bug_is_500_without_the_traceback(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), store=BrokenStore())  # type: ignore[arg-type]
    with serve(app) as url:
        response = httpx.get(url + "/sparql", params={"query": "ASK {}"})
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "logged" in response.text
