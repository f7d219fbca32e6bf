"""The reference vocabularies built from reference/reference-facts.yaml (real data) and from the
small status-rule fixtures in tests/vocab/."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from migration_kg import _vocab_gfmd, _vocab_status, vocab
from migration_kg import namespaces as ns
from migration_kg._vocab_gfmd import Period, parse_period
from migration_kg._vocab_status import Status, Verdict, parse_status
from migration_kg.errors import ConfigError
from migration_kg.namespaces import DCT, DEFAULT_BASE, FOAF, MKG, ORG, OWL, RDF, RDFS, SKOS, WD

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "reference-facts.yaml"
FIXTURES = Path(__file__).parent / "vocab"
SDG_SCHEME = URIRef("http://metadata.un.org/sdg")


def iri(path: str) -> URIRef:
    return URIRef(DEFAULT_BASE + path)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return vocab.build_vocabularies(REFERENCE)


@pytest.fixture(scope="module")
def reference() -> dict:
    return yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules_graph() -> Graph:
    return vocab.build_vocabularies(FIXTURES / "status-rules.yaml")


def members(graph: Graph, scheme: str, class_: URIRef) -> set[URIRef]:
    listed = graph.subjects(SKOS.inScheme, iri(f"vocab/{scheme}"))
    return {s for s in listed if (s, RDF.type, class_) in graph}


def literals(graph: Graph) -> list[str]:
    return [str(o) for o in graph.objects() if isinstance(o, Literal)]


# --- GCM ---------------------------------------------------------------------------------------
def test_23_objectives_with_the_exact_title_of_objective_7(graph: Graph) -> None:
    objectives = members(graph, "gcm-objective", MKG.Objective)
    assert len(objectives) == 23
    assert objectives == {iri(f"vocab/gcm-objective/{n}") for n in range(1, 24)}
    o7 = iri("vocab/gcm-objective/7")
    assert graph.value(o7, SKOS.prefLabel) == Literal("Address and reduce vulnerabilities in migration")
    assert graph.value(o7, SKOS.notation) == Literal("7")
    assert graph.value(o7, MKG.number) == Literal(7)
    assert graph.value(o7, MKG.number).datatype == ns.XSD.integer
    assert graph.value(o7, MKG.paragraph) == Literal(23)
    assert {"Reduce vulnerabilities", "Objective 7"} <= {str(x) for x in graph.objects(o7, SKOS.altLabel)}
    assert (o7, RDF.type, SKOS.Concept) in graph


def test_objective_20_follows_its_own_entry_and_sources(graph: Graph) -> None:
    o20 = iri("vocab/gcm-objective/20")
    title = str(graph.value(o20, SKOS.prefLabel))
    assert title.startswith("Promote faster, safer and cheaper transfer of remittances")
    sources = set(graph.objects(o20, DCT.source))
    assert iri("vocab/source/A_RES_73_195_pdf_p29") in sources
    assert iri("vocab/source/iomeval_gcms_short") not in sources  # the caveat: wrong title in that file


def test_10_principles_and_6_clusters(graph: Graph) -> None:
    assert len(members(graph, "gcm-principle", MKG.GuidingPrinciple)) == 10
    assert graph.value(iri("vocab/gcm-principle/1"), SKOS.prefLabel) == Literal("People-centred")
    assert (iri("vocab/gcm-principle/1"), MKG.paragraph, None) not in graph  # "paragraph number unverified"
    clusters = members(graph, "gcm-cluster", MKG.ThematicCluster)
    assert clusters == {iri(f"vocab/gcm-cluster/{n}") for n in range(1, 7)}
    labels = {str(x) for x in graph.objects(iri("vocab/gcm-cluster/4"), SKOS.altLabel)}
    assert {"Cluster 4", "GCM cluster 4"} <= labels


def test_thematic_session_discusses_its_cluster_with_dates_and_venue(graph: Graph) -> None:
    session = iri("id/event/gcm-thematic-session-1")
    assert graph.value(session, MKG.discussed) == iri("vocab/gcm-cluster/1")
    assert graph.value(session, MKG.startDate) == Literal("2017-05-08", datatype=ns.XSD.date)
    assert graph.value(session, MKG.endDate) == Literal("2017-05-09", datatype=ns.XSD.date)
    venue = graph.value(session, MKG.location)
    assert graph.value(venue, RDFS.label) == Literal("Palais des Nations")
    assert graph.value(graph.value(venue, MKG.partOf), RDFS.label) == Literal("Geneva")


def test_gcm_adoption_and_resolutions(graph: Graph) -> None:
    gcm = iri("id/instrument/gcm")
    assert (gcm, RDF.type, MKG.Compact) in graph
    assert graph.value(gcm, MKG.date) == Literal("2018-12-10", datatype=ns.XSD.date)
    assert Literal("Marrakech Compact on Migration") in set(graph.objects(gcm, SKOS.altLabel))
    res = iri("id/instrument/a-res-73-195")
    assert (res, RDF.type, MKG.Resolution) in graph
    assert graph.value(res, MKG.unSymbol) == Literal("A/RES/73/195")
    assert graph.value(res, MKG.date) == Literal("2018-12-19", datatype=ns.XSD.date)
    modalities = iri("id/instrument/a-res-71-280")
    title = str(graph.value(modalities, DCT.title))
    assert title.startswith("Modalities for the intergovernmental negotiations")


def test_imrf_editions_load_verified_fields_only(graph: Graph) -> None:
    first = iri("id/event/imrf-2022")
    assert (first, RDF.type, MKG.Forum) in graph
    assert graph.value(first, MKG.startDate) == Literal("2022-05-17", datatype=ns.XSD.date)
    assert graph.value(first, MKG.endDate) == Literal("2022-05-20", datatype=ns.XSD.date)
    second = iri("id/event/imrf-2026")
    assert graph.value(second, MKG.date) == Literal("2026", datatype=ns.XSD.gYear)
    assert (second, MKG.startDate, None) not in graph  # dates: unverified (5-8 May 2026)
    assert (second, MKG.endDate, None) not in graph
    assert not any("2026-05" in text for text in literals(graph))


# --- SDG ---------------------------------------------------------------------------------------
def test_sdg_target_10_7_under_goal_10(graph: Graph) -> None:
    target = URIRef("http://metadata.un.org/sdg/10.7")
    assert (target, RDF.type, SKOS.Concept) in graph
    assert graph.value(target, SKOS.broader) == URIRef("http://metadata.un.org/sdg/10")
    assert graph.value(target, SKOS.notation) == Literal("10.7")
    assert (target, SKOS.inScheme, SDG_SCHEME) in graph
    indicator = URIRef("http://metadata.un.org/sdg/C100702")
    assert graph.value(indicator, SKOS.broader) == target
    assert graph.value(indicator, SKOS.notation) == Literal("10.7.2")


def test_17_goals_with_their_wikidata_items(graph: Graph, reference: dict) -> None:
    goals = {s for s in graph.subjects(SKOS.topConceptOf, SDG_SCHEME)}
    assert len(goals) == 17
    ten = URIRef("http://metadata.un.org/sdg/10")
    assert graph.value(ten, SKOS.prefLabel) == Literal("Reduced inequalities")
    assert graph.value(ten, OWL.sameAs) == WD.Q53581222


def test_unverified_sdg_indicators_are_absent(graph: Graph) -> None:
    assert Literal("10.7.3") not in set(graph.objects(None, SKOS.notation))
    assert Literal("10.7.4") not in set(graph.objects(None, SKOS.notation))


# --- states ------------------------------------------------------------------------------------
def test_every_iso_state_with_labels_and_codes(graph: Graph) -> None:
    states = set(graph.subjects(RDF.type, MKG.State))
    assert len(states) >= 249
    ecu = iri("id/state/ECU")
    assert graph.value(ecu, RDFS.label) == Literal("Ecuador")
    assert graph.value(ecu, MKG.iso3166Alpha3) == Literal("ECU")
    assert graph.value(ecu, MKG.iso3166Alpha2) == Literal("EC")
    assert graph.value(iri("id/state/BOL"), RDFS.label) == Literal("Bolivia")  # common_name
    bol_alt = set(graph.objects(iri("id/state/BOL"), SKOS.altLabel))
    assert Literal("Bolivia, Plurinational State of") in bol_alt
    tur = {str(x) for x in graph.objects(iri("id/state/TUR"), RDFS.label)} | {
        str(x) for x in graph.objects(iri("id/state/TUR"), SKOS.altLabel)}
    assert {"Türkiye", "Turkey"} <= tur
    assert all(len(list(graph.objects(s, RDFS.label))) == 1 for s in states)


# --- GFMD --------------------------------------------------------------------------------------
CHAIRS = """
SELECT ?state ?role ?start ?end WHERE {
  ?chairmanship dct:hasPart ?m .
  ?m a mkg:Membership ; org:member ?state ; org:role ?role ; mkg:startYear ?start ;
     org:organization ?gfmd .
  OPTIONAL { ?m mkg:endYear ?end }
}"""


def chairs(graph: Graph, n: int) -> set[tuple[str, URIRef, str, str | None]]:
    rows = graph.query(CHAIRS, initNs={"dct": DCT, "mkg": MKG, "org": ORG},
                       initBindings={"chairmanship": iri(f"vocab/gfmd-chairmanship/{n}"),
                                     "gfmd": iri("id/process/gfmd")})
    return {
        (str(r.state).rsplit("/", 1)[-1], r.role, str(r.start), str(r.end) if r.end else None) for r in rows
    }


def test_chairmanship_9_is_bangladesh_2016(graph: Graph) -> None:
    assert chairs(graph, 9) == {("BGD", MKG.ChairRole, "2016", "2016")}
    chairmanship = iri("vocab/gfmd-chairmanship/9")
    assert graph.value(chairmanship, MKG.heldBy) == iri("id/state/BGD")
    assert graph.value(chairmanship, MKG.ordinal) == Literal(9)
    assert Literal("GFMD 2016 Chairmanship") in set(graph.objects(chairmanship, SKOS.altLabel))
    summit = iri("id/event/gfmd-summit-9")
    assert graph.value(summit, RDFS.label) == Literal("9th GFMD Summit")
    assert graph.value(graph.value(summit, MKG.location), RDFS.label) == Literal("Dhaka")
    assert graph.value(summit, MKG.startDate) == Literal("2016-12-10", datatype=ns.XSD.date)
    assert graph.value(summit, MKG.organizedBy) == iri("id/process/gfmd")


def test_chairmanship_10_has_two_co_chairs(graph: Graph) -> None:
    assert chairs(graph, 10) == {
        ("DEU", MKG.CoChairRole, "2017", "2018"), ("MAR", MKG.CoChairRole, "2017", "2018")}
    assert graph.value(iri("id/state/DEU"), RDFS.label) == Literal("Germany")


def test_chair_period_with_a_start_date(graph: Graph) -> None:
    membership = iri("id/membership/gfmd-chairmanship-8-chair-tur")
    assert graph.value(membership, MKG.startYear) == Literal("2014", datatype=ns.XSD.gYear)
    assert graph.value(membership, MKG.endYear) == Literal("2015", datatype=ns.XSD.gYear)
    assert graph.value(membership, MKG.startDate) == Literal("2014-07-01", datatype=ns.XSD.date)


def test_partially_verified_chairmanships(graph: Graph) -> None:
    # 2: verified (chair, place, theme) -> no dates, no chair period, so no membership (it needs a time)
    summit2 = iri("id/event/gfmd-summit-2")
    assert (summit2, MKG.startDate, None) not in graph
    assert graph.value(summit2, MKG.location) == iri("id/place/manila")
    assert chairs(graph, 2) == set()
    assert graph.value(iri("vocab/gfmd-chairmanship/2"), MKG.heldBy) == iri("id/state/PHL")
    # 15: verified (chair, start date) -> start only, place unverified -> no summit
    assert chairs(graph, 15) == {("COL", MKG.ChairRole, "2024", None)}
    assert (iri("id/event/gfmd-summit-15"), None, None) not in graph


def test_conflicting_chairmanship_14_as_separate_sourced_readings(graph: Graph) -> None:
    readings = chairs(graph, 14)
    assert ("FRA", MKG.ChairRole, "2022", "2024") in readings
    assert {("FRA", MKG.CoChairRole, "2022", None), ("SEN", MKG.CoChairRole, "2022", None)} <= readings
    chair = iri("id/membership/gfmd-chairmanship-14-chair-fra")
    co_chair = iri("id/membership/gfmd-chairmanship-14-co-chair-sen")
    assert iri("vocab/source/diplomatie_gfmd14") in set(graph.objects(chair, DCT.source))
    assert set(graph.objects(co_chair, DCT.source)) == {iri("vocab/source/gfmdcs_france_senegal")}
    assert (iri("id/event/gfmd-summit-14"), None, None) not in graph  # the rest of a conflict entry


def test_place_spelling_variants_meet(graph: Graph) -> None:
    summit11 = graph.value(iri("id/event/gfmd-summit-11"), MKG.location)
    conference = iri("id/event/2018-12-10-gcm-intergovernmental-conference")
    assert summit11 == graph.value(conference, MKG.location)
    assert graph.value(summit11, MKG.partOf) == iri("id/state/MAR")


# --- RCPs, IRFs, global processes ----------------------------------------------------------------
def test_rcps_irfs_and_global_processes(graph: Graph) -> None:
    colombo = iri("vocab/rcp/colombo-process")
    assert (colombo, RDF.type, MKG.RegionalConsultativeProcess) in graph
    assert (colombo, SKOS.inScheme, iri("vocab/rcp")) in graph
    assert Literal("Colombo Process") in set(graph.objects(colombo, SKOS.altLabel))
    rcm = iri("vocab/rcp/rcm")
    assert graph.value(rcm, MKG.acronym) == Literal("RCM")
    assert Literal("Puebla Process") in set(graph.objects(rcm, SKOS.altLabel))
    assert len(members(graph, "rcp", MKG.RegionalConsultativeProcess)) == 15
    assert len(members(graph, "irf", MKG.InterRegionalForum)) == 9
    gfmd = iri("id/process/gfmd")
    assert (gfmd, RDF.type, MKG.GlobalProcess) in graph
    assert graph.value(gfmd, MKG.acronym) == Literal("GFMD")
    budapest = iri("vocab/rcp/budapest-process")
    assert not {"1991", "1993"} & {str(o) for o in graph.objects(budapest)}  # established: conflict


# --- Wikidata ------------------------------------------------------------------------------------
def test_wikidata_links_only_for_verified_qids(graph: Graph, reference: dict) -> None:
    iom = iri("vocab/wikidata-link/Q472311")
    assert graph.value(iom, RDFS.label) == Literal("International Organization for Migration")
    assert graph.value(iom, MKG.acronym) == Literal("IOM")
    assert graph.value(iom, OWL.sameAs) == WD.Q472311
    verified = {str(e["qid"]) for e in reference["wikidata_qids"]["verified"]}
    verified |= {g["wikidata"] for g in reference["sdg_goals"]}
    same_as = {str(o).rsplit("/", 1)[-1] for o in graph.objects(None, OWL.sameAs)}
    assert same_as <= verified
    assert "Q132551" in same_as and "Q28606331" not in same_as  # conflict: 'Prefer Q132551'
    labels = {str(o) for o in graph.objects(None, RDFS.label)}
    linked = {str(graph.value(s, RDFS.label)) for s in graph.subjects(OWL.sameAs, None)}
    for name in reference["wikidata_qids"]["unverified"]:
        assert name not in linked
    assert "Global Forum on Migration and Development" in labels  # present, but with no sameAs


# --- nothing unverified, everything sourced --------------------------------------------------------
def test_no_unverified_value_is_loaded(graph: Graph) -> None:
    text = literals(graph)
    assert not any("152 in favour" in t for t in text)
    assert not any("A/RES/76/266" in t for t in text)  # IMRF outcome_resolution: unverified
    assert not any("innovative partnerships" in t for t in text)  # GFMD 13 theme: unverified
    assert not any("2008-10-27" in t for t in text)  # GFMD 2 dates: unverified
    assert "Number of people who died or disappeared" not in " ".join(text)


def test_every_subject_cites_a_source(graph: Graph, reference: dict) -> None:
    records = {s for s in graph.subjects() if str(s).startswith(DEFAULT_BASE + "vocab/source/")}
    missing = [s for s in set(graph.subjects()) if s not in records and (s, DCT.source, None) not in graph]
    assert missing == []
    for record in set(graph.objects(None, DCT.source)):
        assert record in records
        assert graph.value(record, DCT.title) is not None
        key = str(record).rsplit("/", 1)[-1]
        yaml_record = reference["sources"].get(key, {"url": "pycountry"})
        if yaml_record.get("url"):
            assert graph.value(record, FOAF.page) is not None
        if yaml_record.get("repo"):
            assert "@" in str(graph.value(record, DCT.identifier))
    iso = iri("vocab/source/iso3166_pycountry")
    assert "pycountry" in str(graph.value(iso, DCT.title))


def test_schemes(graph: Graph) -> None:
    for name, scheme in vocab.VOCAB_SCHEMES.items():
        assert (scheme, RDF.type, SKOS.ConceptScheme) in graph, name
    assert vocab.VOCAB_SCHEMES["gcm-objective"] == iri("vocab/gcm-objective")
    assert vocab.VOCAB_SCHEMES["sdg"] == SDG_SCHEME


@pytest.mark.slow
def test_conforms_to_the_shapes(graph: Graph) -> None:
    from migration_kg import ontology, validate

    onto = ontology.load_ontology(ROOT / "ontology")
    report = validate.validate(graph, shapes_dir=ROOT / "shapes", ontology=onto)
    assert report.conforms, report.to_text(limit=20)


def test_turtle_round_trip(graph: Graph) -> None:
    again = Graph().parse(data=graph.serialize(format="turtle"), format="turtle")
    assert isomorphic(graph, again)


def test_another_base(tmp_path: Path) -> None:
    base = "https://example.org/kg/"
    other = vocab.build_vocabularies(REFERENCE, base=base)
    assert (URIRef(base + "vocab/gcm-objective/7"), RDF.type, MKG.Objective) in other
    minted = {str(s) for s in other.subjects() if str(s).startswith(DEFAULT_BASE)}
    assert minted == set()


# --- the status rules, on the fixture --------------------------------------------------------------
def test_fixture_objectives(rules_graph: Graph) -> None:
    assert members(rules_graph, "gcm-objective", MKG.Objective) == {iri("vocab/gcm-objective/1")}


def test_fixture_partial_status_loads_named_fields_only(rules_graph: Graph) -> None:
    g = rules_graph
    summit = iri("id/event/gfmd-summit-1")
    assert graph_label(g, g.value(summit, MKG.location)) == "Brussels"
    assert (summit, MKG.startDate, None) not in g
    assert (iri("vocab/gfmd-chairmanship/1"), MKG.heldBy, iri("id/state/BEL")) in g
    assert (None, ORG.member, iri("id/state/BEL")) not in g  # chair_period not named: no membership
    turkey = iri("id/membership/gfmd-chairmanship-2-chair-tur")
    assert g.value(turkey, MKG.startDate) == Literal("2014-07-01", datatype=ns.XSD.date)
    assert (turkey, MKG.endYear, None) not in g  # only the start date is verified
    assert (iri("id/event/gfmd-summit-2"), None, None) not in g
    assert Literal("Turkey") in set(g.objects(iri("id/state/TUR"), SKOS.altLabel))
    assert (iri("vocab/gfmd-chairmanship/3"), None, None) not in g  # conflict, no modelling asked


def test_fixture_remark_and_conflicting_field(rules_graph: Graph) -> None:
    g = rules_graph
    process = iri("vocab/rcp/exp")
    assert graph_label(g, process) == "Example Process"
    assert Literal("Old Example Process") in set(g.objects(process, SKOS.altLabel))
    assert "name truncated" in str(g.value(process, SKOS.editorialNote))
    assert not {"1991", "1993"} & {str(o) for o in g.objects(process)}
    assert (iri("vocab/rcp/unverified-process"), None, None) not in g


def test_fixture_wikidata(rules_graph: Graph) -> None:
    assert set(rules_graph.objects(None, OWL.sameAs)) == {WD.Q1}


def graph_label(g: Graph, node: object) -> str:
    return str(g.value(node, RDFS.label))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("verified", set(), Verdict(Status.VERIFIED)),
        ("verified (chair, place, theme)", {"chair", "place", "theme", "dates"},
         Verdict(Status.VERIFIED, fields=frozenset({"chair", "place", "theme"}))),
        ("verified (year only)", {"year", "dates"}, Verdict(Status.VERIFIED, fields=frozenset({"year"}))),
        ("verified (chair, start date)", {"chair", "chair_period"},
         Verdict(Status.VERIFIED, fields=frozenset({"chair", "start_date"}))),
        ("verified (name truncated in excerpt)", {"name"},
         Verdict(Status.VERIFIED, remark="name truncated in excerpt")),
        ("unverified (translated in a news report)", {"value"},
         Verdict(Status.UNVERIFIED, remark="translated in a news report")),
        ("conflict", set(), Verdict(Status.CONFLICT)),
    ],
)
def test_parse_status(text: str, fields: set[str], expected: Verdict) -> None:
    assert parse_status(text, fields=frozenset(fields)) == expected


def test_parse_status_rejects_other_values() -> None:
    with pytest.raises(ValueError, match="probable"):
        parse_status("probable")


@pytest.mark.parametrize(
    ("text", "start_only", "expected"),
    [
        ("2016", False, Period(2016, 2016)),
        ("2017-2018 (co-chairmanship)", False, Period(2017, 2018, remark="co-chairmanship")),
        ("2014-07-01/2015", False, Period(2014, 2015, start_date="2014-07-01")),
        ("2022-07-01/2024-03-31", False, Period(2022, 2024, "2022-07-01", "2024-03-31")),
        ("2020 (extended to Jan 2021)", False, Period(2020, 2020, remark="extended to Jan 2021")),
        ("2024-04-01/2025", True, Period(2024, None, start_date="2024-04-01")),
    ],
)
def test_parse_period(text: str, start_only: bool, expected: Period) -> None:
    assert parse_period(text, start_only=start_only) == expected


def test_parse_period_rejects_prose() -> None:
    with pytest.raises(ValueError):
        parse_period("since the summer")


# --- errors --------------------------------------------------------------------------------------
def test_malformed_yaml_names_file_and_line() -> None:
    path = FIXTURES / "malformed.yaml"
    with pytest.raises(ConfigError) as info:
        vocab.build_vocabularies(path)
    assert info.value.source == str(path)
    assert info.value.line == 5
    assert f"{path}:5:" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        vocab.build_vocabularies(tmp_path / "nope.yaml")
    assert info.value.source == str(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gcm_objectives:\n- {number: 1, title: T, source: [nowhere]}\nsources: {s1: {title: S}}\n",
         "unknown source 'nowhere'"),
        ("gfmd_chairmanships:\n- {n: 1, chair: [Atlantis], chair_period: '2007', source: [s1]}\n"
         "sources: {s1: {title: S}}\n", "'Atlantis' is not an ISO 3166-1 state"),
        ("gcm_objectives:\n- {number: 1, title: T, status: likely, source: [s1]}\n"
         "sources: {s1: {title: S}}\n", "status 'likely'"),
        ("gcm_objectives: []\n", "sources: map"),
        ("- a list\n", "mapping of sections"),
    ],
)
def test_malformed_entries_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "reference.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        vocab.build_vocabularies(path)
    assert info.value.source == str(path)


@pytest.mark.parametrize("module", [vocab, _vocab_status, _vocab_gfmd])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0
