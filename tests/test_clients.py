"""Off-the-shelf SPARQL clients against the live endpoint: SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rdflib
from livehttp import BASE, LABEL, build_test_data_dir, serve
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

from migration_kg.serve import create_app
from migration_kg.settings import Settings

ECU = rdflib.URIRef(BASE + "id/state/ECU")
LABELS = {"Ecuador", "Côte d’Ivoire", "GFMD Dialogue on the GCM", "Genève"}
SELECT_LABELS = f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }}"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    build_test_data_dir(data_dir)
    with serve(create_app(Settings(data_dir=data_dir))) as url:
        yield url + "/sparql"


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_select(endpoint: str, return_format: str) -> None:
    client = SPARQLWrapper(endpoint, returnFormat=return_format)
    client.setQuery(SELECT_LABELS)
    result = client.queryAndConvert()
    if return_format == JSON:
        assert isinstance(result, dict)
        labels = {b["label"]["value"] for b in result["results"]["bindings"]}
    else:  # an xml.dom Document
        labels = {node.firstChild.data for node in result.getElementsByTagName("literal")}  # type: ignore[union-attr]
    assert labels == LABELS


def test_sparqlwrapper_select_csv_by_post(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint, returnFormat=CSV)
    client.setMethod(POST)
    client.setQuery(SELECT_LABELS)
    text = client.queryAndConvert()
    assert isinstance(text, bytes)
    assert "Côte d’Ivoire" in text.decode("utf-8")


def test_sparqlwrapper_ask(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint, returnFormat=JSON)
    client.setQuery("ASK { ?s ?p 'Ecuador' }")
    result = client.queryAndConvert()
    assert isinstance(result, dict) and result["boolean"] is True


@pytest.mark.parametrize("return_format", [XML, TURTLE])
def test_sparqlwrapper_construct(endpoint: str, return_format: str) -> None:
    client = SPARQLWrapper(endpoint, returnFormat=return_format)
    client.setQuery(f"CONSTRUCT {{ ?s <{LABEL}> ?o }} WHERE {{ ?s <{LABEL}> ?o }}")
    result = client.queryAndConvert()
    if isinstance(result, rdflib.Graph):
        graph = result
    else:
        assert isinstance(result, bytes)
        graph = rdflib.Graph().parse(data=result, format="turtle")
    assert (ECU, rdflib.URIRef(LABEL), rdflib.Literal("Ecuador")) in graph
    assert len(graph) == 4


def test_rdflib_sparqlstore_query(endpoint: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(endpoint))
    rows = list(graph.query(SELECT_LABELS))
    assert {str(row.label) for row in rows} == LABELS  # type: ignore[union-attr]
    assert graph.query("ASK { ?s ?p 'Ecuador' }").askAnswer is True
    constructed = graph.query(f"CONSTRUCT WHERE {{ <{ECU}> ?p ?o }}").graph
    assert constructed is not None and (ECU, rdflib.URIRef(LABEL), rdflib.Literal("Ecuador")) in constructed


def test_rdflib_sparqlstore_by_post(endpoint: str) -> None:
    store = SPARQLStore(endpoint, method="POST")
    rows = list(rdflib.Graph(store=store).query(SELECT_LABELS))
    assert len(rows) == len(LABELS)
