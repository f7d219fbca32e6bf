"""Extract stage: apply the mapping rules to a document's text and return facts.

Each match of a rule becomes one :class:`Fact`: the triples the rule's ``emit`` list
yields for the slot values, and the :class:`Evidence` (document, offsets, exact quote,
sentence, rule, modality). Rules see a *clean view* of the text (markdown emphasis,
link syntax and footnote markers removed) so that a pattern need not spell out
``**``; offsets are mapped back, and the quote is always ``text[start:end]`` of the
original text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..corpus import Document
from ..errors import ExtractError
from ..namespaces import DEFAULT_BASE, MKG, PREFIXES, RDF, RDFS, SKOS, XSD, data_iri
from . import near
from .dates import DateValue, parse_date
from .dictionary import SLOT_TYPES, Dictionary, Entity, normalize_form, slugify
from .minting import localised, new_name, new_org
from .rules import (
    LIST_SEP,
    MINTING_SLOTS,
    MODALITIES,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    TITLE,
    VALUE_SLOTS,
    Rule,
    RuleSet,
    Slot,
)

_MARKUP = re.compile(r"<sup>.*?</sup>|\*\*|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|\[([^\]\n]*)\]\([^)\n]*\)")
_PROPOSED = re.compile(r"\b(?:could|should|might|(?-i:may)|suggest\w*|propos\w*|recommend\w*|explore|consider)\b", re.I)
_EXPECTED = re.compile(r"\b(?:will|planned|expected|to be held|scheduled|TBC)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“*\[(]*[A-Z0-9])|\n\s*\n|\n(?=\s*(?:[-•]|\d+\.|[a-z]\))\s)")


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


@dataclass
class Fact:
    """The triples one rule match yields, with their evidence."""

    evidence: Evidence
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)


def document_iri(document_id: str, base: str = DEFAULT_BASE) -> URIRef:
    """The IRI of a corpus document."""
    return URIRef(data_iri(f"doc/{document_id}", base))


def clean_view(text: str) -> tuple[str, list[int]]:
    """The text without markup, and for each clean character its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _MARKUP.finditer(text):
        out.append(text[pos : m.start()])
        index.extend(range(pos, m.start()))
        if m.group(1) is not None:  # [label](url) keeps its label
            out.append(m.group(1))
            index.extend(range(m.start(1), m.end(1)))
        pos = m.end()
    out.append(text[pos:])
    index.extend(range(pos, len(text)))
    index.append(len(text))
    return "".join(out), index


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence (and list item) boundaries of ``text`` as (start, end) pairs."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if text[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


@dataclass
class _Context:
    document: Document
    doc_iri: URIRef
    dictionary: Dictionary
    values: dict[str, URIRef] = field(default_factory=dict)
    #: entities minted from this document's text (NewOrg), by key
    minted: dict[str, Entity] = field(default_factory=dict)
    #: the first rdfs:label each node got (in the build); later different ones become skos:altLabel
    labels: dict[Node, Node] = field(default_factory=dict)


def _entity_value(text: str, slot: Slot, dictionary: Dictionary) -> Entity | None:
    types = SLOT_TYPES[slot.type]
    if slot.type == "Person":
        name = re.sub(rf"^\W*(?:{TITLE}\s+)*", "", text).strip(" *")
        return dictionary.lookup(name, types) or dictionary.mint("person", name, "Person")
    return dictionary.lookup(text, types)


def _value(slot: Slot, text: str, rule: Rule, ctx: _Context) -> Any:
    """Turn the text a slot matched into its value; None if it does not resolve."""
    if slot.type.startswith("@"):
        table = {k.lower(): v for k, v in rule.lookups[slot.type[1:]].items()}
        return ("lookup", table.get(re.sub(r"\s+", " ", text).lower()))
    if slot.type in MINTING_SLOTS:
        mint = new_org if slot.type == "NewOrg" else new_name
        return mint(text, rule.lookups.get("org_head", {}), ctx.dictionary, ctx.minted)
    if slot.many and not slot.type.startswith("@"):
        items = [_value(Slot(slot.name, slot.type), part, rule, ctx) for part in re.split(LIST_SEP, text.strip())]
        return [v for v in items if v is not None] or None
    if slot.type in SLOT_TYPES:
        if slot.many:
            item_re = re.compile(ctx.dictionary.pattern(SLOT_TYPES[slot.type]))
            items = [_entity_value(m.group(0), slot, ctx.dictionary) for m in item_re.finditer(text)]
            found = [e for e in items if e]
            return found or None
        return _entity_value(text, slot, ctx.dictionary)
    if slot.many:
        one = Slot(slot.name, slot.type)
        values = [_value(one, mm.group(0), rule, ctx) for mm in re.finditer(VALUE_SLOTS[slot.type], text)]
        return [v for v in values if v is not None] or None
    # "co-\nproduction": a hyphenated word broken at a line end is joined, hyphen kept
    clean = re.sub(r"\s+", " ", re.sub(r"(?<=\w-)[ \t]*\n\s*(?=[a-z])", "", text.replace("*", ""))).strip()
    if slot.type == "Name":
        clean = normalize_form(clean)
    if slot.type == "Year":
        return Year(clean)
    if slot.type == "YearRange":
        a, b = re.findall(r"\d{4}", clean)
        return (Year(a), Year(b))
    if slot.type in ("Date", "MonthYear"):
        try:
            return parse_date(clean, default_year=ctx.document.year)
        except ValueError:
            return None
    if slot.type == "Int":
        return NUMBER_WORDS.get(clean.lower()) or int(clean.replace(",", ""))
    if slot.type == "Number":
        return Decimal(clean.replace(",", ""))
    if slot.type == "Ordinal":
        return ORDINAL_WORDS[clean.lower()]
    if slot.type == "Quoted":
        return clean.strip("“”\"").rstrip(".,;")
    if slot.type == "Count":  # "31 million" -> 31000000
        number, _, magnitude = clean.partition(" ")  # clean has single spaces
        return Decimal(number.replace(",", "")) * {"million": 10**6, "billion": 10**9}.get(magnitude, 1)
    if slot.type == "Money":
        amount = Decimal(re.search(r"\d+(?:[.,]\d+)?", clean).group(0).replace(",", ""))  # type: ignore[union-attr]
        scale = {"million": 10**6, "billion": 10**9}.get(clean.rsplit(" ", 1)[-1], 1)
        return amount * scale
    return clean


def _expand_curie(term: str) -> URIRef:
    if term == "a":
        return RDF.type
    prefix, _, local = term.partition(":")
    return URIRef(PREFIXES[prefix] + local)


def _literal(value: Any, cast: str | None = None) -> Literal:
    if cast:
        return Literal(str(value), datatype=_expand_curie(cast))
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


def _accessor(value: Any, attr: str) -> Any:
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
        return hashlib.sha1(_display(value).encode("utf-8")).hexdigest()[:12]
    raise ExtractError(f"no accessor .{attr} for a {type(value).__name__}")


def _terms(term: str, bindings: dict[str, Any], nodes: dict[str, URIRef], ctx: _Context, ev: Evidence) -> list[Node]:
    """The RDF terms an emit term stands for (several for a list slot, none if unbound)."""
    if term.startswith("?"):
        name, _, cast = term[1:].partition("^^")
        var, _, attr = name.partition(".")
        value = bindings.get(var)
        if value is not None and attr:
            value = _accessor(value, attr)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        out: list[Node] = []
        for v in values:
            if isinstance(v, Entity):
                out.append(URIRef(v.iri))
            elif isinstance(v, tuple) and v[0] == "lookup":
                if v[1] is not None:
                    out.extend(_terms(v[1], {}, nodes, ctx, ev) if v[1][0] in "\"<" or ":" in v[1] else [Literal(v[1])])
            else:
                out.append(_literal(v, cast or None))
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
        text = _render(template, bindings)
        if text is None:
            return []
        return [Literal(text, datatype=_expand_curie(dtype[2:])) if dtype.startswith("^^") else Literal(text)]
    if term.startswith("<"):
        path = _render(term[1:-1], bindings, slug=True)
        return [URIRef(data_iri(path))] if path else []
    if re.fullmatch(r"-?\d+", term):
        return [Literal(int(term), datatype=XSD.integer)]
    if "?" in term:  # a CURIE whose local part is filled from a slot: sdg:?target
        prefix, _, local = term.partition(":")
        rendered = _render(local, bindings)
        return [URIRef(PREFIXES[prefix] + rendered)] if rendered else []
    return [_expand_curie(term)]


def _display(value: Any) -> str:
    if isinstance(value, Entity):
        return value.label
    if isinstance(value, DateValue):
        return re.sub(r"\s+", " ", value.text).strip(" ,")
    if isinstance(value, tuple) and value and value[0] == "lookup":
        return str(value[1] or "").rsplit(":", 1)[-1]
    return str(value)


def _render(template: str, bindings: dict[str, Any], *, slug: bool = False) -> str | None:
    """Fill ``?var`` (and ``?var.attr``) in a literal or IRI template; None if one is unbound."""
    missing = False

    def fill(m: re.Match[str]) -> str:
        nonlocal missing
        value = bindings.get(m[1])
        if value is not None and m[2]:
            value = _accessor(value, m[2])
        if value is None or isinstance(value, list):
            missing = True
            return ""
        if slug and isinstance(value, Entity):
            return value.key.rsplit("/", 1)[-1]
        return slugify(_display(value)) if slug else _display(value)

    out = re.sub(r"\?([a-z_][a-z0-9_]*)(?:\.([a-z]+))?", fill, template)
    return None if missing else out


def _key_part(part: str, bindings: dict[str, Any], ctx: _Context) -> str | None:
    if part.startswith("?"):
        var, _, attr = part[1:].partition(".")
        value = bindings.get(var)
        if value is not None and attr:
            value = _accessor(value, attr)
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


def _mint_nodes(
    salt: str, specs: dict[str, list[str]], bindings: dict[str, Any], ctx: _Context, start: int
) -> dict[str, URIRef]:
    nodes = {}
    for name, spec in specs.items():
        kind, *parts = spec
        values = [_key_part(p, bindings, ctx) for p in parts]
        if parts and all(p.startswith("?") for p in parts) and not any(values):
            continue  # a node keyed only by unbound slots does not exist: its triples are dropped
        slug = "-".join(slugify(v) for v in values if v)
        if not parts or not slug:
            slug = hashlib.sha1(f"{salt}|{ctx.document.id}|{start}|{name}".encode()).hexdigest()[:12]
        nodes[name] = URIRef(data_iri(f"id/{kind}/{slug}"))
    return nodes


def _modality(rule: Rule, quote: str) -> URIRef:
    if rule.modality != "auto":
        return MODALITIES[rule.modality]
    if _PROPOSED.search(quote):
        return MKG.Proposed
    if _EXPECTED.search(quote):
        return MKG.Expected
    return MKG.Stated


def _near(rule: Rule, name: str, clean: str, m: re.Match[str], ctx: _Context, groups: dict[str, str]) -> Any:
    """The value of near-slot ``name`` (see :mod:`migration_kg.near`)."""
    return near.resolve(
        rule.near[name], name, clean, m, groups, dictionary=ctx.dictionary, sentence_end=_SENTENCE_END,
        person=lambda text: _entity_value(text, Slot(name, "Person"), ctx.dictionary),
    )


def _instantiate(
    triples: list[tuple[str, str, str]], bindings: dict[str, Any], nodes: dict[str, URIRef], ctx: _Context,
    ev: Evidence,
) -> list[tuple[Node, Node, Node]]:
    out = []
    for s, p, o in triples:
        for st in _terms(s, bindings, nodes, ctx, ev):
            for pt in _terms(p, bindings, nodes, ctx, ev):
                for ot in _terms(o, bindings, nodes, ctx, ev):
                    out.append((st, pt, ot))
    return out


def _one_label(triples: list[tuple[Node, Node, Node]], ctx: _Context) -> list[tuple[Node, Node, Node]]:
    """Keep the first rdfs:label a node gets in the document; a later, different one becomes a skos:altLabel."""
    out = []
    for s, p, o in triples:
        if p == RDFS.label:
            first = ctx.labels.setdefault(s, o)
            if first != o:
                p = SKOS.altLabel
        out.append((s, p, o))
    return list(dict.fromkeys(out))


def _regions(rule: Rule, clean: str) -> list[tuple[int, int, dict[str, str]]]:
    """Where the rule applies, with the named groups of its ``within`` match (bound like slots)."""
    if rule.within is None:
        return [(0, len(clean), {})]
    return [(m.start(), m.end(), {k: v for k, v in m.groupdict().items() if v is not None})
            for m in rule.within.finditer(clean)]


def _apply(rule: Rule, clean: str, index: list[int], spans: list[tuple[int, int]], ctx: _Context) -> Iterator[Fact]:
    text = ctx.document.text
    matches = [(m, groups) for lo, hi, groups in _regions(rule, clean) for m in rule.regex.finditer(clean, lo, hi)]
    for m, groups in matches:
        if any(req not in ctx.values for req in rule.requires) or m.end() == m.start():
            continue
        bindings: dict[str, Any] = {}
        for name, slot in rule.slots.items():
            if name in rule.near:
                bindings[name] = _near(rule, name, clean, m, ctx, groups)
            elif name not in rule.regex.groupindex:
                if name in groups:
                    bindings[name] = _value(slot, groups[name], rule, ctx)
            elif m.group(name) is not None:
                bindings[name] = _value(slot, m.group(name), rule, ctx)
        start, end = index[m.start()], index[m.end() - 1] + 1
        quote = text[start:end]
        sent = [s for s in spans if s[0] < end and s[1] > start]
        sentence = text[sent[0][0] : sent[-1][1]] if sent else quote
        ev = Evidence(ctx.document.id, start, end, quote, sentence, rule.id, _modality(rule, quote))
        nodes = _mint_nodes(rule.id, rule.nodes, bindings, ctx, start)
        fact = Fact(evidence=ev, triples=_instantiate(rule.emit, bindings, nodes, ctx, ev))
        for slot_name, block in rule.each.items():
            for i, item in enumerate(bindings.get(slot_name) or []):
                item_bindings = {**bindings, slot_name: item}
                item_nodes = {**nodes, **_mint_nodes(f"{rule.id}#{i}", block["nodes"], item_bindings, ctx, start)}
                fact.triples += _instantiate(block["emit"], item_bindings, item_nodes, ctx, ev)
        for value in bindings.values():
            for entity in value if isinstance(value, list) else [value]:
                if isinstance(entity, Entity) and entity.minted:
                    iri = URIRef(entity.iri)
                    fact.triples += [(iri, RDF.type, MKG[entity.types[0]]), (iri, RDFS.label, Literal(entity.label))]
        if not fact.triples:
            continue
        fact.triples = _one_label(fact.triples, ctx)
        for key, node in rule.context.items():
            entity = bindings.get(node[1:]) if node.startswith("?") else None  # an entity slot: "chair: ?state"
            value = URIRef(entity.iri) if isinstance(entity, Entity) else nodes.get(node.lstrip("_"))
            if value is not None:
                ctx.values.setdefault(key, value)
                if key.startswith("last_"):
                    ctx.values[key] = value
        yield fact


def extract(document: Document, rules: RuleSet) -> list[Fact]:
    """Apply every rule, in order, to ``document``; return the facts with evidence.

    Raises ExtractError if a rule cannot be applied (a bug in a rule or in the engine).
    """
    clean, index = clean_view(document.text)
    spans = sentence_spans(document.text)
    ctx = _Context(document=document, doc_iri=document_iri(document.id), dictionary=rules.dictionary,
                   labels={})
    minting = [r for r in rules.rules if any(sl.type in MINTING_SLOTS for sl in r.slots.values())]
    for rule in minting:  # first find the names this document defines, so that every rule can use them
        for _ in _run(rule, clean, index, spans, ctx):
            pass
    ruleset = localised(rules, list(ctx.minted.values()))
    ctx = _Context(document=document, doc_iri=ctx.doc_iri, dictionary=ruleset.dictionary, minted=ctx.minted,
                   labels=rules.labels)
    facts: list[Fact] = []
    for rule in ruleset.rules:
        facts.extend(_run(rule, clean, index, spans, ctx))
    facts.extend(_mentions(document, clean, index, spans, ctx))
    return facts


def _run(rule: Rule, clean: str, index: list[int], spans: list[tuple[int, int]], ctx: _Context) -> list[Fact]:
    try:
        return list(_apply(rule, clean, index, spans, ctx))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ExtractError(f"rule {rule.id} failed: {exc!r}", source=rule.source, line=rule.line) from exc


def _mentions(
    document: Document, clean: str, index: list[int], spans: list[tuple[int, int]], ctx: _Context
) -> Iterator[Fact]:
    """One ``mkg:mentions`` fact per dictionary name found in the text."""
    regex = re.compile(ctx.dictionary.pattern(SLOT_TYPES["Thing"]))
    for m in regex.finditer(clean):
        entity = ctx.dictionary.lookup(m.group(0))
        if entity is None:
            continue
        entity = ctx.minted.get(entity.key, entity)
        start, end = index[m.start()], index[m.end() - 1] + 1
        sent = [s for s in spans if s[0] < end and s[1] > start]
        sentence = document.text[sent[0][0] : sent[-1][1]] if sent else document.text[start:end]
        ev = Evidence(document.id, start, end, document.text[start:end], sentence, "dictionary-mention", MKG.Stated)
        yield Fact(evidence=ev, triples=[(ctx.doc_iri, MKG.mentions, URIRef(entity.iri))])
