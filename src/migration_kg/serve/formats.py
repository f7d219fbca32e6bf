"""The media types the endpoint speaks and how results are written in each.

SELECT/ASK results: SPARQL 1.1 Query Results JSON, XML, CSV, TSV
(https://www.w3.org/TR/sparql11-results-json/ …). CONSTRUCT/DESCRIBE graphs and the
service description: Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML. pyoxigraph
writes all of them; :func:`write_graph` gives its expanded JSON-LD an ``@context`` of our
prefixes (:func:`compact_json_ld`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import IO, Any

import pyoxigraph as ox

from ..errors import NotAcceptable
from ..namespaces import PREFIXES
from .guard import QueryForm
from .negotiation import Offer, negotiate

SPARQL_JSON = Offer("application/sparql-results+json", ("application/json",), ("json", "srj"))
SPARQL_XML = Offer("application/sparql-results+xml", ("application/xml", "text/xml"), ("xml", "srx"))
SPARQL_CSV = Offer("text/csv", (), ("csv",))
SPARQL_TSV = Offer("text/tab-separated-values", (), ("tsv",))
#: SELECT and ASK answers, preferred first.
RESULT_OFFERS: tuple[Offer, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)

TURTLE = Offer("text/turtle", ("application/turtle", "application/x-turtle"), ("turtle", "ttl"))
N_TRIPLES = Offer("application/n-triples", (), ("nt", "ntriples", "n-triples"))
N_QUADS = Offer("application/n-quads", (), ("nq", "nquads", "n-quads"))
TRIG = Offer("application/trig", (), ("trig",))
JSON_LD = Offer("application/ld+json", ("application/json",), ("jsonld", "json-ld", "json"))
RDF_XML = Offer("application/rdf+xml", ("application/xml", "text/xml"), ("rdfxml", "rdf", "xml"))
#: CONSTRUCT and DESCRIBE answers, preferred first.
RDF_OFFERS: tuple[Offer, ...] = (TURTLE, N_TRIPLES, N_QUADS, TRIG, JSON_LD, RDF_XML)

HTML = Offer("text/html", ("application/xhtml+xml",), ("html",))
PLAIN_TEXT = Offer("text/plain", (), ("text", "txt"))
JSON = Offer("application/json", (), ("json",))

_RESULTS_FORMATS: dict[Offer, ox.QueryResultsFormat] = {
    SPARQL_JSON: ox.QueryResultsFormat.JSON,
    SPARQL_XML: ox.QueryResultsFormat.XML,
    SPARQL_CSV: ox.QueryResultsFormat.CSV,
    SPARQL_TSV: ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS: dict[Offer, ox.RdfFormat] = {
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    N_QUADS: ox.RdfFormat.N_QUADS,
    TRIG: ox.RdfFormat.TRIG,
    JSON_LD: ox.RdfFormat.JSON_LD,
    RDF_XML: ox.RdfFormat.RDF_XML,
}
_WITH_PREFIXES = {ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML}


def write_results(results: ox.QuerySolutions | ox.QueryBoolean, offer: Offer) -> bytes:
    """Serialise SELECT solutions or an ASK boolean as ``offer`` (one of :data:`RESULT_OFFERS`).

    Raises:
        KeyError: ``offer`` is not a results format. OSError: the lazy evaluation failed.
    """
    body = results.serialize(format=_RESULTS_FORMATS[offer])
    assert body is not None  # no output given, so pyoxigraph returns the bytes
    return body


def write_graph(triples: Iterable[ox.Triple], offer: Offer) -> bytes:
    """Serialise triples as ``offer`` (one of :data:`RDF_OFFERS`), with our prefixes where they fit.

    Raises:
        KeyError: ``offer`` is not an RDF format. OSError: the lazy evaluation failed.
    """
    rdf_format = _RDF_FORMATS[offer]
    options: dict[str, Any] = {"prefixes": PREFIXES} if rdf_format in _WITH_PREFIXES else {}
    body = ox.serialize(triples, format=rdf_format, **options)
    assert body is not None
    return compact_json_ld(body, PREFIXES) if rdf_format is ox.RdfFormat.JSON_LD else body


#: JSON-LD 1.1 uses a simple term as a prefix only if its IRI ends with one of these (§4.1.2).
_GEN_DELIMS = tuple(":/?#[]@")


def compact_json_ld(body: bytes, prefixes: Mapping[str, str]) -> bytes:
    """pyoxigraph's expanded JSON-LD with an ``@context`` of ``prefixes`` and compact IRIs.

    Property names, ``@id`` and ``@type`` values become ``prefix:local`` where a namespace
    fits; the node objects keep their expanded shape, so the graph is the same one. The body
    is returned as it is if a full IRI would read as a compact one (its scheme is a prefix).

    >>> body = b'[{"@id":"http://ex.org/a","http://www.w3.org/2000/01/rdf-schema#label":[{"@value":"A"}]}]'
    >>> compact_json_ld(body, {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}).decode()
    '{"@context":{"rdfs":"http://www.w3.org/2000/01/rdf-schema#"},"@graph":[{"@id":"http://ex.org/a","rdfs:label":[{"@value":"A"}]}]}'
    """
    context = {name: iri for name, iri in prefixes.items() if iri.endswith(_GEN_DELIMS)}
    longest_first = sorted(context.items(), key=lambda item: -len(item[1]))
    ambiguous = False

    def compact(iri: str) -> str:
        nonlocal ambiguous
        for name, namespace in longest_first:
            if iri.startswith(namespace) and not iri[len(namespace):].startswith("//"):
                return f"{name}:{iri[len(namespace):]}"
        ambiguous = ambiguous or iri.partition(":")[0] in context
        return iri

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("@id", "@type"):
                out[key] = [compact(v) for v in value] if isinstance(value, list) else compact(value)
            elif key.startswith("@"):
                out[key] = walk(value) if key in ("@graph", "@list", "@set") else value
            else:
                out[compact(key)] = walk(value)
        return out

    document = walk(json.loads(body))
    if ambiguous:
        return body
    return json.dumps({"@context": context, "@graph": document}, ensure_ascii=False, separators=(",", ":")).encode()


def stream_results(results: ox.QuerySolutions | ox.QueryBoolean, offer: Offer, output: IO[bytes]) -> None:
    """Like :func:`write_results`, but write into ``output`` as the results are evaluated.

    Raises:
        KeyError: ``offer`` is not a results format. OSError: the lazy evaluation failed.
        Whatever ``output.write`` raises (the executor's byte cap) propagates.
    """
    results.serialize(output, format=_RESULTS_FORMATS[offer])


def stream_graph(triples: Iterable[ox.Triple], offer: Offer, output: IO[bytes]) -> None:
    """Like :func:`write_graph`, but write into ``output`` as the triples come.

    Raises:
        KeyError: ``offer`` is not an RDF format. OSError: the lazy evaluation failed.
        Whatever ``output.write`` or the ``triples`` iterator raises propagates.
    """
    rdf_format = _RDF_FORMATS[offer]
    options: dict[str, Any] = {"prefixes": PREFIXES} if rdf_format in _WITH_PREFIXES else {}
    ox.serialize(triples, output, format=rdf_format, **options)


def negotiate_query(
    accept: str | None, form: QueryForm | None, *, format_override: str | None = None
) -> tuple[Offer | None, Offer | None]:
    """The formats to answer a query in: (results format for SELECT/ASK, RDF format for CONSTRUCT/DESCRIBE).

    When the query form is known, only its kind is negotiated, so a client that accepts
    none of its formats gets 406 before the query runs; the other is None. When it is not
    known (the parser will say why), each is negotiated and None where nothing matches.

    Raises:
        NotAcceptable: the form is known and no format of its kind matches ``accept``.
    """
    if form is not None:
        if form.returns_graph:
            return None, negotiate(accept, RDF_OFFERS, format_override=format_override)
        return negotiate(accept, RESULT_OFFERS, format_override=format_override), None
    offers: list[Offer | None] = []
    for kind in (RESULT_OFFERS, RDF_OFFERS):
        try:
            offers.append(negotiate(accept, kind, format_override=format_override))
        except NotAcceptable:
            offers.append(None)
    return offers[0], offers[1]

