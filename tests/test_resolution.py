"""Entity resolution: spelling variants in the documents resolve to one entity, and the built
graph keeps the variants as skos:altLabel / skos:hiddenLabel / mkg:acronym of that entity."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal

from migration_kg.extract import load_rules

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules(ROOT / "mappings")
ID = "https://w3id.org/migration-kg/id/"
VARIANTS = [
    ("Jurg Lauber", "person/jurg-lauber"),
    ("Jürg Lauber", "person/jurg-lauber"),
    ("Hu Wongbo", "person/wu-hongbo"),
    ("Wu Hongbo", "person/wu-hongbo"),
    ("Michele Leighton", "person/michelle-leighton"),
    ("Michelle Leighton", "person/michelle-leighton"),
    ("Gomez Camacho", "person/juan-jose-gomez-camacho"),
    ("Gómez Camacho", "person/juan-jose-gomez-camacho"),
    ("Juan José Gomez Camacho", "person/juan-jose-gomez-camacho"),
    ("SRSR", "org/srsg-international-migration"),
    ("SRSG", "org/srsg-international-migration"),
    ("UNDSA", "org/undesa"),
    ("UN DESA", "org/undesa"),
    ("UNDESA", "org/undesa"),
]
NAMES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
SELECT ?entity ?name WHERE { VALUES ?p { rdfs:label skos:altLabel skos:hiddenLabel mkg:acronym } ?entity ?p ?name }
"""


@pytest.mark.parametrize(("variant", "key"), VARIANTS)
def test_the_dictionary_resolves_each_variant_to_one_entity(variant: str, key: str) -> None:
    entity = RULES.dictionary.lookup(variant)
    assert entity is not None and entity.iri == ID + key


@pytest.mark.parametrize(("variant", "key"), VARIANTS)
def test_the_built_graph_names_one_entity_by_each_variant(graph_store, variant: str, key: str) -> None:  # type: ignore[no-untyped-def]
    found = {sol["entity"].value for sol in graph_store.query(NAMES, substitutions={"name": Literal(variant)})}
    assert found == {ID + key}


@pytest.mark.parametrize("written", ["JÜRG LAUBER", "jurg lauber", "Michelle  Leighton", "Gomez-Camacho"])
def test_case_accent_and_punctuation_do_not_split_an_entity(written: str) -> None:
    entity = RULES.dictionary.lookup(written)
    assert entity is not None and entity.key.startswith("person/")


def test_no_variant_mints_a_second_person(graph_store) -> None:  # type: ignore[no-untyped-def]
    query = """PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT DISTINCT ?p WHERE { ?p a mkg:Person ; rdfs:label ?l .
      FILTER (CONTAINS(?l, "Lauber") || CONTAINS(?l, "Camacho") || CONTAINS(?l, "Leighton") || CONTAINS(?l, "Hongbo")
              || CONTAINS(?l, "Wongbo")) }"""
    found = {sol["p"].value.removeprefix(ID) for sol in graph_store.query(query)}
    assert found == {"person/jurg-lauber", "person/juan-jose-gomez-camacho", "person/michelle-leighton",
                     "person/wu-hongbo"}
