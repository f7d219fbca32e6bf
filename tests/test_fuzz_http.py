"""A seeded hand fuzzer: ~300 malformed requests on one keep-alive connection to a live server.

Random characters and percent-escapes in paths under every Linked Data prefix and
``/dumps/``, path traversal, truncated SPARQL (GET, form and direct POST), odd ``Accept``
headers and ``format=`` values, passage offsets out of range. Every answer must be below
500, the server must keep the connection after each of them, and ``/readyz`` must still
answer at the end. A failure prints the seed and the request, to replay it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from livehttp import BASE, LABEL, TEST_NQUADS, RawClient, serve

from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import build_store, swap_in

SEED = 20261203
REQUESTS = 300
PREFIXES = ("id", "vocab", "evidence", "statement", "rule", "graph", "doc", "dumps")
DOC = f"{BASE}doc/test-doc"
#: The test dataset plus a document, so that /doc/test-doc?start=&end= reaches the offset check.
FUZZ_NQUADS = TEST_NQUADS + f'<{DOC}> <{LABEL}> "A test document" <{BASE}graph/doc/test-doc> .\n'
QUERIES = (
    f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }} ORDER BY ?label LIMIT 5",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5",
    'ASK { ?s ?p "Genève"@fr }',
    f"DESCRIBE <{BASE}id/state/ECU>",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), \"^G\")) }",
)
TRAVERSALS = (
    "/dumps/../../etc/passwd", "/dumps/%2e%2e/%2e%2e/etc/passwd", "/dumps/..%2F..%2Fetc%2Fpasswd",
    "/dumps/%2F%2Fetc%2Fpasswd", "/doc/..%2F..%2F..%2Fetc%2Fpasswd", "/doc/../../etc/passwd",
    "/dumps/graph.nq.gz/..", "/dumps/.", "/dumps/%00", "/id/../../../etc/passwd", "/dumps/SHA256SUMS%00.txt",
)
ACCEPTS = (
    "text/*", "*/*;q=abc", "application/ld+json;q=2", ";;;,,,", "*/html", "text/turtle;q=0, */*;q=0",
    "application/sparql-results+json;q=0.0001", "image/png", "text/html;level=1;q=0.5, application/*;q=0.4",
    "x" * 3000, "text/csv; charset=latin-1", "application/n-quads, text/*;q=-1", "",
)
FORMATS = ("json", "xml", "ttl", "csv", "tsv", "nq", "jsonld", "html", "", "JSON", "png", "text/turtle", "%00")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    source = data_dir / "input.nq"
    source.write_text(FUZZ_NQUADS, encoding="utf-8")
    swap_in(build_store(source, data_dir), data_dir)
    with serve(create_app(Settings(data_dir=data_dir, query_workers=1, corpus_dir=Path(data_dir / "none")))) as url:
        yield url


def random_segment(rng: random.Random) -> str:
    """Printable ASCII (what a request line may hold raw) and percent-escapes of any byte, broken ones too."""
    pieces = []
    for _ in range(rng.randint(1, 12)):
        kind = rng.random()
        if kind < 0.5:
            pieces.append(chr(rng.randint(0x21, 0x7E)))
        elif kind < 0.8:
            pieces.append(f"%{rng.randint(0, 255):02X}")
        elif kind < 0.9:
            pieces.append(rng.choice(["%", "%G1", "%2", "..", "/", "./", ".ttl", ".jsonld", "?", "#"]))
        else:
            pieces.append(quote(rng.choice(["é", "’", "\ufffe", "\U0001f600", "\u202e"])))
    return "".join(pieces)


def request_for(rng: random.Random) -> tuple[str, bytes, dict[str, str], bytes]:
    """(method, target, headers, body) of one malformed request."""
    headers: dict[str, str] = {}
    if rng.random() < 0.4:
        headers["accept"] = rng.choice(ACCEPTS)
    kind = rng.random()
    if kind < 0.45:
        path = f"/{rng.choice(PREFIXES)}/{random_segment(rng)}"
        if rng.random() < 0.2:
            path += "?format=" + quote(rng.choice(FORMATS))
        return rng.choice(["GET", "GET", "HEAD"]), path.encode(), headers, b""
    if kind < 0.55:
        return rng.choice(["GET", "HEAD"]), rng.choice(TRAVERSALS).encode(), headers, b""
    if kind < 0.65:
        start, end = rng.choice([-1, 0, 5, 10**12, "abc", ""]), rng.choice([-5, 0, 3, 10**18, "x", ""])
        return "GET", f"/doc/test-doc?{urlencode({'start': start, 'end': end})}".encode(), headers, b""
    query = rng.choice(QUERIES)
    query = query[: rng.randint(0, len(query) - 1)]  # truncated: never the whole query
    fields = {"query": query}
    if rng.random() < 0.3:
        fields["format"] = rng.choice(FORMATS)
    how = rng.choice(["get", "form", "direct"])
    if how == "get":
        return "GET", ("/sparql?" + urlencode(fields)).encode(), headers, b""
    if how == "form":
        headers["content-type"] = "application/x-www-form-urlencoded"
        return "POST", b"/sparql", headers, urlencode(fields).encode()
    headers["content-type"] = rng.choice(["application/sparql-query", "application/sparql-query; charset=latin-1"])
    return "POST", b"/sparql", headers, query.encode()


def test_malformed_requests_get_4xx_and_keep_the_connection(server: str) -> None:
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    with RawClient(server) as raw:
        for number in range(REQUESTS):
            method, target, headers, body = request_for(rng)
            status, _, answer = raw.request(method, target, headers, body)
            where = f"seed {SEED}, request {number}: {method} {target!r} {headers} {body[:200]!r}"
            assert status < 500, f"{where} -> {status} {answer[:300]!r}"
            assert raw.connections == 1, f"{where} -> {status}: the server closed the connection"
            statuses[status] = statuses.get(status, 0) + 1
        assert raw.request("GET", b"/readyz")[0] == 200
        assert raw.connections == 1
    assert len(statuses) > 3, statuses  # the requests reached different checks, not one answer
