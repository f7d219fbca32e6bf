"""HTML for the Linked Data pages: one layout (``string.Template``), small render helpers, no JavaScript.

Everything that comes from the data passes through :func:`html.escape` here, once, at
the point where it becomes markup. Links to resources we mint go to this server (the
base IRI is mapped onto the request's root), other IRIs are external links.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from ..namespaces import prefixed_name
from .describe import Description, Evidence, Extraction, Term, Value

LABEL_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
)
ALT_LABELS = ("http://www.w3.org/2004/02/skos/core#altLabel",)
HIDDEN_LABELS = ("http://www.w3.org/2004/02/skos/core#hiddenLabel",)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LINK_PROPERTIES = (
    "http://www.w3.org/2002/07/owl#sameAs",
    "http://www.w3.org/2004/02/skos/core#exactMatch",
    "http://www.w3.org/2004/02/skos/core#closeMatch",
    "http://xmlns.com/foaf/0.1/page",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso",
)
#: Evidence quotes shown per value before "and N more".
EVIDENCE_SHOWN = 5

_LAYOUT = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title — migration governance knowledge graph</title>
$alternates
<style>
$css</style>
$head
</head>
<body>
<header class="site"><a class="brand" href="/">Migration governance KG</a>
<a href="/explore">Explore</a> <a href="/ontology">Ontology</a> <a href="/sparql">SPARQL</a> <a href="/dumps/">Dumps</a>
<a href="/.well-known/void">VoID</a></header>
<main>
$body
</main>
</body>
</html>
""")


@dataclass(frozen=True)
class Site:
    """How IRIs become links on this server."""

    base_iri: str

    def href(self, iri: str) -> str | None:
        """The local path serving ``iri`` (``/id/state/ECU``), or None for an IRI we do not mint."""
        if iri.startswith(self.base_iri):
            return "/" + iri[len(self.base_iri):]
        return None

    def curie(self, iri: str) -> str:
        """``mkg:State``-style short form where a known prefix fits, else the IRI."""
        short = prefixed_name(iri)
        if short is not None:
            return short
        if iri.startswith(self.base_iri):
            return iri[len(self.base_iri):]
        return iri

    def link(self, iri: str, label: str | None = None) -> str:
        """An ``<a>`` to ``iri``: local for our IRIs, external (``rel=external``) for the rest."""
        text = escape(label if label else self.curie(iri))
        local = self.href(iri)
        if local is not None:
            return f'<a href="{escape(local, quote=True)}">{text}</a>'
        return f'<a class="ext" rel="external" href="{escape(iri, quote=True)}">{text}</a>'

    def node(self, term: Any, label: str | None = None) -> str:
        """A term as HTML: a link for an IRI, the value with its datatype or language for a literal."""
        if isinstance(term, ox.NamedNode):
            return self.link(term.value, label)
        if isinstance(term, ox.BlankNode):
            return '<span class="iri">[ ]</span>'
        if isinstance(term, ox.Literal):
            extra = ""
            if term.language:
                extra = f' <span class="dt">@{escape(term.language)}</span>'
            elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
                extra = f' <span class="dt">{escape(self.curie(term.datatype.value))}</span>'
            return f'<span class="lit">{escape(term.value)}</span>{extra}'
        return escape(str(term))

    def passage_href(self, document: str, start: int, end: int) -> str:
        """The document page with the span ``[start, end)`` highlighted and scrolled to."""
        local = self.href(document) or document
        return f"{local}?{urlencode({'start': start, 'end': end})}#hl"


def page(title: str, body: str, *, alternates: Sequence[tuple[str, str]] = (), head: str = "") -> str:
    """The whole HTML page: ``title`` (escaped here), ``body`` (already HTML), ``<link rel=alternate>``s,
    and ``head``: more markup for ``<head>`` (the explorer's stylesheet and script)."""
    links = "\n".join(
        f'<link rel="alternate" type="{escape(media, quote=True)}" href="{escape(href, quote=True)}">'
        for media, href in alternates
    )
    return _LAYOUT.substitute(title=escape(title), alternates=links, body=body, css=stylesheet(), head=head)


@cache
def stylesheet() -> str:
    """The CSS of every page (``serve/static/pages.css``), read once."""
    return (Path(__file__).resolve().parent / "static" / "pages.css").read_text("utf-8")


def format_links(alternates: Sequence[tuple[str, str]]) -> str:
    """The "other formats" line: one link per RDF representation."""
    return '<p class="formats">As data: ' + "".join(
        f'<a href="{escape(href, quote=True)}" type="{escape(media, quote=True)}">{escape(name)}</a>'
        for name, media, href in ((_FORMAT_NAMES.get(m, m), m, h) for m, h in alternates)
    ) + "</p>"


_FORMAT_NAMES = {
    "text/turtle": "Turtle", "application/n-triples": "N-Triples", "application/n-quads": "N-Quads",
    "application/trig": "TriG", "application/ld+json": "JSON-LD", "application/rdf+xml": "RDF/XML",
}


def title_of(desc: Description) -> str:
    """The best label of a described resource: rdfs:label, skos:prefLabel, dct:title, else its path."""
    for label in desc.literals(*LABEL_PROPERTIES):
        return label
    name = desc.iri.rsplit("/", 1)[-1]
    for value in desc.values(RDF_TYPE):
        if value.label and isinstance(value.node, ox.NamedNode) and "/ontology#" in value.node.value:
            return f"{value.label[:1].upper()}{value.label[1:]} {name}"
    return name


def evidence_html(site: Site, items: Sequence[Evidence], *, limit: int = EVIDENCE_SHOWN) -> str:
    """The quotes supporting one triple (the first ``limit``), each linked to its passage in the document page."""
    shown = []
    for ev in items[:limit]:
        doc_label = ev.document_title or site.curie(ev.document)
        modality = site.curie(ev.modality).removeprefix("mkg:") if ev.modality else ""
        shown.append(
            f'<div class="ev"><q>{escape(ev.quote)}</q><br><span class="meta">'
            f'<a class="quote-link" href="{escape(site.passage_href(ev.document, ev.start, ev.end), quote=True)}">'
            f"{escape(doc_label)}</a>, characters {ev.start}–{ev.end} · rule {site.link(ev.rule, site.curie(ev.rule))}"
            f" · {escape(modality)} · {site.link(ev.extraction, 'extraction')} · {site.link(ev.statement, 'statement')}"
            "</span></div>"
        )
    if len(items) > limit:
        more = len(items) - limit
        target = site.link(items[0].statement, f"{more} more on the statement page")
        shown.append(f'<div class="ev meta">… and {target}</div>')
    return "".join(shown)


def _graphs(site: Site, graphs: Iterable[str]) -> str:
    return '<div class="graph">in ' + ", ".join(site.link(g, site.curie(g)) for g in sorted(graphs)) + "</div>"


def _value_cell(site: Site, value: Value, labels: dict[str, str]) -> str:
    cell = site.node(value.node, value.label)
    if value.inner:
        cell += '<div class="inner">' + "<br>".join(
            f"{site.link(p.value, labels.get(p.value))}: {site.node(o)}" for p, o in value.inner
        ) + "</div>"
    return cell + _graphs(site, value.graphs) + evidence_html(site, value.evidence)


def relations_table(site: Site, groups: dict[str, list[Value]], labels: dict[str, str], *, incoming: bool) -> str:
    """A table of property -> values (outgoing) or property <- subjects (incoming)."""
    if not groups:
        return "<p>None.</p>"
    rows = []
    for prop in sorted(groups, key=lambda p: (labels.get(p) or site.curie(p)).lower()):
        values = groups[prop]
        name = site.link(prop, labels.get(prop) or site.curie(prop))
        if incoming:
            name = f"is {name} of"
        cells = "".join(f"<li>{_value_cell(site, v, labels)}</li>" for v in values)
        rows.append(f'<tr><td class="prop">{name}<div class="iri">{escape(site.curie(prop))}</div></td>'
                    f'<td><ul style="margin:0;padding-left:1.1rem">{cells}</ul></td></tr>')
    return "<table><tr><th>property</th><th>value</th></tr>" + "".join(rows) + "</table>"


def resource_body(site: Site, desc: Description, alternates: Sequence[tuple[str, str]]) -> str:
    """The body of a resource page: labels, types, external links, relations both ways, evidence."""
    parts = [f"<h1>{escape(title_of(desc))}</h1>", f'<div class="iri">{escape(desc.iri)}</div>']
    types = desc.values(RDF_TYPE)
    if types:
        parts.append('<p class="types">' + "".join(
            site.node(t.node, desc.property_labels.get(t.node.value) or t.label) for t in types) + "</p>")
    alt, hidden = desc.literals(*ALT_LABELS), desc.literals(*HIDDEN_LABELS)
    if alt:
        parts.append("<p>Also known as: " + "; ".join(escape(a) for a in alt) + "</p>")
    if hidden:
        parts.append('<p class="graph">Also written: ' + "; ".join(escape(h) for h in hidden) + "</p>")
    external = [v for v in desc.values(*LINK_PROPERTIES) if isinstance(v.node, ox.NamedNode)]
    if external:
        parts.append("<h2>Same as, elsewhere</h2><ul>" + "".join(
            f"<li>{site.link(v.node.value, v.node.value)}</li>" for v in external) + "</ul>")
    mkg = site.base_iri + "ontology#"
    quote = desc.literals(mkg + "quote")
    starts = desc.literals(mkg + "startOffset")
    ends = desc.literals(mkg + "endOffset")
    docs = desc.values(mkg + "document")
    if quote and starts and ends and docs:
        href = site.passage_href(docs[0].node.value, int(starts[0]), int(ends[0]))
        parts.append(f'<h2>Quote</h2><div class="ev"><q>{escape(quote[0])}</q><br><span class="meta">'
                     f'<a class="quote-link" href="{escape(href, quote=True)}">see it in '
                     f"{escape(docs[0].label or site.curie(docs[0].node.value))}</a></span></div>")
    if desc.own_evidence:
        parts.append("<h2>Evidence</h2>" + evidence_html(site, desc.own_evidence, limit=len(desc.own_evidence)))
    parts.append(format_links(alternates))
    parts.append("<h2>Properties</h2>" + relations_table(site, desc.outgoing, desc.property_labels, incoming=False))
    parts.append("<h2>Referenced by</h2>" + relations_table(site, desc.incoming, desc.property_labels, incoming=True))
    if desc.incoming_capped:
        parts.append('<p class="notice">Only the first 3000 incoming links are shown; '
                     "the RDF representations have them all.</p>")
    return "\n".join(parts)


def not_found_body(iri: str) -> str:
    """The body of the 404 page for an IRI the graph says nothing about."""
    return (f"<h1>Not found</h1><p>The graph says nothing about <code>{escape(iri)}</code>.</p>"
            '<p>Try the <a href="/">home page</a>, the <a href="/ontology">ontology</a> '
            'or a <a href="/sparql">SPARQL query</a>.</p>')


def document_text_html(site: Site, text: str, extractions: Sequence[Extraction],
                       highlight: tuple[int, int] | None) -> str:
    """The document text with every extraction's span in a ``<mark>`` and ``highlight`` in ``<mark id=hl>``.

    Spans overlap (a name inside a longer match), so the text is cut at every span
    boundary and each piece is marked once, titled with every fact covering it and linked
    to the innermost extraction's page. The text is cut at ``highlight``'s ends too, so the
    ``<mark id=hl>`` holds exactly ``text[start:end]`` however fact spans overlap or straddle it.
    """
    cuts = {0, len(text)}
    for ex in extractions:
        cuts.update((ex.start, ex.end))
    if highlight:
        cuts.update(highlight)
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out = []
    for a, b in zip(points, points[1:], strict=False):
        if highlight and a == highlight[0]:
            out.append('<mark id="hl" class="passage">')
        piece = escape(text[a:b])
        covering = [ex for ex in extractions if ex.start <= a and ex.end >= b]
        if covering:
            inner = min(covering, key=lambda ex: ex.end - ex.start)
            title = "\n".join(_fact_title(site, ex) for ex in covering)
            href = site.href(inner.iri) or inner.iri
            piece = (f'<mark class="fact" title="{escape(title, quote=True)}">'
                     f'<a href="{escape(href, quote=True)}">{piece}</a></mark>')
        out.append(piece)
        if highlight and b == highlight[1]:
            out.append("</mark>")
    return '<div class="doctext">' + "".join(out) + "</div>"


def _fact_title(site: Site, ex: Extraction) -> str:
    rule = site.curie(ex.rule)
    facts = "; ".join(
        " ".join((lbl or site.curie(t.value) if isinstance(t, ox.NamedNode) else (lbl or str(getattr(t, "value", t))))
                 for t, lbl in triple)
        for triple in ex.triples[:3]
    )
    more = f" (+{len(ex.triples) - 3})" if len(ex.triples) > 3 else ""
    return f"{facts}{more} — {rule}"


def facts_table(site: Site, document: str, extractions: Sequence[Extraction]) -> str:
    """The list of extractions of a document: quote (linked to its passage), rule, modality, facts."""
    rows = []
    for ex in extractions:
        facts = "<br>".join(" ".join(site.node(t, lbl) for t, lbl in triple) for triple in ex.triples)
        modality = site.curie(ex.modality).removeprefix("mkg:") if ex.modality else ""
        rows.append(
            f'<tr><td><a href="{escape(site.passage_href(document, ex.start, ex.end), quote=True)}">'
            f"<q>{escape(ex.quote[:300])}</q></a><div class=\"graph\">{ex.start}–{ex.end} · "
            f"{site.link(ex.iri, 'extraction')}</div></td><td>{site.link(ex.rule, site.curie(ex.rule))}"
            f"<div class=\"graph\">{escape(modality)}</div></td><td>{facts}</td></tr>"
        )
    return "<table><tr><th>quote</th><th>rule</th><th>facts</th></tr>" + "".join(rows) + "</table>"


def ontology_body(site: Site, title: str, description: str | None, terms: Sequence[Term],
                  alternates: Sequence[tuple[str, str]]) -> str:
    """The ontology page: every term anchored by ``id=LocalName`` (hash IRIs land on their entry)."""
    groups: dict[str, list[Term]] = {}
    for term in terms:
        kind = site.curie(term.kinds[0]).removeprefix("owl:") if term.kinds else "Term"
        groups.setdefault(kind, []).append(term)
    parts = [f"<h1>{escape(title)}</h1>"]
    if description:
        parts.append(f'<p class="lit">{escape(description)}</p>')
    parts.append(format_links(alternates))
    order = ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "NamedIndividual")
    parts.append("<p>" + " · ".join(f'<a href="#kind-{k}">{escape(k)} ({len(groups[k])})</a>'
                                     for k in order if k in groups) + "</p>")
    for kind in sorted(groups, key=lambda k: order.index(k) if k in order else 99):
        parts.append(f'<h2 id="kind-{escape(kind, quote=True)}">{escape(kind)}</h2>')
        for term in groups[kind]:
            local = term.iri.rsplit("#", 1)[-1]
            rows = [f'<div class="term" id="{escape(local, quote=True)}"><h3>{escape(local)}'
                    f' <span class="graph">{escape(", ".join(term.labels))}</span></h3>'
                    f'<div class="iri">{escape(term.iri)}</div>']
            for text in (*term.definitions, *term.comments):
                rows.append(f"<p>{escape(text)}</p>")
            for name, values in (("subclass/subproperty of", term.supers), ("domain", term.domains),
                                 ("range", term.ranges)):
                if values:
                    rows.append(f"<div>{name}: " + ", ".join(site.link(v, site.curie(v)) for v in values) + "</div>")
            instances = "/classes?" + urlencode({"class": term.iri})
            if any(k.endswith("#Class") for k in term.kinds):
                rows.append(f'<div class="graph"><a href="{escape(instances, quote=True)}">instances</a></div>')
            rows.append("</div>")
            parts.append("".join(rows))
    return "\n".join(parts)


def class_list(site: Site, counts: Sequence[tuple[str, int, str | None]]) -> str:
    """A table of classes in use with their instance counts, linked to the instance lists."""
    rows = "".join(
        f'<tr><td>{site.link(iri, label or site.curie(iri))}<div class="iri">{escape(site.curie(iri))}</div></td>'
        f'<td><a href="{escape("/classes?" + urlencode({"class": iri}), quote=True)}">{n}</a></td></tr>'
        for iri, n, label in counts
    )
    return f"<table><tr><th>class</th><th>instances</th></tr>{rows}</table>"


def url_path(path: str) -> str:
    """Percent-encode a local path for an ``href`` (keeps ``/``)."""
    return quote(path, safe="/#?=&")


__all__ = [
    "Site", "class_list", "document_text_html", "evidence_html", "facts_table", "format_links", "not_found_body",
    "ontology_body", "page", "relations_table", "resource_body", "title_of", "url_path",
]
