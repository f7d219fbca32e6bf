"""SPARQL Update and the Graph Store Protocol behind the update token, over real HTTP against uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from livehttp import BASE, DOC_GRAPH, LABEL, TEST_NQUADS, VOCAB_GRAPH, Canary, serve
from rdflib.compare import isomorphic

from migration_kg.errors import QueryError
from migration_kg.serve import create_app
from migration_kg.serve.using import with_using
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore, QueryDataset

TOKEN = "test-update-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DIRECT = {"Content-Type": "application/sparql-update", **AUTH}
TURTLE = {"Content-Type": "text/turtle", **AUTH}
NEW_GRAPH = "http://example.org/graph/new"
SD = "http://www.w3.org/ns/sparql-service-description#"


@dataclass
class Server:
    url: str
    store: OxigraphStore
    changes: list[int]

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def gsp(self) -> str:
        return self.url + "/rdf-graph-store"

    def ask(self, where: str) -> bool:
        return bool(self.store.query(f"ASK {{ {where} }}"))


def _store() -> OxigraphStore:
    store = OxigraphStore()
    store.add_quads(ox.parse(TEST_NQUADS, ox.RdfFormat.N_QUADS))
    return store


@pytest.fixture
def server() -> Iterator[Server]:
    """A fresh test dataset served with updates on; ``changes`` records each on_store_changed() call."""
    store = _store()
    app = create_app(Settings(update_token=TOKEN, max_request_bytes=10_000), store=store)
    changes: list[int] = []
    app.state.on_store_changed = lambda: changes.append(store.quads_count())
    with serve(app) as url:
        yield Server(url, store, changes)


@pytest.fixture(scope="module")
def read_only() -> Iterator[Server]:
    """The default settings: no token, so no writes."""
    store = _store()
    with serve(create_app(Settings(), store=store)) as url:
        yield Server(url, store, [])


# --- SPARQL Update ----------------------------------------------------------------------------


def test_update_by_direct_post_and_by_form_on_both_paths(server: Server) -> None:
    insert = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 'v1' } }"
    response = httpx.post(server.sparql, content=insert, headers=DIRECT)
    assert response.status_code == 204 and response.content == b""
    assert server.ask("GRAPH <http://example.org/g> { ?s ?p 'v1' }")
    form = {"update": "INSERT DATA { <http://example.org/s> <http://example.org/p> 'v2' }"}
    assert httpx.post(server.url + "/update", data=form, headers=AUTH).status_code == 204
    delete = f"DELETE WHERE {{ GRAPH <{VOCAB_GRAPH}> {{ ?s <{LABEL}> 'Ecuador' }} }}"
    assert httpx.post(server.url + "/update", content=delete, headers=DIRECT).status_code == 204
    assert server.ask("?s ?p 'v2'") and not server.ask("GRAPH ?g { ?s ?p 'Ecuador' }")
    assert len(server.changes) == 3 and server.changes[-1] == server.store.quads_count()
    # readiness reports the new size; queries over HTTP see the change
    assert httpx.get(server.url + "/readyz").json()["quads"] == server.store.quads_count()
    assert httpx.get(server.sparql, params={"query": "ASK { ?s ?p 'v2' }"}).json()["boolean"] is True


def test_using_graph_parameters_pick_the_where_dataset(server: Server) -> None:
    update = "INSERT { GRAPH <http://example.org/out> { ?s a <http://example.org/Found> } } WHERE { ?s ?p ?o }"
    response = httpx.post(server.sparql, params={"using-graph-uri": DOC_GRAPH}, content=update, headers=DIRECT)
    assert response.status_code == 204
    select = "SELECT DISTINCT ?s {{ GRAPH <{}> {{ ?s ?p ?o }} }}"
    found = {str(row["s"]) for row in server.store.query(select.format("http://example.org/out"))}
    assert found == {str(row["s"]) for row in server.store.query(select.format(DOC_GRAPH))}
    assert f"<{BASE}id/event/2017-04-06-dialogue>" in found and f"<{BASE}id/state/ECU>" not in found
    conflict = httpx.post(
        server.sparql,
        params={"using-graph-uri": DOC_GRAPH},
        content=f"INSERT {{ ?s a ?t }} USING <{VOCAB_GRAPH}> WHERE {{ ?s a ?t }}",
        headers=DIRECT,
    )
    assert conflict.status_code == 400 and "USING" in conflict.text
    relative = httpx.post(server.sparql, params={"using-graph-uri": "not-absolute"}, content=update, headers=DIRECT)
    assert relative.status_code == 400 and "IRI" in relative.text
    assert len(server.changes) == 1


@pytest.mark.parametrize(
    ("text", "using", "expected"),
    [
        ("DELETE WHERE { ?s ?p ?o }", QueryDataset(("http://g",)), "DELETE WHERE { ?s ?p ?o }"),
        ("delete { ?s ?p ?o } where { ?s ?p ?o }", QueryDataset(("http://g",)),
         "delete { ?s ?p ?o } USING <http://g> where { ?s ?p ?o }"),
        ('INSERT { ?s ?p "WHERE" } # WHERE\nWHERE { ?s ?p ?o }', QueryDataset((), ("http://n",)),
         'INSERT { ?s ?p "WHERE" } # WHERE\nUSING NAMED <http://n> WHERE { ?s ?p ?o }'),
        ("INSERT DATA { <a> <b> <c> } ; INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", QueryDataset(("http://g",), ("http://n",)),
         "INSERT DATA { <a> <b> <c> } ; INSERT { ?s ?p 1 } USING <http://g> USING NAMED <http://n> WHERE { ?s ?p ?o }"),
        ("CLEAR ALL", QueryDataset(("http://g",)), "CLEAR ALL"),
        ("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", None, "INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }"),
    ],
)
def test_with_using_writes_clauses_before_each_top_level_where(
    text: str, using: QueryDataset | None, expected: str
) -> None:
    assert with_using(text, using) == expected
    if using is not None:
        OxigraphStore().update(with_using(text, using).replace("<a> <b> <c>", "<x:a> <x:b> <x:c>"))


def test_with_using_refuses_iris_that_are_not_iris() -> None:
    with pytest.raises(QueryError):
        with_using("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", QueryDataset(("http://g> } ; DROP ALL ; #",)))


def test_relative_iris_resolve_against_the_base(server: Server) -> None:
    response = httpx.post(server.sparql, content="INSERT DATA { <s> <p> <o> }", headers=DIRECT)
    assert response.status_code == 204
    assert server.ask(f"<{BASE}s> <{BASE}p> <{BASE}o>")


def test_service_description_lists_update_when_enabled(server: Server, read_only: Server) -> None:
    def languages(url: str) -> set[str]:
        graph = rdflib.Graph().parse(data=httpx.get(url, headers={"Accept": "text/turtle"}).content, format="turtle")
        return {str(o) for o in graph.objects(None, rdflib.URIRef(SD + "supportedLanguage"))}

    assert languages(server.sparql) == {SD + "SPARQL11Query", SD + "SPARQL11Update"}
    assert languages(read_only.sparql) == {SD + "SPARQL11Query"}


# --- who may write ------------------------------------------------------------------------------


def test_read_only_by_default_refuses_every_write(read_only: Server) -> None:
    before = read_only.store.quads_count()
    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> 'x' }"
    for response in (
        httpx.post(read_only.sparql, content=insert, headers=DIRECT),
        httpx.post(read_only.url + "/update", data={"update": insert}, headers=AUTH),
        httpx.put(read_only.gsp, params={"graph": NEW_GRAPH}, content=b"<x:s> <x:p> 1 .", headers=TURTLE),
        httpx.post(read_only.gsp, params={"default": ""}, content=b"<x:s> <x:p> 1 .", headers=TURTLE),
        httpx.delete(read_only.gsp, params={"graph": VOCAB_GRAPH}, headers=AUTH),
    ):
        assert response.status_code == 403 and "read-only" in response.text
    assert read_only.store.quads_count() == before
    # reading a graph needs no token
    response = httpx.get(read_only.gsp, params={"graph": VOCAB_GRAPH}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200 and '"Ecuador"' in response.text


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": ""}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": "Bearer wrong-token"}, 403),
        ({"Authorization": f"Bearer {TOKEN[:-1]}"}, 403),
        ({"Authorization": f"Bearer {TOKEN}0"}, 403),
        ({"Authorization": f"bearer {TOKEN}"}, 204),
    ],
)
def test_the_token_is_required(server: Server, headers: dict[str, str], status: int) -> None:
    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> 'x' }"
    update_headers = {"Content-Type": "application/sparql-update", **headers}
    response = httpx.post(server.url + "/update", content=insert, headers=update_headers)
    assert response.status_code == status
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer") and "Authorization" in response.text
    turtle_headers = {"Content-Type": "text/turtle", **headers}
    gsp = httpx.put(server.gsp, params={"graph": NEW_GRAPH}, content=b"<x:s> <x:p> 1 .", headers=turtle_headers)
    assert gsp.status_code == (201 if status == 204 else status)
    assert server.ask("?s ?p 'x'") is (status == 204)
    assert len(server.changes) == (2 if status == 204 else 0)


def test_short_tokens_are_a_settings_error() -> None:
    with pytest.raises(ValueError, match="16"):
        Settings(update_token="short")
    assert Settings(update_token="").update_enabled is False


# --- hostile and malformed writes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "status", "message"),
    [
        ("application/sparql-update", b"INSERT DATA { <http://ex/s> <http://ex/p> }", 400, "syntax error"),
        ("application/sparql-update", b"SELECT * WHERE { ?s ?p ?o }", 400, "syntax error"),
        ("application/sparql-query", b"ASK {}", 400, "update endpoint"),
        ("text/plain", b"CLEAR ALL", 415, "Content-Type"),
        (None, b"CLEAR ALL", 415, "Content-Type"),
        ("application/sparql-update; charset=latin-1", b"CLEAR ALL", 415, "charset"),
        ("application/sparql-update", b"CLEAR ALL #" + b"x" * 20_000, 413, "limit"),
        ("application/sparql-update", b"INSERT DATA { <http://ex/s> <http://ex/p> '\xff' }", 400, "UTF-8"),
        ("application/x-www-form-urlencoded", b"update=CLEAR+ALL&update=CLEAR+ALL", 400, "more than once"),
        # nesting that deep can overflow pyoxigraph's parser stack (the process dies): refused unparsed
        ("application/sparql-update", b"INSERT { <x:a> <x:b> <x:c> } WHERE " + b"{" * 2000 + b"}" * 2000, 400, "deep"),
    ],
)
def test_malformed_updates_are_4xx_and_change_nothing(
    server: Server, content_type: str | None, body: bytes, status: int, message: str
) -> None:
    before = server.store.quads_count()
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = httpx.post(server.url + "/update", content=body, headers=headers)
    assert response.status_code == status and message in response.text
    assert server.store.quads_count() == before and server.changes == []


def test_update_over_get_is_refused(server: Server) -> None:
    assert httpx.get(server.sparql, params={"update": "CLEAR ALL"}, headers=AUTH).status_code == 400
    assert httpx.get(server.url + "/update", params={"update": "CLEAR ALL"}, headers=AUTH).status_code == 405
    assert server.store.quads_count() > 0


def test_load_and_service_never_reach_out_even_with_the_token(server: Server) -> None:
    with Canary() as canary:
        for update in (
            f"LOAD <{canary.url}>",
            f"LOAD SILENT <{canary.url}> INTO GRAPH <http://example.org/g>",
            f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
        ):
            response = httpx.post(server.sparql, content=update, headers=DIRECT)
            assert response.status_code == 403, update
        response = httpx.post(server.gsp, params={"graph": canary.url}, content=b"<x:s> <x:p> 1 .", headers=TURTLE)
        assert response.status_code == 201  # a graph *named* by the URL: nothing is fetched
        # USING and the using-graph parameters name graphs of this store, never documents to fetch
        using = f"INSERT {{ GRAPH <http://example.org/copy> {{ ?s ?p ?o }} }} USING <{canary.url}> WHERE {{ ?s ?p ?o }}"
        assert httpx.post(server.sparql, content=using, headers=DIRECT).status_code == 204
        params = {"using-graph-uri": canary.url + "x", "using-named-graph-uri": canary.url + "y"}
        update = "INSERT { GRAPH <http://example.org/copy2> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
        assert httpx.post(server.sparql, params=params, content=update, headers=DIRECT).status_code == 204
        assert len(server.store.graph_get("http://example.org/copy")) == 1  # the one triple PUT above
        assert not server.store.graph_get("http://example.org/copy2")
        assert canary.hits == []


# --- Graph Store Protocol -------------------------------------------------------------------------


def test_graph_store_put_get_post_delete(server: Server) -> None:
    put = httpx.put(server.gsp, params={"graph": NEW_GRAPH}, content="<x:s> <x:p> 'één' .".encode(), headers=TURTLE)
    assert put.status_code == 201
    again = httpx.put(server.gsp, params={"graph": NEW_GRAPH}, content=b"<x:s> <x:p> 2 .", headers=TURTLE)
    assert again.status_code == 204
    nt = {"Content-Type": "application/n-triples", **AUTH}
    post = httpx.post(server.gsp, params={"graph": NEW_GRAPH}, content=b'_:b <x:p> "3" .\n', headers=nt)
    assert post.status_code == 204
    httpx.post(server.gsp, params={"graph": NEW_GRAPH}, content=b'_:b <x:p> "3" .\n', headers=nt)
    # blank nodes of separate requests never merge: two blank subjects now
    got = httpx.get(server.gsp, params={"graph": NEW_GRAPH}, headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and got.headers["content-type"] == "text/turtle; charset=utf-8"
    expected = rdflib.Graph().parse(data='<x:s> <x:p> 2 . _:a <x:p> "3" . _:b <x:p> "3" .', format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=got.content, format="turtle"), expected)
    head = httpx.head(server.gsp, params={"graph": NEW_GRAPH}, headers={"Accept": "application/ld+json"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("application/ld+json")
    assert httpx.delete(server.gsp, params={"graph": NEW_GRAPH}, headers=AUTH).status_code == 204
    for method in ("GET", "HEAD", "DELETE"):
        gone = httpx.request(method, server.gsp, params={"graph": NEW_GRAPH}, headers=AUTH)
        assert gone.status_code == 404
    assert NEW_GRAPH not in server.store.named_graphs()
    assert len(server.changes) == 5


def test_graph_store_default_graph_is_the_stores_own(server: Server) -> None:
    # a build keeps everything in named graphs: the store's own default graph is empty
    empty = httpx.get(server.gsp, params={"default": ""}, headers={"Accept": "application/n-triples"})
    assert empty.status_code == 200 and empty.content.strip() == b""
    assert httpx.put(server.gsp, params={"default": ""}, content=b"<x:s> <x:p> 1 .", headers=TURTLE).status_code == 204
    assert server.ask("GRAPH ?g { ?s ?p ?o } FILTER(?g = <x:s>)") is False
    assert bool(server.store.query("ASK { <x:s> <x:p> 1 }", default_graph_as_union=False))
    assert VOCAB_GRAPH in server.store.named_graphs()  # the named graphs are untouched


def test_graph_store_post_creates_a_graph_and_says_where(server: Server) -> None:
    response = httpx.post(server.gsp, content=b"<x:s> <x:p> 1 .", headers=TURTLE)
    assert response.status_code == 201
    location = response.headers["location"]
    assert location.startswith(BASE + "graph/upload/") and location in server.store.named_graphs()
    got = httpx.get(server.gsp, params={"graph": location}, headers={"Accept": "application/n-triples"})
    assert got.text.strip() == "<x:s> <x:p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> ."


def test_graph_store_multipart_post_merges_every_part(server: Server) -> None:
    files = [
        ("a", ("a.ttl", b"<x:s> <x:p> 1 .", "text/turtle")),
        ("b", ("b.nt", b"<x:s> <x:p> \"2\" .\n", "application/n-triples")),
    ]
    response = httpx.post(server.gsp, params={"graph": NEW_GRAPH}, files=files, headers=AUTH)
    assert response.status_code == 201
    assert len(server.store.graph_get(NEW_GRAPH)) == 2
    # one bad part and nothing of the request is written
    bad = [("c", ("c.ttl", b"<x:s> <x:p> 3 .", "text/turtle")), ("d", ("d.ttl", b"<x:s> <x:p> .", "text/turtle"))]
    response = httpx.post(server.gsp, params={"graph": NEW_GRAPH}, files=bad, headers=AUTH)
    assert response.status_code == 400 and "document 2 of 2" in response.text
    response = httpx.put(server.gsp, params={"graph": NEW_GRAPH}, files=bad, headers=AUTH)
    assert response.status_code == 400
    assert len(server.store.graph_get(NEW_GRAPH)) == 2 and len(server.changes) == 1


@pytest.mark.parametrize(
    ("method", "params", "content_type", "body", "status"),
    [
        ("PUT", {"graph": NEW_GRAPH}, "text/turtle", b"<x:s> <x:p> .", 400),
        ("PUT", {"graph": NEW_GRAPH}, "text/plain", b"<x:s> <x:p> 1 .", 415),
        ("PUT", {"graph": NEW_GRAPH}, None, b"<x:s> <x:p> 1 .", 415),
        ("PUT", {"graph": NEW_GRAPH}, "text/turtle; charset=utf-16", b"<x:s> <x:p> 1 .", 415),
        ("PUT", {"graph": NEW_GRAPH}, "application/trig", b"<x:g> { <x:s> <x:p> 1 }", 400),
        ("PUT", {"graph": NEW_GRAPH}, "text/turtle", b"<x:s> <x:p> 1 . #" + b"x" * 20_000, 413),
        ("PUT", {"graph": "relative/iri"}, "text/turtle", b"<x:s> <x:p> 1 .", 400),
        ("PUT", {}, "text/turtle", b"<x:s> <x:p> 1 .", 400),
        ("PUT", {"graph": NEW_GRAPH, "default": ""}, "text/turtle", b"<x:s> <x:p> 1 .", 400),
        ("POST", {"graph": NEW_GRAPH}, "multipart/form-data; boundary=x", b"nothing", 400),
        ("GET", {}, None, b"", 400),
        ("GET", {"graph": NEW_GRAPH}, None, b"", 404),
    ],
)
def test_graph_store_bad_requests_are_4xx_and_change_nothing(
    server: Server, method: str, params: dict[str, str], content_type: str | None, body: bytes, status: int
) -> None:
    before = server.store.quads_count()
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = httpx.request(method, server.gsp, params=params, content=body, headers=headers)
    assert response.status_code == status and response.text.strip()
    assert server.store.quads_count() == before and NEW_GRAPH not in server.store.named_graphs()
    assert server.changes == []


def test_doctests_of_the_update_modules() -> None:
    import doctest

    from migration_kg import store
    from migration_kg.serve import using

    for module in (using, store):
        failures, tried = doctest.testmod(module)
        assert failures == 0 and tried > 0


def test_graph_store_direct_identification_names_the_graph_by_its_url(server: Server) -> None:
    url = server.gsp + "/notes/1"
    assert httpx.put(url, content=b"<x:s> <x:p> 1 .", headers=TURTLE).status_code == 201
    assert url in server.store.named_graphs()
    assert httpx.get(server.gsp, params={"graph": url}, headers={"Accept": "text/turtle"}).status_code == 200
    assert httpx.put(url, params={"default": ""}, content=b"<x:s> <x:p> 1 .", headers=TURTLE).status_code == 400
    assert httpx.delete(url, headers=AUTH).status_code == 204
    assert httpx.get(url).status_code == 404
