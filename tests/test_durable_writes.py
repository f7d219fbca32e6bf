"""Durable writes on a served build: the journal survives SIGKILL and a rebuild; the build's graphs are read-only.

The server is a real ``uvicorn`` subprocess (what ``migration-kg serve`` runs) with one query
worker; it is killed with SIGKILL, as a crash or the OOM killer would, never asked to stop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from livehttp import DOC_GRAPH, LABEL, VOCAB_GRAPH, build_test_data_dir, serve_subprocess

from migration_kg.errors import ReadOnlyGraph
from migration_kg.journal import Journal, journal_path
from migration_kg.journaled_store import JournaledStore, update_targets
from migration_kg.store import OxigraphStore, RdfDocument, current_build

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-update-token-0123456789abcdef"
UPDATE = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
TURTLE = {"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"}
NOTES = "http://example.org/graph/notes"
PUT_GRAPH = "http://example.org/graph/put"
NOTE = "INSERT DATA { GRAPH <http://example.org/graph/notes> { <http://example.org/n1> <http://example.org/says> 'kept' } }"
ASK_NOTE = "ASK { GRAPH <http://example.org/graph/notes> { <http://example.org/n1> <http://example.org/says> 'kept' } }"


@contextmanager
def server(data: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``uvicorn --factory migration_kg.serve.app:app_from_env`` over ``data``; yields its URL and process."""
    env = {"MKG_UPDATE_TOKEN": TOKEN, "MKG_QUERY_WORKERS": "1"}
    with serve_subprocess(data, data.parent / f"{data.name}-server.log", env=env, timeout=60) as running:
        yield running


def ask(url: str, query: str) -> bool:
    response = httpx.get(url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


@pytest.mark.slow
def test_writes_survive_sigkill_and_a_rebuild_and_build_graphs_are_read_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    build_test_data_dir(data)
    with server(data) as (url, process):
        assert not ask(url, ASK_NOTE)
        response = httpx.post(url + "/update", content=NOTE, headers=UPDATE)
        assert response.status_code == 204, response.text
        put = httpx.put(url + "/rdf-graph-store", params={"graph": PUT_GRAPH}, content=b"<x:s> <x:p> 1 .", headers=TURTLE)
        assert put.status_code == 201
        assert ask(url, ASK_NOTE)  # the worker has it, without a reload
        # the build's graphs: 403, naming the graph; nothing changes
        label = f"INSERT DATA {{ GRAPH <{VOCAB_GRAPH}> {{ <x:s> <{LABEL}> 'no' }} }}"
        refused = httpx.post(url + "/update", content=label, headers=UPDATE)
        assert refused.status_code == 403 and f"<{VOCAB_GRAPH}>" in refused.text and "read-only" in refused.text
        gsp = httpx.delete(url + "/rdf-graph-store", params={"graph": DOC_GRAPH}, headers=UPDATE)
        assert gsp.status_code == 403 and f"<{DOC_GRAPH}>" in gsp.text
        everything = httpx.post(url + "/update", content="CLEAR ALL", headers=UPDATE)
        assert everything.status_code == 403 and f"<{VOCAB_GRAPH}>" in everything.text
        assert ask(url, f"ASK {{ GRAPH <{VOCAB_GRAPH}> {{ ?s <{LABEL}> 'Ecuador' }} }}")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    with server(data) as (url, _):
        assert ask(url, ASK_NOTE), "an acknowledged write was lost"
        assert ask(url, f"ASK {{ GRAPH <{PUT_GRAPH}> {{ <x:s> <x:p> 1 }} }}")
        delete = NOTE.replace("INSERT", "DELETE")
        assert httpx.post(url + "/update", content=delete, headers=UPDATE).status_code == 204
        assert httpx.post(url + "/update", content=NOTE.replace("kept", "again"), headers=UPDATE).status_code == 204

    old_build = current_build(data)
    rebuild = subprocess.run([sys.executable, "-m", "migration_kg.cli", "build", "--out", str(data)], cwd=ROOT,
                             env={**os.environ, "MKG_REASONER": "false"}, capture_output=True, text=True, timeout=600)
    assert rebuild.returncode == 0, rebuild.stderr[-2000:]
    assert current_build(data) != old_build

    with server(data) as (url, _):
        assert not ask(url, ASK_NOTE)  # deleted before the rebuild: the journal replays the delete too
        assert ask(url, ASK_NOTE.replace("kept", "again")), "a write did not survive the rebuild"
        assert ask(url, f"ASK {{ GRAPH <{PUT_GRAPH}> {{ <x:s> <x:p> 1 }} }}")
        assert ask(url, "ASK { GRAPH ?g { ?s a ?type } FILTER(?g != <http://example.org/graph/notes>) }")  # the new build
        refused = httpx.post(url + "/update", content=f"CLEAR GRAPH <{VOCAB_GRAPH}>", headers=UPDATE)
        assert refused.status_code == 403 and f"<{VOCAB_GRAPH}>" in refused.text


# --- the journaled store without HTTP -----------------------------------------------------------


def journaled(tmp_path: Path) -> JournaledStore:
    store = OxigraphStore()
    store.add_quads(ox.parse(f'<x:s> <{LABEL}> "build" <{VOCAB_GRAPH}> .\n', ox.RdfFormat.N_QUADS))
    journal = tmp_path / "writes" / "journal.jsonl"
    return JournaledStore.open(store, journal, read_only_graphs=[VOCAB_GRAPH])[0]


def test_update_effects_replay_to_the_same_graphs_over_another_build(tmp_path: Path) -> None:
    writes = journaled(tmp_path)
    writes.update(
        f"INSERT {{ GRAPH <{NOTES}> {{ ?s <x:copied> ?l }} }} WHERE {{ GRAPH <{VOCAB_GRAPH}> {{ ?s <{LABEL}> ?l }} }}"
    )
    writes.update(f"INSERT DATA {{ GRAPH <{NOTES}> {{ <x:b> <x:p> [ <x:q> 1 ] }} }}")
    assert writes.graph_post(PUT_GRAPH, [RdfDocument(b"_:a <x:p> 2 .", ox.RdfFormat.TURTLE)]) is True
    writes.update(f"DELETE WHERE {{ GRAPH <{NOTES}> {{ <x:b> <x:p> ?o }} }}")
    assert writes.quads_count() == writes.inner.quads_count() == 4  # kept by each write, not counted again
    assert writes.graph_delete(PUT_GRAPH) and writes.quads_count() == writes.inner.quads_count() == 3
    writes.graph_put(PUT_GRAPH, [RdfDocument(b"_:a <x:p> 2 . _:a <x:p> 2 .", ox.RdfFormat.TURTLE)])
    assert writes.quads_count() == writes.inner.quads_count() == 4
    expected = sorted(str(q) for q in writes.inner.query("SELECT * { GRAPH ?g { ?s ?p ?o } }"))
    # a different build under the same journal: the copied triple stays as it was written
    replayed = JournaledStore.open(OxigraphStore(), tmp_path / "writes" / "journal.jsonl", read_only_graphs=[])[0]
    got = sorted(str(q) for q in replayed.inner.query("SELECT * { GRAPH ?g { ?s ?p ?o } }"))
    assert got == [row for row in expected if VOCAB_GRAPH not in row]
    assert len(got) == 3 and any("copied" in row for row in got)


def test_a_write_is_refused_on_build_graphs_and_costs_nothing(tmp_path: Path) -> None:
    writes = journaled(tmp_path)
    for update in (
        f"DROP GRAPH <{VOCAB_GRAPH}>", "DROP ALL", "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
        f"MOVE <{VOCAB_GRAPH}> TO <{NOTES}>", f"WITH <{VOCAB_GRAPH}> INSERT {{ ?s ?p 1 }} WHERE {{ ?s ?p ?o }}",
    ):
        with pytest.raises(ReadOnlyGraph, match="read-only"):
            writes.update(update)
    with pytest.raises(ReadOnlyGraph, match=VOCAB_GRAPH):
        writes.graph_put(VOCAB_GRAPH, [RdfDocument(b"<x:s> <x:p> 1 .", ox.RdfFormat.TURTLE)])
    # copying *from* a build graph into a user graph is fine
    writes.update(f"COPY <{VOCAB_GRAPH}> TO <{NOTES}>")
    assert writes.journal.seq == 1 and len(writes.inner.graph_get(VOCAB_GRAPH)) == 1
    assert Journal(journal_path(tmp_path)).replay()[0].ops[0] == ("create", NOTES)


def test_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    writes = journaled(tmp_path)
    writes.update(f"INSERT DATA {{ GRAPH <{NOTES}> {{ <x:a> <x:p> 1 }} }}")
    with open(writes.journal.path, "ab") as stream:
        stream.write(b'{"seq": 2, "ops": [["add", "<x:a> <x:p> 2 <')  # the crash came mid-write
    journal = Journal(writes.journal.path)
    assert [c.seq for c in journal.replay()] == [1]
    assert journal.append([("clear", NOTES)]).seq == 2 and [c.seq for c in Journal(journal.path).replay()] == [1, 2]


def test_update_targets() -> None:
    assert update_targets(f"COPY <{VOCAB_GRAPH}> TO DEFAULT; MOVE <{NOTES}> TO <{PUT_GRAPH}>") == [None, NOTES, PUT_GRAPH]
    assert update_targets("PREFIX g: <http://ex/> INSERT { GRAPH g:x { ?s ?p ?o } } USING g:y WHERE { ?s ?p ?o }") == [
        "http://ex/x"
    ]
    assert update_targets("CLEAR NAMED") == ["*"]


def test_a_write_whose_fsync_fails_is_not_acknowledged_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migration_kg import journal as journal_module
    from migration_kg.errors import StoreError

    writes = journaled(tmp_path)
    writes.update(f"INSERT DATA {{ GRAPH <{NOTES}> {{ <x:a> <x:p> 1 }} }}")
    seen: list[int] = []
    writes.listener = lambda change: seen.append(change.seq)

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module.os, "fsync", failing_fsync)
    before = sorted(str(t) for t in writes.graph_get(NOTES))
    with pytest.raises(StoreError, match="No space left"):
        writes.update(
            f"DELETE DATA {{ GRAPH <{NOTES}> {{ <x:a> <x:p> 1 }} }} ; INSERT DATA {{ GRAPH <{NOTES}> {{ <x:b> <x:p> 2 }} }}"
        )
    with pytest.raises(StoreError):
        writes.graph_put(NOTES, [RdfDocument(b"<x:c> <x:p> 3 .", ox.RdfFormat.TURTLE)])
    with pytest.raises(StoreError):
        writes.graph_delete(NOTES)
    assert sorted(str(t) for t in writes.graph_get(NOTES)) == before and seen == []  # undone, nobody told
    assert writes.quads_count() == writes.inner.quads_count() == 2
    monkeypatch.undo()
    assert [c.seq for c in Journal(writes.journal.path).replay()] == [1]  # no torn line left behind
