"""The store stage: the triple store behind one small interface, and how builds are swapped in.

:class:`GraphStore` is the interface the web layer and the named queries use, and
:class:`WritableGraphStore` adds the writes of SPARQL Update and the Graph Store Protocol;
:class:`OxigraphStore` implements both over an embedded `pyoxigraph` store.

A build never touches the served graph: :func:`build_store` writes a complete store, an
N-Quads dump and a ``manifest.json`` into a fresh ``<data>/builds/<build-id>/`` folder,
and :func:`swap_in` then re-points the ``<data>/current`` symlink at it in one atomic
``rename``. A failed build leaves ``current`` exactly as it was.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeAlias, runtime_checkable

import pyoxigraph as ox
import rdflib

from .errors import QueryError, StoreError
from .journal import Op, apply_ops

#: What a query returns: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE).
QueryResult: TypeAlias = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples

DUMP_NAME = "graph.nq"
MANIFEST_NAME = "manifest.json"
STORE_DIR_NAME = "store"
CURRENT_LINK = "current"
BUILDS_DIR = "builds"
_RDFLIB_DEFAULT_GRAPH = str(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)


@dataclass(frozen=True)
class QueryDataset:
    """An RDF dataset picked for one query (the protocol's ``default-graph-uri``/``named-graph-uri``).

    Both lists hold graph IRIs of *this* store; an IRI the store does not hold is an
    empty graph, never something to fetch.
    """

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RdfDocument:
    """One RDF document sent for a graph: its bytes and its format (a graph format, or a
    dataset format holding only default-graph triples)."""

    data: bytes
    format: ox.RdfFormat


@runtime_checkable
class GraphStore(Protocol):
    """What the rest of the package may ask of a triple store."""

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        default_graph_as_union: bool = True,
        dataset: QueryDataset | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query; see :meth:`OxigraphStore.query`."""
        ...

    def quads_count(self) -> int:
        """Number of quads in the store."""
        ...

    def named_graphs(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        ...

    def dump(self, path: Path, *, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
        """Write the whole dataset to ``path``."""
        ...


@runtime_checkable
class WritableGraphStore(GraphStore, Protocol):
    """A :class:`GraphStore` that also takes writes (SPARQL Update, the Graph Store Protocol)."""

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update; see :meth:`OxigraphStore.update`."""
        ...

    def graph_exists(self, graph: str | None) -> bool:
        """Whether the named graph ``graph`` exists (None, the default graph, always does)."""
        ...

    def graph_get(self, graph: str | None) -> list[ox.Triple]:
        """The triples of one graph; see :meth:`OxigraphStore.graph_get`."""
        ...

    def graph_put(self, graph: str | None, documents: Sequence[RdfDocument], *, base_iri: str | None = None) -> bool:
        """Replace one graph with the triples of ``documents``; see :meth:`OxigraphStore.graph_put`."""
        ...

    def graph_post(self, graph: str | None, documents: Sequence[RdfDocument], *, base_iri: str | None = None) -> bool:
        """Merge the triples of ``documents`` into one graph; see :meth:`OxigraphStore.graph_post`."""
        ...

    def graph_delete(self, graph: str | None) -> bool:
        """Remove one graph; see :meth:`OxigraphStore.graph_delete`."""
        ...


class OxigraphStore:
    """A :class:`GraphStore` over an embedded pyoxigraph ``Store`` (in memory or on disk).

    >>> store = OxigraphStore()
    >>> store.add_quads([ox.Quad(ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"),
    ...                          ox.Literal("o"), ox.NamedNode("http://ex/g"))])
    >>> bool(store.query("ASK { ?s ?p 'o' }"))
    True
    >>> store.named_graphs()
    ['http://ex/g']
    """

    def __init__(self, path: Path | None = None, *, _store: ox.Store | None = None) -> None:
        """Open a read-write store on disk at ``path``, or in memory when ``path`` is None.

        Raises:
            StoreError: the folder cannot be opened (locked, corrupt, not writable).
        """
        self.path = path
        if _store is not None:
            self._store = _store
            return
        try:
            self._store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise StoreError(f"cannot open store: {exc}", source=str(path)) from exc

    @classmethod
    def open_read_only(cls, path: Path) -> OxigraphStore:
        """Open the on-disk store at ``path`` read-only.

        Raises:
            StoreError: ``path`` holds no store or cannot be read.
        """
        try:
            return cls(path, _store=ox.Store.read_only(str(path)))
        except OSError as exc:
            raise StoreError(f"cannot open store read-only: {exc}", source=str(path)) from exc

    @classmethod
    def load_nquads(cls, path: Path) -> OxigraphStore:
        """Read the N-Quads file ``path`` into a new in-memory store (faster to query than disk).

        Raises:
            StoreError: the file is missing or is not valid N-Quads (the message has the line).
        """
        store = cls()
        try:
            store._store.load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"cannot load N-Quads: {exc}", source=str(path)) from exc
        return store

    def add_quads(self, quads: Iterable[Any]) -> None:
        """Add ``quads`` (pyoxigraph ``Quad``s or rdflib ``(s, p, o, g)`` tuples).

        Raises:
            StoreError: a write failed; ValueError/TypeError from a malformed quad propagate.
        """
        try:
            self._store.bulk_extend(to_oxigraph_quad(q) for q in quads)
        except OSError as exc:
            raise StoreError(f"cannot write quads: {exc}", source=_where(self.path)) from exc

    def load_file(self, path: Path) -> None:
        """Bulk-load the N-Quads file ``path`` into this store.

        Raises:
            StoreError: the file is missing or is not valid N-Quads.
        """
        try:
            self._store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"cannot load N-Quads: {exc}", source=str(path)) from exc

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        default_graph_as_union: bool = True,
        dataset: QueryDataset | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run the SPARQL 1.1 query ``sparql``.

        Args:
            sparql: the query text (never built by string concatenation: pass values
                in ``substitutions``).
            substitutions: variable name (without ``?``) -> term (pyoxigraph or rdflib),
                bound before evaluation (SEP-0007).
            default_graph_as_union: the default graph is the union of all graphs. Ignored
                when ``dataset`` is given. Pass False for a query with FROM / FROM NAMED,
                which pyoxigraph would otherwise override.
            dataset: the protocol dataset; overrides FROM / FROM NAMED in the query.
            base_iri: resolves relative IRIs in the query.

        Returns:
            ``QuerySolutions`` (SELECT), ``QueryBoolean`` (ASK) or ``QueryTriples``.

        Raises:
            QueryError: syntax error (pyoxigraph's message, with line and column), a bad
                dataset IRI, or a substitution for a variable the query does not project.
            StoreError: the store could not be read.
        """
        options: dict[str, Any] = {"base_iri": base_iri}
        if substitutions:
            options["substitutions"] = {
                ox.Variable(name.lstrip("?$")): to_oxigraph_term(value)
                for name, value in substitutions.items()
            }
        if dataset is not None:
            try:
                options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
                options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
            except ValueError as exc:
                raise QueryError(f"invalid graph IRI in the dataset: {exc}") from exc
        else:
            options["use_default_graph_as_union"] = default_graph_as_union
        try:
            return self._store.query(sparql, **options)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except RuntimeError as exc:  # e.g. a substitution for a variable the query does not project
            raise QueryError(f"cannot run the query: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}", source=_where(self.path)) from exc

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update, in one transaction (the web layer serves it only with a token).

        ``LOAD`` would fetch a document: the web layer refuses it before calling this.

        Raises:
            QueryError: syntax error. StoreError: the write failed or the store is read-only.
        """
        try:
            with self._write_lock:
                self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL Update syntax error: {exc}") from exc
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"update failed: {exc}", source=_where(self.path)) from exc

    def quads_count(self) -> int:
        """Number of quads in the store (all graphs)."""
        return len(self._store)

    def named_graphs(self) -> list[str]:
        """IRIs of the named graphs, sorted (blank-node graph names are left out)."""
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def triple_counts(self) -> dict[str, int]:
        """Triples per graph: graph IRI -> count, the default graph under the key ``""``."""
        counts: Counter[str] = Counter()
        for quad in self._store:
            graph = quad.graph_name
            counts[graph.value if isinstance(graph, ox.NamedNode | ox.BlankNode) else ""] += 1
        return dict(sorted(counts.items()))

    def dump(self, path: Path, *, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
        """Write the whole dataset to ``path`` in ``format`` (a dataset format: N-Quads, TriG …).

        Raises:
            StoreError: the file cannot be written or the format holds no named graphs.
        """
        try:
            self._store.dump(str(path), format=format)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot dump store: {exc}", source=str(path)) from exc

    def apply_ops(self, ops: Iterable[Op]) -> None:
        """Apply write-journal operations (``journal.apply_ops``), as one writer.

        Raises:
            StoreError: an operation is malformed, or the store failed.
        """
        with self._write_lock:
            apply_ops(self._store, ops)

    def flush(self) -> None:
        """Write buffered changes of an on-disk store to disk."""
        self._store.flush()

    # --- writes for the Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/) ---
    # ``graph`` is a graph IRI, or None for the store's own default graph (which queries do not
    # see as such: they see the union of all graphs).

    #: Serialises writers, so a PUT (clear, then add) never interleaves with another write.
    _write_lock = threading.Lock()

    def graph_exists(self, graph: str | None) -> bool:
        """Whether the named graph ``graph`` exists, even empty (the default graph always does).

        Raises:
            QueryError: ``graph`` is not an absolute IRI.
        """
        name = graph_name(graph)
        return isinstance(name, ox.DefaultGraph) or self._store.contains_named_graph(name)

    def graph_get(self, graph: str | None) -> list[ox.Triple]:
        """The triples of ``graph`` (empty if it does not exist).

        Raises:
            QueryError: ``graph`` is not an absolute IRI.
        """
        name = graph_name(graph)
        return [q.triple for q in self._store.quads_for_pattern(None, None, None, name)]

    def graph_put(self, graph: str | None, documents: Sequence[RdfDocument], *, base_iri: str | None = None) -> bool:
        """Replace the content of ``graph`` with the triples of ``documents`` (created if missing).

        Every document is parsed completely before the store is touched (a bad one changes
        nothing), with blank nodes renamed so they never merge with blank nodes already stored
        or with those of another document.

        Returns:
            True if the graph did not exist before (the protocol's 201 Created).

        Raises:
            QueryError: ``graph`` is not an absolute IRI, or a document is not valid in its
                format (the message has the line). StoreError: the write failed.

        >>> store = OxigraphStore()
        >>> store.graph_put("http://ex/g", [RdfDocument(b"<http://ex/s> <http://ex/p> 1 .", ox.RdfFormat.TURTLE)])
        True
        >>> store.graph_put("http://ex/g", [RdfDocument(b"<http://ex/s> <http://ex/p> 2 .", ox.RdfFormat.TURTLE)])
        False
        >>> [t.object.value for t in store.graph_get("http://ex/g")]
        ['2']
        """
        name = graph_name(graph)
        quads = parse_documents(documents, base_iri, name)
        with self._write_lock:
            created = not self.graph_exists(graph)
            try:
                if isinstance(name, ox.NamedNode):
                    self._store.add_graph(name)
                self._store.clear_graph(name)
                self._store.extend(quads)
            except OSError as exc:
                raise StoreError(f"cannot write graph: {exc}", source=_where(self.path)) from exc
        return created

    def graph_post(self, graph: str | None, documents: Sequence[RdfDocument], *, base_iri: str | None = None) -> bool:
        """Add the triples of ``documents`` to ``graph`` (created if missing), in one transaction.

        Parsed as in :meth:`graph_put`: a bad document changes nothing.

        Returns:
            True if the graph did not exist before.

        Raises:
            QueryError: ``graph`` is not an absolute IRI, or a document is not valid in its format.
            StoreError: the write failed.
        """
        name = graph_name(graph)
        quads = parse_documents(documents, base_iri, name)
        with self._write_lock:
            created = not self.graph_exists(graph)
            try:
                if isinstance(name, ox.NamedNode):
                    self._store.add_graph(name)
                self._store.extend(quads)
            except OSError as exc:
                raise StoreError(f"cannot write graph: {exc}", source=_where(self.path)) from exc
        return created

    def graph_delete(self, graph: str | None) -> bool:
        """Remove the named graph ``graph``, or empty the default graph (None).

        Returns:
            False if a named graph did not exist (the protocol's 404), else True.

        Raises:
            QueryError: ``graph`` is not an absolute IRI. StoreError: the write failed.
        """
        name = graph_name(graph)
        with self._write_lock:
            if not self.graph_exists(graph):
                return False
            try:
                self._store.remove_graph(name)
            except OSError as exc:
                raise StoreError(f"cannot remove graph: {exc}", source=_where(self.path)) from exc
        return True


def graph_name(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    """The pyoxigraph name of ``graph`` (None: the default graph).

    Raises:
        QueryError: ``graph`` is not an absolute IRI.
    """
    if graph is None:
        return ox.DefaultGraph()
    try:
        return ox.NamedNode(graph)
    except ValueError as exc:
        raise QueryError(f"not an absolute graph IRI: {graph!r} ({exc})") from exc


def parse_documents(
    documents: Sequence[RdfDocument], base_iri: str | None, name: ox.NamedNode | ox.DefaultGraph
) -> list[ox.Quad]:
    """The triples of every document, put in graph ``name``, blank nodes renamed apart.

    Raises:
        QueryError: a document is not valid in its format (the message says which one and where).
    """
    quads: list[ox.Quad] = []
    for number, document in enumerate(documents, start=1):
        where = f"document {number} of {len(documents)}" if len(documents) > 1 else "the body"
        try:
            triples = ox.parse(
                document.data, document.format, base_iri=base_iri, without_named_graphs=True, rename_blank_nodes=True
            )
            quads += [ox.Quad(q.subject, q.predicate, q.object, name) for q in triples]
        except (SyntaxError, ValueError) as exc:
            raise QueryError(f"{where} is not valid {document.format.name}: {exc}") from exc
    return quads


def to_oxigraph_term(value: Any) -> Any:
    """Convert an rdflib term (``URIRef``, ``BNode``, ``Literal``) to pyoxigraph; pass pyoxigraph through.

    Raises:
        TypeError: ``value`` is not an RDF term.
    """
    if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph):
        return value
    if isinstance(value, rdflib.URIRef):
        return ox.NamedNode(str(value))
    if isinstance(value, rdflib.BNode):
        return ox.BlankNode(str(value))
    if isinstance(value, rdflib.Literal):
        if value.language:
            return ox.Literal(str(value), language=value.language)
        datatype = ox.NamedNode(str(value.datatype)) if value.datatype else None
        return ox.Literal(str(value), datatype=datatype)
    raise TypeError(f"not an RDF term: {value!r}")


def to_oxigraph_quad(quad: Any) -> ox.Quad:
    """Convert an rdflib ``(s, p, o, g)`` tuple (``g`` an identifier, a Graph or None) to a ``Quad``.

    Raises:
        TypeError: ``quad`` is neither a ``Quad`` nor a 3- or 4-tuple of terms.
    """
    if isinstance(quad, ox.Quad):
        return quad
    if not isinstance(quad, tuple) or len(quad) not in (3, 4):
        raise TypeError(f"not a quad: {quad!r}")
    graph = quad[3] if len(quad) == 4 else None
    if isinstance(graph, rdflib.Graph):
        graph = graph.identifier
    if graph is None or str(graph) == _RDFLIB_DEFAULT_GRAPH:
        graph_name: Any = ox.DefaultGraph()
    else:
        graph_name = to_oxigraph_term(graph)
    s, p, o = (to_oxigraph_term(t) for t in quad[:3])
    return ox.Quad(s, p, o, graph_name)


def rewrite_base(quads: Iterable[ox.Quad], from_base: str, to_base: str) -> Iterator[ox.Quad]:
    """Yield ``quads`` with every IRI (and literal datatype) under ``from_base`` moved to ``to_base``.

    >>> q = ox.Quad(ox.NamedNode("https://w3id.org/migration-kg/id/state/ECU"),
    ...             ox.NamedNode("http://ex/p"), ox.Literal("x"),
    ...             ox.NamedNode("https://w3id.org/migration-kg/graph/vocab"))
    >>> [str(r) for r in rewrite_base([q], "https://w3id.org/migration-kg/", "https://kg.example/")]
    ['<https://kg.example/id/state/ECU> <http://ex/p> "x" <https://kg.example/graph/vocab>']
    """
    if from_base == to_base:
        yield from quads
        return

    def move(term: Any) -> Any:
        if isinstance(term, ox.NamedNode) and term.value.startswith(from_base):
            return ox.NamedNode(to_base + term.value[len(from_base) :])
        if isinstance(term, ox.Literal) and term.datatype.value.startswith(from_base):
            return ox.Literal(term.value, datatype=move(term.datatype))
        if isinstance(term, ox.Triple):
            return ox.Triple(move(term.subject), move(term.predicate), move(term.object))
        return term

    for quad in quads:
        yield ox.Quad(move(quad.subject), move(quad.predicate), move(quad.object), move(quad.graph_name))


def build_store(quads: Path | Iterable[Any], out_dir: Path, *, build_id: str | None = None) -> Path:
    """Build a complete store in a fresh ``out_dir/builds/<build-id>/`` folder.

    The folder holds ``store/`` (on-disk pyoxigraph), ``graph.nq`` (the N-Quads dump that
    the server loads) and ``manifest.json`` (build id, time, triples per graph, quad
    count, sha256 of the dump). It is written under a hidden temporary name and renamed
    into place only when complete, so a crash never leaves a half build that looks whole.

    Args:
        quads: an N-Quads file, or an iterable of pyoxigraph ``Quad``s or rdflib quads
            (an ``rdflib.Dataset`` works). Rewrite the base first with :func:`rewrite_base`.
        out_dir: the data folder (``Settings.data_dir``).
        build_id: name of the build; default: UTC time stamp plus a random suffix.

    Returns:
        The path of the finished build folder.

    Raises:
        StoreError: the input is unreadable or invalid (the error names the input), or the
            folder cannot be written; a full disk names the ``builds/`` folder. Nothing is
            left behind under ``builds/``.
    """
    build_id = build_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ-") + secrets.token_hex(3)
    builds = Path(out_dir) / BUILDS_DIR
    final = builds / build_id
    partial = builds / f".{build_id}.partial"
    if final.exists():
        raise StoreError("a build with this id already exists", source=str(final))
    try:
        partial.mkdir(parents=True)
        _fill_build(quads, partial, build_id)
        os.rename(partial, final)
    except Exception as exc:  # any failure of the input iterable must not leave a half build
        shutil.rmtree(partial, ignore_errors=True)
        if _out_of_space(exc):  # the store reports it as failing to load the input: blame the disk instead
            raise StoreError(
                f"no space left on the device for a new build; nothing of it was kept ({exc})", source=str(builds)
            ) from exc
        if isinstance(exc, StoreError):
            raise
        source = str(quads) if isinstance(quads, Path | str) else str(final)
        raise StoreError(f"build failed: {type(exc).__name__}: {exc}", source=source) from exc
    return final


def _out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a full disk or quota: an ``OSError`` with
    that errno, or one from the store engine, which has no errno but carries the system's message."""
    full = (errno.ENOSPC, errno.EDQUOT)
    messages = tuple(os.strerror(code) for code in full)
    seen: BaseException | None = exc
    looked: set[int] = set()
    while seen is not None and id(seen) not in looked:
        if getattr(seen, "errno", None) in full or any(message in str(seen) for message in messages):
            return True
        looked.add(id(seen))
        seen = seen.__cause__ or seen.__context__
    return False


def _fill_build(quads: Path | Iterable[Any], folder: Path, build_id: str) -> None:
    store = OxigraphStore(folder / STORE_DIR_NAME)
    if isinstance(quads, Path | str):
        store.load_file(Path(quads))
    else:
        store.add_quads(quads)
    store.flush()
    dump = folder / DUMP_NAME
    store.dump(dump)
    manifest = {
        "build_id": build_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "quads": store.quads_count(),
        "triples_per_graph": store.triple_counts(),
        "dump": {"file": DUMP_NAME, "sha256": sha256_file(dump), "bytes": dump.stat().st_size},
        "store": STORE_DIR_NAME,
    }
    del store  # releases the RocksDB lock before the folder is renamed
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(build_dir: Path) -> dict[str, Any]:
    """The parsed ``manifest.json`` of ``build_dir``.

    Raises:
        StoreError: the manifest is missing, not JSON, or not a JSON object.
    """
    path = Path(build_dir) / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"no readable build manifest: {exc}", source=str(path)) from exc
    if not isinstance(manifest, dict):
        raise StoreError(f"the build manifest is a JSON {type(manifest).__name__}, not an object", source=str(path))
    return manifest


def verify_build(build_dir: Path) -> dict[str, Any]:
    """Check that ``build_dir`` is a finished, intact build: a readable manifest naming a dump
    that exists and whose sha256 is the manifest's. Reads the whole dump once.

    Returns:
        The manifest.

    Raises:
        StoreError: the manifest is missing or unreadable, names no dump, or the dump is
            missing or differs from the manifest (the message names the file).
    """
    manifest = read_manifest(build_dir)
    entry = manifest.get("dump")
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise StoreError("the build manifest names no dump and its sha256", source=str(Path(build_dir) / MANIFEST_NAME))
    dump = Path(build_dir) / str(entry.get("file", DUMP_NAME))
    try:
        digest = sha256_file(dump)
    except OSError as exc:
        raise StoreError(f"cannot read the build's dump: {exc}", source=str(dump)) from exc
    if digest != entry["sha256"]:
        raise StoreError(
            f"the dump's sha256 is {digest}, the manifest says {entry['sha256']}: the build is damaged or unfinished",
            source=str(dump),
        )
    return manifest


def swap_in(build_dir: Path, data_dir: Path) -> Path | None:
    """Check ``build_dir`` (:func:`verify_build`: its manifest, and the sha256 of its dump), then
    atomically point ``data_dir/current`` at it.

    A temporary symlink is created and renamed over ``current`` (``os.replace`` is
    atomic on POSIX), so readers see either the old build or the new one, never neither.
    The check reads the whole dump once, here rather than when a server starts.

    Returns:
        The build that was current before, or None.

    Raises:
        StoreError: ``build_dir`` is not a finished, intact build (the manifest is missing or
            invalid, or the dump is missing or not the one the manifest describes: the
            message names the file), or ``current`` exists and is not a symlink. ``current``
            is then unchanged.
    """
    build_dir, data_dir = Path(build_dir).resolve(), Path(data_dir)
    verify_build(build_dir)
    link = data_dir / CURRENT_LINK
    if link.exists() and not link.is_symlink():
        raise StoreError("refusing to replace a real folder with the current-build link", source=str(link))
    previous = current_build(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        target = build_dir.relative_to(data_dir.resolve())  # relative: the data folder stays movable
    except ValueError:
        target = build_dir
    temp = data_dir / f".{CURRENT_LINK}.{secrets.token_hex(4)}"
    try:
        os.symlink(target, temp, target_is_directory=True)
        os.replace(temp, link)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StoreError(f"cannot swap in build: {exc}", source=str(link)) from exc
    return previous


def current_build(data_dir: Path) -> Path | None:
    """The build folder ``data_dir/current`` points at, or None if there is none (or it dangles)."""
    link = Path(data_dir) / CURRENT_LINK
    if not link.exists():
        return None
    return link.resolve()


def _where(path: Path | None) -> str:
    return str(path) if path is not None else "<memory>"


# fmt: off
__all__ = [
    "GraphStore", "OxigraphStore", "QueryDataset", "QueryResult", "RdfDocument", "WritableGraphStore", "build_store",
    "current_build", "graph_name", "parse_documents", "read_manifest", "rewrite_base", "sha256_file", "swap_in",
    "to_oxigraph_quad", "to_oxigraph_term", "verify_build",
]
# fmt: on
