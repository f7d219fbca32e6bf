"""Faults (issue 10, item 6): a killed query worker, a full disk during a build, a corrupt build.

Each fault is real: the worker is SIGKILLed under load in a real ``uvicorn`` subprocess; the
disk is a tmpfs that is full, mounted over ``data/builds`` in a mount namespace of the build's
own (``unshare``), so the served build and the server never see it; the corrupt build is a
real folder whose dump or manifest was damaged after it was written.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from livehttp import LABEL, build_test_data_dir, serve_subprocess

from migration_kg import cli, pipeline
from migration_kg.errors import StoreError
from migration_kg.settings import Settings
from migration_kg.store import BUILDS_DIR, DUMP_NAME, MANIFEST_NAME, build_store, current_build, read_manifest, swap_in

JSON = {"Accept": "application/sparql-results+json"}
#: 11 quads in the test data: 11**4 rows to count, a few milliseconds of work per query.
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
COUNTED = str(11**4)
ASK_ECUADOR = f'ASK {{ ?state <{LABEL}> "Ecuador" }}'
#: Two workers; no result cache, so every query runs on one of them.
SERVER_ENV = {"MKG_QUERY_WORKERS": "2", "MKG_RESULT_CACHE_BYTES": "0", "MKG_RELOAD_POLL_S": "0"}
#: Safety bound on waiting for the server; the one assertion about time is RECOVERY_S.
PATIENCE_S = 120.0
#: A killed worker is replaced, and the pool whole again, within this.
RECOVERY_S = 5.0


def wait_for(condition: Callable[[], object], message: str, timeout: float = PATIENCE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.02)


def workers(url: str) -> dict[str, object]:
    """The ``workers`` entry of ``/readyz`` (empty while it is not 200)."""
    try:
        response = httpx.get(url + "/readyz", timeout=5)
    except httpx.TransportError:
        return {}
    found: dict[str, object] = response.json().get("workers") or {}
    return found if response.status_code == 200 else {}


def metric(url: str, name: str) -> float:
    """The value of the unlabelled (or first) sample of ``name`` in ``/metrics``."""
    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not in /metrics")


class Clients:
    """``count`` threads sending COUNT queries to ``/sparql`` as fast as the server answers;
    each answer is recorded as (status, body when not 200)."""

    def __init__(self, url: str, count: int = 4) -> None:
        self.url = url
        self.stop = threading.Event()
        self.answers: list[list[tuple[int, str]]] = [[] for _ in range(count)]
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(count)]

    def _run(self, index: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                try:
                    response = client.get("/sparql", params={"query": COUNT, "n": str(index)}, headers=JSON)
                except httpx.TransportError as exc:  # a hang ends here, at the client's timeout
                    self.answers[index].append((0, f"transport error: {exc!r}"))
                    continue
                if response.status_code == 200:
                    rows = response.json()["results"]["bindings"]
                    ok = rows == [{"n": {"type": "literal", "value": COUNTED,
                                         "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]  # fmt: skip
                    self.answers[index].append((200, "") if ok else (-1, response.text))
                else:
                    self.answers[index].append((response.status_code, response.text))

    def counts(self) -> list[int]:
        return [len(a) for a in self.answers]

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


# --- a worker killed under load -------------------------------------------------------------------


@pytest.mark.slow
def test_a_worker_killed_under_load_costs_at_most_its_query_and_is_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_test_data_dir(data)
    with serve_subprocess(data, tmp_path / "server.log", env=SERVER_ENV) as (
        url,
        _,
    ):
        wait_for(lambda: workers(url).get("ready") == 2, "the two workers did not start")
        pids = workers(url)["pids"]
        assert isinstance(pids, list) and len(set(pids)) == 2
        crashes_before = metric(url, "mkg_query_worker_crashes_total")
        with Clients(url) as clients:
            wait_for(lambda: min(clients.counts()) >= 20, "the clients got no answers")
            victim = pids[0]
            os.kill(victim, signal.SIGKILL)  # as the OOM killer would
            killed = time.monotonic()

            def whole_again() -> bool:
                now = workers(url)
                return now.get("ready") == 2 and victim not in now["pids"] and len(now["pids"]) == 2  # type: ignore[operator,arg-type]

            wait_for(whole_again, "the pool did not replace the killed worker")
            recovery = time.monotonic() - killed
            after = clients.counts()
            wait_for(lambda: all(n >= m + 20 for n, m in zip(clients.counts(), after, strict=True)),
                     "the clients got no answers after the worker was replaced")  # fmt: skip
        log = (tmp_path / "server.log").read_text("utf-8")
        assert recovery <= RECOVERY_S, f"the pool was whole again only after {recovery:.2f} s"
        assert metric(url, "mkg_query_worker_crashes_total") == crashes_before + 1, log[-2000:]
        assert metric(url, "mkg_query_worker_restarts_total") >= 1
        failures = [answer for answers in clients.answers for answer in answers if answer[0] != 200]
        print(f"{sum(clients.counts())} answers; whole again after {recovery:.2f} s; failed: {failures}")
        # a worker runs one query at a time: only that one may fail, and with a 503 that says why
        assert len(failures) <= 1, f"more requests failed than the killed worker was running: {failures}"
        for status, body in failures:
            assert status == 503 and "died while running this query" in body and "SIGKILL" in body, body
        for answers, mark in zip(clients.answers, after, strict=True):
            assert {status for status, _ in answers[mark:]} == {200}, "a query failed after the pool was whole again"


# --- a full disk during a build ------------------------------------------------------------------

#: Run in a user and mount namespace of its own, where ``$1`` (``data/builds``) is a full 1 MiB tmpfs:
#: the build sees a full disk; the served build and the server, outside, see nothing of it.
FULL_DISK = 'mount -t tmpfs -o size=1m mkg-full "$1" && shift && exec "$@"'
BUILD_ON_FULL_DISK = """
import json, os, sys
from pathlib import Path
from migration_kg.errors import StoreError
from migration_kg.store import build_store
data, source = Path(sys.argv[1]), Path(sys.argv[2])
try:
    build_store(source, data, build_id="on-a-full-disk")
    outcome = {"raised": None}
except StoreError as exc:
    outcome = {"raised": "StoreError", "message": str(exc), "source": exc.source}
outcome["left"] = sorted(os.listdir(data / "builds"))  # what the full disk holds afterwards
print(json.dumps(outcome))
"""


def namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode == 0


def write_big_input(path: Path, quads: int = 30_000) -> Path:
    """About 3.5 MB of N-Quads: its store does not fit in 1 MiB."""
    with open(path, "w", encoding="utf-8") as stream:
        for i in range(quads):
            stream.write(f'<http://example.org/s{i}> <http://example.org/p> "{i} {"x" * 40}" <http://example.org/g> .\n')
    return path


@pytest.mark.slow
@pytest.mark.skipif(not namespaces_work(), reason="needs unshare(1) and unprivileged user namespaces to mount a tmpfs")
def test_a_full_disk_during_a_build_leaves_the_served_build_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = build_test_data_dir(data)
    builds = data / BUILDS_DIR
    before = sorted(os.listdir(builds))
    source = write_big_input(tmp_path / "big.nq")
    with serve_subprocess(data, tmp_path / "server.log", env={**SERVER_ENV, "MKG_QUERY_WORKERS": "1"}) as (url, _):
        served = httpx.get(url + "/readyz", timeout=10).json()["build"]
        assert served == read_manifest(first)["build_id"]
        run = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", FULL_DISK, "sh", str(builds),
             sys.executable, "-c", BUILD_ON_FULL_DISK, str(data), str(source)],
            capture_output=True, text=True, timeout=PATIENCE_S,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        outcome = json.loads(run.stdout)
        assert outcome["raised"] == "StoreError", outcome
        assert outcome["source"] == str(builds) and "no space left" in outcome["message"], outcome
        assert str(builds) in outcome["message"] and "No space left on device" in outcome["message"]
        assert outcome["left"] == [], "a half build (a .partial folder) was left on the full disk"
        assert current_build(data) == first.resolve()
        assert sorted(os.listdir(builds)) == before
        assert httpx.get(url + "/readyz", timeout=10).json()["build"] == served
        answer = httpx.get(url + "/sparql", params={"query": ASK_ECUADOR}, headers=JSON, timeout=30)
        assert answer.status_code == 200 and answer.json()["boolean"] is True


# --- a corrupt build is refused at swap -----------------------------------------------------------


def _append_to_dump(build: Path) -> Path:
    with open(build / DUMP_NAME, "a", encoding="utf-8") as stream:
        stream.write("<http://example.org/x> <http://example.org/p> 1 .\n")
    return build / DUMP_NAME


def _remove_dump(build: Path) -> Path:
    (build / DUMP_NAME).unlink()
    return build / DUMP_NAME


def _remove_manifest(build: Path) -> Path:
    (build / MANIFEST_NAME).unlink()
    return build / MANIFEST_NAME


def _truncate_manifest(build: Path) -> Path:
    text = (build / MANIFEST_NAME).read_text("utf-8")
    (build / MANIFEST_NAME).write_text(text[: len(text) // 2], "utf-8")
    return build / MANIFEST_NAME


def _manifest_not_an_object(build: Path) -> Path:
    (build / MANIFEST_NAME).write_text("[]\n", "utf-8")
    return build / MANIFEST_NAME


DAMAGES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "dump-changed": (_append_to_dump, "sha256"),
    "dump-missing": (_remove_dump, "cannot read"),
    "manifest-missing": (_remove_manifest, "no readable build manifest"),
    "manifest-invalid-json": (_truncate_manifest, "no readable build manifest"),
    "manifest-not-an-object": (_manifest_not_an_object, "not an object"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_corrupt_build_is_refused_at_swap_naming_the_file(tmp_path: Path, damage: str) -> None:
    first = build_test_data_dir(tmp_path)
    second = build_store(tmp_path / "input.nq", tmp_path)
    damaged_file, why = DAMAGES[damage][0](second), DAMAGES[damage][1]
    with pytest.raises(StoreError) as refused:
        swap_in(second, tmp_path)
    assert str(damaged_file.resolve()) in str(refused.value) and why in str(refused.value)
    assert current_build(tmp_path) == first.resolve()


@pytest.mark.slow
def test_the_build_command_fails_naming_the_file_when_the_swap_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    first = build_test_data_dir(data)
    damaged: list[Path] = []
    index_build = pipeline.index_build

    def index_then_damage(settings: Settings, build_dir: Path, documents: list[object]) -> object:
        stats = index_build(settings, build_dir, documents)  # type: ignore[arg-type]
        damaged.append(_append_to_dump(build_dir))  # as a disk fault between the build and the swap would
        return stats

    monkeypatch.setattr(pipeline, "index_build", index_then_damage)
    monkeypatch.setenv("MKG_REASONER", "false")
    assert cli.main(["build", "--out", str(data)]) == 1
    (dump,) = damaged
    error = capsys.readouterr().err
    assert f"{dump.resolve()}: the dump's sha256 is" in error and "migration-kg build: error:" in error
    assert current_build(data) == first.resolve()
