"""The validate stage: check the data against the SHACL shapes of ``shapes/*.ttl``.

Spec: https://www.w3.org/TR/shacl/ (validation report: #validation-report).

:func:`validate` returns a typed :class:`ValidationReport`; raising is the caller's
choice (:func:`ensure_valid`). pySHACL runs with inference off: the data must already
hold the reasoner's inferred types (``graph/inferred``), and the ontology, when given,
is merged in so that ``sh:class`` sees ``rdfs:subClassOf`` and the ontology's
individuals (``mkg:ChairRole a mkg:RoleType``). Each result names the mapping rule
behind the bad fact when the evidence model (``mkg:evidence``/``mkg:rule``) traces it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pyshacl
from pyshacl.errors import ConstraintLoadError, ReportableRuntimeError, ShapeLoadError
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from .errors import ConfigError, ValidationFailed
from .namespaces import MKG, OA, PREFIXES, prefixed_name

#: Namespace of our shapes (``mkgsh:Extraction-quote`` …).
MKGSH = Namespace("https://w3id.org/migration-kg/shapes#")

_SHORT = {**PREFIXES, "mkgsh": str(MKGSH), "sh": str(SH)}
_LOCAL = re.compile(r"^[A-Za-z_][\w.-]*$")
_BRACKETED = re.compile(r"<([^<>\s]+)>")
_PATH_SUFFIX = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


class Severity(Enum):
    """``sh:resultSeverity`` of a result (https://www.w3.org/TR/shacl/#severity)."""

    VIOLATION = "Violation"
    WARNING = "Warning"
    INFO = "Info"

    @property
    def iri(self) -> URIRef:
        """The SHACL IRI of this severity, e.g. ``sh:Violation``."""
        return SH[self.value]

    @classmethod
    def from_iri(cls, iri: Node | None) -> Severity:
        """The severity named by ``iri``; a custom or missing severity counts as a violation."""
        for severity in cls:
            if iri == severity.iri:
                return severity
        return cls.VIOLATION


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult``.

    ``focus_node``, ``shape`` and ``source_rule`` are IRIs (``_:id`` for a blank node);
    ``path`` is the predicate IRI, or a SPARQL property path such as ``<a>/<b>``;
    ``value`` is the offending value in N-Triples form (``"12"``, ``<iri>``).
    """

    focus_node: str
    path: str | None
    value: str | None
    severity: Severity
    message: str
    shape: str
    source_rule: str | None = None

    def to_text(self) -> str:
        """Two lines: severity, focus node, path, value, shape and rule; then the message."""
        parts = [f"{self.severity.value:<9}", _compact(self.focus_node)]
        if self.path:
            parts.append(_compact(self.path))
        if self.value:
            parts.append(_compact(self.value))
        origin = _compact(self.shape) + (f"; rule {_compact(self.source_rule)}" if self.source_rule else "")
        return " ".join(parts) + f"  [{origin}]\n    {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate`: ``conforms`` is false iff there is a violation.

    ``report_graph`` is pySHACL's ``sh:ValidationReport`` graph (for serialising it).
    """

    conforms: bool
    results: tuple[ValidationResult, ...]
    report_graph: Graph | None = field(default=None, compare=False, repr=False)

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        """The results of severity ``sh:Violation``."""
        return tuple(r for r in self.results if r.severity is Severity.VIOLATION)

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        """The results of severity ``sh:Warning``."""
        return tuple(r for r in self.results if r.severity is Severity.WARNING)

    def to_text(self, limit: int = 50) -> str:
        """A readable report: a summary line, then at most ``limit`` results, violations first."""
        verdict = "conforms" if self.conforms else "does not conform"
        lines = [
            f"SHACL validation {verdict}: {len(self.violations)} violation(s), "
            f"{len(self.warnings)} warning(s), {len(self.results)} result(s) in all."
        ]
        lines += [r.to_text() for r in self.results[:limit]]
        if len(self.results) > limit:
            lines.append(f"… and {len(self.results) - limit} more result(s).")
        return "\n".join(lines)


def load_shapes(shapes_dir: Path) -> Graph:
    """Parse every ``*.ttl`` file of ``shapes_dir`` into one shapes graph.

    Takes the folder of shape files; returns the merged graph.
    Raises :class:`ConfigError` naming the file (and line) when the folder is missing or
    empty, a file does not parse, or a shape declares ``sh:rule`` (validation never
    writes to the data, so rules are refused).
    """
    if not shapes_dir.is_dir():
        raise ConfigError("shapes folder not found", source=str(shapes_dir))
    files = sorted(shapes_dir.glob("*.ttl"))
    if not files:
        raise ConfigError("no *.ttl shape files", source=str(shapes_dir))
    shapes = Graph()
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except BadSyntax as exc:
            why = getattr(exc, "_why", "bad syntax")
            raise ConfigError(f"Turtle syntax error: {why}", source=str(path), line=exc.lines + 1) from exc
        except Exception as exc:  # rdflib raises plain exceptions for bad IRIs, literals …
            raise ConfigError(f"cannot parse shapes: {exc}", source=str(path)) from exc
        if (None, SH.rule, None) in shapes:
            raise ConfigError("shapes must not contain sh:rule", source=str(path))
    return shapes


def validate(data: Graph, *, shapes_dir: Path, ontology: Graph | None = None) -> ValidationReport:
    """Validate ``data`` against the shapes of ``shapes_dir``.

    Takes the data graph (a ``Dataset`` counts as the union of its graphs), the shapes
    folder and optionally the ontology, which is merged into a copy of the data.
    Returns a :class:`ValidationReport`; warnings and infos do not break conformance.
    Raises :class:`ConfigError` when the shapes do not parse or are not valid SHACL.
    The data graph is never modified.
    """
    shapes = load_shapes(shapes_dir)
    graph = _union(data, ontology)
    try:
        # inplace: load_shapes refuses sh:rule and inference is off, so pySHACL only reads
        # the graph, and copying 20k triples would double the run time.
        _, report_graph, _ = pyshacl.validate(
            graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, inplace=True
        )
    except (ReportableRuntimeError, ShapeLoadError, ConstraintLoadError) as exc:
        raise ConfigError(f"shapes are not valid SHACL: {exc}", source=str(shapes_dir)) from exc
    assert isinstance(report_graph, Graph)
    # Top-level results only: pySHACL also types the sh:detail of sh:node failures as results.
    top = report_graph.objects(report_graph.value(None, RDF.type, SH.ValidationReport), SH.result)
    results = sorted(
        (_result(report_graph, node, graph) for node in top),
        key=lambda r: (list(Severity).index(r.severity), r.shape, r.focus_node, r.path or "", r.value or ""),
    )
    conforms = not any(r.severity is Severity.VIOLATION for r in results)
    return ValidationReport(conforms=conforms, results=tuple(results), report_graph=report_graph)


def ensure_valid(report: ValidationReport, *, limit: int = 50) -> ValidationReport:
    """Return ``report`` if it conforms.

    Raises :class:`ValidationFailed` carrying the report and its text (``limit`` results).
    """
    if not report.conforms:
        raise ValidationFailed(report.to_text(limit=limit), report=report)
    return report


def path_to_string(graph: Graph, path: Node) -> str:
    """Write a SHACL property path of ``graph`` as an IRI, or in SPARQL property path syntax."""
    if isinstance(path, URIRef):
        return str(path)

    def term(node: Node) -> str:
        if isinstance(node, URIRef):
            return f"<{node}>"
        text = path_to_string(graph, node)
        return text if text.startswith("^") else f"({text})"

    if (path, RDF.first, None) in graph:
        return "/".join(term(step) for step in Collection(graph, path))
    if (alternatives := graph.value(path, SH.alternativePath)) is not None:
        return "|".join(term(step) for step in Collection(graph, alternatives))
    if (inverse := graph.value(path, SH.inversePath)) is not None:
        return "^" + term(inverse)
    for predicate, suffix in _PATH_SUFFIX.items():
        if (inner := graph.value(path, predicate)) is not None:
            return term(inner) + suffix
    return _term_id(path)


def _union(data: Graph, ontology: Graph | None) -> Graph:
    """``data`` itself, or a new graph holding every graph of a dataset plus the ontology."""
    if ontology is None and not data.context_aware:
        return data
    union = Graph()
    if data.context_aware:
        for s, p, o, _ in data.quads((None, None, None, None)):  # type: ignore[attr-defined]
            union.add((s, p, o))
    else:
        union += data
    if ontology is not None:
        union += ontology
    return union


def _result(report: Graph, node: Node, data: Graph) -> ValidationResult:
    focus = report.value(node, SH.focusNode)
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
    return ValidationResult(
        focus_node=_term_id(focus),
        path=None if path is None else path_to_string(report, path),
        value=None if value is None else value.n3(),
        severity=Severity.from_iri(report.value(node, SH.resultSeverity)),
        message="; ".join(messages) or "(no message)",
        shape=_term_id(report.value(node, SH.sourceShape)),
        source_rule=_source_rule(data, focus, path, value),
    )


def _source_rule(data: Graph, focus: Node | None, path: Node | None, value: Node | None) -> str | None:
    """The mapping rule behind a result, traced through the evidence model, or None.

    An extraction names its rule; a statement its extractions; a target or selector
    belongs to an extraction; any other node is the rdf:subject of reified statements,
    of which the one matching the result's (path, value), else path, else rdf:type wins.
    """
    if focus is None:
        return None
    node = focus
    for parent in (OA.hasSelector, OA.hasTarget):  # selector -> target -> extraction
        node = next(data.subjects(parent, node), node)
    rules = set(data.objects(node, MKG.rule)) | _rules_of(data, [node])
    if not rules:
        statements = list(data.subjects(RDF.subject, focus))
        same_path = {st for st in statements if path is not None and (st, RDF.predicate, path) in data}
        for chosen in (
            {st for st in same_path if value is not None and (st, RDF.object, value) in data},
            same_path,
            {st for st in statements if (st, RDF.predicate, RDF.type) in data},
            statements,
        ):
            if rules := _rules_of(data, chosen):
                break
    return min(str(rule) for rule in rules) if rules else None


def _rules_of(data: Graph, statements: Iterable[Node]) -> set[Node]:
    """The rules of the extractions that are evidence of ``statements``."""
    evidence = {ev for st in statements for ev in data.objects(st, MKG.evidence)}
    return {rule for ev in evidence for rule in data.objects(ev, MKG.rule)}


def _term_id(node: Node | None) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        return node.n3()
    return "" if node is None else str(node)


def _compact(text: str) -> str:
    """Write IRIs (bare, or in ``<…>`` inside paths and values) as prefixed names or ``<…>``."""
    if not text.startswith(("<", '"', "_:", "(", "^")) and ":" in text:
        return _curie(text)
    return _BRACKETED.sub(lambda m: _curie(m.group(1)), text)


def _curie(iri: str) -> str:
    return prefixed_name(iri, prefixes=_SHORT, local=_LOCAL) or f"<{iri}>"
