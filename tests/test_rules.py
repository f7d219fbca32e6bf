"""The rule engine on small texts: slots, lists, dates, entity resolution and evidence offsets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from migration_kg.corpus import CatalogueRecord, Document
from migration_kg.extract import clean_view, extract, load_rules, parse_date
from migration_kg.namespaces import RDF

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules(ROOT / "mappings")
ORG = "http://www.w3.org/ns/org#"
ID = "https://w3id.org/migration-kg/id/"


def _doc(text: str, date: dt.date = dt.date(2020, 6, 1)) -> Document:
    return Document(id="test-doc", path=Path("test-doc.txt"), text=text,
                    record=CatalogueRecord(title="t", date=date, publisher="p"))


def _facts(text: str) -> list:  # type: ignore[type-arg]
    return [f for f in extract(_doc(text), RULES) if f.evidence.rule_id != "dictionary-mention"]


def test_every_rule_has_a_description_and_an_example_that_matches() -> None:
    for rule in RULES.rules:
        assert rule.description, rule.id
        assert rule.examples, rule.id


def test_a_new_year_and_state_yield_a_new_membership() -> None:
    facts = _facts("Opening remarks came from the GFMD 2022 Chair France.")
    triples = {(str(s), str(p), str(o)) for f in facts for s, p, o in f.triples}
    assert (f"{ID}membership/fra-gfmd-chairrole-2022", f"{ORG}member", f"{ID}state/FRA") in triples


def test_lists_emit_one_membership_per_state() -> None:
    facts = _facts("We thank the 2022-2023 Co-Chairs of the GFMD, France and Senegal, for hosting.")
    members = {str(o) for f in facts for _, p, o in f.triples if str(p) == f"{ORG}member"}
    assert members == {f"{ID}state/FRA", f"{ID}state/SEN"}


def test_misspellings_resolve_to_one_person() -> None:
    a = _facts("GCM Co-Facilitators, Ambassador Jurg Lauber, Permanent Representative of Switzerland to the UNOG")
    b = _facts("Ambassador Jürg Lauber, Permanent Representative of Switzerland to the UNOG")
    pa = {str(o) for f in a for _, p, o in f.triples if str(p) == f"{ORG}member"}
    pb = {str(o) for f in b for _, p, o in f.triples if str(p) == f"{ORG}member"}
    assert pa == pb == {f"{ID}person/jurg-lauber"}


def test_evidence_offsets_point_into_the_original_text_with_markup() -> None:
    text = "Intro.\n\n**Mr. Jan Novak**, representing GFMD Co-Chair Morocco, delivered the closing remarks."
    doc = _doc("## Dialogue on things\n\n6 April 2020\nGeneva\n\n" + text)
    for fact in extract(doc, RULES):
        ev = fact.evidence
        assert doc.text[ev.start : ev.end] == ev.quote


def test_clean_view_maps_back_to_the_original() -> None:
    text = "a **b** [c](#) d<sup>1</sup> e"
    clean, index = clean_view(text)
    assert clean == "a b c d e"
    assert [text[index[i]] for i in range(len(clean))] == list(clean)


@pytest.mark.parametrize(("text", "lexical"), [
    ("6 April 2017", ("2017-04-06", "date")),
    ("4-6 December 2017", ("2017-12-04", "date")),
    ("February 2", ("2020-02-02", "date")),
    ("November 2016", ("2016-11", "gYearMonth")),
])
def test_dates(text: str, lexical: tuple[str, str]) -> None:
    assert parse_date(text, default_year=2020).lexical() == lexical


def _triples(text: str, rule_id: str) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for f in _facts(text) if f.evidence.rule_id == rule_id for s, p, o in f.triples}


MKG = "https://w3id.org/migration-kg/ontology#"
MKG_PROPOSED = MKG + "Proposed"


def test_a_pronoun_resolves_to_the_last_person_whose_title_agrees() -> None:
    text = ("4. In her remarks, Ms. Amina Diallo welcomed the work that Mr. Peter Sutherland had done. "
            "She considered the New York Declaration as the foundation of the GCM.")
    triples = _triples(text, "pronoun-considered-as")
    assert (f"{ID}position/amina-diallo-new-york-declaration", f"{MKG}proposedBy", f"{ID}person/amina-diallo") in triples
    he = _triples(text.replace("She considered", "He considered"), "pronoun-considered-as")
    assert {o for _, p, o in he if p == f"{MKG}proposedBy"} == {f"{ID}person/peter-sutherland"}


def test_items_under_a_suggestions_heading_are_proposals_concerning_what_the_heading_names() -> None:
    text = ("## Dialogue on labour mobility\n\n6 April 2020\nGeneva\n\n"
            "c) Recommendations for the GFMD's contribution to the IMRF:\n\n"
            "- A joint report to the IMRF.\n- Regular briefings by the Chair.\n\nOther text.\n- Not a proposal.\n")
    facts = [f for f in _facts(text) if f.evidence.rule_id == "suggestions-list-item"]
    assert {f.evidence.modality.rsplit("#", 1)[-1] for f in facts} == {"Proposed"}
    texts = {str(o) for f in facts for _, p, o in f.triples if str(p) == f"{MKG}text"}
    assert texts == {"A joint report to the IMRF", "Regular briefings by the Chair"}
    concerns = {str(o) for f in facts for _, p, o in f.triples if str(p) == f"{MKG}concerns"}
    assert concerns == {f"{ID}process/gfmd", f"{ID}process/imrf"}


def test_a_list_of_sdg_targets_links_each_target_iri() -> None:
    triples = _triples("Remittance costs must fall and recruitment must be fair (SDG targets 10.c and 10.7).",
                       "sdg-targets-cited")
    assert {o for _, p, o in triples if p == f"{MKG}citesTarget"} == {
        "http://metadata.un.org/sdg/10.c", "http://metadata.un.org/sdg/10.7"}


def test_tbc_marks_a_planned_event_tentative_and_expected() -> None:
    text = ("Two side-events are also planned under the following themes:\n"
            " Remittances and fintech (TBC, May in Rabat)\n Diaspora bonds (3rd June in Geneva)\n")
    facts = [f for f in _facts(text) if f.evidence.rule_id == "planned-event-list-item"]
    assert len(facts) == 2 and {f.evidence.modality.rsplit("#", 1)[-1] for f in facts} == {"Expected"}
    tentative = {str(s) for f in facts for s, p, _ in f.triples if str(p) == f"{MKG}tentative"}
    labelled = {str(s): str(o) for f in facts for s, p, o in f.triples if str(p).endswith("#label")}
    assert [labelled[s] for s in tentative] == ["Remittances and fintech"]
    assert {str(o) for f in facts for _, p, o in f.triples if str(p) == str(RDF.type)} >= {f"{MKG}SideEvent"}


def test_a_negative_claim_becomes_not_included_in() -> None:
    triples = _triples("The protection of stateless persons has not been covered in the GCM objectives.",
                       "topic-not-included-in")
    assert (f"{ID}topic/protection-of-stateless-persons", f"{MKG}notIncludedIn",
            "https://w3id.org/migration-kg/vocab/gcm-objective") in triples


def test_may_the_month_is_not_a_proposal() -> None:
    facts = [f for f in _facts("The first thematic session is scheduled on 8-9 May in Geneva.")
             if f.evidence.rule_id == "ordinal-event-held-on"]
    assert [f.evidence.modality.rsplit("#", 1)[-1] for f in facts] == ["Expected"]


def test_a_suggestion_others_contested_is_disputed() -> None:
    text = "Some states suggested that the GFMD Troika be enlarged. However, other states held that this would slow."
    facts = [f for f in _facts(text) if f.evidence.rule_id == "states-suggested-others-disagreed"]
    assert [f.evidence.modality.rsplit("#", 1)[-1] for f in facts] == ["Disputed"]
    assert {str(o) for f in facts for _, p, o in f.triples if str(p) == f"{MKG}concerns"} == {f"{ID}body/gfmd-troika"}


def test_a_group_view_keeps_its_modality() -> None:
    facts = [f for f in _facts("Several delegations stressed that the IMRF should include all stakeholders.")
             if f.evidence.rule_id == "group-view-that"]
    modality = {str(o) for f in facts for _, p, o in f.triples if str(p) == f"{MKG}modality"}
    assert modality == {f"{MKG}Proposed"} and str(facts[0].evidence.modality) == MKG_PROPOSED


def _rules_dir(tmp_path: Path, rule_yaml: str) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "entities.yaml").write_text((ROOT / "mappings" / "entities.yaml").read_text("utf-8"), "utf-8")
    (tmp_path / "rules" / "10-test.yaml").write_text(rule_yaml, "utf-8")
    return tmp_path


@pytest.mark.parametrize(("rule", "message"), [
    ("near: {x: {type: Nonsense}}", "near slot 'x'"),
    ("near: {x: {type: Person, within: chapter}}", "near slot 'x'"),
    ("within: '{org:Org} said'", "used in both within and pattern"),
])
def test_a_bad_near_or_within_names_the_file_and_rule(tmp_path: Path, rule: str, message: str) -> None:
    from migration_kg.errors import RuleError

    text = f"rules:\n  - id: broken\n    pattern: '{{org:Org}} met'\n    {rule}\n    emit: ['$doc mkg:mentions ?org']\n"
    with pytest.raises(RuleError) as info:
        load_rules(_rules_dir(tmp_path, text))
    assert "broken" in str(info.value) and message in str(info.value) and "10-test.yaml" in str(info.value)


def test_within_groups_bind_like_pattern_slots(tmp_path: Path) -> None:
    text = ("rules:\n  - id: listed\n    within: '(?P<lead>[A-Z][a-z]+ list):(?:\\n- [^\\n]*)+'\n"
            "    pattern: '(?m)^- {org:Org}'\n    emit: ['?org mkg:description ?lead']\n"
            "    examples: ['- IOM']\n")
    rules = load_rules(_rules_dir(tmp_path, text))
    facts = extract(_doc("Partner list:\n- IOM\n- ILO\n\n- UNDP\n"), rules)
    found = {(str(s).rsplit("/", 1)[-1], str(o)) for f in facts if f.evidence.rule_id == "listed" for s, _, o in f.triples}
    assert found == {("iom", "Partner list"), ("ilo", "Partner list")}


def test_a_slot_passed_as_context_resolves_the_chair_later_in_the_document() -> None:
    doc = _doc("## Consultation on the future\n\n4 April 2022\nGeneva\n\nThe GFMD 2022 Chair France prepared it. "
               "To this end, the Chair convened an informal consultation meeting with the Friends of the Forum.")
    facts = [f for f in extract(doc, RULES) if f.evidence.rule_id == "the-chair-convened"]
    convened = {(str(s).rsplit("/", 1)[-1], str(o)) for f in facts for s, _, o in f.triples}
    assert convened == {("2022-04-04-consultation", f"{ID}state/FRA")}


def test_a_count_in_millions_is_scaled() -> None:
    triples = _triples("The IOM estimates 2.5 million migrants in Libya.", "org-estimates-count")
    assert {o for _, p, o in triples if p == f"{MKG}value"} == {"2500000.0"}
