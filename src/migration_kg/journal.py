"""Durable writes: an append-only journal of changes beside the builds, fsynced, replayed at start.

A served build is read-only; what SPARQL Update and the Graph Store Protocol write goes to
the user's graphs, and each acknowledged write is one line of ``<data>/writes/journal.jsonl``
that is on disk (``fsync``) before the client gets its 204. The line holds the write's
*effect*, not its text: graph-level operations and the quads added or removed, in N-Quads::

    {"seq": 3, "ops": [["create", "http://ex/g"], ["clear", "http://ex/g"], ["add", "<http://ex/s> … .\\n"]]}

so replaying it gives the same graphs over any build, whatever a ``WHERE`` clause would now
match. The journal lives outside ``builds/``, so it survives a restart and a rebuild alike.
A line cut short by a crash (its write was never acknowledged) is dropped at the next start.

:func:`apply_ops` is the one way a change reaches a store: the served store at start, each
query worker process as it catches up, and the Graph Store writes themselves.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias

import pyoxigraph as ox

from .errors import StoreError

logger = logging.getLogger(__name__)

WRITES_DIR = "writes"
JOURNAL_NAME = "journal.jsonl"

#: One operation: ``("create" | "drop" | "clear", graph IRI or None for the default graph)`` or
#: ``("add" | "remove", N-Quads text)``.
Op: TypeAlias = tuple[str, str | None]
_GRAPH_OPS = frozenset({"create", "drop", "clear"})
_QUAD_OPS = frozenset({"add", "remove"})


@dataclass(frozen=True)
class Change:
    """One acknowledged write: its sequence number in the journal and its operations, in order."""

    seq: int
    ops: tuple[Op, ...]


def journal_path(data_dir: Path) -> Path:
    """Where the journal of the data folder ``data_dir`` lives."""
    return Path(data_dir) / WRITES_DIR / JOURNAL_NAME


def nquads(quads: Iterable[ox.Quad]) -> str:
    """``quads`` as N-Quads text (blank nodes keep their labels, so a later ``remove`` matches).

    >>> nquads([ox.Quad(ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"), ox.Literal("o"))])
    '<http://ex/s> <http://ex/p> "o" .\\n'
    """
    return (ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")


def apply_ops(store: ox.Store, ops: Iterable[Op]) -> None:
    """Apply journal operations to ``store``, in order.

    >>> store = ox.Store()
    >>> apply_ops(store, [("create", "http://ex/g"), ("add", "<http://ex/s> <http://ex/p> 1 <http://ex/g> .\\n")])
    >>> len(store), [g.value for g in store.named_graphs()]
    (1, ['http://ex/g'])
    >>> apply_ops(store, [("drop", "http://ex/g")])
    >>> len(store), list(store.named_graphs())
    (0, [])

    Raises:
        StoreError: an operation is malformed, or the store failed.
    """
    try:
        for kind, arg in ops:
            if kind in _GRAPH_OPS:
                name: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(arg) if arg is not None else ox.DefaultGraph()
                if kind == "create" and isinstance(name, ox.NamedNode):
                    store.add_graph(name)
                elif kind == "drop" and isinstance(name, ox.NamedNode):
                    store.remove_graph(name)
                elif kind in ("clear", "drop"):
                    store.clear_graph(name)
            elif kind in _QUAD_OPS and arg is not None:
                quads = ox.parse(arg, ox.RdfFormat.N_QUADS)
                if kind == "add":
                    store.extend(quads)
                else:
                    for quad in quads:
                        store.remove(quad)
            else:
                raise StoreError(f"unknown journal operation {kind!r}")
    except (OSError, SyntaxError, ValueError) as exc:
        raise StoreError(f"cannot apply a journal operation: {exc}") from exc


class Journal:
    """The append-only file of :class:`Change` s; :meth:`append` returns once the line is on disk.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> journal = Journal(folder / "journal.jsonl")
    >>> journal.append([("clear", None)]).seq
    1
    >>> [c.seq for c in Journal(folder / "journal.jsonl").replay()]
    [1]
    """

    def __init__(self, path: Path) -> None:
        """Open (or create) the journal at ``path``.

        Raises:
            StoreError: the folder or the file cannot be created or read.
        """
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            if not self.path.parent.exists():
                self.path.parent.mkdir(parents=True)
                _fsync_dir(self.path.parent.parent)
            if not self.path.exists():
                self.path.touch()
                _fsync_dir(self.path.parent)
        except OSError as exc:
            raise StoreError(f"cannot open the write journal: {exc}", source=str(self.path)) from exc
        self._seq = 0

    @property
    def seq(self) -> int:
        """The sequence number of the last change written or replayed (0: none)."""
        return self._seq

    def replay(self) -> list[Change]:
        """Every change in the file, in order; a torn last line (a crash mid-write) is cut off the file.

        Raises:
            StoreError: a complete line is not a change (the journal was damaged; the message has the line).
        """
        changes: list[Change] = []
        good = 0
        with open(self.path, "rb") as stream:
            data = stream.read()
        for number, line in enumerate(data.splitlines(keepends=True), start=1):
            if not line.endswith(b"\n"):  # never acknowledged: its fsync did not return
                logger.warning("%s:%d: dropping a write cut short by a crash", self.path, number)
                break
            try:
                entry = json.loads(line)
                changes.append(Change(int(entry["seq"]), tuple((str(k), a) for k, a in entry["ops"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"damaged write journal: {exc}", source=str(self.path), line=number) from exc
            good += len(line)
        if good < len(data):
            with open(self.path, "r+b") as stream:
                stream.truncate(good)
                os.fsync(stream.fileno())
        self._seq = changes[-1].seq if changes else 0
        return changes

    def append(self, ops: Sequence[Op]) -> Change:
        """Write one change and ``fsync`` it; the caller acknowledges the write only after this returns.

        Raises:
            StoreError: the line could not be written or synced (the write must not be acknowledged).
        """
        with self._lock:
            change = Change(self._seq + 1, tuple(ops))
            line = json.dumps({"seq": change.seq, "ops": [list(op) for op in change.ops]}, ensure_ascii=False) + "\n"
            with open(self.path, "ab") as stream:
                end = stream.tell()
                try:
                    stream.write(line.encode("utf-8"))
                    stream.flush()
                    os.fsync(stream.fileno())
                except OSError as exc:
                    _truncate(stream, end)  # no torn line for the next write to follow
                    raise StoreError(f"cannot write the write journal: {exc}", source=str(self.path)) from exc
            self._seq = change.seq
            return change


def _truncate(stream: BinaryIO, size: int) -> None:
    try:
        stream.truncate(size)
    except OSError:
        logger.exception("cannot cut a failed write off the journal")


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (POSIX: fsync the directory)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
