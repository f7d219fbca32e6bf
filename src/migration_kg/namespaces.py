"""RDF namespaces used across the stages.

``MKG`` is closed over the terms the ontology declares (``_terms.py``, generated from
``ontology/*.ttl`` by ``python -m migration_kg.ontology --write-terms``), so a
mistyped term fails loudly at the point of use. IRIs minted for data use the default
base; the store stage rewrites them when ``Settings.base_iri`` differs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rdflib import Namespace
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    TIME,
    VOID,
    XSD,
    ClosedNamespace,
)

from ._terms import MKG_TERMS

DEFAULT_BASE = "https://w3id.org/migration-kg/"

MKG = ClosedNamespace(DEFAULT_BASE + "ontology#", list(MKG_TERMS))
OA = Namespace("http://www.w3.org/ns/oa#")
SDG = Namespace("http://metadata.un.org/sdg/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
DCT = DCTERMS
SCHEMA = SDO

PREFIXES: dict[str, str] = {
    "mkg": str(MKG),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCT),
    "foaf": str(FOAF),
    "org": str(ORG),
    "prov": str(PROV),
    "time": str(TIME),
    "schema": str(SCHEMA),
    "oa": str(OA),
    "void": str(VOID),
    "dcat": str(DCAT),
    "sd": str(SD),
    "sdg": str(SDG),
    "wd": str(WD),
}


_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def prefixed_name(iri: str, *, prefixes: Mapping[str, str] = PREFIXES, local: re.Pattern[str] | None = None) -> str | None:
    """``iri`` as ``prefix:local`` under the longest namespace of ``prefixes`` it starts with, else None.

    ``local``, if given, is a pattern the local part must match (e.g. a Turtle-safe name);
    an empty local part never matches.

    >>> prefixed_name("https://w3id.org/migration-kg/ontology#State")
    'mkg:State'
    >>> prefixed_name("http://example.org/x") is None
    True
    """
    ordered = _LONGEST_FIRST if prefixes is PREFIXES else sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
    for prefix, namespace in ordered:
        rest = iri[len(namespace):]
        if iri.startswith(namespace) and rest and (local is None or local.match(rest)):
            return f"{prefix}:{rest}"
    return None


def data_iri(path: str, base: str = DEFAULT_BASE) -> str:
    """An IRI we mint for data: ``base`` + ``path``."""
    return base + path.lstrip("/")


def graph_iri(name: str, base: str = DEFAULT_BASE) -> str:
    """The IRI of named graph ``name`` (``ontology``, ``vocab``, ``doc/<id>`` …)."""
    return data_iri("graph/" + name, base)


__all__ = [
    "DCAT", "DCT", "DEFAULT_BASE", "FOAF", "MKG", "OA", "ORG", "OWL", "PREFIXES", "PROV", "RDF",
    "RDFS", "SCHEMA", "SD", "SDG", "SKOS", "TIME", "VOID", "WD", "XSD", "data_iri", "graph_iri",
]
