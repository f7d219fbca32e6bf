"""The store stage: building, swapping, manifests, base rewriting and the GraphStore interface."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from livehttp import BASE, DOC_GRAPH, TEST_COUNTS, TEST_NQUADS, VOCAB_GRAPH, write_test_dataset

import migration_kg.store as store_module
from migration_kg.errors import QueryError, StoreError
from migration_kg.store import (
    GraphStore,
    OxigraphStore,
    QueryDataset,
    build_store,
    current_build,
    read_manifest,
    rewrite_base,
    sha256_file,
    swap_in,
)


@pytest.fixture
def nquads(tmp_path: Path) -> Path:
    return write_test_dataset(tmp_path / "input.nq")


def test_doctests() -> None:
    failures, _ = doctest.testmod(store_module)
    assert failures == 0


def test_build_writes_store_dump_and_manifest(tmp_path: Path, nquads: Path) -> None:
    data = tmp_path / "data"
    build = build_store(nquads, data)
    assert build.parent == data / "builds"
    assert {p.name for p in build.iterdir()} == {"store", "graph.nq", "manifest.json"}
    manifest = read_manifest(build)
    assert manifest["build_id"] == build.name
    assert manifest["triples_per_graph"] == TEST_COUNTS
    assert manifest["quads"] == sum(TEST_COUNTS.values())
    assert manifest["dump"]["sha256"] == sha256_file(build / "graph.nq")
    # the on-disk store and the dump hold the same data
    on_disk = OxigraphStore.open_read_only(build / "store")
    in_memory = OxigraphStore.load_nquads(build / "graph.nq")
    assert on_disk.quads_count() == in_memory.quads_count() == sum(TEST_COUNTS.values())
    assert in_memory.named_graphs() == sorted(TEST_COUNTS)


def test_build_from_rdflib_dataset(tmp_path: Path) -> None:
    dataset = rdflib.Dataset()
    dataset.parse(data=TEST_NQUADS, format="nquads")
    build = build_store(dataset, tmp_path)
    assert read_manifest(build)["triples_per_graph"] == TEST_COUNTS


def test_build_from_oxigraph_quads(tmp_path: Path) -> None:
    quads = list(ox.parse(TEST_NQUADS, format=ox.RdfFormat.N_QUADS))
    build = build_store(quads, tmp_path, build_id="fixed")
    assert build.name == "fixed"
    assert read_manifest(build)["quads"] == len(quads)
    with pytest.raises(StoreError, match="already exists"):
        build_store(quads, tmp_path, build_id="fixed")


def test_swap_in_points_current_at_the_new_build(tmp_path: Path, nquads: Path) -> None:
    first, second = build_store(nquads, tmp_path), build_store(nquads, tmp_path)
    assert current_build(tmp_path) is None
    assert swap_in(first, tmp_path) is None
    assert current_build(tmp_path) == first.resolve()
    assert swap_in(second, tmp_path) == first.resolve()
    link = tmp_path / "current"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))  # relative: data dir stays movable
    assert current_build(tmp_path) == second.resolve()
    # no temporary links are left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["builds", "current", "input.nq"]


def test_swap_uses_an_atomic_rename(tmp_path: Path, nquads: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = build_store(nquads, tmp_path)
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        calls.append((os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", spy)
    swap_in(build, tmp_path)
    assert len(calls) == 1 and calls[0][1] == os.fspath(tmp_path / "current")


def test_failed_build_leaves_current_untouched(tmp_path: Path, nquads: Path) -> None:
    good = build_store(nquads, tmp_path)
    swap_in(good, tmp_path)

    def broken_quads():  # type: ignore[no-untyped-def]
        yield from ox.parse(TEST_NQUADS, format=ox.RdfFormat.N_QUADS)
        raise RuntimeError("mapping crashed half way")

    with pytest.raises(StoreError, match="mapping crashed half way"):
        build_store(broken_quads(), tmp_path)
    bad_file = tmp_path / "bad.nq"
    bad_file.write_text("<not a quad\n", encoding="utf-8")
    with pytest.raises(StoreError) as info:
        build_store(bad_file, tmp_path)
    assert info.value.source == str(bad_file)
    assert current_build(tmp_path) == good.resolve()
    assert [p.name for p in (tmp_path / "builds").iterdir()] == [good.name]  # no partial folders


def test_swap_in_refuses_an_unfinished_build(tmp_path: Path) -> None:
    (tmp_path / "builds" / "half").mkdir(parents=True)
    with pytest.raises(StoreError, match="manifest"):
        swap_in(tmp_path / "builds" / "half", tmp_path)
    assert current_build(tmp_path) is None


def test_rewrite_base_moves_every_minted_iri(tmp_path: Path) -> None:
    quads = list(ox.parse(TEST_NQUADS, format=ox.RdfFormat.N_QUADS))
    moved = list(rewrite_base(quads, BASE, "https://kg.example.org/"))
    text = (ox.serialize(moved, format=ox.RdfFormat.N_QUADS) or b"").decode()
    assert BASE not in text
    assert "<https://kg.example.org/graph/doc/test-doc>" in text
    assert "<https://kg.example.org/ontology#State>" in text
    assert len(moved) == len(quads)
    assert list(rewrite_base(quads, BASE, BASE)) == quads
    build = build_store(moved, tmp_path)
    assert set(read_manifest(build)["triples_per_graph"]) == {
        "https://kg.example.org/graph/vocab",
        "https://kg.example.org/graph/doc/test-doc",
    }


def test_oxigraph_store_implements_graph_store(nquads: Path) -> None:
    store = OxigraphStore.load_nquads(nquads)
    assert isinstance(store, GraphStore)
    label = rdflib.URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    bindings = {"p": label, "label": rdflib.Literal("Ecuador")}
    rows = list(store.query("SELECT * WHERE { ?s ?p ?label }", substitutions=bindings))
    assert [row["s"].value for row in rows] == [BASE + "id/state/ECU"]
    # the default graph is the union of the named graphs, unless the query or protocol says otherwise
    assert bool(store.query("ASK { ?e ?p ?state . ?state a ?type }"))
    from_vocab = f"ASK FROM <{VOCAB_GRAPH}> {{ ?e <{BASE}ontology#participant> ?state }}"
    # pyoxigraph lets the union flag override FROM, so callers turn it off for such queries
    assert bool(store.query(from_vocab))
    assert not bool(store.query(from_vocab, default_graph_as_union=False))
    assert not bool(store.query("ASK { ?s ?p ?o }", default_graph_as_union=False))
    vocab_only = QueryDataset(default_graphs=(VOCAB_GRAPH,))
    assert not bool(store.query(f"ASK {{ ?e <{BASE}ontology#participant> ?s }}", dataset=vocab_only))
    assert bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }", dataset=QueryDataset(named_graphs=(DOC_GRAPH,))))


def test_query_errors_are_typed(nquads: Path) -> None:
    store = OxigraphStore.load_nquads(nquads)
    with pytest.raises(QueryError, match="syntax error: error at 1:"):
        store.query("SELECT ?x {")
    with pytest.raises(QueryError, match="projection"):  # pyoxigraph binds projected variables only
        store.query("SELECT ?s WHERE { ?s ?p ?o }", substitutions={"p": rdflib.URIRef("http://ex/p")})
    with pytest.raises(QueryError, match="graph IRI"):
        store.query("ASK {}", dataset=QueryDataset(default_graphs=("not an iri",)))


def test_dump_round_trips(tmp_path: Path, nquads: Path) -> None:
    store = OxigraphStore.load_nquads(nquads)
    store.dump(tmp_path / "out.trig", format=ox.RdfFormat.TRIG)
    again = rdflib.Dataset()
    again.parse(tmp_path / "out.trig", format="trig")
    expected = rdflib.Dataset()
    expected.parse(data=TEST_NQUADS, format="nquads")
    assert len(again) == len(expected)


def test_opening_missing_stores_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        OxigraphStore.open_read_only(tmp_path / "nowhere")
    assert info.value.source == str(tmp_path / "nowhere")
    with pytest.raises(StoreError):
        OxigraphStore.load_nquads(tmp_path / "missing.nq")
