"""Every kind of IRI the project mints dereferences, for people (HTML) and machines (Turtle).

The IRIs come from the build itself: every IRI under the base that occurs in the graph,
grouped by kind (the path up to the last segment: ``id/person``, ``vocab/gcm-objective``,
``evidence/{doc}``, ``statement``, ``rule``, ``graph``, ``doc`` …). For each kind the first
two IRIs (in IRI order) must answer 200 with an HTML page naming the IRI and 200 with Turtle
that describes it. Hash IRIs land on their document (``ontology#Term`` on ``/ontology``).
Three kinds are not resource descriptions and are checked for what they are: the dataset's
base IRI (303 to the VoID for RDF clients), the dump files (gzip downloads) and the endpoint
(its service description).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import httpx
import pytest
import rdflib
from livehttp import serve

from migration_kg.pipeline import BuildReport
from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

BASE = "https://w3id.org/migration-kg/"
_ALL_IRIS = """
SELECT DISTINCT ?iri WHERE {
  { ?iri ?p ?o } UNION { ?s ?p ?iri } UNION { GRAPH ?iri { ?a ?b ?c } }
  FILTER(isIRI(?iri) && STRSTARTS(STR(?iri), "https://w3id.org/migration-kg/"))
}
"""


def _kinds(store: OxigraphStore) -> dict[str, list[str]]:
    by_kind: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_ALL_IRIS):  # type: ignore[union-attr]
        path = row["iri"].value.removeprefix(BASE).split("#", 1)[0]
        kind = path.rsplit("/", 1)[0] if "/" in path else path
        by_kind[kind].add(path)
    return {kind: sorted(paths)[:2] for kind, paths in sorted(by_kind.items())}


@pytest.fixture(scope="module")
def site(built: tuple[Settings, BuildReport]) -> Iterator[str]:
    with serve(create_app(built[0])) as url:
        yield url


def test_the_build_mints_many_kinds_of_iri(graph_store: OxigraphStore) -> None:
    kinds = _kinds(graph_store)
    for expected in ("id/person", "id/state", "id/event", "doc", "vocab/gcm-objective", "statement", "rule", "graph",
                     "ontology"):
        assert expected in kinds, f"no {expected} IRI in the build"


def test_every_kind_of_minted_iri_dereferences(site: str, graph_store: OxigraphStore) -> None:
    failures = []
    with httpx.Client(base_url=site, timeout=30) as client:
        for kind, paths in _kinds(graph_store).items():
            for path in paths:
                if kind == "dumps":
                    download = client.get("/" + path)
                    if download.status_code != 200 or download.headers["content-type"] != "application/gzip":
                        failures.append(f"{kind}: /{path} {download.status_code}")
                    continue
                page = client.get("/" + path, headers={"Accept": "text/html"}, follow_redirects=True)
                if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
                    failures.append(f"{kind}: /{path} HTML {page.status_code}")
                    continue
                turtle = client.get("/" + path, headers={"Accept": "text/turtle"}, follow_redirects=True)
                if turtle.status_code != 200:
                    failures.append(f"{kind}: /{path} Turtle {turtle.status_code}")
                    continue
                graph = rdflib.Graph().parse(data=turtle.content, format="turtle")
                iri = rdflib.URIRef(BASE + path)
                about = any(graph.triples((iri, None, None))) or any(graph.triples((None, None, iri)))
                if path not in ("", "sparql") and not path.startswith("ontology") and not about:
                    failures.append(f"{kind}: /{path} Turtle says nothing about <{iri}>")
    assert failures == [], "\n".join(failures)
