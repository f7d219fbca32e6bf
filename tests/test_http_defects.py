"""Regression tests for HTTP defects, each over real HTTP against uvicorn on 127.0.0.1.

Each test names the defect it pins. A 4xx must leave the keep-alive connection usable, so
the tests that send something bad send a good request after it on the same connection and
check that it went over the same socket.
"""

from __future__ import annotations

import doctest
import gzip
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from livehttp import BASE, LABEL, RawClient, build_test_data_dir, serve
from rdflib.compare import isomorphic

from migration_kg import cli, pipeline
from migration_kg.namespaces import PREFIXES
from migration_kg.pipeline import BuildReport
from migration_kg.serve import create_app, formats, iri_paths
from migration_kg.serve.app import server_options
from migration_kg.serve.http_protocol import HTTPTOOLS_MAX_URL
from migration_kg.settings import Settings

LD_PREFIXES = ("id", "vocab", "evidence", "statement", "rule", "graph", "doc")
ASK = "ASK { ?s ?p ?o }"
SELECT = f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label }} ORDER BY ?label"
CONSTRUCT = f"CONSTRUCT {{ ?s <{LABEL}> ?label }} WHERE {{ ?s <{LABEL}> ?label }}"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("defects")
    build_test_data_dir(data)
    return data


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[str]:
    with serve(create_app(Settings(data_dir=data_dir, query_workers=1))) as url:
        yield url


@pytest.fixture()
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server) as http:
        yield http


def local_port(response: httpx.Response) -> int:
    """The client-side port of the connection ``response`` came over (the same port: the same connection)."""
    port: int = response.extensions["network_stream"].get_extra_info("socket").getsockname()[1]
    return port


def assert_still_usable(client: httpx.Client, after: httpx.Response) -> None:
    """A good request after ``after`` is answered over the same connection."""
    assert after.headers.get("connection", "").lower() != "close"
    good = client.get("/id/state/ECU", headers={"Accept": "text/turtle"})
    assert good.status_code == 200 and "Ecuador" in good.text
    assert local_port(good) == local_port(after), "the server closed the connection after the error"


def test_iri_path_doctests() -> None:
    assert doctest.testmod(iri_paths).failed == 0


# --- 1. paths holding characters no IRI may hold ---------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("prefix", LD_PREFIXES)
@pytest.mark.parametrize("rest", ["a%20b", "a%3Cb", "%7B", "a%22b%7C", "%FF"])
def test_percent_encoded_path_is_a_404_naming_the_iri(client: httpx.Client, method: str, prefix: str,
                                                       rest: str) -> None:
    """``/id/a%20b`` names the valid IRI ``…/id/a%20b`` (RFC 3987 §3.2), which the graph does not hold."""
    response = client.request(method, f"/{prefix}/{rest}", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    if method == "GET":
        assert f"<{BASE}{prefix}/{rest}>" in response.text
    assert_still_usable(client, response)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("prefix", LD_PREFIXES)
@pytest.mark.parametrize("rest", ["a<b", "{", 'a"b', "a|b", "%", "a%2", "%%41"])
def test_path_that_names_no_iri_is_a_400(server: str, method: str, prefix: str, rest: str) -> None:
    """Raw characters no IRI may hold, or a broken ``%`` escape, sent byte for byte."""
    with RawClient(server) as raw:
        status, _, body = raw.request(method, f"/{prefix}/{rest}".encode(), {"accept": "text/turtle"})
        assert status == 400
        if method == "GET":
            assert b"InvalidIRI" in body and b"names no IRI" in body
        status, _, body = raw.request("GET", b"/id/state/ECU", {"accept": "text/turtle"})
        assert status == 200 and b"Ecuador" in body
        assert raw.connections == 1, "the server closed the connection after the 400"


def test_non_ascii_iri_path_has_ascii_headers(client: httpx.Client) -> None:
    response = client.get("/id/caf%C3%A9", headers={"Accept": "text/turtle"})
    assert response.status_code == 404 and f"<{BASE}id/café>" in response.text
    found = client.get("/id/state/ECU")  # HTML: the Link header names every alternate
    assert "/id/state/ECU.ttl" in found.headers["link"]


# --- 2. OPTIONS and Allow --------------------------------------------------------------------------


def test_options_sparql_lists_every_method(client: httpx.Client) -> None:
    response = client.options("/sparql")
    assert response.status_code == 204
    assert [m.strip() for m in response.headers["allow"].split(",")] == ["GET", "HEAD", "POST", "OPTIONS"]
    assert_still_usable(client, response)


def test_head_sparql_has_the_get_headers_and_no_body(client: httpx.Client) -> None:
    params = {"query": ASK}
    head, get = client.head("/sparql", params=params), client.get("/sparql", params=params)
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"] and head.content == b""


def test_405_names_every_method_of_the_path(client: httpx.Client) -> None:
    response = client.put("/sparql", content=b"x")
    assert response.status_code == 405
    assert [m.strip() for m in response.headers["allow"].split(",")] == ["GET", "HEAD", "POST", "OPTIONS"]
    assert_still_usable(client, response)


# --- 4. format= twice (SPARQLWrapper) ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_same_format_twice_is_accepted(client: httpx.Client, method: str) -> None:
    fields = [("query", SELECT), ("format", "json"), ("format", "json")]
    if method == "GET":
        response = client.get("/sparql", params=fields)
    else:
        response = client.post("/sparql", data=dict(fields[:1]), params=fields[1:])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")


def test_two_different_formats_are_a_400_naming_both(client: httpx.Client) -> None:
    response = client.get("/sparql", params=[("query", SELECT), ("format", "json"), ("format", "xml")])
    assert response.status_code == 400
    assert "'json'" in response.text and "'xml'" in response.text
    assert_still_usable(client, response)


# --- 5. Accept: text/* ------------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/*", "text/csv"),
    ("text/*;q=0.5, application/sparql-results+json;q=0.1", "text/csv"),
    ("text/tab-separated-values, text/*;q=0.5", "text/tab-separated-values"),
    ("text/xml", "application/sparql-results+xml"),  # an alias asked for by name still counts
    ("application/*", "application/sparql-results+json"),
])  # fmt: skip
def test_wildcards_pick_a_type_they_match(client: httpx.Client, accept: str, expected: str) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


def test_text_wildcard_on_construct_is_turtle(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/*"})
    assert response.headers["content-type"].startswith("text/turtle")


# --- 3 and 6. oversized URLs (414) and headers (431), under either HTTP parser -----------------------


@pytest.fixture(scope="module", params=["serve-command", "h11"])
def any_parser(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[tuple[str, str]]:
    """(parser, URL): the app under uvicorn with the serve command's options (httptools), and with h11 instead."""
    settings = Settings(data_dir=data_dir, query_workers=1)
    options = server_options(settings)
    if request.param == "h11":
        options["http"] = "h11"
    with serve(create_app(settings), **options) as url:
        yield request.param, url


def long_query_target(size: int) -> bytes:
    return ("/sparql?query=" + quote(ASK + " #" + "x" * size)).encode()


@pytest.mark.parametrize("size", [20_000, 70_000, 300_000])
def test_long_url_is_414_with_a_message(any_parser: tuple[str, str], size: int) -> None:
    """Past 64 KiB httptools cannot parse the URL: the protocol answers the 414 and closes the connection."""
    parser, url = any_parser
    with RawClient(url) as raw:
        status, headers, body = raw.request("GET", long_query_target(size))
        assert status == 414, body
        assert b"414 URITooLong: the URL is " in body and b"send the query with POST" in body
        assert raw.request("GET", long_query_target(10))[0] == 200
        assert raw.connections == (2 if size > HTTPTOOLS_MAX_URL and parser != "h11" else 1)


def test_url_under_the_limit_is_answered(any_parser: tuple[str, str]) -> None:
    response = httpx.get(any_parser[1] + "/sparql", params={"query": ASK + " #" + "x" * 15_000})
    assert response.status_code == 200 and response.json()["boolean"] is True


@pytest.mark.parametrize("size", [20_000, 100_000, 500_000])
def test_big_header_is_431_with_a_message(any_parser: tuple[str, str], size: int) -> None:
    with RawClient(any_parser[1]) as raw:
        status, _, body = raw.request("GET", b"/sparql?query=" + quote(ASK).encode(), {"x-big": "a" * size})
        assert status == 431, body
        assert b"HeaderFieldsTooLarge" in body and b"over the limit of 16384 bytes" in body
        status, _, body = raw.request("GET", b"/sparql?query=" + quote(ASK).encode(), {"x-small": "a" * 10_000})
        assert status == 200 and b"true" in body
        assert raw.connections == 1


def test_big_header_on_a_post_is_431_before_the_body_is_read(any_parser: tuple[str, str]) -> None:
    with RawClient(any_parser[1]) as raw:
        headers = {"content-type": "application/sparql-query", "x-big": "a" * 100_000}
        assert raw.request("POST", b"/sparql", headers, ASK.encode())[0] == 431
        assert raw.request("POST", b"/sparql", {"content-type": "application/sparql-query"}, ASK.encode())[0] == 200
        assert raw.connections == 1


# --- 7. Content-Encoding on a POST -----------------------------------------------------------------

DIRECT = {"Content-Type": "application/sparql-query"}


@pytest.mark.parametrize("encoding", ["br2", "br", "deflate", "compress", "gzip, gzip", "zstd"])
def test_unknown_content_encoding_is_415_naming_it(client: httpx.Client, encoding: str) -> None:
    response = client.post("/sparql", content=ASK.encode(), headers={**DIRECT, "Content-Encoding": encoding})
    assert response.status_code == 415
    assert f"Content-Encoding '{encoding}' is not supported" in response.text
    assert response.headers["accept-encoding"] == "gzip"
    assert_still_usable(client, response)


@pytest.mark.parametrize("encoding", ["identity", "gzip", "GZip", "x-gzip"])
def test_identity_and_gzip_bodies_are_read(client: httpx.Client, encoding: str) -> None:
    body = ASK.encode() if encoding == "identity" else gzip.compress(ASK.encode())
    response = client.post("/sparql", content=body, headers={**DIRECT, "Content-Encoding": encoding})
    assert response.status_code == 200 and response.json()["boolean"] is True


@pytest.mark.parametrize(("body", "status", "says"), [
    (gzip.compress(ASK.encode())[:-6], 400, "truncated"),
    (b"not gzip at all", 400, "cannot be decompressed"),
    (gzip.compress(ASK.encode() + b" #" + b" " * 2_000_000), 413, "once decompressed"),
])  # fmt: skip
def test_bad_or_oversized_gzip_is_refused(client: httpx.Client, body: bytes, status: int, says: str) -> None:
    response = client.post("/sparql", content=body, headers={**DIRECT, "Content-Encoding": "gzip"})
    assert response.status_code == status and says in response.text
    assert_still_usable(client, response)


# --- 8. a client that abandons its body ---------------------------------------------------------------


def metric_sample(url: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_abandoned_post_body_is_no_500_and_no_traceback(server: str, caplog: pytest.LogCaptureFixture) -> None:
    uvicorn_logger = logging.getLogger("uvicorn")  # uvicorn's loggers do not propagate to the root
    uvicorn_logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    posts = {"route": "/sparql", "method": "POST"}
    before = metric_sample(server, "mkg_http_requests_total", **posts)
    gone_before = metric_sample(server, "mkg_http_requests_total", **posts, status="499")
    try:
        host, port = server.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                         b"Content-Length: 1000\r\n\r\nASK { ?s")
        deadline = time.monotonic() + 10  # a bound on waiting for the server to notice, not a speed assertion
        while metric_sample(server, "mkg_http_requests_total", **posts) == before:
            assert time.monotonic() < deadline, "the server never finished the abandoned request"
            time.sleep(0.05)
    finally:
        uvicorn_logger.removeHandler(caplog.handler)
    assert metric_sample(server, "mkg_http_requests_total", **posts, status="499") == gone_before + 1
    assert metric_sample(server, "mkg_http_requests_total", status="500") == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert "went away" in caplog.text and "Traceback" not in caplog.text


# --- 9. build --skip-unreadable that skipped files -----------------------------------------------------


@pytest.mark.parametrize(("skipped", "status"), [(["corpus/x.txt:2: not valid UTF-8"], cli.EXIT_SKIPPED), ([], 0)])
def test_build_that_skipped_documents_exits_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str], skipped: list[str],
                                               status: int) -> None:
    """The pipeline is stubbed: ``tests/test_cli.py`` runs the real build with a broken document."""
    calls: list[dict[str, object]] = []

    def fake_build(settings: Settings, **options: object) -> BuildReport:
        calls.append(options)
        return BuildReport(build_dir=tmp_path / "build", skipped=list(skipped))

    monkeypatch.setattr(pipeline, "build", fake_build)
    assert cli.main(["build", "--skip-unreadable", "--out", str(tmp_path)]) == status
    assert calls[0]["skip_unreadable"] is True
    assert ("skipped: corpus/x.txt:2" in capsys.readouterr().err) == bool(skipped)


def test_build_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["build", "--help"])
    out = capsys.readouterr().out
    assert "exit status" in out and f"{cli.EXIT_SKIPPED}  built and swapped in, but --skip-unreadable" in out


# --- 10. JSON-LD with an @context ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/id/event/2017-04-06-dialogue", "/id/state/CIV", "/sparql"])
def test_json_ld_is_compacted_with_our_prefixes_and_the_same_graph(client: httpx.Client, path: str) -> None:
    """A blank node, a language tag, an xsd:integer and non-ASCII text survive the compaction."""
    as_json_ld = client.get(path, headers={"Accept": "application/ld+json"})
    as_turtle = client.get(path, headers={"Accept": "text/turtle"})
    assert as_json_ld.status_code == as_turtle.status_code == 200
    document = as_json_ld.json()
    assert document["@context"] == {name: iri for name, iri in PREFIXES.items()}
    graph = json.dumps(document["@graph"])
    assert "http://www.w3.org/2000/01/rdf-schema#" not in graph and "http://www.w3.org/ns/sparql-service" not in graph
    text = as_json_ld.text
    expected = rdflib.Graph().parse(data=as_turtle.text, format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=text, format="json-ld"), expected)
    read_by_oxigraph = ox.serialize(ox.parse(as_json_ld.content, format=ox.RdfFormat.JSON_LD),
                                    format=ox.RdfFormat.N_TRIPLES)
    assert isomorphic(rdflib.Graph().parse(data=read_by_oxigraph.decode(), format="nt"), expected)


def test_json_ld_doctests() -> None:
    assert doctest.testmod(formats).failed == 0
