"""Starting and stopping the servers under test, each in its own process on 127.0.0.1.

* ours: ``uvicorn --factory migration_kg.serve.app:app_from_env --loop uvloop --http httptools``
  with ``MKG_DATA_DIR``, as ``migration-kg serve`` runs it but without the access log (or
  ``migration-kg serve --data``), serving the build at ``DATA/current``;
* the Oxigraph server: ``oxigraph load`` into a RocksDB folder, then ``oxigraph serve-read-only
  --union-default-graph`` (the ``oxigraph`` package's command);
* rdflib-endpoint: ``rdflib-endpoint serve FILE.nq`` (an rdflib ``Dataset`` with the union as default graph).

Every process is started in its own session and stopped by its own pid (terminate, then
kill after a grace period); readiness is polled with a bounded deadline.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from .workload import HttpTarget

ROOT = Path(__file__).resolve().parents[1]


class ServerFailed(RuntimeError):
    """A server did not start or become ready in time (the message says which and where its log is)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tool(name: str) -> str:
    """The path of console script ``name``: next to this Python first, then on PATH.

    Raises:
        ServerFailed: it is not installed (``pip install -e '.[bench]'``).
    """
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise ServerFailed(f"{name!r} is not installed; run: pip install -e '.[bench]'")
    return found


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: its command, environment additions, SPARQL path and a readiness probe path."""

    name: str
    command: Sequence[str]
    path: str
    env: dict[str, str] | None = None
    ready_timeout: float = 300.0


def ours(data_dir: Path, port: int, *, via_cli: bool = False) -> ServerSpec:
    """Our server over the build at ``data_dir/current``."""
    env = {"MKG_DATA_DIR": str(data_dir), "MKG_HOST": "127.0.0.1", "MKG_PORT": str(port)}
    pythonpath = os.environ.get("PYTHONPATH")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    if via_cli:
        command = [sys.executable, "-m", "migration_kg.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--data", str(data_dir)]
    else:
        command = [sys.executable, "-m", "uvicorn", "--factory", "migration_kg.serve.app:app_from_env",
                   "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
                   "--no-access-log", "--log-level", "warning"]
    return ServerSpec("ours", command, "/sparql", env)


def oxigraph_load(nquads: Path, location: Path, log: Path) -> None:
    """Load ``nquads`` into a fresh Oxigraph RocksDB folder at ``location`` (skipped if already there).

    Raises:
        ServerFailed: the load failed.
    """
    marker = location / ".bench-loaded"
    if marker.exists() and marker.read_text() == str(nquads.stat().st_size):
        return
    shutil.rmtree(location, ignore_errors=True)
    location.mkdir(parents=True)
    with open(log, "ab") as out:
        done = subprocess.run(
            [tool("oxigraph"), "load", "--location", str(location), "--file", str(nquads)],
            stdout=out, stderr=subprocess.STDOUT, timeout=600, check=False,
        )
    if done.returncode != 0:
        raise ServerFailed(f"oxigraph load failed (exit {done.returncode}); see {log}")
    marker.write_text(str(nquads.stat().st_size))


def oxigraph(location: Path, port: int) -> ServerSpec:
    """The Oxigraph server, read-only, union default graph."""
    command = [tool("oxigraph"), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]
    return ServerSpec("oxigraph-server", command, "/query")


def rdflib_endpoint(nquads: Path, port: int) -> ServerSpec:
    """rdflib-endpoint over ``nquads``."""
    command = [tool("rdflib-endpoint"), "serve", str(nquads), "--host", "127.0.0.1", "--port", str(port)]
    return ServerSpec("rdflib-endpoint", command, "/", ready_timeout=600.0)


@contextmanager
def running(spec: ServerSpec, port: int, log: Path, *, timeout: float = 30.0) -> Iterator[HttpTarget]:
    """Start ``spec``, wait until it answers ``ASK {}``, yield its target, and stop it.

    Args:
        timeout: the client's per-request timeout in the yielded target.

    Raises:
        ServerFailed: it exited or did not answer within ``spec.ready_timeout`` seconds.
    """
    env = {**os.environ, **(spec.env or {})}
    with open(log, "ab") as out:
        process = subprocess.Popen(
            list(spec.command), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True
        )
    try:
        _wait_ready(spec, port, process, log)
        yield HttpTarget(spec.name, port, spec.path, timeout=timeout)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminate ``process`` (by its pid), then kill it if it is still there after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def _wait_ready(spec: ServerSpec, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + spec.ready_timeout
    probe = f"{spec.path}?{urlencode({'query': 'ASK {}'})}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{spec.name} exited with {process.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", probe, headers={"Accept": "application/sparql-results+json"})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.25)
    raise ServerFailed(f"{spec.name} did not answer within {spec.ready_timeout:.0f} s; see {log}")


def wait_idle(target: HttpTarget, *, timeout: float) -> bool:
    """Wait until ``target`` answers ``ASK {}`` again (a server still busy with abandoned queries); False on timeout."""
    deadline = time.monotonic() + timeout
    probe = HttpTarget(target.name, target.port, target.path, timeout=max(1.0, timeout)).connect()
    try:
        while time.monotonic() < deadline:
            if probe.run("ASK {}").status == "ok":
                return True
            time.sleep(0.5)
        return False
    finally:
        probe.close()
