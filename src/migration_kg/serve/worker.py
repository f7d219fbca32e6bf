"""What a query worker does: evaluate one query, serialise the answer within the caps, return bytes.

:func:`answer` is the whole job, usable in any process; :func:`worker_main` is the loop of
one worker process of :class:`~migration_kg.serve.executor.WorkerPool`, which holds a
read-only in-memory copy of the graph. Everything that crosses the process boundary is a
plain picklable value: the :class:`QueryJob` in, a :class:`QueryAnswer` or an error
(class name and message) out. Terms (substitutions) travel as N-Triples strings.

Caps (:class:`~migration_kg.errors.ResultTooLarge`, answered 422, never a truncated 200):
the byte cap stops serialisation as soon as the output passes it; the row cap counts
triples as they are written and, for SELECT, the solutions in the finished body (exact in
every format, and skipped when the body is too short to hold that many rows).
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import logging
import signal
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import MigrationKGError, NotAcceptable, QueryError, ResultTooLarge, StoreError
from ..store import GraphStore, OxigraphStore, QueryDataset, to_oxigraph_term
from .formats import RDF_OFFERS, RESULT_OFFERS, SPARQL_CSV, SPARQL_JSON, SPARQL_TSV, SPARQL_XML, stream_graph, stream_results
from .negotiation import Offer

logger = logging.getLogger(__name__)

_BY_MEDIA_TYPE = {offer.media_type: offer for offer in (*RESULT_OFFERS, *RDF_OFFERS)}
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class QueryJob:
    """One query to run, as sent to a worker.

    Attributes:
        text: the SPARQL query.
        results_type: media type for SELECT/ASK answers (one of ``RESULT_OFFERS``), or None if
            the client accepts none (the answer is then a 406).
        graph_type: media type for CONSTRUCT/DESCRIBE answers (one of ``RDF_OFFERS``), or None.
        max_rows: solutions (or triples) the answer may hold.
        max_bytes: bytes the serialised answer may hold.
        substitutions: variable name -> term in N-Triples syntax (see :func:`encode_term`).
        dataset: the protocol dataset, or None.
        default_graph_as_union: see :meth:`OxigraphStore.query`.
        base_iri: resolves relative IRIs in the query.
    """

    text: str
    results_type: str | None
    graph_type: str | None
    max_rows: int
    max_bytes: int
    substitutions: tuple[tuple[str, str], ...] = ()
    dataset: QueryDataset | None = None
    default_graph_as_union: bool = True
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised answer: send ``body`` with ``Content-Type: content_type``."""

    body: bytes
    media_type: str
    is_graph: bool

    @property
    def content_type(self) -> str:
        """``media_type`` with ``charset=utf-8``."""
        return _BY_MEDIA_TYPE[self.media_type].content_type


def encode_term(value: Any) -> str:
    """A pyoxigraph or rdflib term in N-Triples syntax, to send to a worker.

    >>> encode_term(ox.Literal("Genève", language="fr"))
    '"Genève"@fr'

    Raises:
        TypeError: ``value`` is not an RDF term.
    """
    return str(to_oxigraph_term(value))


def decode_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    """The term written by :func:`encode_term`.

    >>> decode_term('"3"^^<http://www.w3.org/2001/XMLSchema#integer>').value
    '3'

    Raises:
        QueryError: ``text`` is not exactly one N-Triples term.
    """
    try:
        # the term in object position of a one-triple document: the N-Triples parser reads it
        triples = list(ox.parse(input=f"<urn:s> <urn:p> {text} .", format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise QueryError(f"not an RDF term: {text!r}") from exc
    if len(triples) != 1:
        raise QueryError(f"not one RDF term: {text!r}")
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple = triples[0].object
    return term


def answer(store: GraphStore, job: QueryJob) -> QueryAnswer:
    """Run ``job`` on ``store`` and serialise the answer.

    Raises:
        QueryError (400): syntax error, bad dataset IRI or substitution.
        NotAcceptable (406): the answer is of a kind the client accepts no format for.
        ResultTooLarge (422): more than ``job.max_rows`` rows or ``job.max_bytes`` bytes.
        StoreError (503): the store failed while evaluating.
    """
    substitutions = _substitutions(job.substitutions)
    result = store.query(
        job.text,
        substitutions=substitutions,
        dataset=job.dataset,
        default_graph_as_union=job.default_graph_as_union,
        base_iri=job.base_iri,
    )
    is_graph = isinstance(result, ox.QueryTriples)
    offer = _offer(job.graph_type if is_graph else job.results_type, "a graph" if is_graph else "results")
    output = _CappedOutput(job.max_bytes)
    try:
        if isinstance(result, ox.QueryTriples):
            stream_graph(_capped_rows(result, job.max_rows), offer, output)
        else:
            stream_results(result, offer, output)
    except _CapExceeded as exc:
        raise ResultTooLarge(str(exc)) from None
    except OSError as exc:  # evaluation is lazy: store errors surface while writing
        raise StoreError(f"query evaluation failed: {exc}") from exc
    body = output.getvalue()
    if isinstance(result, ox.QuerySolutions):
        rows = count_rows(body, offer, at_least=job.max_rows + 1)
        if rows > job.max_rows:
            raise ResultTooLarge(_rows_message(job.max_rows))
    return QueryAnswer(body, offer.media_type, is_graph)


def count_rows(body: bytes, offer: Offer, *, at_least: int = 0) -> int:
    """The number of solutions in a serialised SELECT answer.

    Args:
        body: the answer in the results format ``offer``.
        at_least: only the question "are there ``at_least`` rows?" matters: a body too short
            to hold that many is not parsed (0 is returned).

    >>> count_rows(b'?s\\n<http://ex/a>\\n<http://ex/b>\\n', SPARQL_TSV)
    2
    """
    if offer is SPARQL_TSV:  # one line per row after the header; newlines in literals are escaped
        return body.count(b"\n") - 1
    if offer is SPARQL_XML:  # "<" in values is escaped, so this tag only starts a row
        return body.count(b"<result>")
    if offer is SPARQL_JSON:
        if (len(body) + 1) // 3 < at_least:  # each row is at least "{}" plus a comma
            return 0
        return len(json.loads(body)["results"]["bindings"])
    if offer is SPARQL_CSV:
        if len(body) // 2 - 1 < at_least:  # each row is at least "\r\n"
            return 0
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8"), newline=""))) - 1
    raise KeyError(offer.media_type)


def worker_main(conn: Connection, dump: str) -> None:
    """The loop of one worker process: load ``dump`` into memory, then answer jobs until told to stop.

    Messages: it sends ``("ready", quads)`` or ``("failed", message)`` once, then for each
    :class:`QueryJob` received ``("ok", media_type, is_graph, body length)`` followed by the
    body as raw bytes (``send_bytes``: no pickling, and the parent knows its size before
    reading it), ``("error", class name, message)`` for a :class:`MigrationKGError`, or
    ``("bug", description)``. ``("apply", [ops, …])`` (journaled writes, see ``journal.apply_ops``)
    is applied without an answer. ``None`` or a closed pipe ends it.
    """
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; it stops us
    try:
        store = OxigraphStore.load_nquads(Path(dump))
    except StoreError as exc:
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", store.quads_count()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if isinstance(job, tuple) and job[0] == "apply":  # journaled writes, in order, before the next job
            try:
                for ops in job[1]:
                    store.apply_ops(ops)
            except StoreError:
                logger.exception("query worker cannot apply a write; it stops (its replacement replays them all)")
                return
            continue
        try:
            result = answer(store, job)
        except MigrationKGError as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
        except Exception as exc:  # a bug: the parent answers 500 and logs it; this worker goes on
            logger.exception("query worker failed")
            conn.send(("bug", f"{type(exc).__name__}: {exc}"))
        else:
            conn.send(("ok", result.media_type, result.is_graph, len(result.body)))
            conn.send_bytes(result.body)


class _CapExceeded(Exception):
    pass


class _CappedOutput(io.BytesIO):
    """A bytes buffer that refuses to grow past ``limit`` (pyoxigraph writes into it in chunks)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: Any, /) -> int:
        if self.tell() + len(data) > self.limit:
            raise _CapExceeded(
                f"the answer is larger than {self.limit} bytes, the limit of this endpoint; "
                "add LIMIT or select fewer variables"
            )
        return super().write(data)


def _capped_rows(triples: Iterable[ox.Triple], limit: int) -> Iterator[ox.Triple]:
    for count, triple in enumerate(triples, start=1):
        if count > limit:
            raise _CapExceeded(_rows_message(limit))
        yield triple


def _rows_message(limit: int) -> str:
    return f"the answer has more than {limit} rows, the limit of this endpoint; add LIMIT or narrow the query"


def _offer(media_type: str | None, kind: str) -> Offer:
    if media_type is None:
        raise NotAcceptable(f"the query returns {kind}, and no format for it matches the Accept header")
    return _BY_MEDIA_TYPE[media_type]


def _substitutions(pairs: tuple[tuple[str, str], ...]) -> Mapping[str, Any] | None:
    if not pairs:
        return None
    try:
        return {ox.Variable(name.lstrip("?$")).value: decode_term(term) for name, term in pairs}
    except ValueError as exc:
        raise QueryError(f"invalid substitution: {exc}") from exc


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent (the forkserver) exits."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the closed pipe still ends an idle worker
        pass
