"""Linked Data over real HTTP (uvicorn on 127.0.0.1, httpx): dereferencing, conneg, pages, VoID and dumps.

The server serves a real build of the corpus (the session's ``built`` fixture); the
expected answers are read from that build's store with SPARQL, so each assertion
checks what the pages say against what the graph holds.
"""

from __future__ import annotations

import doctest
import gzip
import hashlib
import json
from collections.abc import Iterator
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from livehttp import serve
from rdflib.compare import isomorphic

from migration_kg.pipeline import BuildReport
from migration_kg.serve import create_app
from migration_kg.serve.routers import linked_data
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

BASE = "https://w3id.org/migration-kg/"
MKG = rdflib.Namespace(BASE + "ontology#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
RDFNS = rdflib.RDF
DATASET = rdflib.URIRef(BASE + "id/dataset/migration-kg")
ECU = BASE + "id/state/ECU"
PREFIXES = """PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""
#: media type -> rdflib parser name
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def site(built: tuple[Settings, BuildReport]) -> Iterator[str]:
    settings, _ = built
    with serve(create_app(settings)) as url:
        yield url


def rows(store: OxigraphStore, query: str) -> list[ox.QuerySolution]:
    return list(store.query(PREFIXES + query))  # type: ignore[arg-type]


def parse(body: bytes, media_type: str) -> rdflib.Graph:
    fmt = RDF_FORMATS[media_type]
    graph = rdflib.Graph()
    if fmt in ("nquads", "trig"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=fmt)
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
    else:
        graph.parse(data=body, format=fmt)
    return graph


def local(iri: str) -> str:
    return "/" + iri.removeprefix(BASE)


class MarkText(HTMLParser):
    """Collects the text inside ``<mark id="hl">`` (which may hold nested marks and links)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            if tag == "mark":
                self.depth += 1
        elif tag == "mark" and ("id", "hl") in attrs:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "mark":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def test_doctests() -> None:
    assert doctest.testmod(linked_data).failed == 0


# --- resources: HTML ------------------------------------------------------------------------


def test_ecuador_page_shows_labels_types_relations_both_ways_and_graphs(site: str, graph_store: OxigraphStore) -> None:
    r = httpx.get(site + "/id/state/ECU", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Accept" in r.headers["vary"]
    assert r.headers["content-location"] == "/id/state/ECU.html"
    page = r.text
    assert "<h1>Ecuador</h1>" in page
    assert "Republic of Ecuador" in page  # skos:altLabel
    assert 'href="/ontology#State"' in page  # type, linked to the ontology page
    assert 'href="/graph/vocab"' in page  # the graph a triple is in
    # every resource pointing at Ecuador is linked from its page (incoming relations)
    incoming = rows(graph_store, f"SELECT DISTINCT ?s WHERE {{ ?s ?p <{ECU}> FILTER(isIRI(?s)) "
                                 "FILTER(?p NOT IN (rdf:subject, rdf:object)) }")
    assert incoming
    for row in incoming:
        assert f'href="{local(row["s"].value)}"' in page


def test_person_page_shows_evidence_quotes_linked_to_their_passage(site: str, graph_store: OxigraphStore) -> None:
    found = rows(graph_store, """SELECT ?person ?quote ?start ?end ?doc WHERE {
        ?person a mkg:Person . ?st rdf:object ?person ; mkg:evidence ?ev .
        ?ev mkg:quote ?quote ; mkg:startOffset ?start ; mkg:endOffset ?end ; mkg:document ?doc .
    } ORDER BY ?person ?start LIMIT 1""")
    assert found, "the build has persons with evidence"
    row = found[0]
    page = httpx.get(site + local(row["person"].value), headers={"Accept": "text/html"}).text
    label = rows(graph_store, f'SELECT ?l WHERE {{ <{row["person"].value}> rdfs:label ?l }}')[0]["l"].value
    assert f"<h1>{escape(label)}</h1>" in page
    assert escape(row["quote"].value) in page
    link = f'{local(row["doc"].value)}?start={row["start"].value}&amp;end={row["end"].value}#hl'
    assert link in page


def test_event_page_lists_its_relations(site: str, graph_store: OxigraphStore) -> None:
    found = rows(graph_store, """SELECT ?event ?label ?place ?placeLabel WHERE {
        ?event a mkg:Event ; rdfs:label ?label ; mkg:location ?place . ?place rdfs:label ?placeLabel
    } ORDER BY ?event LIMIT 1""")
    assert found
    row = found[0]
    page = httpx.get(site + local(row["event"].value), headers={"Accept": "text/html"}).text
    assert f"<h1>{escape(row['label'].value)}</h1>" in page
    assert f'<a href="{local(row["place"].value)}">{escape(row["placeLabel"].value)}</a>' in page


def test_vocab_concept_page_and_rdf(site: str, graph_store: OxigraphStore) -> None:
    found = rows(graph_store, """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?c ?label ?scheme WHERE { ?c skos:inScheme ?scheme ; skos:prefLabel ?label
        FILTER(STRSTARTS(STR(?c), "https://w3id.org/migration-kg/vocab/gcm-objective/")) } ORDER BY ?c LIMIT 1""")
    assert found
    concept = found[0]["c"].value
    page = httpx.get(site + local(concept), headers={"Accept": "text/html"}).text
    assert concept in page and found[0]["label"].value.split("<")[0][:20] in page
    r = httpx.get(site + local(concept), headers={"Accept": "text/turtle"})
    graph = parse(r.content, "text/turtle")
    assert (rdflib.URIRef(concept), rdflib.SKOS.inScheme, rdflib.URIRef(found[0]["scheme"].value)) in graph


# --- resources: RDF -------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", sorted(RDF_FORMATS))
def test_conneg_gives_a_symmetric_description_with_evidence(site: str, media_type: str) -> None:
    r = httpx.get(site + "/id/state/ECU", headers={"Accept": media_type})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in r.headers["vary"]
    assert r.headers["content-location"].startswith("/id/state/ECU.")
    graph = parse(r.content, media_type)
    ecu = rdflib.URIRef(ECU)
    assert (ecu, rdflib.RDFS.label, rdflib.Literal("Ecuador")) in graph
    assert any(graph.subjects(None, ecu)), "incoming triples are part of the description"
    statements = set(graph.subjects(RDFNS.object, ecu)) | set(graph.subjects(RDFNS.subject, ecu))
    quotes = [q for st in statements for ev in graph.objects(st, MKG.evidence) for q in graph.objects(ev, MKG.quote)]
    assert quotes, "the evidence of the statements about the resource is included"


def test_extension_and_format_parameter_pick_the_representation(site: str) -> None:
    by_ext = httpx.get(site + "/id/state/ECU.ttl", headers={"Accept": "text/html"})
    assert by_ext.headers["content-type"].startswith("text/turtle")
    assert "content-location" not in by_ext.headers
    by_param = httpx.get(site + "/id/state/ECU", params={"format": "nt"}, headers={"Accept": "text/html"})
    assert by_param.headers["content-type"].startswith("application/n-triples")
    assert isomorphic(parse(by_param.content, "application/n-triples"), parse(by_ext.content, "text/turtle"))
    assert "/id/state/ECU.jsonld" in httpx.get(site + "/id/state/ECU").headers["link"]


def test_evidence_and_statement_resources_dereference(site: str, graph_store: OxigraphStore) -> None:
    row = rows(graph_store, "SELECT ?st ?ev ?quote WHERE { ?st mkg:evidence ?ev . ?ev mkg:quote ?quote } LIMIT 1")[0]
    for iri in (row["st"].value, row["ev"].value):
        page = httpx.get(site + local(iri), headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert escape(row["quote"].value) in page.text
    graph = parse(httpx.get(site + local(row["ev"].value), headers={"Accept": "text/turtle"}).content, "text/turtle")
    ev = rdflib.URIRef(row["ev"].value)
    target = graph.value(ev, rdflib.URIRef("http://www.w3.org/ns/oa#hasTarget"))
    assert target is not None and any(graph.objects(target, rdflib.URIRef("http://www.w3.org/ns/oa#hasSelector")))


def test_head_answers_without_a_body(site: str) -> None:
    r = httpx.head(site + "/id/state/ECU", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == b""


# --- documents ------------------------------------------------------------------------------


def test_document_page_highlights_the_passage(site: str, graph_store: OxigraphStore) -> None:
    row = rows(graph_store, """SELECT ?doc ?quote ?start ?end WHERE {
        ?ev mkg:document ?doc ; mkg:quote ?quote ; mkg:startOffset ?start ; mkg:endOffset ?end ; mkg:rule ?rule
        FILTER(STRLEN(?quote) > 30) } ORDER BY DESC(?start) LIMIT 1""")[0]
    r = httpx.get(site + local(row["doc"].value), params={"start": row["start"].value, "end": row["end"].value},
                  headers={"Accept": "text/html"})
    assert r.status_code == 200
    parser = MarkText()
    parser.feed(r.text)
    assert "".join(parser.text) == row["quote"].value
    title = rows(graph_store, f'SELECT ?t WHERE {{ <{row["doc"].value}> <http://purl.org/dc/terms/title> ?t }}')
    assert escape(title[0]["t"].value) in r.text  # the catalogue record
    marks = r.text.count('<mark class="fact"')
    assert marks >= len(rows(graph_store, f'SELECT DISTINCT ?s ?e WHERE {{ ?ev mkg:document <{row["doc"].value}> ; '
                                          "mkg:startOffset ?s ; mkg:endOffset ?e }"))


@pytest.mark.parametrize("params", [{"start": "5"}, {"start": "10", "end": "5"}, {"start": "0", "end": "99999999"},
                                    {"start": "x", "end": "3"}, {"start": "-1", "end": "3"}])
def test_bad_passages_are_400(site: str, params: dict[str, str]) -> None:
    r = httpx.get(site + "/doc/2019-04-04-gfmd-gcm-relationship-consultation", params=params,
                  headers={"Accept": "text/html"})
    assert r.status_code == 400
    assert "start" in r.text


def test_document_rdf_is_its_description(site: str) -> None:
    r = httpx.get(site + "/doc/2019-04-04-gfmd-gcm-relationship-consultation", headers={"Accept": "text/turtle"})
    graph = parse(r.content, "text/turtle")
    doc = rdflib.URIRef(BASE + "doc/2019-04-04-gfmd-gcm-relationship-consultation")
    assert (doc, RDFNS.type, MKG.Document) in graph
    assert any(graph.subjects(MKG.document, doc))


# --- ontology, home, errors ----------------------------------------------------------------


def test_ontology_page_anchors_every_term(site: str, graph_store: OxigraphStore) -> None:
    r = httpx.get(site + "/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200
    terms = rows(graph_store, f"""SELECT DISTINCT ?t WHERE {{ GRAPH <{BASE}graph/ontology> {{
        ?t a ?k FILTER(?k IN (owl:Class, owl:ObjectProperty, owl:DatatypeProperty))
        FILTER(STRSTARTS(STR(?t), "{BASE}ontology#")) }} }}""")
    assert len(terms) > 50
    for row in terms:
        assert f'id="{row["t"].value.split("#")[1]}"' in r.text
    definition = rows(graph_store, f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?d WHERE {{ <{BASE}ontology#Membership> skos:definition|rdfs:comment ?d }}""")
    assert escape(definition[0]["d"].value) in r.text


@pytest.mark.parametrize("path", ["/ontology", "/ontology.ttl"])
def test_ontology_rdf(site: str, path: str) -> None:
    r = httpx.get(site + path, headers={"Accept": "text/turtle"})
    assert r.headers["content-type"].startswith("text/turtle")
    assert (MKG.Membership, RDFNS.type, rdflib.OWL.Class) in parse(r.content, "text/turtle")


def test_home_page_lists_classes_with_counts(site: str, graph_store: OxigraphStore) -> None:
    r = httpx.get(site + "/", headers={"Accept": "text/html"})
    assert r.status_code == 200
    for link in ('href="/sparql"', 'href="/dumps/"', 'href="/.well-known/void"', 'href="/ontology"'):
        assert link in r.text
    states = int(rows(graph_store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a mkg:State }")[0]["n"].value)
    assert f">{states}</a></td>" in r.text
    rdf = httpx.get(site + "/", headers={"Accept": "text/turtle"})
    assert rdf.status_code == 303 and rdf.headers["location"] == "/.well-known/void"


def test_unknown_iris_are_404_with_a_message(site: str) -> None:
    html = httpx.get(site + "/id/state/XXX", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
    assert "https://w3id.org/migration-kg/id/state/XXX" in html.text
    text = httpx.get(site + "/id/state/XXX", headers={"Accept": "text/turtle"})
    assert text.status_code == 404 and "id/state/XXX" in text.text
    assert httpx.get(site + "/doc/no-such-document").status_code == 404
    assert httpx.get(site + "/ontologyx").status_code == 404
    assert httpx.get(site + "/id/state/ECU", headers={"Accept": "image/png"}).status_code == 406


def test_class_listing(site: str, graph_store: OxigraphStore) -> None:
    r = httpx.get(site + "/classes", params={"class": BASE + "ontology#State"})
    assert r.status_code == 200 and 'href="/id/state/ECU"' in r.text
    assert httpx.get(site + "/classes", params={"class": "not an iri"}).status_code == 400


def test_data_is_escaped(tmp_path: Path) -> None:
    store = OxigraphStore()
    evil = ox.NamedNode(BASE + "id/thing/evil")
    store.add_quads([
        ox.Quad(evil, ox.NamedNode(str(rdflib.RDFS.label)), ox.Literal('<script>alert("x")</script>'),
                ox.NamedNode(BASE + "graph/entities")),
        ox.Quad(evil, ox.NamedNode(BASE + "ontology#description"), ox.Literal("a & b <b>bold</b>"),
                ox.NamedNode(BASE + "graph/entities")),
    ])
    with serve(create_app(Settings(data_dir=tmp_path), store=store)) as url:
        page = httpx.get(url + "/id/thing/evil", headers={"Accept": "text/html"}).text
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "a &amp; b &lt;b&gt;bold&lt;/b&gt;" in page


# --- VoID and dumps -------------------------------------------------------------------------


def test_void_counts_equal_the_store(site: str, graph_store: OxigraphStore) -> None:
    r = httpx.get(site + "/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    void = parse(r.content, "text/turtle")
    not_void = f"FILTER(?g != <{BASE}graph/void>)"

    def count(select: str) -> int:
        return int(rows(graph_store, select)[0]["n"].value)

    assert int(void.value(DATASET, VOID.triples)) == count(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {not_void} }} }}")
    assert int(void.value(DATASET, VOID.distinctSubjects)) == count(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {not_void} }}")
    assert int(void.value(DATASET, VOID.distinctObjects)) == count(
        f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {not_void} }}")
    partitions = {void.value(p, VOID["class"]): int(void.value(p, VOID.entities))
                  for p in void.objects(DATASET, VOID.classPartition)}
    assert partitions[MKG.State] == count(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a mkg:State }} {not_void} }}")
    properties = {void.value(p, VOID.property): int(void.value(p, VOID.triples))
                  for p in void.objects(DATASET, VOID.propertyPartition)}
    assert properties[rdflib.RDFS.label] == count(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ GRAPH ?g {{ ?s rdfs:label ?o }} {not_void} }} }}")
    wikidata = [ls for ls in void.subjects(RDFNS.type, VOID.Linkset)
                if void.value(ls, VOID.linkPredicate) == rdflib.OWL.sameAs
                and str(void.value(void.value(ls, VOID.objectsTarget), VOID.uriSpace)) == "http://www.wikidata.org/entity/"]
    assert len(wikidata) == 1
    assert int(void.value(wikidata[0], VOID.triples)) == count(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?o WHERE { ?s owl:sameAs ?o "
        'FILTER(STRSTARTS(STR(?o), "http://www.wikidata.org/entity/") '
        f'&& STRSTARTS(STR(?s), "{BASE}")) }} }}')
    assert str(void.value(DATASET, VOID.sparqlEndpoint)).endswith("/sparql")
    assert str(void.value(DATASET, VOID.uriSpace)) == BASE
    assert void.value(DATASET, rdflib.DCTERMS.license) is not None
    assert void.value(DATASET, rdflib.DCTERMS.modified) is not None
    assert len(set(void.objects(DATASET, rdflib.DCTERMS.source))) == count(
        f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ GRAPH <{BASE}graph/catalogue> {{ ?d a mkg:Document }} }}")
    assert rdflib.URIRef(str(MKG)) in set(void.objects(DATASET, VOID.vocabulary))
    # the same description is in the dataset as graph/void
    assert graph_store.query(f"ASK {{ GRAPH <{BASE}graph/void> {{ <{DATASET}> a <{VOID}Dataset> }} }}")


def test_void_html_is_the_dataset_page(site: str) -> None:
    r = httpx.get(site + "/.well-known/void", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "Migration governance knowledge graph" in r.text and "void:classPartition" in r.text


def test_dumps_are_listed_described_and_verifiable(site: str, graph_store: OxigraphStore) -> None:
    index = httpx.get(site + "/dumps/", headers={"Accept": "text/html"})
    assert index.status_code == 200
    catalog = parse(httpx.get(site + "/dumps/", headers={"Accept": "text/turtle"}).content, "text/turtle")
    distributions = list(catalog.objects(DATASET, DCAT.distribution))
    assert len(distributions) == 2
    sums = dict(reversed(line.split("  ")) for line in httpx.get(site + "/dumps/SHA256SUMS").text.splitlines())
    media = set()
    for dist in distributions:
        url = str(catalog.value(dist, DCAT.downloadURL))
        name = url.rsplit("/", 1)[1]
        assert f'href="/dumps/{name}"' in index.text
        checksum = catalog.value(dist, SPDX.checksum)
        expected = str(catalog.value(checksum, SPDX.checksumValue))
        r = httpx.get(site + "/dumps/" + name)
        assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
        assert hashlib.sha256(r.content).hexdigest() == expected == sums[name]
        assert r.headers["etag"] == f'"{expected}"'
        assert int(catalog.value(dist, DCAT.byteSize)) == len(r.content)
        assert httpx.get(site + "/dumps/" + name, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
        media.add(str(catalog.value(dist, DCAT.mediaType)).rsplit("/", 2)[-2:][1])
        fmt = ox.RdfFormat.N_QUADS if name.endswith(".nq.gz") else ox.RdfFormat.TRIG
        loaded = ox.Store()
        loaded.load(gzip.decompress(r.content), format=fmt)
        assert len(loaded) == graph_store.quads_count()
    assert media == {"n-quads", "trig"}


@pytest.mark.parametrize("path", ["/dumps/graph.nq", "/dumps/..%2Fgraph.nq", "/dumps/%2e%2e", "/dumps/dumps.json",
                                  "/dumps/..%2Fmanifest.json", "/dumps/%2Fetc%2Fpasswd"])
def test_dumps_serve_only_listed_files(site: str, path: str) -> None:
    assert httpx.get(site + path).status_code == 404


def test_build_keeps_texts_and_manifest(built: tuple[Settings, BuildReport]) -> None:
    _, report = built
    assert report.build_dir is not None
    manifest = json.loads((report.build_dir / "dumps" / "dumps.json").read_text("utf-8"))
    assert manifest["build_id"] == report.build_dir.name
    assert all(f["name"].startswith(f"migration-kg-{report.build_dir.name}") for f in manifest["files"])
    assert sorted(p.stem for p in (report.build_dir / "texts").iterdir()) == sorted(report.documents)


def test_pages_follow_a_configured_base_iri(tmp_path: Path) -> None:
    """With ``MKG_BASE_IRI`` set, the store holds IRIs under that base and the pages still find the evidence."""
    base = "https://kg.example/"
    text = "In 2019 the Forum was chaired by Ecuador."
    start = text.index("chaired by Ecuador")
    end = start + len("chaired by Ecuador")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2020-01-01-note.txt").write_text(text, "utf-8")
    n = ox.NamedNode
    mkg, graph = base + "ontology#", n(base + "graph/doc/2020-01-01-note")
    ecu, forum, doc = n(base + "id/state/ECU"), n(base + "id/process/forum"), n(base + "doc/2020-01-01-note")
    st, ev = n(base + "statement/s1"), n(base + "evidence/2020-01-01-note/e1")
    label, rdf = str(rdflib.RDFS.label), str(RDFNS)
    store = OxigraphStore()
    store.add_quads(ox.Quad(s, p, o, graph) for s, p, o in [
        (ecu, n(label), ox.Literal("Ecuador")), (forum, n(label), ox.Literal("The Forum")),
        (forum, n(mkg + "chairedBy"), ecu),
        (st, n(rdf + "type"), n(rdf + "Statement")), (st, n(rdf + "subject"), forum),
        (st, n(rdf + "predicate"), n(mkg + "chairedBy")), (st, n(rdf + "object"), ecu), (st, n(mkg + "evidence"), ev),
        (ev, n(mkg + "quote"), ox.Literal(text[start:end])),
        (ev, n(mkg + "startOffset"), ox.Literal(str(start), datatype=n(str(rdflib.XSD.integer)))),
        (ev, n(mkg + "endOffset"), ox.Literal(str(end), datatype=n(str(rdflib.XSD.integer)))),
        (ev, n(mkg + "document"), doc), (ev, n(mkg + "rule"), n(base + "rule/chaired-by")),
        (doc, n(str(rdflib.DCTERMS.title)), ox.Literal("A note")),
    ])
    settings = Settings(base_iri=base, data_dir=tmp_path / "data", corpus_dir=corpus)
    with serve(create_app(settings, store=store)) as url:
        page = httpx.get(url + "/id/state/ECU", headers={"Accept": "text/html"}).text
        assert "<q>chaired by Ecuador</q>" in page
        assert f"/doc/2020-01-01-note?start={start}&amp;end={end}#hl" in page
        doc_page = httpx.get(url + "/doc/2020-01-01-note", params={"start": start, "end": end},
                             headers={"Accept": "text/html"}).text
        parser = MarkText()
        parser.feed(doc_page)
        assert "".join(parser.text) == "chaired by Ecuador"
        graph_ttl = parse(httpx.get(url + "/id/state/ECU", headers={"Accept": "text/turtle"}).content, "text/turtle")
        assert (rdflib.URIRef(ev.value), rdflib.URIRef(mkg + "quote"), rdflib.Literal("chaired by Ecuador")) in graph_ttl
