"""Off-the-shelf SPARQL clients against the live endpoint: SPARQLWrapper, rdflib's SPARQLStore and SPARQLUpdateStore."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.error import HTTPError

import pyoxigraph as ox
import pytest
import rdflib
from livehttp import BASE, LABEL, build_test_data_dir, serve, write_test_dataset
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

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


# --- rdflib's SPARQLStore against what the store answers directly, and SPARQLUpdateStore with the token ---

TOKEN = "client-test-update-token-0123456789"
COMPARED_SELECTS = [
    SELECT_LABELS,
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && datatype(?o) != <http://www.w3.org/2001/XMLSchema#string>) }",
]


def _ox_term(term: object) -> str:
    """A pyoxigraph term as N-Triples (blank nodes as ``_:``: labels differ per answer)."""
    return "_:" if isinstance(term, ox.BlankNode) else str(term)


def _rdflib_term(term: object) -> str:
    return "_:" if isinstance(term, rdflib.BNode) else term.n3()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The test dataset as the server loads it, to query without HTTP."""
    return OxigraphStore.load_nquads(write_test_dataset(tmp_path_factory.mktemp("direct") / "input.nq"))


@pytest.mark.parametrize("query", COMPARED_SELECTS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_select_matches_the_store(
    endpoint: str, direct: OxigraphStore, query: str, method: str
) -> None:
    result = rdflib.Graph(store=SPARQLStore(endpoint, method=method)).query(query)
    names = [str(v) for v in result.vars or []]
    got = sorted(tuple(_rdflib_term(row[n]) for n in names) for row in result)  # type: ignore[index]
    solutions = direct.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    expected = sorted(tuple(_ox_term(s[n]) for n in names) for s in solutions)
    assert got == expected and got


@pytest.mark.parametrize("query", ["ASK { ?s ?p 'Ecuador' }", "ASK { ?s ?p 'Atlantis' }"])
def test_rdflib_sparqlstore_ask_matches_the_store(endpoint: str, direct: OxigraphStore, query: str) -> None:
    answer = rdflib.Graph(store=SPARQLStore(endpoint)).query(query).askAnswer
    assert answer is bool(direct.query(query))


def test_rdflib_sparqlstore_construct_matches_the_store(endpoint: str, direct: OxigraphStore) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    got = rdflib.Graph(store=SPARQLStore(endpoint)).query(query).graph
    assert got is not None
    expected = rdflib.Graph().parse(data=ox.serialize(direct.query(query), format=ox.RdfFormat.N_TRIPLES), format="nt")
    assert isomorphic(got, expected) and len(expected) == 11


def test_rdflib_sparqlupdatestore_writes_with_the_token(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = tmp_path_factory.mktemp("update")
    build_test_data_dir(data_dir)
    app = create_app(Settings(data_dir=data_dir, update_token=TOKEN))
    graph_iri = rdflib.URIRef("http://example.org/client-graph")
    triple = (ECU, rdflib.URIRef(LABEL), rdflib.Literal("República del Ecuador", lang="es"))
    with serve(app) as url:
        endpoint = url + "/sparql"
        writer = SPARQLUpdateStore(endpoint, url + "/update", headers={"Authorization": f"Bearer {TOKEN}"})
        graph = rdflib.Graph(store=writer, identifier=graph_iri)
        graph.add(triple)
        assert triple in graph and len(graph) == 1  # read back through the same client
        served = app.state.store
        assert bool(served.query(f"ASK {{ GRAPH <{graph_iri}> {{ <{ECU}> ?p 'República del Ecuador'@es }} }}"))
        graph.remove(triple)
        assert graph_iri not in served.named_graphs() or len(served.graph_get(str(graph_iri))) == 0
        # without the token the same client is refused, and nothing changes
        anonymous = rdflib.Graph(store=SPARQLUpdateStore(endpoint, url + "/update"), identifier=graph_iri)
        with pytest.raises(HTTPError) as refused:
            anonymous.add(triple)
        assert refused.value.code == 401
        assert not bool(served.query(f"ASK {{ GRAPH ?g {{ <{ECU}> ?p 'República del Ecuador'@es }} }}"))
