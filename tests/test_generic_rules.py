"""The generic rules (mappings/rules/80-generic.yaml) and the engine parts they need: minting names
the dictionary does not know, document-local resolution, one label per node, value lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rdflib import URIRef

from migration_kg.corpus import CatalogueRecord, Document
from migration_kg.extract import Fact, RuleSet, extract, load_rules
from migration_kg.namespaces import MKG, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/migration-kg/id/"
ORG = "http://www.w3.org/ns/org#"


def _rules() -> RuleSet:
    return load_rules(ROOT / "mappings")  # fresh per test: minting adds names to the dictionary


def _facts(text: str, rules: RuleSet | None = None, doc_id: str = "test-doc") -> list[Fact]:
    doc = Document(id=doc_id, path=Path(f"{doc_id}.txt"), text=text,
                   record=CatalogueRecord(title="t", date=dt.date(2026, 3, 1), publisher="p"))
    return extract(doc, rules or _rules())


def _triples(facts: list[Fact]) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for f in facts for s, p, o in f.triples}


def test_an_acronym_definition_mints_an_organisation_and_later_uses_resolve_to_it() -> None:
    facts = _facts("Delegates of the Regional Support Office (RSO) met. Later, Dr. Ana Lima, Director-General of "
                   "the RSO, spoke; the RSO will report.")
    triples = _triples(facts)
    rso = f"{ID}org/rso"
    assert (rso, str(RDFS.label), "Regional Support Office") in triples  # the prefix "Delegates of the" is cut
    assert (rso, str(MKG.acronym), "RSO") in triples
    assert (rso, str(RDF.type), str(MKG.Organization)) in triples
    # another rule's {org:Org} slot now matches the minted name, within this document
    assert any(p == str(MKG.postIn) and o == rso for _, p, o in triples)
    mentions = [f for f in facts if f.evidence.rule_id == "dictionary-mention" and f.evidence.quote.endswith("RSO")]
    assert len(mentions) == 3 and all(str(f.triples[0][2]) == rso for f in mentions)


def test_a_name_the_dictionary_knows_is_never_minted_again() -> None:
    triples = _triples(_facts("the International Labour Organization (ILO) and the International Organization "
                              "for Migration (IOM) spoke"))
    assert not any(s.startswith(f"{ID}org/") and p == str(RDF.type) for s, p, _ in triples)
    assert (f"{ID}org/ilo", str(MKG.acronym), "ILO") not in triples


def test_initials_that_do_not_spell_the_acronym_mint_nothing() -> None:
    triples = _triples(_facts("the Intergovernmental Authority on Development (IGAD) and the Good Things (XYZ)"))
    assert not any("igad" in s or "xyz" in s for s, _, _ in triples)


def test_titled_names_are_persons_and_offices_are_not() -> None:
    triples = _triples(_facts("Mr. President thanked H.E. Mr. Kwame Mensah and the Minister of Labour. "
                              "Minister Counsellor Ivan Petrov listened."))
    persons = {s for s, p, o in triples if p == str(RDF.type) and o == str(MKG.Person)}
    # "Mr. President" and "the Minister of Labour" are offices; the name after a post is a person's
    assert persons == {f"{ID}person/kwame-mensah", f"{ID}person/ivan-petrov"}


def test_a_person_gets_one_iri_across_documents() -> None:
    rules = _rules()
    a = _triples(_facts("Ambassador Maria Fernanda Ruiz opened.", rules, "doc-a"))
    b = _triples(_facts("Ms. Maria Fernanda Ruiz closed.", rules, "doc-b"))
    iri = f"{ID}person/maria-fernanda-ruiz"
    assert (iri, str(RDF.type), str(MKG.Person)) in a & b


def test_both_ways_of_naming_a_ministry_meet_at_one_iri_and_label() -> None:
    triples = _triples(_facts("Ghana's Ministry of the Interior and the Ministry of the Interior of Ghana met."))
    labels = {(s, o) for s, p, o in triples if p == str(RDFS.label)}
    assert labels == {(f"{ID}org/ministry-interior-gha", "Ministry of Interior of Ghana")}
    assert (f"{ID}org/ministry-interior-gha", str(MKG.partOf), f"{ID}state/GHA") in triples


def test_a_meeting_held_in_a_new_place_with_dates() -> None:
    triples = _triples(_facts("In 2003, the Bali Process Ministerial Conference was held in Bali, Indonesia on "
                              "28-30 April 2003."))
    event = f"{ID}event/2003-04-28-conference"
    assert (event, str(RDFS.label), "Bali Process Ministerial Conference") in triples
    assert (event, str(MKG.startDate), "2003-04-28") in triples and (event, str(MKG.endDate), "2003-04-30") in triples
    assert (event, str(MKG.location), f"{ID}place/bali") in triples
    assert (f"{ID}place/bali", str(MKG.partOf), f"{ID}state/IDN") in triples


def test_a_known_place_mints_no_place_node() -> None:
    triples = _triples(_facts("The Second Regional Workshop was held in Geneva on 3 May 2026."))
    assert (f"{ID}event/2026-05-03-workshop", str(MKG.location), f"{ID}place/geneva") in triples
    assert not any(s.startswith(f"{ID}place/") and s != f"{ID}place/geneva" for s, _, _ in triples)


def test_a_node_named_twice_keeps_one_label_and_the_other_becomes_an_alt_label() -> None:
    text = ("## GFMD Summit\n\n14-16 January 2026\n\nThe Sixteenth Summit of the Global Forum on Migration and "
            "Development (GFMD) was held in Nairobi, Kenya on 14-16 January 2026.")
    triples = _triples(_facts(text))
    event = f"{ID}event/2026-01-14-summit"
    assert {o for s, p, o in triples if s == event and p == str(RDFS.label)} == {"GFMD Summit"}
    assert (event, str(SKOS.altLabel), "Sixteenth Summit of the Global Forum on Migration and Development") in triples


def test_a_list_of_numbers_yields_one_triple_per_number() -> None:
    text = "Round Table 2 of the IMRF was held in New York on 5 May 2026. It discussed GCM objectives 4, 12 and 18."
    triples = _triples(_facts(text))
    objectives = {o for s, p, o in triples if p == str(MKG.discussed)}
    assert objectives == {f"https://w3id.org/migration-kg/vocab/gcm-objective/{n}" for n in (4, 12, 18)}


def test_members_and_chair_of_a_process_named_in_the_text() -> None:
    triples = _triples(_facts("Nepal, Pakistan and Viet Nam, Member States of the Colombo Process, met. Nepal, as "
                              "Chair of the Colombo Process for 2024-2026, opened."))
    cp = f"{ID}process/colombo-process"
    assert (cp, str(RDF.type), str(MKG.RegionalConsultativeProcess)) in triples
    members = {o for s, p, o in triples if p == f"{ORG}member" and "member" in s.rsplit("-", 1)[-1]}
    assert members == {f"{ID}state/NPL", f"{ID}state/PAK", f"{ID}state/VNM"}
    assert (f"{ID}membership/npl-colombo-process-chairrole-2024-2026", f"{ORG}role", str(MKG.ChairRole)) in triples
    assert URIRef(cp)


def test_a_node_keeps_its_first_label_across_documents() -> None:
    rules = _rules()
    first = _triples(_facts("## Regional Dialogue on Labour Mobility\n\n3 May 2026\n\nText.", rules, "doc-a"))
    second = _triples(_facts("## Labour Mobility Dialogue of the Region\n\n3 May 2026\n\nText.", rules, "doc-b"))
    event = f"{ID}event/2026-05-03-dialogue"
    assert (event, str(RDFS.label), "Regional Dialogue on Labour Mobility") in first
    assert (event, str(SKOS.altLabel), "Labour Mobility Dialogue of the Region") in second
    assert not any(s == event and p == str(RDFS.label) for s, p, _ in second)
