"""The reasoning stage: HermiT (through owlready2) over the ontology plus the data.

:func:`check_consistency` returns a typed :class:`ReasonerReport`; raising is the caller's
choice (:func:`ensure_consistent`). :func:`infer` returns only the triples the reasoner
entails that queries need (types and super-property triples), for ``graph/inferred``;
:func:`check_and_infer` gives both from one HermiT run.

How the data reaches HermiT, and what that changes:

* The graph is written as N-Triples and loaded into a fresh owlready2 ``World`` per call.
* RDF reification (``rdf:Statement`` and ``rdf:subject/predicate/object``) is left out: it
  has no OWL meaning, and ``rdf:predicate`` would use properties as individuals (not DL).
  ``mkg:evidence`` links from statement nodes are kept.
* ``xsd:date``, ``xsd:gYear`` and ``xsd:gYearMonth`` are outside the OWL 2 datatype map, so
  HermiT runs with ``--ignoreUnsupportedDatatypes``: ranges and literals of those types are
  not checked (SHACL checks them). Ranges of ``xsd:string``, ``xsd:integer``,
  ``xsd:decimal`` and ``xsd:boolean`` are checked: a language-tagged string or a string
  where a number is expected makes the data inconsistent.
* An ill-typed literal (``"abc"^^xsd:integer``) is reported as an inconsistency without
  running HermiT (owlready2 cannot load it, and in OWL 2 it is a contradiction).
* HermiT's explanation of an inconsistency is not available through owlready2; the report
  names likely causes found by a quick check of the input (disjoint types, datatype ranges).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import owlready2
import owlready2.reasoning
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .errors import ReasonerError
from .ontology import ONTOLOGY_IRI, load_ontology

_REIFICATION = {RDF.subject, RDF.predicate, RDF.object}
_MAX_CAUSES = 20
_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL))
_INTEGERS = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.byte, XSD.nonNegativeInteger,
             XSD.positiveInteger, XSD.nonPositiveInteger, XSD.negativeInteger, XSD.unsignedLong,
             XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte}
# Datatype ranges HermiT checks, with the literal datatypes each accepts.
_CHECKED_RANGES = {XSD.string: {XSD.string}, XSD.boolean: {XSD.boolean}, XSD.integer: _INTEGERS,
                   XSD.decimal: _INTEGERS | {XSD.decimal}}
# owlready2 keeps the JVM heap size in a module global; set it and run under one lock.
_JAVA_LOCK = threading.Lock()


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT said about the ontology plus data.

    ``unsatisfiable_classes`` lists classes equivalent to ``owl:Nothing`` (a bug in the
    ontology even when the data are consistent); ``explanation`` is empty when all is well.
    """

    consistent: bool
    unsatisfiable_classes: tuple[str, ...]
    explanation: str
    seconds: float
    triples_in: int

    @property
    def ok(self) -> bool:
        """True when the data are consistent and every class is satisfiable."""
        return self.consistent and not self.unsatisfiable_classes


def check_consistency(graph: Graph, *, ontology: Graph | None = None,
                      java_memory_mb: int = 2000) -> ReasonerReport:
    """Run HermiT over ``graph`` plus the ontology and report whether they are consistent.

    Args:
        graph: the data (a Graph, or a Dataset/ConjunctiveGraph whose quads are merged).
        ontology: the ontology to add; by default the graph's own ``owl:Ontology`` if it
            holds one, else ``load_ontology(get_settings().ontology_dir)``.
        java_memory_mb: maximum JVM heap for HermiT.

    Returns:
        A :class:`ReasonerReport`; an inconsistency is reported, not raised.

    Raises:
        ReasonerError: Java is missing, or HermiT or owlready2 failed for another reason.
    """
    return _run(graph, ontology, java_memory_mb, with_inferences=False)[0]


def ensure_consistent(graph: Graph, *, ontology: Graph | None = None,
                      java_memory_mb: int = 2000) -> ReasonerReport:
    """Like :func:`check_consistency`, but raise unless the report is :attr:`~ReasonerReport.ok`.

    Raises:
        ReasonerError: the data are inconsistent or a class is unsatisfiable (the message
            holds the explanation), or the reasoner could not run.
    """
    report = check_consistency(graph, ontology=ontology, java_memory_mb=java_memory_mb)
    if not report.ok:
        raise ReasonerError(report.explanation, source="reasoner")
    return report


def infer(graph: Graph, *, ontology: Graph | None = None, java_memory_mb: int = 2000) -> Graph:
    """The triples HermiT entails from ``graph`` plus the ontology that are not in either.

    Returns a new graph holding, for every IRI individual, ``rdf:type`` triples for all its
    inferred classes (named classes only, ancestors included: a ``mkg:Dialogue`` is also a
    ``mkg:Event`` and a ``schema:Event``), and, for every data triple whose predicate has
    super-properties (or an inverse) in the classified property hierarchy, the triples with
    those properties (``mkg:speaker`` gives ``mkg:participant`` and ``schema:attendee``).
    Blank nodes and IRIs used only as ``owl:sameAs`` targets are left out, so that a
    Wikidata IRI does not count as a second organization.

    Raises:
        ReasonerError: the data are inconsistent (with the explanation), or the reasoner
            could not run.
    """
    report, inferred = check_and_infer(graph, ontology=ontology, java_memory_mb=java_memory_mb)
    if not report.consistent:
        raise ReasonerError(f"cannot infer from inconsistent data: {report.explanation}", source="reasoner")
    return inferred


def check_and_infer(graph: Graph, *, ontology: Graph | None = None,
                    java_memory_mb: int = 2000) -> tuple[ReasonerReport, Graph]:
    """:func:`check_consistency` and :func:`infer` with one HermiT run (for the build).

    Returns the report and the inferred triples (an empty graph when inconsistent).

    Raises:
        ReasonerError: as :func:`check_consistency`.
    """
    return _run(graph, ontology, java_memory_mb, with_inferences=True)


def _run(graph: Graph, ontology: Graph | None, java_memory_mb: int, *,
         with_inferences: bool) -> tuple[ReasonerReport, Graph]:
    started = time.perf_counter()
    merged = _reasoner_input(graph, ontology)
    inferred = Graph()
    ill_typed = _ill_typed(merged)
    if ill_typed:
        return ReasonerReport(False, (), "\n".join(ill_typed), time.perf_counter() - started,
                              len(merged)), inferred
    with _reasoned_world(merged, java_memory_mb) as world:
        seconds = time.perf_counter() - started
        if world is None:
            causes = _likely_causes(merged) or ["no simple cause found; bisect the data"]
            explanation = "HermiT: the ontology plus data are inconsistent. Likely causes:\n" + "\n".join(
                f"- {cause}" for cause in causes)
            return ReasonerReport(False, (), explanation, seconds, len(merged)), inferred
        unsatisfiable = tuple(sorted(cls.iri for cls in world.inconsistent_classes()))
        explanation = f"unsatisfiable classes: {', '.join(unsatisfiable)}" if unsatisfiable else ""
        if with_inferences:
            inferred = _entailed(world, merged)
    return ReasonerReport(True, unsatisfiable, explanation, seconds, len(merged)), inferred


def _entailed(world: owlready2.World, merged: Graph) -> Graph:
    """Types of IRI individuals and super-property triples, minus what ``merged`` asserts."""
    inferred = Graph()
    candidates = {n for s, p, o in merged if p != OWL.sameAs for n in (s, o) if isinstance(n, URIRef)}
    for iri in candidates:
        entity = world[str(iri)]
        if isinstance(entity, owlready2.Thing):
            classes = [c.iri for c in entity.INDIRECT_is_a if isinstance(c, owlready2.ThingClass)]
            inferred += ((iri, RDF.type, URIRef(c)) for c in classes if not c.startswith(_BUILTIN_NAMESPACES))
    for prop in [*world.object_properties(), *world.data_properties()]:
        supers = [URIRef(p.iri) for p in prop.ancestors()
                  if p is not prop and not p.iri.startswith(_BUILTIN_NAMESPACES)]
        inverse = getattr(prop, "inverse_property", None)
        for s, o in merged.subject_objects(URIRef(prop.iri)):
            if isinstance(s, BNode) or isinstance(o, BNode):
                continue
            inferred += ((s, super_, o) for super_ in supers)
            if inverse is not None and isinstance(o, URIRef):
                inferred.add((o, URIRef(inverse.iri), s))
    inferred -= merged
    return inferred


def _reasoner_input(graph: Graph, ontology: Graph | None) -> Graph:
    triples = ((s, p, o) for s, p, o, *_ in graph.quads()) if hasattr(graph, "quads") else iter(graph)
    merged = Graph()
    merged += (t for t in triples if t[1] not in _REIFICATION and t[2] != RDF.Statement)
    if ontology is None and (ONTOLOGY_IRI, RDF.type, OWL.Ontology) not in merged:
        from .settings import get_settings

        ontology = load_ontology(get_settings().ontology_dir)
    if ontology is not None:
        merged += ontology
    return merged


@contextmanager
def _reasoned_world(merged: Graph, java_memory_mb: int) -> Iterator[owlready2.World | None]:
    """Yield an owlready2 World after HermiT has classified it, or None if inconsistent."""
    if shutil.which(owlready2.JAVA_EXE) is None:
        raise ReasonerError(f"Java ({owlready2.JAVA_EXE!r}) not found: HermiT needs a Java 8+ runtime on "
                            "PATH (or set MKG_REASONER=false to skip reasoning)", source="reasoner")
    world = owlready2.World()
    consistent = True
    try:
        with tempfile.TemporaryDirectory(prefix="mkg-reason-") as tmp:
            path = Path(tmp) / "input.nt"
            merged.serialize(path, format="nt", encoding="utf-8")
            try:
                world.get_ontology(path.as_uri()).load()
                with _JAVA_LOCK:
                    owlready2.reasoning.JAVA_MEMORY = java_memory_mb
                    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                                   ignore_unsupported_datatypes=True)
            except owlready2.OwlReadyInconsistentOntologyError:
                consistent = False
            except (owlready2.OwlReadyError, OSError) as exc:
                raise ReasonerError(f"HermiT could not run: {exc}", source="reasoner") from exc
        yield world if consistent else None
    finally:
        world.close()


def _ill_typed(graph: Graph) -> list[str]:
    return [f"ill-typed literal {o.n3()} in {s.n3()} {p.n3()}"
            for s, p, o in graph if isinstance(o, Literal) and o.ill_typed][:_MAX_CAUSES]


def _likely_causes(graph: Graph) -> list[str]:
    """Cheap, incomplete diagnosis of an inconsistency: individuals in two disjoint classes
    (counting told types, domains, ranges and superclasses) and literals outside a checked
    datatype range."""
    disjoint: set[frozenset[Node]] = {frozenset(pair) for pair in graph.subject_objects(OWL.disjointWith)}
    for node in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(graph, graph.value(node, OWL.members) or RDF.nil))
        disjoint.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1:])
    told = list(graph.subject_objects(RDF.type))
    for prop, cls in graph.subject_objects(RDFS.domain):
        told += [(s, cls) for s in graph.subjects(prop)]
    for prop, cls in graph.subject_objects(RDFS.range):
        told += [(o, cls) for o in graph.objects(None, prop) if not isinstance(o, Literal)]
    types: dict[Node, set[Node]] = {}
    for node, cls in told:
        if isinstance(node, URIRef) and isinstance(cls, URIRef):
            supers = graph.transitive_objects(cls, RDFS.subClassOf)
            types.setdefault(node, set()).update(c for c in supers if c is not None)
    causes = [f"{node.n3()} is a {' and a '.join(sorted(c.n3() for c in pair))}, which are disjoint"
              for node, classes in sorted(types.items()) for pair in disjoint if pair <= classes]
    for prop, range_ in graph.subject_objects(RDFS.range):
        accepted = _CHECKED_RANGES.get(range_, set()) if isinstance(range_, URIRef) else set()
        for s, o in graph.subject_objects(prop) if accepted else ():
            if not isinstance(o, Literal):
                continue
            if (o.datatype or (RDF.langString if o.language else XSD.string)) not in accepted:
                causes.append(f"{s.n3()} {prop.n3()} {o.n3()}: the range of {prop.n3()} is {range_.n3()}")
    return sorted(causes)[:_MAX_CAUSES]
