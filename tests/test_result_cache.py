"""The result cache: its LRU cap (the class alone), and over real HTTP against uvicorn serving a
built data folder with worker processes: hits, ETag and 304, formats, named queries, writes."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from livehttp import BASE, LABEL, VOCAB_GRAPH, build_test_data_dir, serve
from prometheus_client.parser import text_string_to_metric_families

from migration_kg.serve import create_app, result_cache
from migration_kg.serve.result_cache import ResultCache, cacheable, normalise
from migration_kg.serve.worker import QueryAnswer
from migration_kg.settings import Settings

TOKEN = "test-update-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = "application/sparql-results+json"
USER_GRAPH = "http://example.org/graph/notes"
LABELS = f"SELECT ?label WHERE {{ GRAPH ?g {{ ?s <{LABEL}> ?label }} }} ORDER BY ?label"


def answer(size: int) -> QueryAnswer:
    return QueryAnswer(b"x" * size, JSON, False)


# --- the class alone ------------------------------------------------------------------------


def test_doctests() -> None:
    failures, tried = doctest.testmod(result_cache)
    assert failures == 0 and tried > 0


def test_lru_keeps_within_the_cap_and_evicts_the_least_recently_used() -> None:
    cache = ResultCache(max_bytes=8 * 1024)
    keys = [cache.key("sparql", f"ASK {{ <x:{i}> ?p ?o }}", results_type=JSON) for i in range(10)]
    for key in keys[:6]:
        assert cache.put(key, answer(700))  # each entry is ~1 KB with its key: 8 fit
    assert cache.get(keys[0]) is not None  # keys[0] is now the most recently used
    for key in keys[6:]:
        cache.put(key, answer(700))
    stats = cache.stats()
    assert stats.bytes <= stats.max_bytes and stats.entries < 10 and stats.evictions_total >= 2
    assert cache.get(keys[0]) is not None  # used recently: kept
    assert cache.get(keys[1]) is None and cache.get(keys[2]) is None  # the oldest unused ones went first
    assert cache.get(keys[9]) is not None
    assert not cache.put(cache.key("sparql", "ASK {}"), answer(1025))  # over an eighth of the cap: not kept
    assert ResultCache(max_bytes=0).put(keys[0], answer(1)) is False  # 0 = no cache


def test_a_key_made_before_a_write_never_stores_its_answer() -> None:
    cache = ResultCache(max_bytes=1 << 20, label="build-1")
    before = cache.key("sparql", "ASK {}", results_type=JSON)
    cache.invalidate()  # a write happened while the query ran
    assert not cache.put(before, answer(10))
    after = cache.key("sparql", "ASK {}", results_type=JSON)
    assert after.etag != before.etag and after.etag.startswith('"build-1.1-')
    cache.invalidate("build-2")
    assert cache.key("sparql", "ASK {}", results_type=JSON).etag.startswith('"build-2.0-')


def test_keys_normalise_white_space_and_comments_but_not_strings() -> None:
    assert normalise("SELECT *\n  { ?s ?p ?o }  # all") == normalise("SELECT * { ?s ?p ?o }")
    assert normalise("ASK { ?s ?p 'a  b' }") != normalise("ASK { ?s ?p 'a b' }")
    assert normalise("ASK { FILTER(1 <= 2) }") != normalise("ASK { FILTER(1 < = 2) }")
    assert not cacheable("SELECT (RAND() AS ?r) {}") and not cacheable("ASK { BIND(uuid() AS ?u) }")
    assert cacheable("SELECT ?s { ?s ?p 'RAND()' }")


# --- over HTTP ------------------------------------------------------------------------------


@dataclass
class Server:
    url: str

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def metric(self, name: str) -> float:
        text = httpx.get(self.url + "/metrics").text
        return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)

    def labels(self, **headers: str) -> httpx.Response:
        return httpx.get(self.sparql, params={"query": LABELS}, headers={"Accept": JSON, **headers})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The test dataset built into a data folder, served with one query worker and updates on."""
    data: Path = tmp_path_factory.mktemp("data")
    build_test_data_dir(data)
    settings = Settings(data_dir=data, query_workers=1, update_token=TOKEN)
    with serve(create_app(settings)) as url:
        yield Server(url)


def test_the_same_query_twice_is_a_hit_the_second_time(server: Server) -> None:
    hits = server.metric("mkg_result_cache_hits_total")
    query = f"SELECT ?s WHERE {{ ?s <{LABEL}> 'Ecuador' }}"
    first = httpx.get(server.sparql, params={"query": query}, headers={"Accept": JSON})
    # the same query with other white space and a comment is the same entry
    second = httpx.post(server.sparql, content=f"SELECT ?s\nWHERE {{ ?s <{LABEL}> 'Ecuador' }} # again",
                        headers={"Accept": JSON, "Content-Type": "application/sparql-query"})
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=60"
    assert server.metric("mkg_result_cache_hits_total") == hits + 1
    assert server.metric("mkg_result_cache_entries") >= 1


def test_etag_and_if_none_match_give_a_304(server: Server) -> None:
    first = server.labels()
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    not_modified = server.labels(**{"If-None-Match": f'"other", W/{etag}'})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag and "max-age" in not_modified.headers["cache-control"]
    assert server.labels(**{"If-None-Match": '"something-else"'}).status_code == 200
    assert server.metric("mkg_result_cache_not_modified_total") >= 1


def test_another_format_is_another_entry(server: Server) -> None:
    query = f"SELECT ?s WHERE {{ ?s <{LABEL}> ?l }}"
    as_json = httpx.get(server.sparql, params={"query": query}, headers={"Accept": JSON})
    as_csv = httpx.get(server.sparql, params={"query": query}, headers={"Accept": "text/csv"})
    assert as_json.headers["content-type"].startswith(JSON) and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["x-cache"] == "miss" and as_csv.headers["etag"] != as_json.headers["etag"]
    again = httpx.get(server.sparql, params={"query": query, "format": "csv"})
    assert again.headers["x-cache"] == "hit" and again.content == as_csv.content
    # the dataset is part of the key too
    picked = httpx.get(server.sparql, params={"query": query, "default-graph-uri": VOCAB_GRAPH}, headers={"Accept": JSON})
    assert picked.headers["x-cache"] == "miss"


def test_named_queries_are_cached_by_their_bindings(server: Server) -> None:
    listed = httpx.get(server.url + "/api/queries").json()["queries"]
    name = next(q["name"] for q in listed if not any(p["required"] for p in q["params"]))
    first = httpx.get(f"{server.url}/api/queries/{name}", headers={"Accept": JSON})
    second = httpx.get(f"{server.url}/api/queries/{name}", headers={"Accept": JSON})
    assert first.status_code == 200 and (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    as_csv = httpx.get(f"{server.url}/api/queries/{name}", params={"format": "csv"})
    assert as_csv.headers["x-cache"] == "miss"


def test_volatile_queries_and_errors_are_not_stored(server: Server) -> None:
    now = httpx.get(server.sparql, params={"query": "SELECT (NOW() AS ?t) {}"}, headers={"Accept": JSON})
    assert now.status_code == 200 and now.headers["cache-control"] == "no-store" and "etag" not in now.headers
    bad = httpx.get(server.sparql, params={"query": "SELECT nonsense"})
    assert bad.status_code == 400 and bad.headers["cache-control"] == "no-store"


def test_a_write_invalidates(server: Server) -> None:
    before = server.labels()
    assert server.labels().headers["x-cache"] == "hit"
    insert = f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{BASE}id/note/1> <{LABEL}> 'A new label' }} }}"
    write = httpx.post(server.url + "/update", content=insert, headers={"Content-Type": "application/sparql-update", **AUTH})
    assert write.status_code == 204 and write.headers["cache-control"] == "no-store"
    after = server.labels()
    assert after.headers["x-cache"] == "miss" and after.headers["etag"] != before.headers["etag"]
    assert "A new label" in after.text and "A new label" not in before.text
    # the old tag no longer matches: a client revalidating gets the new answer
    assert server.labels(**{"If-None-Match": before.headers["etag"]}).status_code == 200
    # a Graph Store write invalidates too
    assert server.labels().headers["x-cache"] == "hit"
    turtle = f"<{BASE}id/note/1> <{LABEL}> 'Replaced' .".encode()
    put = httpx.put(server.url + "/rdf-graph-store", params={"graph": USER_GRAPH}, content=turtle,
                    headers={"Content-Type": "text/turtle", **AUTH})
    assert put.status_code == 204
    replaced = server.labels()
    assert replaced.headers["x-cache"] == "miss" and "Replaced" in replaced.text and "A new label" not in replaced.text


def test_repeated_gets_are_answered_before_routing_with_the_same_bytes_and_headers(server: Server) -> None:
    query = f"SELECT ?s ?l WHERE {{ ?s <{LABEL}> ?l }} ORDER BY ?l"
    get = lambda **headers: httpx.get(server.sparql, params={"query": query}, headers={"Accept": JSON, **headers})  # noqa: E731
    miss, handler_hit, front_hit = get(), get(), get()  # the second is a hit in the handler, which remembers the request
    assert (miss.headers["x-cache"], handler_hit.headers["x-cache"], front_hit.headers["x-cache"]) == ("miss", "hit", "hit")
    assert miss.content == handler_hit.content == front_hit.content
    for name in ("content-type", "etag", "cache-control", "vary", "content-length"):
        assert handler_hit.headers[name] == front_hit.headers[name], name
    head = httpx.head(server.sparql, params={"query": query}, headers={"Accept": JSON})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == miss.headers["content-length"]
    assert get(**{"If-None-Match": miss.headers["etag"]}).status_code == 304
    cors = get(Origin="https://example.org")
    assert cors.headers["x-cache"] == "hit" and cors.headers["access-control-allow-origin"] == "*"
    # the limits still hold: headers over MKG_MAX_HEADER_BYTES are a 431, not a hit
    assert get(**{"X-Padding": "x" * 20_000}).status_code == 431
    def requests(route: str) -> float:
        text = httpx.get(server.url + "/metrics").text
        return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                   if s.name == "mkg_http_requests_total" and s.labels.get("route") == route)

    counted, unmatched = requests("/sparql"), requests("unmatched")
    assert get().headers["x-cache"] == "hit"
    assert requests("/sparql") == counted + 1 and requests("unmatched") == unmatched  # counted under its route
    # a write forgets what the front remembered
    insert = f"INSERT DATA {{ GRAPH <{USER_GRAPH}> {{ <{BASE}id/note/2> <{LABEL}> 'Front' }} }}"
    headers = {"Content-Type": "application/sparql-update", **AUTH}
    assert httpx.post(server.url + "/update", content=insert, headers=headers).status_code == 204
    after = get()
    assert after.headers["x-cache"] == "miss" and "Front" in after.text
