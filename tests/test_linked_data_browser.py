"""The Linked Data pages in a real browser: Debian's Chromium driven by Playwright.

A person's page shows the quote behind a fact; following its link opens the document
page with that passage highlighted and scrolled into view. Screenshots go to the test's
temporary folder (``MKG_SCREENSHOTS=DIR`` keeps them somewhere to look at).

Skipped, saying why, where Chromium or Playwright is missing (``scripts/install-system-deps.sh``
installs the former, the ``[test]`` extra the latter; ``playwright install`` is never needed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from livehttp import serve

from migration_kg.pipeline import BuildReport
from migration_kg.serve import create_app
from migration_kg.serve.pages import EVIDENCE_SHOWN
from migration_kg.settings import Settings
from migration_kg.store import OxigraphStore

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser"))
                 if p and Path(p).exists()), None)
BASE = "https://w3id.org/migration-kg/"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed "
                                "(bash scripts/install-system-deps.sh installs it)")


@pytest.fixture(scope="module")
def site(built: tuple[Settings, BuildReport]) -> Iterator[str]:
    with serve(create_app(built[0])) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MKG_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    viewport = page.viewport_size
    if box is None or box["height"] <= 0:
        return False
    return 0 <= box["y"] and box["y"] + min(box["height"], 40) <= viewport["height"]


def test_quote_link_opens_the_document_with_the_passage_highlighted(
    site: str, browser: Any, graph_store: OxigraphStore, tmp_path: Path
) -> None:
    # The person with the last-placed evidence in the corpus, on a statement whose evidence all fits on the
    # page (EVIDENCE_SHOWN); ties broken so the pick is stable. Quotes overlap (``Mr. Peter Sutherland`` and
    # ``Peter Sutherland``), so the quote's link is found by its exact passage, not by text containing the quote.
    found = [row for row in graph_store.query("""
        PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?person ?quote ?start ?end ?n WHERE {
          ?person a mkg:Person . ?st rdf:object ?person ; mkg:evidence ?ev .
          ?ev mkg:quote ?quote ; mkg:startOffset ?start ; mkg:endOffset ?end
          { SELECT ?st (COUNT(DISTINCT ?e) AS ?n) WHERE { ?st mkg:evidence ?e } GROUP BY ?st }
        } ORDER BY DESC(?start) ?end ?person ?quote"""  # type: ignore[union-attr]
        ) if int(row["n"].value) <= EVIDENCE_SHOWN][:1]
    assert found, "the build has a person with evidence"
    person, quote = found[0]["person"].value, found[0]["quote"].value
    start, end = int(found[0]["start"].value), int(found[0]["end"].value)
    out = screenshots(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site + "/" + person.removeprefix(BASE))
        to_passage = f'a.quote-link[href*="?start={start}&end={end}#hl"]'
        evidence = page.locator(".ev", has=page.locator(to_passage)).first
        link = evidence.locator(to_passage)
        quote_box = evidence.locator("q")
        quote_box.scroll_into_view_if_needed()
        assert quote_box.is_visible()
        assert quote_box.inner_text() == quote
        page.screenshot(path=str(out / "person.png"))
        link.click()
        page.wait_for_load_state("load")
        assert "/doc/" in page.url and f"start={start}&end={end}" in page.url and page.url.endswith("#hl")
        highlighted = page.locator("mark#hl")
        assert highlighted.is_visible()
        assert highlighted.inner_text() == quote
        assert in_viewport(page, "mark#hl"), "the browser scrolled to the passage"
        background = page.eval_on_selector("mark#hl", "e => getComputedStyle(e).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent")
        page.screenshot(path=str(out / "document-passage.png"))
    finally:
        page.close()


def test_marks_carry_their_facts_and_link_to_the_evidence(site: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site + "/doc/2019-04-04-gfmd-gcm-relationship-consultation")
        mark = page.locator("mark.fact").first
        assert mark.is_visible()
        assert "rule/" in (mark.get_attribute("title") or "")
        mark.locator("a").click()
        page.wait_for_load_state("load")
        assert "/evidence/" in page.url
        assert page.locator("h2", has_text="Quote").is_visible()
    finally:
        page.close()
