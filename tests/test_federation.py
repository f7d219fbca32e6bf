"""Federated query, both ways, over real HTTP on 127.0.0.1.

* Our endpoint calls another one through SERVICE only if it is on ``Settings.service_allowlist``
  (a second instance of our app plays the remote endpoint; a canary proves nothing else is called).
* Another SPARQL engine (pyoxigraph in a separate process, which evaluates SERVICE over HTTP
  itself) calls our endpoint, and gets the rows our store gives directly.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pyoxigraph as ox
import pytest
from livehttp import DOC_GRAPH, LABEL, TEST_NQUADS, Canary, serve

from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

SELECT_LABELS = f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }}"
#: Runs one query in a fresh pyoxigraph store and prints the solutions as JSON (argv[1] is the query).
OTHER_ENGINE = """
import sys, pyoxigraph as ox
results = ox.Store().query(sys.argv[1])
sys.stdout.buffer.write(results.serialize(format=ox.QueryResultsFormat.JSON))
"""


def _store() -> OxigraphStore:
    store = OxigraphStore()
    store.add_quads(ox.parse(TEST_NQUADS, ox.RdfFormat.N_QUADS))
    return store


def _rows(results: object) -> set[tuple[str, ...]]:
    """Solutions as a set of tuples of N-Triples terms; blank nodes (labels are per answer) as ``_:``."""
    assert isinstance(results, ox.QuerySolutions)
    names = [v.value for v in results.variables]
    return {tuple("_:" if isinstance(row[n], ox.BlankNode) else str(row[n]) for n in names) for row in results}


def _json_rows(document: bytes) -> set[tuple[str, ...]]:
    return _rows(ox.parse_query_results(document, ox.QueryResultsFormat.JSON))


@dataclass
class Pair:
    remote: str  # the endpoint that is called
    local: str  # our endpoint that may call it (its allow-list holds the remote)
    store: OxigraphStore  # what the remote serves


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    remote_store = _store()
    with serve(create_app(Settings(), store=remote_store)) as remote:
        allowlist = [remote + "/sparql"]
        with serve(create_app(Settings(service_allowlist=allowlist), store=OxigraphStore())) as local:
            yield Pair(remote + "/sparql", local + "/sparql", remote_store)


def test_allow_listed_service_is_called_and_answers(pair: Pair) -> None:
    query = f"SELECT ?s ?label WHERE {{ SERVICE <{pair.remote}> {{ ?s <{LABEL}> ?label }} }}"
    response = httpx.get(pair.local, params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    expected = _rows(pair.store.query(SELECT_LABELS))
    assert _json_rows(response.content) == expected and len(expected) == 4


@pytest.mark.parametrize(
    "spelling",
    [
        "PREFIX r: <{origin}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s <{label}> ?label }} }}",
        "BASE <{origin}/x/> SELECT * WHERE {{ SERVICE SILENT <../sparql> {{ ?s <{label}> ?label }} }}",
        "SELECT * WHERE {{ service <{upper}> {{ ?s <{label}> ?label }} }}",
    ],
)
def test_the_allow_list_matches_after_resolving_and_normalising(pair: Pair, spelling: str) -> None:
    origin = pair.remote.removesuffix("/sparql")
    query = spelling.format(origin=origin, label=LABEL, upper=pair.remote.replace("http://", "HTTP://"))
    response = httpx.post(pair.local, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 4


def test_everything_else_is_refused_and_never_called(pair: Pair) -> None:
    with Canary() as canary:
        origin = pair.remote.removesuffix("/sparql")
        refused = [
            f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{canary.url}sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE <{pair.remote}> {{ ?s ?p ?o }} SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ BIND(<{pair.remote}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE <{origin}/sparql/other> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE <{pair.remote}?x=1> {{ ?s ?p ?o }} }}",
            f"PREFIX c: <{canary.url}> SELECT * WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
            "SELECT * WHERE { SERVICE <" + canary.url.replace("http", "\\u0068ttp") + "> { ?s ?p ?o } }",
            "SELECT * WHERE { SERVICE <http://127.0.0.1:port/sparql> { ?s ?p ?o } }",
            f"SELECT * WHERE {{ SERVICE <{pair.remote.replace('http://', 'http://user:pw@')}> {{ ?s ?p ?o }} }}",
        ]
        for query in refused:
            response = httpx.get(pair.local, params={"query": query})
            assert response.status_code == 403 and "SERVICE" in response.text, query
        # dataset clauses and parameters only name graphs of ours (none here): nothing is fetched
        named = f"ASK FROM <{canary.url}> FROM NAMED <{canary.url}g> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
        assert httpx.get(pair.local, params={"query": named}).json()["boolean"] is False
        dataset = {"query": "ASK { ?s ?p ?o }", "default-graph-uri": canary.url, "named-graph-uri": canary.url}
        assert httpx.get(pair.local, params=dataset).json()["boolean"] is False
        assert canary.hits == []


def test_service_description_announces_federation(pair: Pair) -> None:
    turtle = httpx.get(pair.local, headers={"Accept": "application/n-triples"}).text
    assert "<http://www.w3.org/ns/sparql-service-description#BasicFederatedQuery>" in turtle
    assert "BasicFederatedQuery" not in httpx.get(pair.remote, headers={"Accept": "application/n-triples"}).text


def test_another_engine_queries_us_through_service(pair: Pair) -> None:
    """pyoxigraph, in its own process, sends the SERVICE part to our endpoint over HTTP."""
    inner = f"?event <{LABEL}> ?label ; ?p ?o . FILTER(isIRI(?o))"
    query = f"SELECT ?event ?label ?p ?o WHERE {{ SERVICE <{pair.remote}> {{ {inner} }} }}"
    completed = subprocess.run(
        [sys.executable, "-c", OTHER_ENGINE, query], capture_output=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode()
    expected = _rows(pair.store.query(f"SELECT ?event ?label ?p ?o WHERE {{ {inner} }}"))
    assert _json_rows(completed.stdout) == expected and len(expected) == 4
    # the same through GRAPH, so the union default graph is what SERVICE saw
    only_doc = f"SELECT ?label WHERE {{ SERVICE <{pair.remote}> {{ GRAPH <{DOC_GRAPH}> {{ ?s <{LABEL}> ?label }} }} }}"
    completed = subprocess.run(
        [sys.executable, "-c", OTHER_ENGINE, only_doc], capture_output=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert {row[0] for row in _json_rows(completed.stdout)} == {'"GFMD Dialogue on the GCM"', '"Genève"@fr'}
