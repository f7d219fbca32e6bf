"""Regression tests for HTTP defects, each over real HTTP against uvicorn on 127.0.0.1.

Each test names the defect it pins. A 4xx must leave the keep-alive connection usable, so
the tests that send something bad send a good request after it on the same connection and
check that it went over the same socket.
"""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from livehttp import BASE, RawClient, build_test_data_dir, serve

from migration_kg.serve import create_app, iri_paths
from migration_kg.settings import Settings

LD_PREFIXES = ("id", "vocab", "evidence", "statement", "rule", "graph", "doc")


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
