"""The served store of a build with durable writes: the build's graphs read-only, the rest journaled.

:class:`JournaledStore` is a :class:`~migration_kg.store.WritableGraphStore` over the
in-memory store of a build. Every write

1. is refused with :class:`~migration_kg.errors.ReadOnlyGraph` (403, naming the graph) if it
   could change one of the build's own graphs (those of its manifest);
2. is turned into its effect, a list of journal operations (``journal.apply_ops``): for the
   Graph Store Protocol the graph operation and the parsed triples; for SPARQL Update the
   difference, graph by graph, of the graphs it writes, before and after it ran;
3. is appended to the journal and fsynced (``journal.Journal.append``), and only then
4. handed to the listener (the query workers apply the same operations, in order).

A write costs time in proportion to what it sends and to the graphs it writes, never to the
build. If the journal cannot be written, the change is undone in memory and the write fails
(503): nothing is acknowledged that is not on disk.

Which graphs an update writes is read from its syntax (rdflib's SPARQL Update parser): the
graphs of ``INSERT``/``DELETE`` templates and data, ``WITH``, and the targets of ``CLEAR``,
``DROP``, ``CREATE``, ``ADD``, ``MOVE`` and ``COPY``. An update that names the graph it
writes with a variable (``GRAPH ?g`` in a template), or ``ALL``/``NAMED``, could reach the
build's graphs, so it is refused on a build as a write into them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql.algebra import translateUpdate
from rdflib.plugins.sparql.parser import parseUpdate

from .errors import QueryError, ReadOnlyGraph, StoreError
from .journal import Change, Journal, Op, nquads
from .store import OxigraphStore, QueryDataset, QueryResult, RdfDocument, graph_name, parse_documents

logger = logging.getLogger(__name__)

#: A graph an update may write: an IRI, None for the default graph.
Target = str | None
#: Stands for "any graph": a variable graph in a template, ALL, NAMED.
ANY_GRAPH = "*"


class JournaledStore:
    """A build's store whose writes are journaled, and refused on the build's own graphs."""

    def __init__(
        self,
        store: OxigraphStore,
        journal: Journal,
        *,
        read_only_graphs: Collection[Target],
        listener: Callable[[Change], None] | None = None,
    ) -> None:
        """Serve ``store`` (the build, with the journal already replayed into it).

        Args:
            read_only_graphs: the build's graphs (IRIs; None if the build holds default-graph triples).
            listener: called with each change once it is on disk (the query workers apply it).
        """
        self.inner = store
        self.journal = journal
        self.read_only = frozenset(read_only_graphs)
        self.listener = listener
        self._lock = threading.Lock()  # one write at a time, in journal order
        self._successor: JournaledStore | None = None
        self._quads = store.quads_count()  # counted once (it walks the store), then kept by each write

    @classmethod
    def open(
        cls, store: OxigraphStore, journal_file: Path, *, read_only_graphs: Collection[Target]
    ) -> tuple[JournaledStore, list[Change]]:
        """Replay the journal at ``journal_file`` into ``store`` and wrap it; also returns the changes replayed.

        Raises:
            StoreError: the journal cannot be read or applied.
        """
        journal = Journal(journal_file)
        changes = journal.replay()
        for change in changes:
            store.apply_ops(change.ops)
        journaled = cls(store, journal, read_only_graphs=read_only_graphs)
        warn_on_clashes(changes, journaled.read_only)
        return journaled, changes

    def changes(self) -> list[Change]:
        """Every change in the journal so far, read while no write runs."""
        with self._lock:
            return self.journal.replay()

    def hand_over(self, successor_from: Callable[[list[Change]], JournaledStore]) -> JournaledStore:
        """Serve another build from now on: ``successor_from`` is called with every change in the
        journal while no write can start here, and returns the store of the new build; every later
        write, even one that reached this store first, goes to that store.

        Returns:
            The store ``successor_from`` returned.
        """
        with self._lock:
            successor = successor_from(self.journal.replay())
            self._successor = successor
            return successor

    # --- reads: the build plus the writes ------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Any] | None = None,
        default_graph_as_union: bool = True,
        dataset: QueryDataset | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """See :meth:`OxigraphStore.query`."""
        return self.inner.query(
            sparql, substitutions=substitutions, default_graph_as_union=default_graph_as_union, dataset=dataset,
            base_iri=base_iri,
        )  # fmt: skip

    def quads_count(self) -> int:
        """Quads of the build and of the writes (kept up to date by each write, not counted again)."""
        return self._successor.quads_count() if self._successor is not None else self._quads

    def named_graphs(self) -> list[str]:
        """See :meth:`OxigraphStore.named_graphs`."""
        return self.inner.named_graphs()

    def dump(self, path: Path, *, format: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> None:
        """See :meth:`OxigraphStore.dump`."""
        self.inner.dump(path, format=format)

    def graph_exists(self, graph: str | None) -> bool:
        """See :meth:`OxigraphStore.graph_exists`."""
        return self.inner.graph_exists(graph)

    def graph_get(self, graph: str | None) -> list[ox.Triple]:
        """See :meth:`OxigraphStore.graph_get`."""
        return self.inner.graph_get(graph)

    # --- writes -----------------------------------------------------------------------------

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update on the user's graphs and journal its effect.

        Raises:
            QueryError (400): a syntax error. ReadOnlyGraph (403): it writes, or could write, a
            build graph. StoreError (503): the store or the journal failed (nothing changed).
        """
        targets = update_targets(sparql, base_iri=base_iri)
        self._check_writable(targets)
        every = ANY_GRAPH in targets  # allowed only with no build graphs to protect: any graph may change
        with self._lock:
            if self._successor is not None:
                return self._successor.update(sparql, base_iri=base_iri)  # its lock is taken in turn, never ours
            if every:
                targets = [None, *self.inner.named_graphs()]
            before = {g: self._snapshot(g) for g in targets}
            self.inner.update(sparql, base_iri=base_iri)
            if every:
                targets = list(dict.fromkeys([*targets, *self.inner.named_graphs()]))
            after = {g: self._snapshot(g) for g in targets}
            ops = [op for g in targets for op in _difference(g, before.get(g), after[g])]
            self._commit(ops, undo=[op for g in targets for op in _difference(g, after[g], before.get(g))])
            self._quads += sum(_size(after[g]) - _size(before.get(g)) for g in targets)

    def graph_put(self, graph: str | None, documents: Sequence[RdfDocument], *, base_iri: str | None = None) -> bool:
        """Replace one user graph; see :meth:`OxigraphStore.graph_put`.

        Raises:
            QueryError (400), ReadOnlyGraph (403), StoreError (503).
        """
        self._check_writable([graph])
        quads = parse_documents(documents, base_iri, graph_name(graph))
        with self._lock:
            if self._successor is not None:
                return self._successor.graph_put(graph, documents, base_iri=base_iri)
            created = not self.inner.graph_exists(graph)
            before = self._snapshot(graph)
            ops: list[Op] = [("create", graph), ("clear", graph), ("add", nquads(quads))]
            self.inner.apply_ops(ops)
            self._commit(ops, undo=_restore(graph, before, created))
            self._quads += _size(self._snapshot(graph)) - _size(before)
        return created

    def graph_post(self, graph: str | None, documents: Sequence[RdfDocument], *, base_iri: str | None = None) -> bool:
        """Merge into one user graph; see :meth:`OxigraphStore.graph_post`.

        Raises:
            QueryError (400), ReadOnlyGraph (403), StoreError (503).
        """
        self._check_writable([graph])
        quads = parse_documents(documents, base_iri, graph_name(graph))
        with self._lock:
            if self._successor is not None:
                return self._successor.graph_post(graph, documents, base_iri=base_iri)
            created = not self.inner.graph_exists(graph)
            before = self._snapshot(graph) if quads else None  # an empty merge only creates the graph
            ops: list[Op] = [("create", graph), ("add", nquads(quads))]
            self.inner.apply_ops(ops)
            self._commit(ops, undo=_restore(graph, before, created) if quads else _created(graph, created))
            if quads:
                self._quads += _size(self._snapshot(graph)) - _size(before)
        return created

    def graph_delete(self, graph: str | None) -> bool:
        """Remove one user graph; see :meth:`OxigraphStore.graph_delete`.

        Raises:
            QueryError (400), ReadOnlyGraph (403), StoreError (503).
        """
        self._check_writable([graph])
        with self._lock:
            if self._successor is not None:
                return self._successor.graph_delete(graph)
            if not self.inner.graph_exists(graph):
                return False
            before = self._snapshot(graph)
            ops: list[Op] = [("drop", graph)]
            self.inner.apply_ops(ops)
            self._commit(ops, undo=_restore(graph, before, False))
            self._quads -= _size(before)
        return True

    def _check_writable(self, targets: Collection[Target]) -> None:
        if ANY_GRAPH in targets and self.read_only:
            raise ReadOnlyGraph(
                "this update may write into any graph (GRAPH ?var in a template, or ALL/NAMED), and the build's "
                f"graphs are read-only: {_listing(self.read_only)}; name the graphs it writes"
            )
        hit = sorted(_names(set(targets) & self.read_only))
        if hit:
            raise ReadOnlyGraph(
                f"{', '.join(hit)} {'is a graph' if len(hit) == 1 else 'are graphs'} of the build and read-only; "
                "write into another graph"
            )

    def _snapshot(self, graph: Target) -> frozenset[ox.Triple] | None:
        """The triples of ``graph``, or None if it is a named graph that does not exist."""
        if graph is not None and not self.inner.graph_exists(graph):
            return None
        return frozenset(self.inner.graph_get(graph))

    def _commit(self, ops: list[Op], *, undo: list[Op]) -> None:
        """Journal ``ops`` (already applied in memory) and tell the listener; on failure apply ``undo``."""
        ops = [op for op in ops if op[0] not in ("add", "remove") or op[1]]
        if not ops:
            return
        try:
            change = self.journal.append(ops)
        except StoreError:
            self.inner.apply_ops(undo)
            raise
        if self.listener is not None:
            self.listener(change)


def warn_on_clashes(changes: Sequence[Change], read_only: Collection[Target]) -> None:
    """Log a warning if journaled ``changes`` wrote into graphs that a build now holds (``read_only``)."""
    clashes = {g for c in changes for g in _graphs_of(c.ops)} & set(read_only)
    if clashes:
        logger.warning("journaled writes into graphs the build now holds: %s", ", ".join(_names(clashes)))


def update_targets(sparql: str, *, base_iri: str | None = None) -> list[Target]:
    """The graphs a SPARQL Update may write, in order of appearance (``ANY_GRAPH`` for any graph).

    >>> update_targets("INSERT DATA { GRAPH <http://ex/g> { <http://ex/s> <http://ex/p> 1 } }")
    ['http://ex/g']
    >>> update_targets("WITH <http://ex/w> DELETE { ?s ?p ?o } WHERE { GRAPH <http://ex/b> { ?s ?p ?o } }")
    ['http://ex/w']
    >>> update_targets("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }; CLEAR DEFAULT")
    ['*', None]

    Raises:
        QueryError: the text is not a SPARQL Update (pyoxigraph's message).
    """
    try:
        operations = translateUpdate(parseUpdate(sparql), base=base_iri).algebra
    except Exception as exc:  # rdflib's parser raises pyparsing errors and others; pyoxigraph says why
        _syntax_error(sparql, base_iri)
        raise QueryError(f"cannot tell which graphs this update writes: {exc}") from exc
    targets: list[Target] = []
    for op in operations:
        targets += _op_targets(op)
    return list(dict.fromkeys(targets))


def _op_targets(op: Any) -> list[Target]:
    name = op.name
    if name in ("InsertData", "DeleteData", "DeleteWhere"):
        return _template_targets(op, None)
    if name == "Modify":
        default = _term(_field(op, "withClause"))
        return [g for part in ("delete", "insert") if _field(op, part) for g in _template_targets(op[part], default)]
    if name in ("Clear", "Drop", "Create"):
        return [_graph_ref(_field(op, "graphiri"))]
    if name in ("Add", "Copy"):
        return [_graph_ref(op.graph[1])]
    if name == "Move":
        return [_graph_ref(op.graph[0]), _graph_ref(op.graph[1])]
    return [ANY_GRAPH]  # LOAD (refused before this) or an operation we do not know


def _template_targets(part: Any, default: Target) -> list[Target]:
    targets: list[Target] = [default] if _field(part, "triples") else []
    for graph in _field(part, "quads") or {}:
        targets.append(ANY_GRAPH if isinstance(graph, rdflib.Variable) else _term(graph))
    return targets


def _field(value: Any, name: str) -> Any:
    """A field of an rdflib algebra node, or None (its ``get`` returns the name itself when absent)."""
    return value[name] if name in value else None


def _graph_ref(ref: Any) -> Target:
    if ref in ("ALL", "NAMED"):
        return ANY_GRAPH
    if ref in (None, "DEFAULT"):
        return None
    return _term(ref)


def _term(term: Any) -> Target:
    return None if term is None else str(term)


def _syntax_error(sparql: str, base_iri: str | None) -> None:
    """Raise pyoxigraph's own syntax error for ``sparql`` (it runs on an empty scratch store), if it has one."""
    OxigraphStore().update(sparql, base_iri=base_iri)


def _difference(graph: Target, before: frozenset[ox.Triple] | None, after: frozenset[ox.Triple] | None) -> list[Op]:
    """The operations that turn ``graph`` from ``before`` into ``after`` (None: the named graph does not exist)."""
    if graph == ANY_GRAPH:
        return []
    ops: list[Op] = []
    if after is None:
        return [("drop", graph)] if before is not None else []
    if before is None:
        ops.append(("create", graph))
    name = graph_name(graph)
    removed, added = (before or frozenset()) - after, after - (before or frozenset())
    if removed:
        ops.append(("remove", nquads(ox.Quad(t.subject, t.predicate, t.object, name) for t in removed)))
    if added:
        ops.append(("add", nquads(ox.Quad(t.subject, t.predicate, t.object, name) for t in added)))
    return ops


def _restore(graph: Target, before: frozenset[ox.Triple] | None, created: bool) -> list[Op]:
    """Undo for a Graph Store write: put ``graph`` back as it was (absent if the write created it)."""
    if created or before is None:
        return [("drop", graph)]
    name = graph_name(graph)
    return [("clear", graph), ("create", graph), ("add", nquads(ox.Quad(t.subject, t.predicate, t.object, name)
                                                               for t in before))]


def _size(triples: frozenset[ox.Triple] | None) -> int:
    return len(triples) if triples else 0


def _created(graph: Target, created: bool) -> list[Op]:
    return [("drop", graph)] if created else []


def _graphs_of(ops: Sequence[Op]) -> set[Target]:
    graphs: set[Target] = set()
    for kind, arg in ops:
        if kind in ("create", "drop", "clear"):
            graphs.add(arg)
        elif arg:
            graphs |= {q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
                       for q in ox.parse(arg, ox.RdfFormat.N_QUADS)}
    return graphs


def _names(graphs: Collection[Target]) -> list[str]:
    return sorted("the default graph" if g is None else f"<{g}>" for g in graphs)


def _listing(graphs: Collection[Target], shown: int = 3) -> str:
    names = _names(graphs)
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
