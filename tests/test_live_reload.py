"""Live rebuilds (issue 10): a new ``data/current`` is served with no failed request.

The server is a real ``uvicorn`` subprocess (what ``migration-kg serve`` runs) with one query
worker per build. A second build is made the way a rebuild leaves it: a new folder under
``data/builds/`` (``store.build_store``, here from the first build's dump plus one triple) and
``swap_in``. The server notices by polling, on SIGHUP or on ``POST /admin/reload``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from livehttp import build_test_data_dir, free_socket

from migration_kg.store import DUMP_NAME, MANIFEST_NAME, build_store, current_build, read_manifest, swap_in

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-update-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Accept": "application/sparql-results+json"}
EXTRA = "http://example.org/rebuilt"
ASK_EXTRA = f"ASK {{ <{EXTRA}> ?p ?o }}"
NOTE = "INSERT DATA { GRAPH <http://example.org/graph/notes> { <http://example.org/n1> <http://example.org/says> 'kept' } }"
ASK_NOTE = "ASK { GRAPH <http://example.org/graph/notes> { <http://example.org/n1> <http://example.org/says> 'kept' } }"
#: Safety bound on waiting for the server; no assertion is about speed.
PATIENCE_S = 120.0


@contextmanager
def server(data: Path, tmp_path: Path, *, poll_s: float) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``uvicorn --factory migration_kg.serve.app:app_from_env`` over ``data``; yields its URL, process and log file."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "MKG_DATA_DIR": str(data), "MKG_UPDATE_TOKEN": TOKEN, "MKG_QUERY_WORKERS": "1",
           "MKG_RELOAD_POLL_S": str(poll_s)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "migration_kg.serve.app:app_from_env",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"]
    log = tmp_path / "server.log"
    with open(log, "wb") as stream:
        process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stderr=stream)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url, process), "the server did not become ready")
        yield url, process, log
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the forkserver and the query workers
        except ProcessLookupError:
            pass


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, f"the server exited with {process.returncode}"
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(condition: object, message: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def served_build(url: str) -> str | None:
    response = httpx.get(url + "/readyz", timeout=10)
    assert response.status_code == 200, response.text
    build: str | None = response.json()["build"]
    return build


def ask(url: str, query: str) -> bool:
    response = httpx.get(url + "/sparql", params={"query": query}, headers=JSON, timeout=30)
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def next_build(data: Path, subject: str = EXTRA, *, swap: bool = True) -> Path:
    """A new build of the current build's dump plus one triple about ``subject``, swapped in."""
    quads = list(ox.parse(path=str(current_build(data) / DUMP_NAME), format=ox.RdfFormat.N_QUADS))  # type: ignore[operator]
    quads.append(ox.Quad(ox.NamedNode(subject), ox.NamedNode("http://example.org/p"), ox.Literal("new"),
                         ox.NamedNode("http://example.org/graph/rebuilt")))
    build = build_store(quads, data)
    if swap:
        swap_in(build, data)
    return build


def build_id(build: Path) -> str:
    value: str = read_manifest(build)["build_id"]
    return value


def point_current_at(folder: Path, data: Path) -> None:
    """What ``swap_in`` does, without its checks (a damaged build must reach the server)."""
    temp = data / ".current.test"
    os.symlink(folder, temp, target_is_directory=True)
    os.replace(temp, data / "current")


class Clients:
    """``count`` threads sending ASK queries for the rebuilt triple as fast as the server answers."""

    def __init__(self, url: str, count: int = 3) -> None:
        self.url = url
        self.stop = threading.Event()
        self.answers: list[list[tuple[int, bool | None]]] = [[] for _ in range(count)]
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(count)]

    def _run(self, index: int) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                try:
                    response = client.get("/sparql", params={"query": ASK_EXTRA, "n": str(index)}, headers=JSON)
                except httpx.TransportError as exc:
                    self.answers[index].append((0, None))
                    print("transport error:", exc)
                    continue
                value = bool(response.json()["boolean"]) if response.status_code == 200 else None
                self.answers[index].append((response.status_code, value))

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


class Writer:
    """A thread writing one new triple after another into a user graph, each acknowledged before the next."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        headers = {**AUTH, "Content-Type": "application/sparql-update"}
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                n = len(self.statuses)
                triple = f"<http://example.org/w{n}> <http://example.org/n> {n}"
                update = f"INSERT DATA {{ GRAPH <http://example.org/graph/log> {{ {triple} }} }}"
                self.statuses.append(client.post("/update", content=update, headers=headers).status_code)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


@pytest.mark.slow
def test_a_rebuild_is_served_with_no_failed_request(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = build_test_data_dir(data)
    with server(data, tmp_path, poll_s=0.2) as (url, _, _):
        assert served_build(url) == build_id(first)
        assert httpx.post(url + "/update", content=NOTE,
                          headers={**AUTH, "Content-Type": "application/sparql-update"}).status_code == 204
        etag = httpx.get(url + "/sparql", params={"query": ASK_EXTRA}, headers=JSON).headers["etag"]
        with Clients(url) as clients, Writer(url) as writer:
            wait_for(lambda: all(len(a) >= 20 for a in clients.answers) and len(writer.statuses) >= 5,
                     "the clients got no answers")
            second = next_build(data)
            wait_for(lambda: served_build(url) == build_id(second), "the new build was not served")
            seen = [len(a) for a in clients.answers]
            wait_for(lambda: all(len(a) >= n + 20 for a, n in zip(clients.answers, seen, strict=True)),
                     "the clients got no answers after the switch")
        for answers in clients.answers:
            assert {status for status, _ in answers} == {200}, f"a request failed during the switch: {answers}"
            values = [value for _, value in answers]
            assert values[0] is False and values[-1] is True
            switched = values.index(True)
            assert all(values[switched:]), "an answer from the old build after one from the new"
        assert ask(url, ASK_NOTE), "the journaled write is not on the new build"
        assert set(writer.statuses) == {204}, "a write failed during the switch"
        count = "SELECT (COUNT(*) AS ?n) { GRAPH <http://example.org/graph/log> { ?s ?p ?o } }"
        rows = httpx.get(url + "/sparql", params={"query": count}, headers=JSON).json()["results"]["bindings"]
        assert int(rows[0]["n"]["value"]) == len(writer.statuses), "a write acknowledged during the switch was lost"
        assert httpx.get(url + "/sparql", params={"query": ASK_EXTRA}, headers=JSON).headers["etag"] != etag
        description = httpx.get(url + "/sparql", headers={"Accept": "application/n-triples"}).text
        assert f'"{build_id(second)}"' in description and "versionInfo" in description
        # writes after the switch go to the new build, and live through the next one
        assert httpx.post(url + "/update", content=NOTE.replace("kept", "later"),
                          headers={**AUTH, "Content-Type": "application/sparql-update"}).status_code == 204
        third = next_build(data, "http://example.org/third")
        wait_for(lambda: served_build(url) == build_id(third), "the third build was not served")
        assert ask(url, ASK_NOTE) and ask(url, ASK_NOTE.replace("kept", "later"))
        assert ask(url, ASK_EXTRA) and ask(url, "ASK { <http://example.org/third> ?p ?o }")


@pytest.mark.slow
def test_sighup_and_post_admin_reload(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = build_test_data_dir(data)
    with server(data, tmp_path, poll_s=0) as (url, process, _):  # no polling: only when told
        second = next_build(data)
        assert served_build(url) == build_id(first) and not ask(url, ASK_EXTRA)
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: served_build(url) == build_id(second), "SIGHUP did not reload")
        assert ask(url, ASK_EXTRA) and process.poll() is None

        third = next_build(data, "http://example.org/third")
        assert httpx.post(url + "/admin/reload").status_code == 401
        wrong = httpx.post(url + "/admin/reload", headers={"Authorization": "Bearer not-the-token-at-all-0000"})
        assert wrong.status_code == 403
        assert served_build(url) == build_id(second)
        reloaded = httpx.post(url + "/admin/reload", headers=AUTH, timeout=PATIENCE_S)
        assert reloaded.status_code == 200, reloaded.text
        assert reloaded.json() == {"switched": True, "build": build_id(third), "previous": build_id(second)}
        assert served_build(url) == build_id(third) and ask(url, "ASK { <http://example.org/third> ?p ?o }")
        again = httpx.post(url + "/admin/reload", headers=AUTH, timeout=PATIENCE_S)
        assert again.json() == {"switched": False, "build": build_id(third), "previous": None}


@pytest.mark.slow
def test_a_damaged_build_is_refused_and_the_old_one_served(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = build_test_data_dir(data)
    with server(data, tmp_path, poll_s=0.2) as (url, _, log):
        # a dump that is not the one the manifest describes
        tampered = next_build(data, swap=False)
        with open(tampered / DUMP_NAME, "a", encoding="utf-8") as stream:
            stream.write("<http://example.org/x> <http://example.org/p> 1 .\n")
        point_current_at(tampered, data)  # swap_in would refuse it (tests/test_faults.py)
        wait_for(lambda: "refused the new build" in log.read_text("utf-8"), "the watcher did not refuse it")
        refused = httpx.post(url + "/admin/reload", headers=AUTH, timeout=PATIENCE_S)
        assert refused.status_code == 409 and str(tampered / DUMP_NAME) in refused.text and "sha256" in refused.text
        assert served_build(url) == build_id(first) and not ask(url, ASK_EXTRA)

        # no manifest at all (swap_in would refuse it: point the link by hand)
        bare = data / "builds" / "bare"
        shutil.copytree(first, bare)
        (bare / MANIFEST_NAME).unlink()
        point_current_at(bare, data)
        refused = httpx.post(url + "/admin/reload", headers=AUTH, timeout=PATIENCE_S)
        assert refused.status_code == 409 and str(bare / MANIFEST_NAME) in refused.text
        assert served_build(url) == build_id(first)

        fixed = next_build(data, swap=False)
        swap_in(fixed, data)
        wait_for(lambda: served_build(url) == build_id(fixed), "a good build after a damaged one was not served")
        assert ask(url, ASK_EXTRA)
