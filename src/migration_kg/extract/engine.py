"""Extract stage: apply the mapping rules to a document's text and return facts.

Each match of a rule becomes one :class:`Fact`: the triples the rule's ``emit`` list
yields for the slot values, and the :class:`Evidence` (document, offsets, exact quote,
sentence, rule, modality). Rules see a *clean view* of the text (markdown emphasis,
link syntax and footnote markers removed) so that a pattern need not spell out
``**``; offsets are mapped back, and the quote is always ``text[start:end]`` of the
original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from ..corpus import Document
from ..errors import ExtractError
from ..namespaces import DEFAULT_BASE, MKG, ORG, RDF, RDFS, SKOS, data_iri
from . import near
from .dates import parse_date
from .dictionary import SLOT_TYPES, Dictionary, Entity, normalize_form
from .emit import Context, Evidence, Fact, Year, instantiate, mint_nodes, one_label
from .frames import Frames
from .mentions import Lexicon, find_mentions
from .minting import localised, new_name, new_org
from .parse import Parsed, parse
from .relations import Engine, mention_facts
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
    """Sentence (and list item, heading) boundaries of ``text`` as (start, end) pairs, from the parser."""
    clean, index = clean_view(text)
    return parsed_sentence_spans(parse(clean, index))


def _entity_value(text: str, slot: Slot, dictionary: Dictionary) -> Entity | None:
    types = SLOT_TYPES[slot.type]
    if slot.type == "Person":
        name = re.sub(rf"^\W*(?:{TITLE}\s+)*", "", text).strip(" *")
        return dictionary.lookup(name, types) or dictionary.mint("person", name, "Person")
    return dictionary.lookup(text, types)


def _value(slot: Slot, text: str, rule: Rule, ctx: Context) -> Any:
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


def _modality(rule: Rule, quote: str) -> URIRef:
    if rule.modality != "auto":
        return MODALITIES[rule.modality]
    return _sentence_modality(quote)


def _near(rule: Rule, name: str, clean: str, m: re.Match[str], ctx: Context, groups: dict[str, str]) -> Any:
    """The value of near-slot ``name`` (see :mod:`migration_kg.near`)."""
    return near.resolve(
        rule.near[name], name, clean, m, groups, dictionary=ctx.dictionary, sentence_end=_SENTENCE_END,
        person=lambda text: _entity_value(text, Slot(name, "Person"), ctx.dictionary),
    )


def _regions(rule: Rule, clean: str) -> list[tuple[int, int, dict[str, str]]]:
    """Where the rule applies, with the named groups of its ``within`` match (bound like slots)."""
    if rule.within is None:
        return [(0, len(clean), {})]
    return [(m.start(), m.end(), {k: v for k, v in m.groupdict().items() if v is not None})
            for m in rule.within.finditer(clean)]


def _apply(rule: Rule, clean: str, index: list[int], spans: list[tuple[int, int]], ctx: Context) -> Iterator[Fact]:
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
        nodes = mint_nodes(rule.id, rule.nodes, bindings, ctx, start)
        fact = Fact(evidence=ev, triples=instantiate(rule.emit, bindings, nodes, ctx, ev))
        for slot_name, block in rule.each.items():
            for i, item in enumerate(bindings.get(slot_name) or []):
                item_bindings = {**bindings, slot_name: item}
                item_nodes = {**nodes, **mint_nodes(f"{rule.id}#{i}", block["nodes"], item_bindings, ctx, start)}
                fact.triples += instantiate(block["emit"], item_bindings, item_nodes, ctx, ev)
        for value in bindings.values():
            for entity in value if isinstance(value, list) else [value]:
                if isinstance(entity, Entity) and entity.minted:
                    iri = URIRef(entity.iri)
                    fact.triples += [(iri, RDF.type, MKG[entity.types[0]]), (iri, RDFS.label, Literal(entity.label))]
        if not fact.triples:
            continue
        fact.triples = one_label(fact.triples, ctx)
        for key, node in rule.context.items():
            entity = bindings.get(node[1:]) if node.startswith("?") else None  # an entity slot: "chair: ?state"
            value = URIRef(entity.iri) if isinstance(entity, Entity) else nodes.get(node.lstrip("_"))
            if value is not None:
                ctx.values.setdefault(key, value)
                if key.startswith("last_"):
                    ctx.values[key] = value
        yield fact


def extract(document: Document, rules: RuleSet, *, cache_dir: Path | None = None) -> list[Fact]:
    """Apply every rule, in order, to ``document``; return the facts with evidence.

    The document is parsed once (from ``cache_dir`` when it holds the parse); the regular-expression
    rules run first, then the linguistic layer (mentions, verb frames) when the rule set has one.
    Raises ExtractError if a rule cannot be applied (a bug in a rule or in the engine).
    """
    clean, index = clean_view(document.text)
    parsed = parse(clean, index, cache_dir=cache_dir)
    spans = parsed_sentence_spans(parsed)
    ctx = Context(document=document, doc_iri=document_iri(document.id), dictionary=rules.dictionary,
                  labels={})
    minting = [r for r in rules.rules if any(sl.type in MINTING_SLOTS for sl in r.slots.values())]
    for rule in minting:  # first find the names this document defines, so that every rule can use them
        for _ in _run(rule, clean, index, spans, ctx):
            pass
    ruleset = localised(rules, list(ctx.minted.values()))
    ctx = Context(document=document, doc_iri=ctx.doc_iri, dictionary=ruleset.dictionary, minted=ctx.minted,
                  labels=rules.labels)
    facts: list[Fact] = []
    for rule in ruleset.rules:
        facts.extend(_run(rule, clean, index, spans, ctx))
    facts.extend(_mentions(document, clean, index, spans, ctx))
    if rules.frames is not None and rules.lexicon is not None:
        facts.extend(_not_restated(linguistic_facts(parsed, ruleset.dictionary, rules.lexicon, rules.frames, ctx,
                                                    topics=rules.topics), facts))
    return facts


#: Properties that tie an n-ary node (a post, a membership, a quantity) to the one entity it is about.
_NODE_OF = (ORG.member, MKG.quantityOf)


def _not_restated(general: list[Fact], specific: list[Fact]) -> list[Fact]:
    """The facts of the linguistic layer, less those the regular-expression rules already state.

    The pattern rules are written for particular phrasings and win where both read the same thing:
    * an entity the linguistic layer names in a passage where a pattern rule minted an entity of the same
      kind ("Ghana's Ministry of the Interior") is that rule's entity: its IRI is used instead;
    * a linguistic fact that repeats a pattern rule's triple is dropped;
    * so is one that gives an entity a second post, membership or quantity node in a passage that a pattern
      rule's post, membership or quantity of that entity already covers.
    """
    minted: list[tuple[int, int, str, URIRef]] = []
    for f in specific:
        for s, p, _o in f.triples:
            if p == RDF.type and isinstance(s, URIRef) and "/id/" in s and f.evidence.rule_id != "dictionary-mention":
                minted.append((f.evidence.start, f.evidence.end, _kind(s), s))
    alias: dict[Node, Node] = {}
    kept: list[Fact] = []
    for f in general:
        if f.evidence.rule_id.startswith("mention-") and f.triples:
            iri = f.triples[0][0]
            same = [m for a, b, kind, m in minted if a < f.evidence.end and b > f.evidence.start
                    and kind == _kind(iri) and m != iri]
            if same:
                alias[iri] = same[0]
                continue
        kept.append(f)
    triples = {t for f in specific for t in f.triples}
    nodes: dict[tuple[Any, Any], list[tuple[int, int]]] = {}
    for f in specific:
        for _, p, o in f.triples:
            if p in _NODE_OF:
                nodes.setdefault((p, o), []).append((f.evidence.start, f.evidence.end))
    out = []
    for f in kept:
        if alias:  # the pattern rule named and typed the entity: the layer's name is another label of it
            f = Fact(evidence=f.evidence, triples=[
                (alias.get(s, s), SKOS.altLabel if p == RDFS.label and s in alias else p, alias.get(o, o))
                for s, p, o in f.triples if not (p == RDF.type and s in alias)])
        if f.evidence.rule_id.startswith("mention-"):
            out.append(f)
            continue
        if all(t in triples for t in f.triples if t[1] not in (RDF.type, RDFS.label, SKOS.altLabel)):
            continue
        start, end = f.evidence.start, f.evidence.end
        if any(p in _NODE_OF and any(s < end + 200 and e > start - 200 for s, e in nodes.get((p, o), ()))
               for _, p, o in f.triples):
            continue
        out.append(f)
    return out


def _kind(iri: Node) -> str:
    """The kind of a minted IRI (``id/{kind}/…``)."""
    return str(iri).split("/id/", 1)[-1].split("/", 1)[0]


def linguistic_facts(parsed: Parsed, dictionary: Dictionary, lexicon: Lexicon, frames: Frames, ctx: Context,
                     *, topics: Any = None) -> list[Fact]:
    """The facts of the linguistic layer: the entities it names and what its frames read from clauses."""
    event_iri = ctx.values.get("event")
    main_event = Entity(key=str(event_iri).split("/id/", 1)[1], types=("Event",), label="") \
        if event_iri is not None and "/id/" in str(event_iri) else None
    mentions = find_mentions(parsed, dictionary, lexicon, document_id=ctx.document.id, main_event=main_event)
    try:
        facts = [*mention_facts(parsed, mentions, ctx), *Engine(parsed, mentions, frames, ctx).facts()]
        if topics is not None:
            from .topics import topic_facts

            facts += topic_facts(parsed, mentions, topics, ctx, _sentence_modality)
        return facts
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ExtractError(f"the linguistic layer failed on {ctx.document.id}: {exc!r}") from exc


def _sentence_modality(sentence: str) -> URIRef:
    """The modality the words of a quote or sentence give: proposed, expected, else stated."""
    if _PROPOSED.search(sentence):
        return MKG.Proposed
    if _EXPECTED.search(sentence):
        return MKG.Expected
    return MKG.Stated


def parsed_sentence_spans(parsed: Parsed) -> list[tuple[int, int]]:
    """The parser's sentences as (start, end) offsets into the document text, white space trimmed."""
    out = []
    for sent in parsed.doc.sents:
        text = sent.text
        lead, trail = len(text) - len(text.lstrip()), len(text.rstrip())
        if trail > lead:
            out.append(parsed.span_offsets(sent.start_char + lead, sent.start_char + trail))
    return out


def _run(rule: Rule, clean: str, index: list[int], spans: list[tuple[int, int]], ctx: Context) -> list[Fact]:
    try:
        return list(_apply(rule, clean, index, spans, ctx))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ExtractError(f"rule {rule.id} failed: {exc!r}", source=rule.source, line=rule.line) from exc


def _mentions(
    document: Document, clean: str, index: list[int], spans: list[tuple[int, int]], ctx: Context
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
