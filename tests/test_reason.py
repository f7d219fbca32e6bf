"""The reasoning stage with the real HermiT (Java): consistency, inference, and failures.

Each HermiT run takes about a second (mostly JVM start-up), so the runs that several
tests read are shared through module-scoped fixtures.
"""

from __future__ import annotations

from pathlib import Path

import owlready2
import pytest
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF

from migration_kg.errors import ReasonerError
from migration_kg.ontology import MKG_NAMESPACE, load_ontology
from migration_kg.reason import (
    ReasonerReport,
    check_and_infer,
    check_consistency,
    ensure_consistent,
    infer,
)

ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
BASE = "https://w3id.org/migration-kg/"
MKG = MKG_NAMESPACE
SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TIME = "http://www.w3.org/2006/time#"

PREFIXES = """
@prefix mkg: <https://w3id.org/migration-kg/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/migration-kg/> .
"""

# A small sample in the shape docs/contracts.md fixes, from the 6 April 2017 GFMD Dialogue.
SAMPLE = PREFIXES + r"""
<id/state/BGD> a mkg:State ; rdfs:label "Bangladesh" ; mkg:iso3166Alpha3 "BGD" ; mkg:iso3166Alpha2 "BD" .
<id/person/shameem-ahsan> a mkg:Person ; rdfs:label "Shameem Ahsan" ; skos:hiddenLabel "Shameem Ahasan" .
<id/org/iom> a mkg:IntergovernmentalOrganization ; rdfs:label "International Organization for Migration" ;
    mkg:acronym "IOM" ; owl:sameAs <http://www.wikidata.org/entity/Q206015> .
<id/process/gfmd> a mkg:GlobalProcess ; rdfs:label "Global Forum on Migration and Development" ;
    mkg:acronym "GFMD" .
<id/body/gfmd-2016-chairmanship> a mkg:Chairmanship ; rdfs:label "GFMD 2016 Chairmanship" ;
    mkg:partOf <id/process/gfmd> ; mkg:heldBy <id/state/BGD> ; mkg:year "2016"^^xsd:gYear .
<id/body/gfmd-support-unit> a mkg:SupportUnit ; rdfs:label "GFMD Support Unit" ;
    mkg:partOf <id/process/gfmd> ;
    mkg:administeredBy <id/org/iom> ; mkg:function "logistical support to the Chairs" .
<id/place/geneva> a mkg:Place ; rdfs:label "Geneva" .
<id/place/new-york> a mkg:Place ; rdfs:label "New York" .
<id/event/2016-11-dialogue> a mkg:Dialogue ; rdfs:label "First Dialogue on the GCM" ;
    mkg:date "2016-11"^^xsd:gYearMonth ; mkg:organizedBy <id/state/BGD> ; mkg:location <id/place/new-york> .
<id/event/2017-04-06-dialogue> a mkg:Dialogue ; rdfs:label "Second GFMD Dialogue on the Global Compact" ;
    mkg:date "2017-04-06"^^xsd:date ; mkg:startDate "2017-04-06"^^xsd:date ;
    mkg:endDate "2017-04-06"^^xsd:date ;
    mkg:dateText "6 April 2017" ; mkg:location <id/place/geneva> ; mkg:convenedBy <id/process/gfmd> ;
    mkg:speaker <id/person/shameem-ahsan> ; mkg:precededBy <id/event/2016-11-dialogue> ; mkg:ordinal 2 ;
    mkg:tentative false ; mkg:discussed <vocab/gcm-cluster/1> .
<vocab/gcm-cluster/1> a skos:Concept , mkg:ThematicCluster ; skos:prefLabel "Human rights of all migrants" ;
    skos:notation "1" ; skos:inScheme <vocab/gcm-cluster> .
<vocab/gcm-cluster> a skos:ConceptScheme ; skos:prefLabel "GCM thematic clusters" .
<id/membership/bgd-chair-2016> a mkg:Membership ; org:member <id/state/BGD> ;
    org:organization <id/process/gfmd> ;
    org:role mkg:ChairRole ; mkg:startYear "2016"^^xsd:gYear ; mkg:endYear "2016"^^xsd:gYear .
<id/post/ahsan> a mkg:PostHolding ; org:member <id/person/shameem-ahsan> ;
    mkg:postLabel "Permanent Representative of Bangladesh to the UNOG" ; mkg:asOf "2017-04-06"^^xsd:date ;
    mkg:postIn <id/state/BGD> ; org:role mkg:PermanentRepresentativeRole .
<id/contribution/ahsan-2017-04-06> a mkg:Contribution ; mkg:contributor <id/person/shameem-ahsan> ;
    mkg:atEvent <id/event/2017-04-06-dialogue> ; mkg:contributionType mkg:Statement ;
    mkg:onBehalfOf <id/body/gfmd-2016-chairmanship> .
<id/quantity/imrf-pledges-2023-01> a mkg:Quantity ; mkg:value 233 ; mkg:unit "pledges" ;
    mkg:quantityOf <id/process/gfmd> ; mkg:asOf "2023-01"^^xsd:gYearMonth ;
    mkg:asOfText "As of January 2023" .
<id/quantity/member-states-2019> a mkg:Quantity ; mkg:value "70"^^xsd:decimal ; mkg:unit "Member States" ;
    mkg:quantityOf <id/event/2017-04-06-dialogue> ; mkg:approximate true .
<id/proposal/observer-status> a mkg:Proposal ;
    mkg:text "explore observer status for the GFMD in the Network" ;
    mkg:modality mkg:Proposed ; mkg:proposedAt <id/event/2017-04-06-dialogue> ;
    mkg:citesTarget <http://metadata.un.org/sdg/10.7> .
<doc/2017-04-06-gfmd-dialogue-on-the-gcm> a mkg:SummaryReport ; dct:title "GFMD Dialogue on the GCM" ;
    dct:date "2017-04-06"^^xsd:date ; dct:publisher "GFMD" ; mkg:documentType mkg:SummaryReportType ;
    mkg:mentions <id/state/BGD> .
<rule/chair-year-state> a mkg:MappingRule ; dct:identifier "chair-year-state" ;
    rdfs:label "chair, year, state" ;
    mkg:ruleKind "regex" ; mkg:pattern "GFMD (\\d{4}) Chair (\\w+)" .
<id/build/test> a mkg:Build ; prov:startedAtTime "2026-01-01T00:00:00Z"^^xsd:dateTime .
<evidence/2017-04-06-gfmd-dialogue-on-the-gcm/cd34> a mkg:Extraction ;
    oa:hasTarget [ a oa:SpecificResource ;
        oa:hasSource <doc/2017-04-06-gfmd-dialogue-on-the-gcm> ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "GFMD 2016 Chair Bangladesh" ] ,
                       [ a oa:TextPositionSelector ; oa:start 1234 ; oa:end 1260 ] ] ;
    mkg:quote "GFMD 2016 Chair Bangladesh" ; mkg:startOffset 1234 ; mkg:endOffset 1260 ;
    mkg:sentence "… organized by the GFMD 2016 Chair Bangladesh,\nin “New York” …" ;
    mkg:document <doc/2017-04-06-gfmd-dialogue-on-the-gcm> ; mkg:rule <rule/chair-year-state> ;
    mkg:modality mkg:Stated ; prov:wasGeneratedBy <id/build/test> .
<statement/ab12> a rdf:Statement ; rdf:subject <id/membership/bgd-chair-2016> ; rdf:predicate org:member ;
    rdf:object <id/state/BGD> ; mkg:evidence <evidence/2017-04-06-gfmd-dialogue-on-the-gcm/cd34> .
"""


def _graph(*turtle: str) -> Graph:
    graph = Graph()
    for text in turtle:
        graph.parse(data=text, format="turtle")
    return graph


def _id(path: str) -> URIRef:
    return URIRef(BASE + path)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology(ONTOLOGY_DIR)


@pytest.fixture(scope="module")
def sample() -> Graph:
    return _graph(SAMPLE)


@pytest.fixture(scope="module")
def inferred(sample: Graph, ontology: Graph) -> Graph:
    return infer(sample, ontology=ontology)


def test_the_ontology_alone_is_consistent(ontology: Graph) -> None:
    report = check_consistency(Graph(), ontology=ontology)
    assert isinstance(report, ReasonerReport)
    assert report.consistent and report.ok
    assert report.unsatisfiable_classes == ()
    assert report.explanation == ""
    assert report.triples_in == len(ontology)
    assert 0 < report.seconds < 60


def test_the_sample_is_consistent(sample: Graph, ontology: Graph) -> None:
    report = ensure_consistent(sample, ontology=ontology)
    assert report.ok
    reification = len(list(sample.triples((None, RDF.subject, None)))) * 3 + 1
    assert report.triples_in == len(sample) + len(ontology) - reification


def test_the_default_ontology_is_used_when_none_is_given(sample: Graph, ontology: Graph) -> None:
    assert check_consistency(sample).triples_in == check_consistency(sample, ontology=ontology).triples_in


def test_a_dataset_is_reasoned_over_as_the_union_of_its_graphs(sample: Graph, ontology: Graph) -> None:
    dataset = Dataset()
    dataset.graph(URIRef(BASE + "graph/doc/x")).__iadd__(sample)
    dataset.graph(URIRef(BASE + "graph/ontology")).__iadd__(ontology)
    report = check_consistency(dataset)
    assert report.ok
    assert report.triples_in == check_consistency(sample, ontology=ontology).triples_in


def test_infer_types_individuals_with_their_superclasses(inferred: Graph) -> None:
    dialogue = _id("id/event/2017-04-06-dialogue")
    assert (dialogue, RDF.type, URIRef(MKG + "Event")) in inferred
    assert (dialogue, RDF.type, URIRef(SCHEMA + "Event")) in inferred
    state = _id("id/state/BGD")
    assert (state, RDF.type, URIRef(MKG + "Actor")) in inferred
    assert (state, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Agent")) in inferred
    assert (state, RDF.type, URIRef(MKG + "Organization")) not in inferred
    assert (_id("id/membership/bgd-chair-2016"), RDF.type, URIRef(ORG + "Membership")) in inferred
    assert (_id("id/process/gfmd"), RDF.type, URIRef(MKG + "GovernanceProcess")) in inferred
    assert (_id("id/proposal/observer-status"), RDF.type, URIRef(MKG + "Proposition")) in inferred
    assert (_id("evidence/2017-04-06-gfmd-dialogue-on-the-gcm/cd34"), RDF.type,
            URIRef("http://www.w3.org/ns/oa#Annotation")) in inferred
    assert (URIRef(MKG + "ChairRole"), RDF.type, URIRef(SKOS + "Concept")) in inferred
    # a range: the SDG target cited is a skos:Concept
    assert (URIRef("http://metadata.un.org/sdg/10.7"), RDF.type,
            URIRef(SKOS + "Concept")) in inferred


def test_infer_adds_super_property_triples(inferred: Graph) -> None:
    dialogue, ahsan = _id("id/event/2017-04-06-dialogue"), _id("id/person/shameem-ahsan")
    assert (dialogue, URIRef(MKG + "participant"), ahsan) in inferred
    assert (dialogue, URIRef(SCHEMA + "attendee"), ahsan) in inferred
    assert (dialogue, URIRef(SCHEMA + "location"), _id("id/place/geneva")) in inferred
    assert (dialogue, URIRef(TIME + "after"), _id("id/event/2016-11-dialogue")) in inferred
    assert (dialogue, URIRef(SCHEMA + "startDate"), None) in inferred


def test_infer_returns_only_new_triples(inferred: Graph, sample: Graph, ontology: Graph) -> None:
    assert not set(inferred) & (set(sample) | set(ontology))
    assert not any(isinstance(term, BNode) for triple in inferred for term in triple)
    assert not any(p.startswith(str(OWL)) or o == OWL.Thing for _, p, o in inferred)
    # owl:sameAs targets are not typed: a Wikidata IRI must not count as a second organization
    assert not list(inferred.triples((URIRef("http://www.wikidata.org/entity/Q206015"), None, None)))


def test_check_and_infer_gives_both_from_one_run(sample: Graph, ontology: Graph, inferred: Graph) -> None:
    report, triples = check_and_infer(sample, ontology=ontology)
    assert report.ok
    assert set(triples) == set(inferred)
    bad_report, nothing = check_and_infer(_graph(SAMPLE, DISJOINT), ontology=ontology)
    assert not bad_report.consistent and len(nothing) == 0


DISJOINT = PREFIXES + """
<id/x> a mkg:Person , mkg:Organization ; rdfs:label "both" .
"""


def test_an_individual_in_two_disjoint_classes_is_inconsistent(sample: Graph, ontology: Graph) -> None:
    report = check_consistency(_graph(SAMPLE, DISJOINT), ontology=ontology)
    assert not report.consistent and not report.ok
    assert f"<{BASE}id/x>" in report.explanation and "disjoint" in report.explanation
    with pytest.raises(ReasonerError, match="id/x") as caught:
        ensure_consistent(_graph(SAMPLE, DISJOINT), ontology=ontology)
    assert "disjoint" in str(caught.value)


def test_a_state_typed_as_an_organization_is_inconsistent(ontology: Graph) -> None:
    turtle = PREFIXES + "<id/state/ECU> a mkg:State , mkg:UNEntity ."
    assert not check_consistency(_graph(turtle), ontology=ontology).consistent


def test_a_range_clash_is_inconsistent_and_explained(ontology: Graph) -> None:
    turtle = PREFIXES + """
    <evidence/d/1> a mkg:Extraction ; mkg:quote "GFMD"@en .
    <id/proposal/p> a mkg:Proposal ; mkg:modality mkg:ChairRole .
    """
    report = check_consistency(_graph(turtle), ontology=ontology)
    assert not report.consistent
    assert "mkg:quote" not in report.explanation  # IRIs are written in full
    assert f"<{MKG}quote>" in report.explanation and '"GFMD"@en' in report.explanation
    assert f"<{MKG}ChairRole>" in report.explanation


def test_an_ill_typed_literal_is_reported_without_running_hermit(ontology: Graph) -> None:
    turtle = PREFIXES + '<evidence/d/1> a mkg:Extraction ; mkg:startOffset "twelve"^^xsd:integer .'
    report = check_consistency(_graph(turtle), ontology=ontology)
    assert not report.consistent
    assert "ill-typed literal" in report.explanation and "twelve" in report.explanation
    with pytest.raises(ReasonerError, match="ill-typed"):
        infer(_graph(turtle), ontology=ontology)


def test_infer_refuses_inconsistent_data(ontology: Graph) -> None:
    with pytest.raises(ReasonerError, match="inconsistent"):
        infer(_graph(DISJOINT), ontology=ontology)


def test_dates_outside_the_owl2_datatype_map_are_not_checked(ontology: Graph) -> None:
    # Documented limitation: HermiT ignores xsd:date/gYear/gYearMonth, so a gYear where the
    # range says xsd:date passes here; the SHACL shapes catch it.
    turtle = PREFIXES + '<id/event/e> a mkg:Meeting ; mkg:startDate "2017"^^xsd:gYear .'
    assert check_consistency(_graph(turtle), ontology=ontology).consistent


def test_missing_java_is_a_clear_reasoner_error(monkeypatch: pytest.MonkeyPatch, ontology: Graph) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", "/nonexistent/bin/java")
    with pytest.raises(ReasonerError, match="Java"):
        check_consistency(Graph(), ontology=ontology)


def test_a_jvm_that_cannot_start_is_a_reasoner_error(ontology: Graph) -> None:
    with pytest.raises(ReasonerError, match="HermiT could not run"):
        check_consistency(Graph(), ontology=ontology, java_memory_mb=1)
