"""HTML of the explorer: the ``/explore`` shell (filled by ``static/explore.js``) and the entity page.

Everything from the data passes through :func:`html.escape` here, once. The entity page
needs no JavaScript: its facts, quotes and neighbourhood drawing (SVG) are rendered here.
"""

from __future__ import annotations

import math
from html import escape
from urllib.parse import urlencode

from ..pages import Site, page
from .entity import EntityView, Fact, Neighbour, Source
from .facets import Perspectives

STYLE = '<link rel="stylesheet" href="/explore/static/explore.css">'
HEAD = STYLE + '\n<script type="module" src="/explore/static/explore.js"></script>'
#: Neighbours drawn around an entity at most (the list below the drawing has them all).
DRAWN = 16
MODALITIES = ("stated", "proposed", "expected", "disputed")


def entity_href(iri: str) -> str:
    """The explorer page of ``iri``."""
    return "/explore/entity?" + urlencode({"iri": iri})


def explore_page(perspectives: Perspectives) -> str:
    """The ``/explore`` page: search box, kind tabs, facet lists and result table (filled by the script)."""
    tabs = "".join(
        f'<button type="button" class="kind" data-kind="{escape(k.name, quote=True)}">{escape(k.label)}</button>'
        for k in perspectives.kinds.values())
    body = f"""<h1>Explore</h1>
<form id="search" role="search" autocomplete="off" action="/explore" method="get">
  <label for="q">Search names and evidence</label>
  <div class="searchbox"><input id="q" name="q" type="search" maxlength="200"
    placeholder="a person, state, body, event or words of a sentence" aria-autocomplete="list" aria-controls="suggestions">
  <ul id="suggestions" role="listbox" hidden></ul></div>
  <button type="submit">Search</button>
</form>
<section id="results" hidden>
  <h2>Entities</h2><ol id="entity-hits" class="hits"></ol>
  <h2>Passages</h2><ol id="passage-hits" class="hits"></ol>
</section>
<h2>Browse</h2>
<nav class="kinds" aria-label="kinds">{tabs}</nav>
<div class="browse">
  <aside id="facets" aria-label="facets"></aside>
  <section>
    <p id="summary" class="graph"></p>
    <p><a id="csv" href="#" download>Export as CSV</a> · <a id="clear" href="/explore">clear the selection</a></p>
    <table id="table"><thead></thead><tbody></tbody></table>
  </section>
</div>
<noscript><p class="notice">The explorer needs JavaScript; the <a href="/explore/api/facets?kind=events">facet API</a>
and the <a href="/sparql">SPARQL endpoint</a> do not.</p></noscript>"""
    return page("Explore", body, head=HEAD)


def entity_page(site: Site, view: EntityView) -> str:
    """The explorer page of one entity: names, types, neighbourhood, then each fact with its evidence."""
    parts = [f"<h1>{escape(view.label)}</h1>", f'<div class="iri">{escape(view.iri)}</div>']
    if view.types:
        parts.append('<p class="types">' + "".join(
            f'<a class="chip" href="{escape(site.href(t) or t, quote=True)}">{escape(label)}</a>'
            for t, label in view.types) + "</p>")
    if view.alt:
        parts.append("<p>Also known as: " + "; ".join(escape(a) for a in view.alt) + "</p>")
    local = site.href(view.iri)
    links = [f'<a href="{escape(local, quote=True)}">Linked Data page</a>'] if local else []
    links.append('<a href="/explore">Explore</a>')
    parts.append('<p class="formats">' + " · ".join(links) + "</p>")
    if view.neighbours:
        parts.append("<h2>Neighbourhood</h2>" + neighbourhood_svg(view))
    parts.append(f"<h2>Facts with their evidence ({len(view.facts)})</h2>")
    if not view.facts:
        parts.append("<p>No fact about this entity was read from a document (it may come from a reference "
                     "vocabulary: see its Linked Data page).</p>")
    parts += [_fact_html(site, view.iri, fact) for fact in view.facts]
    return page(view.label, "\n".join(parts), head=STYLE)  # no script: the page is whole without one


def _term(site: Site, current: str, term: tuple[str, str]) -> str:
    value, label = term
    if value == current:
        return f'<strong>{escape(label or value)}</strong>'
    if value.startswith(("http://", "https://")):
        href = entity_href(value) if site.href(value) and "/ontology#" not in value else site.href(value) or value
        return f'<a href="{escape(href, quote=True)}">{escape(label or site.curie(value))}</a>'
    return f'<span class="lit">{escape(value)}</span>'


def _fact_html(site: Site, current: str, fact: Fact) -> str:
    head = " ".join((_term(site, current, fact.subject),
                     f'<span class="prop">{escape(fact.predicate[1] or site.curie(fact.predicate[0]))}</span>',
                     _term(site, current, fact.object)))
    sources = "".join(_source_html(site, s) for s in fact.sources)
    return f'<article class="fact"><div class="triple">{head}</div>{sources}</article>'


def _source_html(site: Site, source: Source) -> str:
    at = source.sentence.find(source.quote)
    if at >= 0:
        sentence = (escape(source.sentence[:at]) + f'<mark class="quote">{escape(source.quote)}</mark>'
                    + escape(source.sentence[at + len(source.quote):]))
    else:  # the quote spans sentences: show it, then the sentence it starts in
        sentence = f'<mark class="quote">{escape(source.quote)}</mark> — {escape(source.sentence)}'
    modality = (source.modality_label or (source.modality or "").rsplit("#", 1)[-1] or "unknown").lower()
    badge = modality if modality in MODALITIES else "unknown"
    doc = source.document_title or site.curie(source.document)
    return (f'<blockquote class="evidence">{sentence}<footer>'
            f'<span class="badge modality-{badge}">{escape(modality)}</span> '
            f'<a class="doc" href="{escape(site.passage_href(source.document, source.start, source.end), quote=True)}">'
            f"{escape(doc)}</a>, characters {source.start}–{source.end} · rule "
            f"{site.link(source.rule, site.curie(source.rule).removeprefix('rule/'))}</footer></blockquote>")


def neighbourhood_svg(view: EntityView) -> str:
    """The entity and up to :data:`DRAWN` neighbours on a circle around it, each linked to its page (SVG)."""
    shown: list[Neighbour] = []
    for n in view.neighbours:
        if all(m.iri != n.iri for m in shown):
            shown.append(n)
    shown = shown[:DRAWN]
    width, height, radius = 760, 420, 160
    cx, cy = width / 2, height / 2
    lines, nodes = [], []
    for i, n in enumerate(shown):
        angle = 2 * math.pi * i / len(shown) - math.pi / 2
        x, y = cx + radius * 1.6 * math.cos(angle), cy + radius * math.sin(angle)
        arrow = "→" if n.outgoing else "←"
        lines.append(f'<line x1="{cx:.0f}" y1="{cy:.0f}" x2="{x:.0f}" y2="{y:.0f}"/>'
                     f'<text class="edge" x="{(cx + x) / 2:.0f}" y="{(cy + y) / 2:.0f}">{escape(arrow)} '
                     f"{escape(n.predicate_label)}</text>")
        label = n.label if len(n.label) <= 28 else n.label[:27] + "…"
        nodes.append(f'<a href="{escape(entity_href(n.iri), quote=True)}"><title>{escape(n.label)}</title>'
                     f'<circle cx="{x:.0f}" cy="{y:.0f}" r="6"/>'
                     f'<text x="{x:.0f}" y="{y - 10:.0f}">{escape(label)}</text></a>')
    centre = view.label if len(view.label) <= 32 else view.label[:31] + "…"
    more = len({n.iri for n in view.neighbours}) - len(shown)
    note = f'<p class="graph">and {more} more on the Linked Data page.</p>' if more > 0 else ""
    return (f'<svg class="network" viewBox="0 0 {width} {height}" role="img" aria-label="neighbourhood">'
            f'<g class="edges">{"".join(lines)}</g><g class="nodes">{"".join(nodes)}</g>'
            f'<circle class="centre" cx="{cx:.0f}" cy="{cy:.0f}" r="9"/>'
            f'<text class="centre" x="{cx:.0f}" y="{cy + 26:.0f}">{escape(centre)}</text></svg>{note}')
