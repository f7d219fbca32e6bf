"""The ontology: it parses, every term is documented, _terms.py is in sync, and it is OWL 2 DL."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import owlready2
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from migration_kg._terms import MKG_TERMS
from migration_kg.errors import OntologyError
from migration_kg.ontology import (
    MKG_NAMESPACE,
    ONTOLOGY_IRI,
    TERMS_MODULE,
    TermKind,
    declared_terms,
    load_ontology,
    main,
    ontology_files,
    render_terms_module,
    term_kinds,
    undeclared_iris,
)

ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
MKG = MKG_NAMESPACE
XSD = "http://www.w3.org/2001/XMLSchema#"  # not rdflib's XSD: pytest's collector makes it warn

# OWL API (bundled in owlready2's HermiT.jar) checks the OWL 2 DL profile. Run with Java's
# single-file source launcher (Java 11+), so no build step is needed.
PROFILE_CHECK_JAVA = """
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class ProfileCheck {
  public static void main(String[] args) throws Exception {
    OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
    OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
    OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
    for (OWLProfileViolation v : report.getViolations()) System.out.println("VIOLATION " + v);
    System.out.println(report.isInProfile() ? "IN-PROFILE" : "NOT-IN-PROFILE");
  }
}
"""


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(ONTOLOGY_DIR)


def _iri(name: str) -> URIRef:
    return URIRef(MKG + name)


def test_one_edit_file_per_module() -> None:
    names = {path.name for path in ontology_files(ONTOLOGY_DIR)}
    assert {"core.ttl", "actors.ttl", "processes.ttl", "events.ttl", "roles.ttl", "documents.ttl",
            "statements.ttl", "alignments.ttl"} <= names


def test_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    for prop in (OWL.versionInfo, OWL.versionIRI, DCTERMS.title, DCTERMS.description, DCTERMS.license,
                 DCTERMS.creator):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, prop
    assert not list(ontology.objects(None, OWL.imports)), "imports must resolve offline: use none"
    assert len(list(ontology.subjects(RDF.type, OWL.Ontology))) == 1


def test_every_term_has_one_label_a_real_definition_and_is_defined_by(ontology: Graph) -> None:
    problems = []
    for name in sorted(declared_terms(ontology)):
        iri = _iri(name)
        labels = list(ontology.objects(iri, RDFS.label))
        definitions = [str(d) for d in ontology.objects(iri, SKOS.definition)]
        if len(labels) != 1:
            problems.append(f"{name}: {len(labels)} rdfs:label")
        if len(definitions) != 1:
            problems.append(f"{name}: {len(definitions)} skos:definition")
        elif labels and (len(definitions[0].split()) < 6 or str(labels[0]).lower() in
                         (definitions[0].lower(), definitions[0].lower().rstrip("."))):
            problems.append(f"{name}: definition {definitions[0]!r} is not a real definition")
        if (iri, RDFS.isDefinedBy, ONTOLOGY_IRI) not in ontology:
            problems.append(f"{name}: no rdfs:isDefinedBy the ontology")
    assert not problems, "\n".join(problems)


def test_every_term_of_the_terms_module_is_declared(ontology: Graph) -> None:
    assert set(MKG_TERMS) - declared_terms(ontology) == set()


def test_terms_module_is_in_sync_with_the_ontology() -> None:
    assert TERMS_MODULE.read_text(encoding="utf-8") == render_terms_module(ONTOLOGY_DIR), (
        "run: python -m migration_kg.ontology --write-terms")
    assert main(["--check", "--ontology-dir", str(ONTOLOGY_DIR)]) == 0


def test_every_used_iri_is_declared(ontology: Graph) -> None:
    assert undeclared_iris(ontology) == set()


def test_no_iri_is_declared_as_two_kinds_of_property(ontology: Graph) -> None:
    kinds = [OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty]
    for iri in set(ontology.subjects(RDF.type, None)):
        declared = [kind for kind in kinds if (iri, RDF.type, kind) in ontology]
        assert len(declared) <= 1, f"{iri} is declared as {declared}"


def test_named_individuals_belong_to_their_enumeration(ontology: Graph) -> None:
    kinds = term_kinds(ontology)
    expected = {
        "RoleType": ["ChairRole", "CoChairRole", "ChampionRole", "ObserverRole", "CoLeadRole", "MemberRole"],
        "Modality": ["Stated", "Proposed", "Expected", "Disputed"],
        "ContributionType": ["OpeningStatement", "ClosingRemarks", "Statement", "TookTheFloor"],
        "DocumentType": ["SummaryReportType", "ConceptPaperType", "ReportChapterType"],
    }
    for cls, names in expected.items():
        assert (_iri(cls), RDFS.subClassOf, SKOS.Concept) in ontology or cls == "RoleType"
        for name in names:
            assert kinds[name] is TermKind.INDIVIDUAL
            assert (_iri(name), RDF.type, _iri(cls)) in ontology
            assert (_iri(name), RDF.type, OWL.NamedIndividual) in ontology


def test_datatype_ranges_follow_the_contracts(ontology: Graph) -> None:
    ranges = {"startOffset": "integer", "endOffset": "integer", "value": "decimal", "startYear": "gYear",
              "endYear": "gYear", "startDate": "date", "quote": "string"}
    for name, datatype in ranges.items():
        assert ontology.value(_iri(name), RDFS.range) == URIRef(XSD + datatype), name
    # mkg:date and mkg:asOf take xsd:date, xsd:gYearMonth or xsd:gYear: no single range.
    assert ontology.value(_iri("date"), RDFS.range) is None
    assert ontology.value(_iri("asOf"), RDFS.range) is None
    assert term_kinds(ontology)["unit"] is TermKind.DATATYPE_PROPERTY  # a string, per contracts.md


def test_evidence_properties_are_not_functional(ontology: Graph) -> None:
    functional = set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
    for name in ("quote", "sentence", "startOffset", "endOffset", "evidence", "document", "modality"):
        assert _iri(name) not in functional


def test_state_is_an_actor_but_not_an_organization(ontology: Graph) -> None:
    supers = set(ontology.transitive_objects(_iri("State"), RDFS.subClassOf))
    assert _iri("Actor") in supers and _iri("Organization") not in supers


def test_alignments(ontology: Graph) -> None:
    assert (_iri("Event"), RDFS.subClassOf, URIRef("https://schema.org/Event")) in ontology
    assert (_iri("Membership"), RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Membership")) in ontology
    assert (_iri("Extraction"), RDFS.subClassOf, URIRef("http://www.w3.org/ns/oa#Annotation")) in ontology
    assert (_iri("Extraction"), RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in ontology
    assert (_iri("Modality"), RDFS.subClassOf, SKOS.Concept) in ontology


@pytest.mark.skipif(shutil.which("java") is None, reason="the OWL API profile check needs Java 11+")
def test_owl_api_says_the_ontology_is_owl2_dl(ontology: Graph, tmp_path: Path) -> None:
    def in_dl_profile(graph: Graph) -> tuple[bool, str]:
        source = tmp_path / "ProfileCheck.java"
        source.write_text(PROFILE_CHECK_JAVA, encoding="utf-8")
        data = tmp_path / "ontology.ttl"
        graph.serialize(data, format="turtle")
        jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
        run = subprocess.run(["java", "-cp", str(jar), str(source), str(data)], capture_output=True,
                             text=True, timeout=120, check=False)
        assert run.returncode == 0, run.stderr
        return "IN-PROFILE" in run.stdout.splitlines(), run.stdout

    ok, output = in_dl_profile(ontology)
    assert ok, output
    punned = Graph() + ontology
    punned.add((_iri("quote"), RDF.type, OWL.ObjectProperty))  # control: the check has teeth
    assert not in_dl_profile(punned)[0]


def test_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = "@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:d ex:e\n ex:f ex:g .\n"
    (tmp_path / "core.ttl").write_text(bad, encoding="utf-8")
    with pytest.raises(OntologyError) as caught:
        load_ontology(tmp_path)
    assert caught.value.source == str(tmp_path / "core.ttl")
    assert caught.value.line == 4
    assert "core.ttl:4:" in str(caught.value)


def test_an_undeclared_term_is_rejected_with_its_file(tmp_path: Path) -> None:
    for path in ONTOLOGY_DIR.glob("*.ttl"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "zz-extra.ttl").write_text(
        f"<{MKG}Dialogue> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{MKG}Undeclared> .\n")
    with pytest.raises(OntologyError, match="Undeclared.*not declared") as caught:
        load_ontology(tmp_path)
    assert caught.value.source == str(tmp_path / "zz-extra.ttl")


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match="no ontology files"):
        load_ontology(tmp_path)


def test_annotation_values_may_be_any_iri() -> None:
    graph = Graph()
    graph.add((ONTOLOGY_IRI, RDF.type, OWL.Ontology))
    graph.add((ONTOLOGY_IRI, RDFS.seeAlso, URIRef("http://example.org/anything")))
    graph.add((ONTOLOGY_IRI, RDFS.label, Literal("x")))
    assert undeclared_iris(graph) == set()
