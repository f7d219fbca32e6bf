"""Emit templates: the RDF terms and triples a rule match yields for its bindings (shared by the engines).

A rule's ``emit`` list holds triples of terms: ``?slot`` (and ``?slot.attr``), ``_node`` (a node minted
from the rule's ``nodes`` keys), ``$doc``/``$quote``/``$docdate``/``$modality`` and context values,
``"literal ?slot"``, ``<id/path/?slot>`` and CURIEs. The regular-expression engine (:mod:`.engine`)
and the linguistic engine (:mod:`.relations`) both bind slots and hand them to :func:`instantiate`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..corpus import Document
from ..errors import ExtractError
from ..namespaces import PREFIXES, RDF, RDFS, SKOS, XSD, data_iri
from .dates import DateValue
from .dictionary import Dictionary, Entity, slugify


class Year(int):
    """A year as the text gives it; becomes an ``xsd:gYear`` literal."""


@dataclass(frozen=True)
class Evidence:
    """Where a fact comes from: ``document.text[start:end] == quote``."""

    document_id: str
    start: int
    end: int
    quote: str
    sentence: str
    rule_id: str
    modality: URIRef
    #: how well the passage matches what the fact links it to (topic links only), in [0, 1]
    score: float | None = None


@dataclass
class Fact:
    """The triples one rule match yields, with their evidence."""

    evidence: Evidence
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)


@dataclass
class Context:
    document: Document
    doc_iri: URIRef
    dictionary: Dictionary
    values: dict[str, URIRef] = field(default_factory=dict)
    #: entities minted from this document's text (NewOrg), by key
    minted: dict[str, Entity] = field(default_factory=dict)
    #: the first rdfs:label each node got (in the build); later different ones become skos:altLabel
    labels: dict[Node, Node] = field(default_factory=dict)


def expand_curie(term: str) -> URIRef:
    if term == "a":
        return RDF.type
    prefix, _, local = term.partition(":")
    return URIRef(PREFIXES[prefix] + local)


def literal(value: Any, cast: str | None = None) -> Literal:
    if cast:
        return Literal(str(value), datatype=expand_curie(cast))
    if isinstance(value, DateValue):
        lexical, dtype = value.lexical()
        return Literal(lexical, datatype=XSD[dtype])
    if isinstance(value, Year):
        return Literal(f"{value:04d}", datatype=XSD.gYear)
    if isinstance(value, dt.date):
        return Literal(value.isoformat(), datatype=XSD.date)
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, Decimal):
        return Literal(value, datatype=XSD.decimal)
    return Literal(str(value))


def accessor(value: Any, attr: str) -> Any:
    if attr in ("start", "end"):
        if isinstance(value, tuple):
            return value[0] if attr == "start" else value[1]
        if isinstance(value, DateValue):
            return value.start if attr == "start" else value.end
        return None
    if attr == "label" and isinstance(value, Entity):
        return value.label
    if attr == "acronym" and isinstance(value, Entity):
        return value.acronyms[0] if value.acronyms else None
    if attr == "text" and isinstance(value, DateValue):
        return re.sub(r"\s+", " ", value.text).strip(" ,")
    if attr == "nth" and isinstance(value, int):
        suffix = "th" if 10 <= value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
        return f"{value}{suffix}"
    if attr == "year" and isinstance(value, DateValue):
        return Year(value.year)
    if attr == "hash":  # a short stable key for long texts (list items, proposals)
        return hashlib.sha1(display(value).encode("utf-8")).hexdigest()[:12]
    raise ExtractError(f"no accessor .{attr} for a {type(value).__name__}")


def terms(term: str, bindings: dict[str, Any], nodes: dict[str, URIRef], ctx: Context, ev: Evidence) -> list[Node]:
    """The RDF terms an emit term stands for (several for a list slot, none if unbound)."""
    if term.startswith("?"):
        name, _, cast = term[1:].partition("^^")
        var, _, attr = name.partition(".")
        value = bindings.get(var)
        if value is not None and attr:
            value = accessor(value, attr)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        out: list[Node] = []
        for v in values:
            if isinstance(v, Entity):
                out.append(URIRef(v.iri))
            elif isinstance(v, tuple) and v[0] == "lookup":
                if v[1] is not None:
                    out.extend(terms(v[1], {}, nodes, ctx, ev) if v[1][0] in "\"<" or ":" in v[1] else [Literal(v[1])])
            else:
                out.append(literal(v, cast or None))
        return out
    if term.startswith("_"):
        return [nodes[term[1:]]] if term[1:] in nodes else []
    if term.startswith("$"):
        key = term[1:]
        if key == "doc":
            return [ctx.doc_iri]
        if key == "docdate":
            return [Literal(ctx.document.record.date)]
        if key == "quote":
            return [Literal(re.sub(r"\s+", " ", ev.quote))]
        if key == "modality":  # the extraction's modality, for propositions that repeat it
            return [ev.modality]
        if key in ctx.values:
            return [ctx.values[key]]
        return []
    if term.startswith('"'):
        template, _, dtype = term[1:].rpartition('"')
        text = render(template, bindings)
        if text is None:
            return []
        return [Literal(text, datatype=expand_curie(dtype[2:])) if dtype.startswith("^^") else Literal(text)]
    if term.startswith("<"):
        path = render(term[1:-1], bindings, slug=True)
        return [URIRef(data_iri(path))] if path else []
    if re.fullmatch(r"-?\d+", term):
        return [Literal(int(term), datatype=XSD.integer)]
    if "?" in term:  # a CURIE whose local part is filled from a slot: sdg:?target
        prefix, _, local = term.partition(":")
        rendered = render(local, bindings)
        return [URIRef(PREFIXES[prefix] + rendered)] if rendered else []
    return [expand_curie(term)]


def display(value: Any) -> str:
    if isinstance(value, Entity):
        return value.label
    if isinstance(value, DateValue):
        return re.sub(r"\s+", " ", value.text).strip(" ,")
    if isinstance(value, tuple) and value and value[0] == "lookup":
        return str(value[1] or "").rsplit(":", 1)[-1]
    return str(value)


def render(template: str, bindings: dict[str, Any], *, slug: bool = False) -> str | None:
    """Fill ``?var`` (and ``?var.attr``) in a literal or IRI template; None if one is unbound."""
    missing = False

    def fill(m: re.Match[str]) -> str:
        nonlocal missing
        value = bindings.get(m[1])
        if value is not None and m[2]:
            value = accessor(value, m[2])
        if value is None or isinstance(value, list):
            missing = True
            return ""
        if slug and isinstance(value, Entity):
            return value.key.rsplit("/", 1)[-1]
        return slugify(display(value)) if slug else display(value)

    out = re.sub(r"\?([a-z_][a-z0-9_]*)(?:\.([a-z]+))?", fill, template)
    return None if missing else out


def key_part(part: str, bindings: dict[str, Any], ctx: Context) -> str | None:
    if part.startswith("?"):
        var, _, attr = part[1:].partition(".")
        value = bindings.get(var)
        if value is not None and attr:
            value = accessor(value, attr)
        if value is None:
            return None
        if isinstance(value, Entity):
            return value.key.rsplit("/", 1)[-1]
        if isinstance(value, DateValue):
            return value.slug()
        if isinstance(value, tuple):
            return f"{value[0]}-{value[1]}" if value[0] != "lookup" else (value[1] or "").rsplit(":", 1)[-1]
        if isinstance(value, list):
            return "-".join(e.key.rsplit("/", 1)[-1] for e in value if isinstance(e, Entity))
        return str(value)
    if part == "$docdate":
        return ctx.document.record.date.isoformat()
    if part.startswith("$"):
        value_iri = ctx.values.get(part[1:]) or (ctx.doc_iri if part == "$doc" else None)
        return str(value_iri).rsplit("/", 1)[-1] if value_iri else None
    return part


def mint_nodes(
    salt: str, specs: dict[str, list[str]], bindings: dict[str, Any], ctx: Context, start: int
) -> dict[str, URIRef]:
    nodes = {}
    for name, spec in specs.items():
        kind, *parts = spec
        values = [key_part(p, bindings, ctx) for p in parts]
        if parts and all(p.startswith("?") for p in parts) and not any(values):
            continue  # a node keyed only by unbound slots does not exist: its triples are dropped
        slug = "-".join(slugify(v) for v in values if v)
        if not parts or not slug:
            slug = hashlib.sha1(f"{salt}|{ctx.document.id}|{start}|{name}".encode()).hexdigest()[:12]
        nodes[name] = URIRef(data_iri(f"id/{kind}/{slug}"))
    return nodes


def instantiate(
    triples: list[tuple[str, str, str]], bindings: dict[str, Any], nodes: dict[str, URIRef], ctx: Context,
    ev: Evidence,
) -> list[tuple[Node, Node, Node]]:
    out = []
    for s, p, o in triples:
        for st in terms(s, bindings, nodes, ctx, ev):
            for pt in terms(p, bindings, nodes, ctx, ev):
                for ot in terms(o, bindings, nodes, ctx, ev):
                    out.append((st, pt, ot))
    return out


def one_label(triples: list[tuple[Node, Node, Node]], ctx: Context) -> list[tuple[Node, Node, Node]]:
    """Keep the first rdfs:label a node gets in the document; a later, different one becomes a skos:altLabel."""
    out = []
    for s, p, o in triples:
        if p == RDFS.label:
            first = ctx.labels.setdefault(s, o)
            if first != o:
                p = SKOS.altLabel
        out.append((s, p, o))
    return list(dict.fromkeys(out))


