"""Tests of the SHACL shapes (shapes/*.ttl) and of the validate stage.

Shape tests follow the W3C data-shapes test suite: each folder of tests/shapes/ is one
case holding ``data.ttl`` and ``expected.ttl``, an ``sht:Validate`` entry whose
``mf:result`` is the expected ``sh:ValidationReport`` (conformance, and per result the
focus node, result path, source shape and severity). Folders are named
``<shape file stem>-<what>``. ``MKG_REGENERATE_GOLDEN=1 pytest tests/test_shapes.py``
rewrites every expected.ttl from the current output; review the change with git diff.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from migration_kg._terms import MKG_TERMS
from migration_kg.errors import ConfigError, ValidationFailed
from migration_kg.namespaces import MKG, PREFIXES
from migration_kg.validate import (
    MKGSH,
    SH,
    Severity,
    ValidationReport,
    ensure_valid,
    load_shapes,
    path_to_string,
    validate,
)

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
CASES_DIR = Path(__file__).resolve().parent / "shapes"
CASES = sorted(p for p in CASES_DIR.iterdir() if (p / "data.ttl").is_file())
REGENERATE = os.environ.get("MKG_REGENERATE_GOLDEN") == "1"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
BASE = "https://w3id.org/migration-kg/"

#: (focus node, result path, source shape, severity); blank focus nodes compare as "_:".
Key = tuple[str, str | None, str, str]

#: Shape files whose shapes have no targets (only reached through sh:or/sh:node/sh:not).
TARGETLESS_FILES = {"common"}
#: Namespaces a shape may name besides mkg: and mkgsh:.
STANDARD = tuple(ns for prefix, ns in PREFIXES.items() if prefix not in {"mkg", "wd", "sdg"})


# ------------------------------------------------------------------ helpers


def _keys_of_report(report: ValidationReport) -> Counter[Key]:
    return Counter(
        ("_:" if r.focus_node.startswith("_:") else r.focus_node, r.path, r.shape, r.severity.value)
        for r in report.results
    )


def _expected(case: Path) -> tuple[bool, Counter[Key]]:
    graph = Graph().parse(case / "expected.ttl", format="turtle")
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    conforms = graph.value(report, SH.conforms)
    assert isinstance(conforms, Literal), f"{case.name}: expected.ttl has no sh:conforms"
    keys: Counter[Key] = Counter()
    for result in graph.objects(report, SH.result):
        focus = graph.value(result, SH.focusNode)
        path = graph.value(result, SH.resultPath)
        keys[(
            "_:" if isinstance(focus, BNode) else str(focus),
            None if path is None else path_to_string(graph, path),
            str(graph.value(result, SH.sourceShape)),
            Severity.from_iri(graph.value(result, SH.resultSeverity)).value,
        )] += 1
    return bool(conforms.toPython()), keys


class _TurtleWriter:
    """Writes terms of a report in Turtle, with the prefixes of the case's data.ttl."""

    LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
        self.used: dict[str, str] = {}

    def term(self, node: Node | None) -> str:
        if isinstance(node, BNode):
            return "[]"
        if not isinstance(node, URIRef):
            return "" if node is None else node.n3()
        for prefix, namespace in self.prefixes:
            local = str(node)[len(namespace):]
            if str(node).startswith(namespace) and self.LOCAL.match(local):
                self.used[prefix] = namespace
                return f"{prefix}:{local}"
        return f"<{node}>"

    def path(self, graph: Graph, node: Node) -> str:
        """A SHACL property path in Turtle (lists inline, so the file has no bnode labels)."""
        if not isinstance(node, BNode):
            return self.term(node)
        if (node, RDF.first, None) in graph:
            return "( " + " ".join(self.path(graph, step) for step in Collection(graph, node)) + " )"
        predicate, inner = next(iter(graph.predicate_objects(node)))
        return f"[ {self.term(predicate)} {self.path(graph, inner)} ]"


def _write_expected(case: Path, report: ValidationReport) -> None:
    """Write the W3C-style manifest entry holding ``report`` as the expected result.

    The output is sorted and free of blank-node labels, so regenerating an unchanged
    report leaves the file unchanged.
    """
    assert report.report_graph is not None
    actual = report.report_graph
    data_prefixes = dict(Graph().parse(case / "data.ttl", format="turtle").namespaces())
    writer = _TurtleWriter({**PREFIXES, **{p: str(ns) for p, ns in data_prefixes.items()},
                            "sh": str(SH), "mkgsh": str(MKGSH), "mf": str(MF), "sht": str(SHT)})
    rows = sorted(
        (writer.term(actual.value(node, SH.focusNode)),
         "" if (path := actual.value(node, SH.resultPath)) is None else writer.path(actual, path),
         writer.term(actual.value(node, SH.sourceShape)),
         writer.term(actual.value(node, SH.resultSeverity)))
        for node in actual.objects(actual.value(None, RDF.type, SH.ValidationReport), SH.result)
    )
    body = [
        "<> a sht:Validate ;",
        f'    {writer.term(RDFS.label)} "{case.name}" ;',
        "    mf:action [ sht:dataGraph <data.ttl> ; sht:shapesGraph <../../../shapes/> ] ;",
        "    mf:status sht:approved ;",
        "    mf:result [",
        "        a sh:ValidationReport ;",
        f"        sh:conforms {str(report.conforms).lower()}" + (" ;" if rows else ""),
    ]
    for i, (focus, path, shape, severity) in enumerate(rows):
        fields = [f"sh:focusNode {focus}", *([f"sh:resultPath {path}"] if path else []),
                  f"sh:sourceShape {shape}", f"sh:resultSeverity {severity}"]
        end = " ;" if i < len(rows) - 1 else ""
        body.append(f"        sh:result [ a sh:ValidationResult ; {' ; '.join(fields)} ]{end}")
    body.append("    ] .")
    for prefix in ("mf", "sht", "sh"):
        writer.used[prefix] = dict(writer.prefixes)[prefix]
    head = [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in sorted(writer.used.items())]
    (case / "expected.ttl").write_text("\n".join([*head, "", *body]) + "\n", encoding="utf-8")


def _shape_nodes(shapes: Graph) -> set[Node]:
    """Every node that acts as a shape: declared, targeted, pathed or referenced."""
    nodes: set[Node] = set(shapes.subjects(RDF.type, SH.NodeShape))
    nodes |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    nodes |= set(shapes.subjects(SH.path, None))
    for predicate in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        nodes |= set(shapes.subjects(predicate, None))
    for predicate in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        nodes |= set(shapes.objects(None, predicate))
    for predicate in (SH["or"], SH["and"], SH.xone):
        for head in shapes.objects(None, predicate):
            nodes |= set(Collection(shapes, head))
    return nodes


# ------------------------------------------------------------------ the shape test cases


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_shape_case(case: Path) -> None:
    data = Graph().parse(case / "data.ttl", format="turtle")
    size = len(data)
    report = validate(data, shapes_dir=SHAPES_DIR)
    assert len(data) == size, "validate() changed the data graph"
    if REGENERATE:
        _write_expected(case, report)
    conforms, expected = _expected(case)
    actual = _keys_of_report(report)
    assert report.conforms == conforms, report.to_text()
    missing, unexpected = expected - actual, actual - expected
    assert not missing and not unexpected, (
        f"missing: {sorted(missing.elements(), key=str)}\n"
        f"unexpected: {sorted(unexpected.elements(), key=str)}"
    )


def test_every_shape_file_has_a_conforming_and_a_violating_case() -> None:
    shapes = {path.stem: Graph().parse(path, format="turtle") for path in SHAPES_DIR.glob("*.ttl")}
    for stem, graph in shapes.items():
        if stem in TARGETLESS_FILES:
            continue
        cases = [c for c in CASES if c.name.startswith(stem + "-")]
        verdicts = {c.name: _expected(c) for c in cases}
        assert any(conforms for conforms, _ in verdicts.values()), f"{stem}.ttl has no conforming case"
        own = {str(s) for s in _shape_nodes(graph)}
        violating = [name for name, (conforms, keys) in verdicts.items()
                     if not conforms and any(k[2] in own and k[3] == "Violation" for k in keys)]
        assert violating, f"{stem}.ttl has no case with a violation of its own shapes"


def test_every_constraining_shape_is_exercised_by_some_case() -> None:
    shapes = load_shapes(SHAPES_DIR)
    referenced_only = set()
    for predicate in (SH["or"], SH["and"], SH.xone):
        for head in shapes.objects(None, predicate):
            referenced_only |= set(Collection(shapes, head))
    referenced_only |= set(shapes.objects(None, SH["not"])) | set(shapes.objects(None, SH.node))
    referenced_only |= set(shapes.objects(None, SH.qualifiedValueShape))
    seen = {key[2] for case in CASES for key in _expected(case)[1]}
    unexercised = {str(s) for s in _shape_nodes(shapes) - referenced_only} - seen
    # A node shape whose constraints all sit in its property shapes never reports itself.
    unexercised -= {str(s) for s in shapes.subjects(RDF.type, SH.NodeShape)
                    if not set(shapes.predicates(s)) - _NODE_SHAPE_WRAPPING}
    assert not unexercised, f"no test case reports these shapes: {sorted(unexercised)}"


_NODE_SHAPE_WRAPPING = {
    RDF.type, RDFS.seeAlso, SH.name, SH.description, SH.message, SH.severity, SH.property,
    SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target,
}


# ------------------------------------------------------------------ the shapes themselves


def test_every_shape_is_named_and_documented() -> None:
    shapes = load_shapes(SHAPES_DIR)
    problems = []
    for shape in sorted(_shape_nodes(shapes), key=str):
        if not isinstance(shape, URIRef) or not str(shape).startswith(str(MKGSH)):
            problems.append(f"{shape!r}: a shape must be a named mkgsh: IRI")
            continue
        kind = SH.PropertyShape if (shape, SH.path, None) in shapes else SH.NodeShape
        if (shape, RDF.type, kind) not in shapes:
            problems.append(f"{shape}: not typed {kind}")
        for predicate in (SH.name, SH.description, SH.message, SH.severity, RDFS.seeAlso):
            if shapes.value(shape, predicate) is None:
                problems.append(f"{shape}: no {predicate}")
        if shapes.value(shape, SH.severity) not in (SH.Violation, SH.Warning, SH.Info):
            problems.append(f"{shape}: unknown severity")
    assert not problems, "\n".join(problems)


def test_shapes_name_only_ontology_terms_and_standard_classes() -> None:
    shapes = load_shapes(SHAPES_DIR)
    unknown = sorted({str(t) for triple in shapes for t in triple
                      if isinstance(t, URIRef) and str(t).startswith(str(MKG)) and
                      str(t)[len(str(MKG)):] not in MKG_TERMS})
    assert not unknown, f"mkg: terms not in _terms.py: {unknown}"
    for predicate in (SH.targetClass, SH["class"]):
        for cls in shapes.objects(None, predicate):
            assert str(cls).startswith((str(MKG), *STANDARD)), f"{cls} is not an mkg: or standard class"


def test_malformed_shapes_file_raises_config_error_naming_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(SHAPES_DIR, tmp_path / "shapes")
    bad = tmp_path / "shapes" / "broken.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n\n<urn:x> sh:path <urn:p> ;\n"
                   "  sh:minCount .\n")
    with pytest.raises(ConfigError) as caught:
        validate(Graph(), shapes_dir=tmp_path / "shapes")
    assert caught.value.source == str(bad)
    assert caught.value.line == 4
    assert "broken.ttl:4:" in str(caught.value)


def test_missing_or_empty_shapes_folder_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_shapes(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="no \\*.ttl"):
        load_shapes(tmp_path)


# ------------------------------------------------------------------ the validate stage


QUANTITY = f"""
@prefix mkg: <{MKG}> . @prefix rdf: <{RDF}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{BASE}id/quantity/pledges> a mkg:Quantity ; mkg:value "forty" ; mkg:quantityOf <{BASE}id/thing/pledge> .
<{BASE}statement/1> a rdf:Statement ; rdf:subject <{BASE}id/quantity/pledges> ;
    rdf:predicate rdf:type ; rdf:object mkg:Quantity ; mkg:evidence <{BASE}evidence/d/1> .
<{BASE}statement/2> a rdf:Statement ; rdf:subject <{BASE}id/quantity/pledges> ;
    rdf:predicate mkg:value ; rdf:object "forty" ; mkg:evidence <{BASE}evidence/d/2> .
<{BASE}evidence/d/1> mkg:rule <{BASE}rule/quantity-of-pledges> .
<{BASE}evidence/d/2> mkg:rule <{BASE}rule/number-words> .
"""


def test_source_rule_names_the_rule_behind_a_bad_quantity() -> None:
    report = validate(Graph().parse(data=QUANTITY, format="turtle"), shapes_dir=SHAPES_DIR)
    by_shape = {r.shape: r for r in report.results if r.focus_node == f"{BASE}id/quantity/pledges"}
    # The bad value came from the statement about mkg:value ...
    assert by_shape[str(MKGSH["Quantity-value"])].source_rule == f"{BASE}rule/number-words"
    # ... the missing unit is blamed on the rule that made the quantity (its rdf:type).
    assert by_shape[str(MKGSH["Quantity-unit"])].source_rule == f"{BASE}rule/quantity-of-pledges"
    assert "rule <https://w3id.org/migration-kg/rule/number-words>" in report.to_text()


def test_source_rule_of_an_extraction_and_of_its_blank_selector() -> None:
    data = Graph().parse(CASES_DIR / "evidence-target-invalid" / "data.ttl", format="turtle")
    report = validate(data, shapes_dir=SHAPES_DIR)
    assert report.results and all(r.source_rule for r in report.results), report.to_text()


def test_report_is_typed_and_raising_is_the_callers_choice() -> None:
    report = validate(Graph().parse(data=QUANTITY, format="turtle"), shapes_dir=SHAPES_DIR)
    assert not report.conforms
    assert report.violations and all(r.severity is Severity.VIOLATION for r in report.violations)
    assert report.to_text(limit=1).endswith("more result(s).")
    with pytest.raises(ValidationFailed) as caught:
        ensure_valid(report)
    assert caught.value.report is report
    assert "mkgsh:Quantity-unit" in str(caught.value)
    ok = validate(Graph(), shapes_dir=SHAPES_DIR)
    assert ensure_valid(ok) is ok and ok.conforms and ok.results == ()


def test_warnings_do_not_break_conformance() -> None:
    data = Graph().parse(CASES_DIR / "quantities-valid" / "data.ttl", format="turtle")
    data.set((URIRef(f"{BASE}id/quantity/pledges-2018"), MKG.value, Literal("-40.0", datatype=XSD_DECIMAL)))
    report = validate(data, shapes_dir=SHAPES_DIR)
    assert report.conforms
    assert [r.shape for r in report.warnings] == [str(MKGSH["Quantity-value-nonNegative"])]


XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")


def test_ontology_is_merged_and_the_data_left_alone() -> None:
    data = Graph().parse(CASES_DIR / "roles-valid" / "data.ttl", format="turtle")
    ontology = Graph()
    for role in data.subjects(RDF.type, MKG.RoleType):
        ontology.add((role, RDF.type, MKG.RoleType))
    for role in list(ontology.subjects()):
        data.remove((role, RDF.type, MKG.RoleType))
    before = len(data)
    without = validate(data, shapes_dir=SHAPES_DIR)
    expected = {str(MKGSH["Membership-role"]), str(MKGSH["PostHolding-role"])}
    assert {r.shape for r in without.violations} == expected
    assert validate(data, shapes_dir=SHAPES_DIR, ontology=ontology).conforms
    assert len(data) == before


def test_a_dataset_is_validated_as_the_union_of_its_graphs() -> None:
    source = Graph().parse(CASES_DIR / "evidence-valid" / "data.ttl", format="turtle")
    dataset = Dataset()
    catalogue = dataset.graph(URIRef(f"{BASE}graph/catalogue"))
    document = dataset.graph(URIRef(f"{BASE}graph/doc/2017-04-06-gfmd-dialogue-on-the-gcm"))
    for triple in source:
        (catalogue if str(triple[0]).startswith(f"{BASE}doc/") else document).add(triple)
    assert validate(dataset, shapes_dir=SHAPES_DIR).conforms
