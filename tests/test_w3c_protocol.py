"""The W3C SPARQL 1.1 Protocol and Service Description tests, run over real HTTP.

Data: ``protocol-tests.json`` and ``w3c-sparql11/`` in the shared conformance folder
(``$MKG_CONFORMANCE_DIR``, else ``../shared/conformance`` next to the project), read in
place. Test ids are the manifest test IRIs. Known failures sit in :data:`XFAIL`.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
import rdflib.collection
from livehttp import serve
from rdflib.compare import isomorphic
from rdflib.query import Result

from migration_kg.journaled_store import JournaledStore
from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import GraphStore, OxigraphStore, build_store, swap_in

_DEFAULT_CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CONFORMANCE = Path(os.environ.get("MKG_CONFORMANCE_DIR", _DEFAULT_CONFORMANCE))
PROTOCOL_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
SD_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest#"
ENDPOINT_PATH = "/sparql"
KASEI = "http://kasei.us/2009/09/sparql/data/"

#: Known failures, by test id: the one place to look (none at present).
XFAIL: dict[str, str] = {}
#: The update token of the update-enabled servers; every request to them carries it.
TOKEN = "w3c-protocol-test-token-0123456789"
GSP_PATH = "/rdf-graph-store"
GSP_MANIFEST_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/http-rdf-update/manifest#"
STATUS_CODES = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}

RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/ld+json": "json-ld",
}
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
#: Terms of the SD vocabulary (https://www.w3.org/TR/sparql11-service-description/#vocab).
SD_TERMS = set(
    """
    Service Feature Language Function Aggregate EntailmentRegime EntailmentProfile GraphCollection
    Dataset NamedGraph Graph endpoint feature defaultEntailmentRegime supportedEntailmentProfile
    defaultSupportedEntailmentProfile entailmentRegime extensionFunction extensionAggregate
    languageExtension supportedLanguage propertyFeature defaultDataset availableGraphs resultFormat
    inputFormat defaultGraph namedGraph name graph DereferencesURIs UnionDefaultGraph RequiresDataset
    EmptyGraphs BasicFederatedQuery SPARQL10Query SPARQL11Query SPARQL11Update
    """.split()
)


def _protocol_tests() -> list[Any]:
    path = CONFORMANCE / "protocol-tests.json"
    if not path.is_file():
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"W3C conformance data not found at {path}"))
        ]
    tests = json.loads(path.read_text("utf-8"))["protocol"]
    return [
        pytest.param(
            test,
            id=PROTOCOL_IRI + test["id"],
            marks=[pytest.mark.xfail(reason=XFAIL[test["id"]], strict=True)] if test["id"] in XFAIL else [],
        )
        for test in tests
    ]


def _kasei_quads() -> list[ox.Quad]:
    """Each dataN.nt as the named graph the manifest calls http://kasei.us/…/dataN.rdf."""
    data = CONFORMANCE / "w3c-sparql11" / "protocol"
    if not data.is_dir():
        pytest.skip(f"W3C conformance data not found at {data}")
    return [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(KASEI + nt.stem + ".rdf"))
        for nt in sorted(data.glob("data*.nt"))
        for t in ox.parse(path=nt, format=ox.RdfFormat.N_TRIPLES)
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One read-only server (the default settings) holding every graph any protocol test names."""
    quads = _kasei_quads()
    data_dir = tmp_path_factory.mktemp("w3c")
    swap_in(build_store(quads, data_dir), data_dir)
    with serve(create_app(Settings(data_dir=data_dir))) as url:
        yield url


@contextmanager
def writable_server(quads: list[ox.Quad], *, journal: Path | None = None) -> Iterator[str]:
    """A fresh in-memory store holding ``quads``, served with updates enabled by :data:`TOKEN`;
    with ``journal``, behind the durable write path of a served build (``JournaledStore``)."""
    store = OxigraphStore()
    store.add_quads(quads)
    served: GraphStore = store
    if journal is not None:
        served = JournaledStore.open(store, journal, read_only_graphs=[])[0]
    with serve(create_app(Settings(update_token=TOKEN), store=served)) as url:
        yield url


@pytest.mark.parametrize("test", _protocol_tests())
def test_protocol(request: pytest.FixtureRequest, test: dict[str, Any]) -> None:
    """Query tests run on the shared read-only server; update tests (which CLEAR ALL) each on a
    fresh update-enabled one, with the token, so a refusal there can only come from the request."""
    if "update" not in test["id"]:
        _run_steps(request.getfixturevalue("server"), test, token=None)
        return
    with writable_server(_kasei_quads()) as url:
        _run_steps(url, test, token=TOKEN)


def _run_steps(server: str, test: dict[str, Any], *, token: str | None) -> None:
    for step, request in enumerate(test["reqs"], start=1):
        response = _send(server, request, token=token)
        _check(response, request, f"{test['id']} step {step}")


def test_updates_are_refused_without_the_token() -> None:
    """The same update the manifest sends: 403 on the default (read-only) settings, 401 without
    a token and 403 with a wrong one where updates are on; the data stays as it was."""
    quads = _kasei_quads()
    clear = {"Content-Type": "application/sparql-update"}
    ask = {"query": f"ASK {{ GRAPH <{KASEI}data1.rdf> {{ ?s ?p ?o }} }}"}
    store = OxigraphStore()
    store.add_quads(quads)
    with serve(create_app(Settings(), store=store)) as url:
        response = httpx.post(url + ENDPOINT_PATH, content="CLEAR ALL", headers={**clear, "Authorization": "Bearer x"})
        assert response.status_code == 403 and "read-only" in response.text
    with writable_server(quads) as url:
        endpoint = url + ENDPOINT_PATH
        missing = httpx.post(endpoint, content="CLEAR ALL", headers=clear)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx.post(endpoint, content="CLEAR ALL", headers={**clear, "Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 403 and "token" in wrong.text
        assert httpx.get(endpoint, params=ask).json()["boolean"] is True


def _gsp_tests() -> list[Any]:
    path = CONFORMANCE / "protocol-tests.json"
    if not path.is_file():
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"W3C conformance data not found at {path}"))
        ]
    data = json.loads(path.read_text("utf-8"))
    tests = data["graph_store_protocol_direct"] + data["graph_store_protocol_indirect"]
    return [pytest.param(test, id=GSP_MANIFEST_IRI + test["id"]) for test in tests]


@pytest.mark.parametrize("journaled", [False, True], ids=["memory", "journaled"])
@pytest.mark.parametrize("test", _gsp_tests())
def test_graph_store_protocol(test: dict[str, Any], journaled: bool, tmp_path: Path) -> None:
    """Each test on a fresh, empty, update-enabled store (the manifest assumes one), plain and
    behind the journal; every GET body is compared by isomorphism with the graph the manifest
    gives for that response. Direct identification: ``/gsp/person/1.ttl`` becomes
    ``/rdf-graph-store/person/1.ttl``."""
    expected_bodies = _gsp_expected_bodies()[test["id"]]
    location = ""
    with writable_server([], journal=tmp_path / "journal.jsonl" if journaled else None) as url:
        for step, request in enumerate(test["reqs"], start=1):
            where = f"{test['id']} step {step}"
            path = request["path"].replace("$LOCATION$", location)
            assert path.startswith("/gsp"), path
            headers = dict(h.split(": ", 1) for h in request["headers"])
            headers["Authorization"] = f"Bearer {TOKEN}"
            body = request["body"].encode("utf-8") if request["body"] else None
            response = httpx.request(
                request["method"], httpx.URL(url + GSP_PATH + path[len("/gsp") :]), headers=headers, content=body
            )
            statuses = {STATUS_CODES[s] for s in request["expected_status"]}
            assert response.status_code in statuses, f"{where}: {response.status_code} {response.text[:300]}"
            for header in request["expected_response_headers"]:
                name, value = header.split(": ", 1)
                assert response.headers.get(name, "").lower() == value.lower(), f"{where}: {name}"
            if request["expected_location_template"]:
                location = response.headers["location"]
            if request["expected_body_graph"]:
                expected = rdflib.Graph().parse(data=expected_bodies[step - 1], format="turtle")
                got = rdflib.Graph().parse(data=response.content, format="turtle")
                assert isomorphic(got, expected), f"{where}: {got.serialize(format='nt')}"


@lru_cache(maxsize=1)
def _gsp_expected_bodies() -> dict[str, list[str | None]]:
    """Test id -> for each request in order, the response body the manifest expects (or None)."""
    mf = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    ht = rdflib.Namespace("http://www.w3.org/2011/http#")
    cnt = rdflib.Namespace("http://www.w3.org/2011/content#")
    bodies: dict[str, list[str | None]] = {}
    for name in ("manifest-direct.ttl", "manifest-indirect.ttl"):
        manifest = rdflib.Graph().parse(CONFORMANCE / "w3c-sparql11" / "graph-store-protocol" / name)
        for test in manifest.subjects(rdflib.RDF.type, mf.GraphStoreProtocolTest):
            requests = rdflib.collection.Collection(manifest, manifest.value(manifest.value(test, mf.action), ht.requests))
            bodies[str(test).rsplit("#", 1)[1]] = [
                _text(manifest.value(manifest.value(manifest.value(r, ht.resp), ht.body), cnt.chars))
                for r in requests
            ]
    return bodies


def _text(node: object) -> str | None:
    return str(node) if node is not None else None


SD_TESTS = ["has-endpoint-triple", "returns-rdf", "conforms-to-schema"]


@pytest.mark.parametrize("test_id", SD_TESTS, ids=SD_IRI.__add__)
def test_service_description(server: str, test_id: str) -> None:
    endpoint = server + ENDPOINT_PATH
    graphs = {}
    for media_type in ("text/turtle", "application/rdf+xml"):
        response = httpx.get(endpoint, headers={"Accept": media_type})
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media_type
        graphs[media_type] = rdflib.Graph().parse(data=response.content, format=RDF_TYPES[media_type])
    graph = graphs["text/turtle"]
    services = list(graph.subjects(rdflib.RDF.type, SD.Service))
    if test_id == "returns-rdf":
        assert len(graph) > 0 and len(graphs["application/rdf+xml"]) == len(graph)
    elif test_id == "has-endpoint-triple":
        assert [graph.value(s, SD.endpoint) for s in services] == [rdflib.URIRef(endpoint)]
    else:
        terms = {t for triple in graph for t in triple if isinstance(t, rdflib.URIRef)}
        assert {t.removeprefix(str(SD)) for t in terms if t.startswith(str(SD))} <= SD_TERMS
        for service in services:
            assert graph.value(service, SD.supportedLanguage) is not None
            assert (graph.value(service, SD.defaultDataset), rdflib.RDF.type, SD.Dataset) in graph


def _send(server: str, request: dict[str, Any], *, token: str | None = None) -> httpx.Response:
    path = request["path"]
    assert path.startswith("/sparql/"), path
    url = server + ENDPOINT_PATH + path[len("/sparql/") - 1 :].removeprefix("/")
    headers = dict(h.split(": ", 1) for h in request["headers"])
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = request["body"].encode(request["body_encoding"] or "utf-8") if request["body"] else None
    # the URL is sent exactly as the manifest writes it (already percent-encoded)
    return httpx.request(request["method"], httpx.URL(url), headers=headers, content=body, timeout=30)


def _check(response: httpx.Response, request: dict[str, Any], where: str) -> None:
    status_classes = {int(s.removeprefix("StatusCode")[0]) for s in request["expected_status"]}
    assert response.status_code // 100 in status_classes, (
        f"{where}: {response.status_code} {response.text[:300]}"
    )
    if response.status_code >= 400:
        assert response.text.strip(), f"{where}: an error needs a message"
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    expected = request["expected_format"]
    if expected in ("boolean", "tabular"):
        assert media_type in RESULT_TYPES, f"{where}: {media_type} is not a results format"
        if expected == "boolean":
            result = Result.parse(io.BytesIO(response.content), format=RESULT_TYPES[media_type])
            assert result.type == "ASK"
            if request["expected_boolean"] is not None:
                assert result.askAnswer is (request["expected_boolean"] == "true"), where
    elif expected == "RDF":
        assert media_type in RDF_TYPES, f"{where}: {media_type} is not an RDF format"
        rdflib.Dataset().parse(data=response.content, format=RDF_TYPES[media_type])
