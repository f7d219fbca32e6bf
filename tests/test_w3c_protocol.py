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
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from livehttp import serve
from rdflib.query import Result

from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import build_store, swap_in

_DEFAULT_CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
CONFORMANCE = Path(os.environ.get("MKG_CONFORMANCE_DIR", _DEFAULT_CONFORMANCE))
PROTOCOL_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
SD_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest#"
ENDPOINT_PATH = "/sparql"
KASEI = "http://kasei.us/2009/09/sparql/data/"

_READ_ONLY = "SPARQL Update is disabled while the endpoint is read-only (issue 4)"
#: Known failures, by test id: the one place to look.
XFAIL: dict[str, str] = {
    "update_dataset_default_graph": _READ_ONLY,
    "update_dataset_default_graphs": _READ_ONLY,
    "update_dataset_named_graphs": _READ_ONLY,
    "update_dataset_full": _READ_ONLY,
    "update_post_form": _READ_ONLY,
    "update_post_direct": _READ_ONLY,
    "update_base_uri": _READ_ONLY,
}

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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server holding every graph any protocol test names (updates are refused, so it stays clean)."""
    data = CONFORMANCE / "w3c-sparql11" / "protocol"
    if not data.is_dir():
        pytest.skip(f"W3C conformance data not found at {data}")
    # each dataN.nt is loaded as the named graph the manifest calls http://kasei.us/…/dataN.rdf
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(KASEI + nt.stem + ".rdf"))
        for nt in sorted(data.glob("data*.nt"))
        for t in ox.parse(path=nt, format=ox.RdfFormat.N_TRIPLES)
    ]
    data_dir = tmp_path_factory.mktemp("w3c")
    swap_in(build_store(quads, data_dir), data_dir)
    with serve(create_app(Settings(data_dir=data_dir))) as url:
        yield url


@pytest.mark.parametrize("test", _protocol_tests())
def test_protocol(server: str, test: dict[str, Any]) -> None:
    for step, request in enumerate(test["reqs"], start=1):
        response = _send(server, request)
        _check(response, request, f"{test['id']} step {step}")


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


def _send(server: str, request: dict[str, Any]) -> httpx.Response:
    path = request["path"]
    assert path.startswith("/sparql/"), path
    url = server + ENDPOINT_PATH + path[len("/sparql/") - 1 :].removeprefix("/")
    headers = dict(h.split(": ", 1) for h in request["headers"])
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
