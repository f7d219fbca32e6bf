"""The explorer (issue 9) against a real build served by uvicorn on 127.0.0.1: the search index the
build writes, search and suggest, facet counts checked against SPARQL counts of the same selection,
the 400s for bad input, CSV export, entity pages, and one walk through the page in Debian's Chromium
(Playwright, as ``test_linked_data_browser.py``).
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from livehttp import serve

from migration_kg.pipeline import BuildReport
from migration_kg.search import INDEX_NAME, SearchIndex, build_index
from migration_kg.serve import create_app
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

BASE = "https://w3id.org/migration-kg/"
MKG = BASE + "ontology#"
LAUBER = BASE + "id/person/jurg-lauber"
DIALOGUE_DOC = BASE + "doc/2017-04-06-gfmd-dialogue-on-the-gcm"
CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
PREFIXES = f"""PREFIX mkg: <{MKG}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dct: <http://purl.org/dc/terms/>
"""
#: Events with the selection's year (their own date, else a document's) and read from the selection's document:
#: the facets' definitions written out by hand, to check the explorer's counts against.
EVENTS_IN_YEAR_AND_DOCUMENT = PREFIXES + """
SELECT ?year ?doc (COUNT(DISTINCT ?e) AS ?n) WHERE {
  ?e a mkg:Event .
  ?s1 rdf:subject|rdf:object ?e ; mkg:evidence/mkg:document ?doc .
  { ?e mkg:startDate|mkg:date|mkg:year|dct:date ?d }
  UNION { ?s2 rdf:subject|rdf:object ?e ; mkg:evidence/mkg:document/dct:date ?d
          FILTER NOT EXISTS { ?e mkg:startDate|mkg:date|mkg:year|dct:date ?own } }
  FILTER(SUBSTR(STR(?d), 1, 4) = ?year)
} GROUP BY ?year ?doc"""
EVENTS = PREFIXES + "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a mkg:Event FILTER(isIRI(?e)) }"


def count(store: OxigraphStore, query: str, **bindings: Any) -> int:
    rows = list(store.query(query, substitutions=bindings or None))  # type: ignore[arg-type]
    return int(rows[0]["n"].value) if rows else 0


@pytest.fixture(scope="module")
def site(built: tuple[Settings, BuildReport]) -> Iterator[str]:
    with serve(create_app(built[0])) as url:
        yield url


@pytest.fixture(scope="module")
def client(site: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=30) as c:
        yield c


# --- the index --------------------------------------------------------------------------


def test_the_build_writes_its_search_index(built: tuple[Settings, BuildReport]) -> None:
    build_dir = built[1].build_dir
    assert build_dir is not None and (build_dir / INDEX_NAME).is_file()
    assert "search" in built[1].seconds
    index = SearchIndex(build_dir / INDEX_NAME)
    assert index.entities("Jürg Lauber")[0].iri == LAUBER


def test_diacritics_and_misspellings_without_any_alias(tmp_path: Path) -> None:
    """No hidden label helps here: the folding and the trigram match do the work."""
    store = OxigraphStore()
    label, acronym, kind = (ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.NamedNode(MKG + "acronym"),
                            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"))
    graph = ox.NamedNode(BASE + "graph/test")
    person, desa = ox.NamedNode(BASE + "id/person/x"), ox.NamedNode(BASE + "id/org/desa")
    store.add_quads([
        ox.Quad(person, kind, ox.NamedNode(MKG + "Person"), graph), ox.Quad(person, label, ox.Literal("Jürg Lauber"), graph),
        ox.Quad(desa, kind, ox.NamedNode(MKG + "UNEntity"), graph),
        ox.Quad(desa, label, ox.Literal("Department of Economic and Social Affairs"), graph),
        ox.Quad(desa, acronym, ox.Literal("UN DESA"), graph),
    ])
    stats = build_index(store, tmp_path / INDEX_NAME, base=BASE, texts={})
    assert (stats.entities, stats.passages) == (2, 0)
    index = SearchIndex(tmp_path / INDEX_NAME)
    assert [(h.iri, h.match) for h in index.entities("Jurg Lauber")] == [(person.value, "words")]
    assert [(h.iri, h.match) for h in index.entities("jurg")] == [(person.value, "words")]
    assert [(h.iri, h.match, h.matched) for h in index.entities("Lauberr")] == [(person.value, "fuzzy", "Jürg Lauber")]
    assert [(h.iri, h.match, h.matched) for h in index.entities("UNDSA")] == [(desa.value, "fuzzy", "UN DESA")]
    assert [h.iri for h in index.entities("un desa")] == [desa.value]


# --- search and suggest over HTTP -------------------------------------------------------------


def test_search_finds_jurg_lauber_without_the_umlaut(client: httpx.Client) -> None:
    answer = client.get("/explore/api/search", params={"q": "Jurg Lauber"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    first = answer.json()["entities"][0]
    assert (first["iri"], first["label"], first["typeLabel"]) == (LAUBER, "Jürg Lauber", "person")
    assert any("Lauber" in p["sentence"] for p in answer.json()["passages"])


def test_undsa_finds_un_desa(client: httpx.Client) -> None:
    hits = client.get("/explore/api/search", params={"q": "UNDSA"}).json()["entities"]
    assert hits and hits[0]["iri"] == BASE + "id/org/undesa"


def test_a_passage_is_found_by_its_words(client: httpx.Client, built: tuple[Settings, BuildReport]) -> None:
    words = "Modalities Resolution adopted later that day"
    passages = client.get("/explore/api/search", params={"q": words}).json()["passages"]
    assert passages, "the sentence is found"
    best = passages[0]
    assert best["document"] == DIALOGUE_DOC
    assert "adopted later that day" in best["sentence"]
    assert [text for text, hit in best["snippet"] if hit], "the matched words are marked"
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True), "ranked by bm25"
    assert built[1].build_dir is not None
    text = (built[1].build_dir / "texts" / "2017-04-06-gfmd-dialogue-on-the-gcm.txt").read_text("utf-8")
    assert text[best["start"]:best["end"]] == best["sentence"], "the offsets are the sentence's in the document"
    for quote in best["quotes"]:
        assert text[quote["start"]:quote["end"]] == quote["quote"]


def test_suggest_returns_typed_entries(client: httpx.Client) -> None:
    answer = client.get("/explore/api/suggest", params={"q": "jur"})
    assert answer.status_code == 200
    suggestions = answer.json()["suggestions"]
    assert suggestions and len(suggestions) <= 8
    assert {"iri", "label", "type", "typeLabel"} <= set(suggestions[0])
    lauber = next(s for s in suggestions if s["iri"] == LAUBER)
    assert (lauber["type"], lauber["typeLabel"]) == (MKG + "Person", "person")


@pytest.mark.parametrize("q", ["", '"', "*", '"*"', "   ", "()", "x" * 201])
def test_queries_without_a_word_are_400s_with_a_message(client: httpx.Client, q: str) -> None:
    for path in ("/explore/api/search", "/explore/api/suggest"):
        answer = client.get(path, params={"q": q}, headers={"Accept": "application/json"})
        assert answer.status_code == 400, (path, q, answer.text)
        assert answer.json()["message"]


@pytest.mark.parametrize("q", ['Lauber"', '"Lauber', "Lauber*", "(Lauber)", "^Lauber -", "Lauber:"])
def test_fts_syntax_characters_are_dropped(client: httpx.Client, q: str) -> None:
    answer = client.get("/explore/api/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    assert LAUBER in [e["iri"] for e in answer.json()["entities"]]


@pytest.mark.parametrize("q", ["NEAR(Lauber", "Lauber AND", "Lauber OR NOT x", "lauber:x NEAR/2"])
def test_fts_keywords_are_searched_as_plain_words(client: httpx.Client, q: str) -> None:
    """"AND", "NEAR" … are words to find (here found nowhere near Lauber), not FTS5 operators."""
    answer = client.get("/explore/api/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    assert LAUBER not in [e["iri"] for e in answer.json()["entities"] if e["match"] == "words"]


def test_missing_q_is_a_400(client: httpx.Client) -> None:
    assert client.get("/explore/api/search").status_code == 400


# --- facets -----------------------------------------------------------------------------------


def facets(client: httpx.Client, **params: str) -> dict[str, Any]:
    answer = client.get("/explore/api/facets", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def values(body: dict[str, Any], facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for f in body["facets"] if f["name"] == facet for v in f["values"]}


def test_facet_counts_narrow_as_values_are_chosen(client: httpx.Client, graph_store: OxigraphStore) -> None:
    everything = facets(client, kind="events")
    assert everything["total"] == count(graph_store, EVENTS)
    years = values(everything, "year")
    year = max(years, key=lambda y: (years[y], y))
    in_year = facets(client, kind="events", year=year)
    assert in_year["total"] == years[year] < everything["total"]
    documents = values(in_year, "document")
    assert documents and all(n <= in_year["total"] for n in documents.values())
    document = max(documents, key=lambda d: (documents[d], d))
    both = facets(client, kind="events", year=year, document=document)
    expected = count(graph_store, EVENTS_IN_YEAR_AND_DOCUMENT, year=ox.Literal(year), doc=ox.NamedNode(document))
    assert both["total"] == documents[document] == expected
    assert both["shown"] == len(both["items"]) == expected
    for facet in both["facets"]:
        assert all(v["count"] <= both["total"] for v in facet["values"]), facet["name"]
        if facet["name"] == "year":
            assert facet["selected"] == year and values(both, "year")[year] == expected
    for item in both["items"]:
        assert year in [v["value"] for v in item["values"]["year"]]
        assert document in [v["value"] for v in item["values"]["document"]]


def test_every_kind_and_its_facets_answer(client: httpx.Client, graph_store: OxigraphStore) -> None:
    kinds = client.get("/explore/api/perspectives").json()["kinds"]
    assert [k["name"] for k in kinds] == ["events", "persons", "organisations", "states", "documents", "propositions"]
    classes = {"persons": "Person", "states": "State", "propositions": "Proposition"}
    for kind in kinds:
        body = facets(client, kind=kind["name"])
        assert [f["name"] for f in body["facets"]] == [f["name"] for f in kind["facets"]]
        if kind["name"] in classes:
            query = PREFIXES + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a mkg:{classes[kind['name']]} }}"
            assert body["total"] == count(graph_store, query), kind["name"]


def test_modality_facet_of_propositions(client: httpx.Client, graph_store: OxigraphStore) -> None:
    proposed = facets(client, kind="propositions", modality=MKG + "Proposed")
    query = PREFIXES + """SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a mkg:Proposition .
      { ?x mkg:modality mkg:Proposed }
      UNION { ?st rdf:subject|rdf:object ?x ; mkg:modality|mkg:evidence/mkg:modality mkg:Proposed } }"""
    assert proposed["total"] == count(graph_store, query) > 0


def test_csv_export_holds_the_table(client: httpx.Client) -> None:
    body = facets(client, kind="events", sort="year", order="desc")
    answer = client.get("/explore/api/facets", params={"kind": "events", "sort": "year", "order": "desc", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["iri", "label", "type", "year", "process", "document", "modality"]
    assert [r[0] for r in rows[1:]] == [item["iri"] for item in body["items"]]


@pytest.mark.parametrize("params", [
    {"kind": "bogus"}, {"kind": "events", "colour": "red"}, {"kind": "states", "type": MKG + "State"},
    {"kind": "events", "sort": "bogus"}, {"kind": "events", "order": "sideways"}, {"kind": "events", "format": "xml"},
    {"kind": "events", "limit": "0"}, {"kind": "events", "limit": "x"},
])
def test_bad_facet_requests_are_400s(client: httpx.Client, params: dict[str, str]) -> None:
    answer = client.get("/explore/api/facets", params=params, headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.json()["message"]


def test_a_facet_given_twice_is_a_400(client: httpx.Client) -> None:
    answer = client.get("/explore/api/facets?kind=events&year=2019&year=2018")
    assert answer.status_code == 400 and "twice" in answer.text


# --- pages ------------------------------------------------------------------------------------


def test_the_entity_page_shows_facts_with_their_evidence(client: httpx.Client) -> None:
    answer = client.get("/explore/entity", params={"iri": LAUBER})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "<h1>Jürg Lauber</h1>" in html
    assert '<mark class="quote">' in html and "badge modality-stated" in html
    assert "/doc/2017-04-06-gfmd-dialogue-on-the-gcm?start=" in html
    assert "rule/" in html and '<svg class="network"' in html


def test_entity_page_errors(client: httpx.Client) -> None:
    assert client.get("/explore/entity", params={"iri": BASE + "id/person/nobody"}).status_code == 404
    assert client.get("/explore/entity", params={"iri": "not an iri"}).status_code == 400
    assert client.get("/explore/entity").status_code == 400


def test_the_explorer_is_linked_and_serves_its_files_only(client: httpx.Client) -> None:
    assert 'href="/explore"' in client.get("/", headers={"Accept": "text/html"}).text
    page = client.get("/explore")
    assert page.status_code == 200 and "/explore/static/explore.js" in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text, "no CDN"
    assert client.get("/explore/static/explore.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/explore/static/explore.css").status_code == 200
    assert client.get("/explore/static/..%2Fpages.py").status_code == 404
    assert client.get("/explore/static/pages.css").status_code == 404


# --- in a browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (bash scripts/install-system-deps.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def test_type_pick_a_suggestion_and_read_the_evidence(site: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(site + "/explore")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#table tbody tr").count() > 0, "the events table is filled"
        # a facet value is chosen: the URL holds it, and back restores the unfiltered view
        first = page.locator('#facets section[data-facet="year"] a').first
        year = first.get_attribute("data-value")
        before = page.locator("#table tbody tr").count()
        first.click()
        page.wait_for_url(f"**/explore?*year={year}*")
        page.wait_for_function(f"document.querySelectorAll('#table tbody tr').length !== {before}")
        page.go_back()
        page.wait_for_function(f"document.querySelectorAll('#table tbody tr').length === {before}")
        assert "year=" not in page.url
        # search box: type, see the suggestion, open it
        page.locator("#q").press_sequentially("Jurg Laub", delay=30)
        suggestion = page.locator("#suggestions a", has_text="Jürg Lauber")
        suggestion.wait_for(state="visible")
        assert "person" in suggestion.inner_text()
        page.screenshot(path=str(tmp_path / "suggest.png"))
        suggestion.click()
        page.wait_for_url("**/explore/entity?iri=*")
        assert page.locator("h1").inner_text() == "Jürg Lauber"
        quote = page.locator("blockquote.evidence mark.quote").first
        quote.scroll_into_view_if_needed()
        assert quote.is_visible() and "Lauber" in quote.inner_text()
        badge = page.locator("blockquote.evidence .badge").first
        assert badge.inner_text() in ("stated", "proposed", "expected", "disputed")
        page.screenshot(path=str(tmp_path / "entity.png"), full_page=True)
    finally:
        page.close()
    assert errors == [], errors
