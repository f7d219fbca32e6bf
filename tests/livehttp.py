"""Helpers for tests that talk real HTTP: a small dataset, a built store, a uvicorn server in a thread.

Test modules import these and wrap them in their own fixtures (there is no shared
conftest for them yet).
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h11
import httpx
import uvicorn
from fastapi import FastAPI

from migration_kg.namespaces import DEFAULT_BASE
from migration_kg.store import build_store, swap_in

BASE = DEFAULT_BASE
VOCAB_GRAPH = BASE + "graph/vocab"
DOC_GRAPH = BASE + "graph/doc/test-doc"
MKG = BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

#: Two named graphs under the default base; a blank node and non-ASCII text on purpose.
TEST_NQUADS = f"""\
<{BASE}id/state/ECU> <{RDF_TYPE}> <{MKG}State> <{VOCAB_GRAPH}> .
<{BASE}id/state/ECU> <{LABEL}> "Ecuador" <{VOCAB_GRAPH}> .
<{BASE}id/state/ECU> <{MKG}iso3166Alpha3> "ECU" <{VOCAB_GRAPH}> .
<{BASE}id/state/CIV> <{RDF_TYPE}> <{MKG}State> <{VOCAB_GRAPH}> .
<{BASE}id/state/CIV> <{LABEL}> "Côte d’Ivoire" <{VOCAB_GRAPH}> .
<{BASE}id/event/2017-04-06-dialogue> <{RDF_TYPE}> <{MKG}Dialogue> <{DOC_GRAPH}> .
<{BASE}id/event/2017-04-06-dialogue> <{LABEL}> "GFMD Dialogue on the GCM" <{DOC_GRAPH}> .
<{BASE}id/event/2017-04-06-dialogue> <{MKG}participant> <{BASE}id/state/ECU> <{DOC_GRAPH}> .
<{BASE}id/event/2017-04-06-dialogue> <{MKG}ordinal> "3"^^<{INTEGER}> <{DOC_GRAPH}> .
<{BASE}id/event/2017-04-06-dialogue> <{MKG}location> _:geneva <{DOC_GRAPH}> .
_:geneva <{LABEL}> "Genève"@fr <{DOC_GRAPH}> .
"""
#: Triples per named graph in TEST_NQUADS.
TEST_COUNTS = {VOCAB_GRAPH: 5, DOC_GRAPH: 6}


def write_test_dataset(path: Path) -> Path:
    """Write :data:`TEST_NQUADS` to ``path`` and return it."""
    path.write_text(TEST_NQUADS, encoding="utf-8")
    return path


def build_test_data_dir(data_dir: Path) -> Path:
    """Build the test dataset into ``data_dir`` and swap it in; returns the build folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    build = build_store(write_test_dataset(data_dir / "input.nq"), data_dir)
    swap_in(build, data_dir)
    return build


def free_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (not yet listening)."""
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP;
    # with proto 0 every small answer waits ~40 ms for a delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(app: FastAPI, *, wait_path: str = "/readyz", timeout: float = 20.0, **config: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn in a background thread; yield its base URL once ``wait_path`` is 200.

    ``config``: more options of ``uvicorn.Config`` (``http="h11"``, ``**server_options(settings)``).
    """
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if httpx.get(url + wait_path, timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"server at {url} did not become ready")
            time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serve_subprocess(
    data_dir: Path, log: Path, *, env: Mapping[str, str] | None = None, timeout: float = 120.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``uvicorn --factory migration_kg.serve.app:app_from_env`` over ``data_dir`` (what ``migration-kg
    serve`` runs), in a session of its own; yields its URL and process once ``/readyz`` is 200.

    ``env``: more ``MKG_*`` settings. Its stderr goes to ``log``. On exit the whole session is
    SIGKILLed: the server, the forkserver and the query workers.
    """
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    command = [sys.executable, "-m", "uvicorn", "--factory", "migration_kg.serve.app:app_from_env",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    with open(log, "wb") as stream:
        process = subprocess.Popen(command, env={**os.environ, "MKG_DATA_DIR": str(data_dir), **(env or {})},
                                   cwd=Path(__file__).resolve().parents[1], start_new_session=True, stderr=stream)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, f"the server exited with {process.returncode}"
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.05)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Canary:
    """An HTTP server that only records the requests it gets (to prove nothing calls out)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.end_headers()
                self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

            do_GET = do_POST = _record

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class RawClient:
    """One keep-alive HTTP/1.1 connection that sends request targets byte for byte (httpx
    percent-encodes them), read with h11. ``connections`` counts the sockets it had to open.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self.address = (host, int(port))
        self.timeout = timeout
        self.connections = 0
        self._sock: socket.socket | None = None
        self._conn: h11.Connection | None = None

    def _connect(self) -> tuple[socket.socket, h11.Connection]:
        if self._sock is None or self._conn is None or self._conn.our_state is not h11.IDLE:
            self.close()
            self._sock = socket.create_connection(self.address, timeout=self.timeout)
            self._conn = h11.Connection(h11.CLIENT)
            self.connections += 1
        return self._sock, self._conn

    def request(self, method: str, target: bytes, headers: dict[str, str] | None = None,
                body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        """Send one request; (status, headers with lower-case names, body). The connection is kept
        for the next request unless the server closes it."""
        sock, conn = self._connect()
        sent = {"host": f"{self.address[0]}:{self.address[1]}", **(headers or {})}
        if body or method == "POST":
            sent.setdefault("content-length", str(len(body)))
        out = conn.send(h11.Request(method=method, target=target, headers=list(sent.items())))
        if body:
            out = (out or b"") + (conn.send(h11.Data(data=body)) or b"")
        out = (out or b"") + (conn.send(h11.EndOfMessage()) or b"")
        sock.sendall(out)
        status, got, chunks = 0, {}, []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                got = {k.decode().lower(): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        else:
            self.close()
        return status, got, b"".join(chunks)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._conn = None, None

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
