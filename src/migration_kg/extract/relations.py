"""The linguistic engine: facts from the argument structure of clauses (verb frames) and from
dependency patterns, over a document's parse and mentions.

For every verb the engine reads its agent and theme from the parse (see ``frames.yaml`` for how),
maps each to the mention it belongs to, and lets the first frame whose verb and argument types fit
emit its triples, once per (agent, theme) pair. Modality comes from the governing frame: an
auxiliary ("will", "should"), a governing verb ("agreed to …", "proposed that …") or a phrase of the
sentence ("it is proposed"). A negated clause yields nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from rdflib import URIRef
from rdflib.term import Node
from spacy.tokens import Doc, Token

from ..namespaces import MKG
from .dates import DateValue, parse_date
from .dictionary import Entity
from .emit import Context, Evidence, Fact, instantiate, mint_nodes, one_label
from .frames import ARG_TYPES, Frame, Frames, Link, Pattern, Quantities
from .mentions import Mention
from .parse import Parsed
from .rules import MODALITIES

_SUBJ = ("nsubj", "nsubjpass", "csubj")
_RELATIVE = frozenset({"which", "that", "who", "whom", "whose"})
_INHERIT = ("xcomp", "conj", "advcl", "acl", "relcl", "ccomp", "pcomp")
_DATE_PREPS = frozenset({"on", "in", "since", "by", "from", "during", "at", "until", "through", "as", "of"})


class Clause:
    """One verb with its arguments, read from the dependency parse."""

    def __init__(self, verb: Token, owner: list[Mention | None], frames: Frames, lead_in: list[Token] | None = None
                 ) -> None:
        self.verb = verb
        self.owner = owner
        self.frames = frames
        #: the agents of the sentence that introduced the list this clause is an item of ("X said: - …")
        self.lead_in = lead_in or []
        self.passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children) or (
            verb.dep_ == "acl" and verb.tag_ == "VBN")
        particle = [c.lower_ for c in verb.children if c.dep_ == "prt"]
        self.lemma = _base(verb)
        #: the object noun of a light verb ("made commitments"), whose verb the clause is read with
        self.noun: Token | None = None
        if self.lemma in frames.light_verbs:
            for c in verb.children:
                if c.dep_ == "dobj" and c.lemma_.lower() in frames.nominalizations and self.owner[c.i] is None:
                    self.noun, self.lemma = c, frames.nominalizations[c.lemma_.lower()]
                    break
        self.phrase = " ".join([self.lemma, *particle])

    # -- arguments ----------------------------------------------------------------------------

    def agents(self) -> list[Token]:
        verb = self.verb
        if self.passive:
            return [p for c in verb.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        subj = [c for c in verb.children if c.dep_ in ("nsubj", "csubj")]
        if subj and subj[0].lower_ in _RELATIVE and verb.dep_ == "relcl":
            return [verb.head]
        if subj:
            return subj
        mistagged = [c for c in verb.lefts if c.dep_ in ("advmod", "npadvmod", "dep") and self.owner[c.i] is not None]
        if mistagged:
            return mistagged  # "USAID funded …": the parser took an unknown acronym for an adverb
        return self._inherited(verb, 0) or (self.lead_in if verb.dep_ == "ROOT" else [])

    def _inherited(self, verb: Token, depth: int) -> list[Token]:
        """The subject a verb without one shares with the verb it depends on."""
        if depth > 3 or verb.dep_ not in _INHERIT or verb.head is verb:
            return []
        head = verb.head
        if verb.dep_ == "acl" and verb.tag_ in ("VBG", "VBD", "VB"):
            return [head]  # "countries participating in …": the noun is the subject
        if verb.dep_ == "xcomp":
            objects = [c for c in head.children if c.dep_ in ("dobj", "dative")]
            if objects:
                return objects  # "urged Congress to pass …": object control
        subj = [c for c in head.children if c.dep_ in ("nsubj", "csubj")]
        if subj:
            return [head.head] if subj[0].lower_ in _RELATIVE and head.dep_ == "relcl" else subj
        passive_agent = [p for c in head.children if c.dep_ == "agent" for p in c.children if p.dep_ == "pobj"]
        return passive_agent or self._inherited(head, depth + 1)

    def direct_themes(self) -> list[Token]:
        verb = self.verb
        if self.passive:
            themes = [c for c in verb.children if c.dep_ == "nsubjpass"]
            if themes and themes[0].lower_ in _RELATIVE and verb.dep_ == "relcl":
                return [verb.head]
            return themes or ([verb.head] if verb.dep_ == "acl" else [])
        if self.noun is not None:  # "made commitments under X": the noun's own objects
            return [p for c in self.noun.children if c.dep_ == "prep" for p in c.children if p.dep_ == "pobj"]
        return [c for c in verb.children if c.dep_ in ("dobj", "attr", "oprd")]

    def prep_themes(self, preps: frozenset[str] | None) -> list[Token]:
        out: list[Token] = []
        heads = [self.verb, self.noun] if self.noun is not None else [self.verb]
        for c in (c for h in heads for c in h.children):
            if c.dep_ in ("prep", "dative") and (preps is None or c.lower_ in preps):
                out.extend(p for p in c.children if p.dep_ == "pobj")
        return out

    def mentions_of(self, tokens: list[Token]) -> list[Mention]:
        """The mentions the argument tokens stand for: each coordinated member, through transparent nouns."""
        out: list[Mention] = []
        for tok in _with_conjuncts(tokens, self.owner):
            found = self.owner[tok.i]
            if found is None and tok.lower_ in self.frames.transparent:
                for prep in tok.children:
                    if prep.dep_ == "prep" and prep.lower_ in ("of", "from", "for", "to", "in", "with"):
                        out.extend(self.mentions_of([p for p in prep.children if p.dep_ == "pobj"]))
                for c in tok.children:
                    if c.dep_ in ("poss", "compound") and self.owner[c.i] is not None:
                        out.append(self.owner[c.i])  # type: ignore[arg-type]
            elif found is not None and found not in out:
                out.append(found)
        return out

    def deep_mentions(self, tokens: list[Token]) -> list[Mention]:
        """The mentions of the argument phrases, and those their modifiers and prepositional phrases name
        ("funded [pre-departure training for seasonal workers under the H-2 visa program]"): a clause's
        object often names what the action is for or about inside its own phrase. Relative clauses and
        clauses with their own subject are not entered."""
        out = list(self.mentions_of(tokens))
        seen = {t.i for t in tokens}
        todo = [(t, 0) for t in _with_conjuncts(tokens, self.owner)]
        while todo:
            tok, depth = todo.pop(0)
            for c in tok.children:
                if c.i in seen or c.dep_ in ("relcl", "advcl", "ccomp", "appos", "punct", "cc", "det", "nsubj"):
                    continue
                seen.add(c.i)
                if c.pos_ == "VERB" and any(g.dep_ in _SUBJ for g in c.children):
                    continue
                m = self.owner[c.i]
                if m is not None and m not in out and c.dep_ in ("pobj", "conj", "compound", "amod", "poss", "dobj",
                                                                 "nmod"):
                    out.append(m)
                if depth < 3 and c.dep_ in ("prep", "pobj", "conj", "acl", "dobj", "pcomp", "xcomp"):
                    todo.append((c, depth + 1))
        return out

    def negated(self) -> bool:
        return any(c.dep_ == "neg" for c in self.verb.children) or any(
            c.dep_ == "neg" for c in self.verb.head.children if self.verb.dep_ in ("xcomp",))

    def date_and_place(self, doc_date: dt.date) -> tuple[DateValue | None, Mention | None, list[Token]]:
        date = place = None
        used: list[Token] = []
        for c in self.verb.children:
            objects = [p for p in c.children if p.dep_ == "pobj"] if c.dep_ == "prep" and c.lower_ in _DATE_PREPS \
                else [c] if c.dep_ in ("npadvmod", "advmod") else []
            for obj in objects:
                if obj.ent_type_ == "DATE" and date is None:
                    span = _entity_span(obj)
                    date = relative_date(span.text, doc_date)
                    if date is not None:
                        used.extend(span)
                m = self.owner[obj.i]
                if m is not None and "Place" in m.entity.types and place is None and c.lower_ in ("in", "at"):
                    place = m
                    used.append(obj)
        return date, place, used


_IRREGULAR = {"led": "lead", "held": "hold", "met": "meet", "ran": "run", "run": "run", "written": "write",
              "wrote": "write", "chaired": "chair", "hosted": "host", "founded": "found", "funded": "fund",
              "signed": "sign", "organized": "organize", "organised": "organise", "sponsored": "sponsor"}


def _base(verb: Token) -> str:
    """The verb's lemma; for a prefixed verb ("co-led", "co-hosted", "re-launched") the prefix plus the base."""
    lemma = verb.lemma_.lower()
    if "-" not in lemma:
        return lemma
    prefix, _, rest = verb.lower_.rpartition("-")
    base = _IRREGULAR.get(rest) or re.sub(r"(?<=[a-z]{3})(?:ed|ing|es|s)$", "", rest)
    return f"{prefix}-{base}"


def _with_conjuncts(tokens: list[Token], owner: list[Mention | None] | None = None) -> list[Token]:
    """The tokens and every member coordinated with them; for a token that is no mention, also what an
    apposition or colon list gives it ("five regions: Africa, Asia and Europe")."""
    out: list[Token] = []
    todo = list(tokens)
    while todo:
        tok = todo.pop(0)
        if tok in out:
            continue
        out.append(tok)
        todo.extend(c for c in tok.children if c.dep_ == "conj" or c.dep_ == "appos" and owner is not None
                    and owner[tok.i] is None)
    return out


def _entity_span(tok: Token) -> Any:
    doc = tok.doc
    for ent in doc.ents:
        if ent.start <= tok.i < ent.end:
            return ent
    return doc[tok.i : tok.i + 1]


def relative_date(text: str, doc_date: dt.date) -> DateValue | None:
    """A date the text gives, resolving "today", "yesterday" and "this/last year" from the document date.

    Returns None for a text with no month and no year of its own (and no relative word)."""
    low = text.lower().strip()
    shift = {"today": 0, "yesterday": -1, "tomorrow": 1}.get(low)
    if shift is not None:
        day = doc_date + dt.timedelta(days=shift)
        return DateValue(text=text, year=day.year, month=day.month, day=day.day)
    if low in ("this year", "last year", "next year"):
        return DateValue(text=text, year=doc_date.year + {"this year": 0, "last year": -1, "next year": 1}[low])
    if not re.search(r"\b(?:19|20)\d\d\b", text) and not re.search(r"January|February|March|April|May|June|July|"
                                                                   r"August|September|October|November|December", text):
        return None
    try:
        return parse_date(text, default_year=doc_date.year)
    except ValueError:
        return None


def _fits(mention: Mention, types: frozenset[str] | None) -> bool:
    return types is None or bool(set(mention.entity.types) & types)


def modality_of(verb: Token, frames: Frames, sentence: str) -> URIRef:
    """Expected, Proposed or Stated, from the verb's auxiliaries, the verbs that govern it, and the sentence."""
    cues = frames.modality
    tok: Token | None = verb
    for _ in range(4):
        if tok is None:
            break
        auxes = {c.lower_ for c in tok.children if c.dep_ in ("aux", "auxpass")}
        if auxes & cues.get("proposed", {}).get("aux", frozenset()):
            return MKG.Proposed
        if auxes & cues.get("expected", {}).get("aux", frozenset()):
            return MKG.Expected
        if tok is not verb:
            lemma = tok.lemma_.lower()
            if lemma in cues.get("proposed", {}).get("governors", frozenset()):
                return MKG.Proposed
            if lemma in cues.get("expected", {}).get("governors", frozenset()):
                return MKG.Expected
        tok = tok.head if tok.dep_ in ("xcomp", "ccomp", "advcl", "conj", "pcomp", "prep", "pobj", "acl") else None
    low = sentence.lower()
    if any(p in low for p in cues.get("proposed", {}).get("phrases", frozenset())):
        return MKG.Proposed
    if any(p in low for p in cues.get("expected", {}).get("phrases", frozenset())):
        return MKG.Expected
    return MKG.Stated


class Engine:
    """Applies the frames of :class:`Frames` to one parsed document."""

    def __init__(self, parsed: Parsed, mentions: list[Mention], frames: Frames, ctx: Context) -> None:
        self.parsed = parsed
        self.doc: Doc = parsed.doc
        self.frames = frames
        self.ctx = ctx
        self.owner: list[Mention | None] = [None] * len(self.doc)
        for m in mentions:
            for i in range(m.start, m.end):
                self.owner[i] = m
        self.doc_date = ctx.document.record.date

    def facts(self) -> Iterator[Fact]:
        """Every fact the frames read from the document's clauses, then those of the dependency patterns."""
        yield from self.clause_facts()
        yield from self.pattern_facts()
        yield from self.quantity_facts()

    def pattern_facts(self) -> Iterator[Fact]:
        """The facts of the dependency patterns (``mappings/linguistic/patterns/*.yaml``)."""
        if not self.frames.patterns:
            return
        for name in ("mkg_class", "mkg_head"):
            if not Token.has_extension(name):
                Token.set_extension(name, default=None)
        for tok in self.doc:
            m = self.owner[tok.i]
            tok._.mkg_class = m.entity.types[0] if m is not None else None
            tok._.mkg_head = _head_word(m.entity.label) if m is not None else None
        matcher = dependency_matcher(self.frames, self.doc.vocab)
        by_id = {p.id: p for p in self.frames.patterns}
        for match_id, token_ids in matcher(self.doc):
            pattern = by_id[self.doc.vocab.strings[match_id]]
            names = [node["RIGHT_ID"] for node in pattern.pattern]
            yield from self._pattern_fact(pattern, dict(zip(names, (self.doc[i] for i in token_ids), strict=True)))

    def _pattern_fact(self, pattern: Pattern, tokens: dict[str, Token]) -> Iterator[Fact]:
        bindings: dict[str, Any] = {}
        spans: list[tuple[int, int]] = []
        extra: list[Entity] = []  # topics minted from inside a name
        bound = {tok.i for tok in tokens.values()}
        for name, kind in pattern.slots.items():
            tok = tokens[name]
            if kind == "Text":
                words = _phrase(tok, stop={t.i for other, t in tokens.items() if other != name},
                                keep=lambda c: (m := self.owner[c.i]) is not None and _fits(m, ARG_TYPES["OrgOrState"]))
                if not words:
                    return
                lo, hi = words[0].i, words[-1].i + 1
                bindings[name] = re.sub(r"\s+", " ", self.doc[lo:hi].text).strip(" ,;")
                inner = [self.owner[t.i] for t in words if self.owner[t.i] is not None and t.i not in bound
                         and t.head.lower_ != "to"]  # "Ambassador to the United States" names the host state
                agent = next((m for m in inner if m is not None and _fits(m, ARG_TYPES["OrgOrState"])), None)
                bindings[f"{name}_in"] = agent.entity if agent is not None else None
                spans.append((lo, hi))
            else:
                many = kind.endswith("+")
                types = ARG_TYPES.get(kind.rstrip("+"))
                members = _with_conjuncts([tok], self.owner) if many else [tok]
                found = [m for t in members if (m := self.owner[t.i]) is not None and _fits(m, types)]
                if not found or self.owner[tok.i] is None:
                    return
                found = list({m.entity.key: m for m in found}.values())
                taken = {b.key for b in bindings.values() if isinstance(b, Entity)}
                if kind.rstrip("+") == "Thing" and all(m.entity.key in taken for m in found):
                    # "the working group on bilateral labour migration agreements" is one name: its
                    # subject is the of-phrase inside it, a topic of its own
                    topic = self._inner_topic(tok)
                    if topic is None:
                        return
                    extra.append(topic)
                    bindings[name] = [topic] if many else topic
                    spans.append((tok.left_edge.i, tok.right_edge.i + 1))
                    continue
                bindings[name] = [m.entity for m in found] if many else found[0].entity
                spans.extend((m.start, m.end) for m in found)
        lo, hi = min(b[0] for b in spans), max(b[1] for b in spans)
        start, end = self.parsed.span_offsets(self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1]))
        quote = self.ctx.document.text[start:end]
        sent = self.doc[lo].sent
        sentence = self.ctx.document.text[slice(*self.parsed.span_offsets(sent.start_char, sent.end_char))]
        modality = MODALITIES[pattern.modality] if pattern.modality != "auto" else modality_of(
            self.doc[lo].sent.root, self.frames, sentence)
        bindings["clause"] = re.sub(r"\s+", " ", quote).strip()
        ev = Evidence(self.ctx.document.id, start, end, quote, sentence, pattern.id, modality)
        nodes = mint_nodes(pattern.id, pattern.nodes, bindings, self.ctx, start)
        triples = [t for t in instantiate(list(pattern.emit), bindings, nodes, self.ctx, ev)
                   if t[0] != t[2]]  # a node is never its own topic, part or place
        if triples:
            from rdflib import Literal

            from ..namespaces import RDF, RDFS

            for topic in extra:
                triples += [(URIRef(topic.iri), RDF.type, MKG[topic.types[0]]),
                            (URIRef(topic.iri), RDFS.label, Literal(topic.label))]
        if triples:
            yield Fact(evidence=ev, triples=one_label(triples, self.ctx))

    def _inner_topic(self, tok: Token) -> Entity | None:
        """A topic named by the phrase ``tok`` heads inside a longer name (common nouns only)."""
        words = [t for t in tok.subtree if not t.is_space]
        while words and words[0].pos_ in ("DET", "ADP", "PRON"):
            words = words[1:]
        while words and (words[-1].is_punct or words[-1].pos_ in ("ADP", "DET", "CCONJ")):
            words = words[:-1]
        if not words or len(words) > 8 or any(t.pos_ == "VERB" for t in words):
            return None
        label = re.sub(r"\s+", " ", self.doc[words[0].i : words[-1].i + 1].text).strip()
        return self.ctx.dictionary.mint("topic", label, "Topic")

    def lead_ins(self) -> dict[int, list[Token]]:
        """For each list item, the agents of the sentence ending in ":" that introduced the list."""
        out: dict[int, list[Token]] = {}
        current: list[Token] = []
        for sent in self.doc.sents:
            words = [t for t in sent if not t.is_space]
            if not words:
                continue
            is_item = words[0].text in ("-", "•", "–", "*", "·") or bool(re.fullmatch(r"\d{1,2}\.|[a-z]\)", words[0].text))
            if is_item:
                for tok in sent:
                    out[tok.i] = current
                continue
            current = []
            if words[-1].text == ":":
                root = sent.root
                current = Clause(root, self.owner, self.frames).agents() if root.pos_ in ("VERB", "AUX") else []
        return out

    def quantity_facts(self) -> Iterator[Fact]:
        """A Quantity for every number with its unit, of the mention it counts or belongs to."""
        spec = self.frames.quantities
        if spec is None:
            return
        for ent in self.doc.ents:
            if ent.label_ not in ("CARDINAL", "MONEY", "PERCENT", "QUANTITY"):
                continue
            read = read_number(ent, spec)
            if read is None:
                continue
            value, unit, counted, approximate = read
            after = ent.doc[ent.end] if ent.end < len(ent.doc) else None
            _, raw_end = self.parsed.span_offsets(ent.start_char, ent.end_char)
            raw_after = self.ctx.document.text[raw_end : raw_end + 6].lower()
            if after is not None and (after.text.startswith("<") or after.ent_type_ == "DATE"
                                      or after.lower_ in ("st", "nd", "rd", "th")) or raw_after.startswith(
                    ("<sup", "st ", "nd ", "rd ", "th ")):
                continue  # "its 140<sup>th</sup> session", "26 May 2021": an ordinal or a date, no count
            if after is not None and after.text in (")", ".") and ent.label_ == "CARDINAL" and len(ent) == 1:
                continue  # "4) migration", "2. The second dialogue": the number of a list item
            line_start = self.ctx.document.text.rfind("\n", 0, raw_end - len(ent.text)) + 1
            if not self.ctx.document.text[line_start : raw_end - len(ent.text)].strip() and after is not None \
                    and after.is_title and ent.label_ == "CARDINAL":
                continue  # "10 The World Bank": a footnote's number at the start of its line
            if ent.label_ == "CARDINAL" and counted.i < ent.start and counted.i == ent.root.head.i:
                continue  # "objectives 9 and 10", "paragraph 23", "session 2": a number after its noun names, not counts
            if any(c.dep_ in ("relcl", "acl") for c in counted.children) and counted.i != ent.root.i:
                continue  # "the four Champions which served": a subset singled out, not a count of the whole
            owner = self._quantity_owner(counted, ent)
            if owner is None:
                continue
            lo = min(ent.start, counted.i, owner.start)
            hi = max(ent.end, counted.i + 1, owner.end)
            start, end = self.parsed.span_offsets(self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1]))
            if end - start > 400:
                lo, hi = min(ent.start, counted.i), max(ent.end, counted.i + 1)
                start, end = self.parsed.span_offsets(self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1]))
            quote = self.ctx.document.text[start:end]
            sent = ent.sent
            sentence = self.ctx.document.text[slice(*self.parsed.span_offsets(sent.start_char, sent.end_char))]
            modality = modality_of(ent.root.head, self.frames, sentence)
            ev = Evidence(self.ctx.document.id, start, end, quote, sentence, spec.id, modality)
            bindings: dict[str, Any] = {"owner": owner.entity, "unit": unit, "value": value,
                                        "approximate": True if approximate else None,
                                        "clause": re.sub(r"\s+", " ", quote).strip()}
            nodes = mint_nodes(spec.id, spec.nodes, bindings, self.ctx, start)
            triples = instantiate(list(spec.emit), bindings, nodes, self.ctx, ev)
            if triples:
                yield Fact(evidence=ev, triples=one_label(triples, self.ctx))

    def _quantity_owner(self, counted: Token, ent: Any) -> Mention | None:
        """Whose quantity a number is (see the ``quantities`` section of frames.yaml)."""
        own = self.owner[counted.i]
        if own is not None and not (ent.start <= own.start and own.end <= ent.end):
            return own
        head = counted
        for _ in range(3):
            dep, up = head.dep_, head.head
            if dep in ("dobj", "attr", "oprd") and up.pos_ in ("VERB", "AUX"):
                agents = Clause(up, self.owner, self.frames).mentions_of(Clause(up, self.owner, self.frames).agents())
                return agents[0] if agents else None
            if dep in ("nsubj", "nsubjpass") and up.pos_ in ("VERB", "AUX"):
                clause = Clause(up, self.owner, self.frames)
                themes = clause.mentions_of(clause.direct_themes() + clause.prep_themes(None))
                return themes[0] if themes else None
            if dep == "pobj" and up.dep_ == "agent":
                clause = Clause(up.head, self.owner, self.frames)
                themes = clause.mentions_of(clause.direct_themes())
                return themes[0] if themes else None
            if dep == "pobj":
                holder = self.owner[up.head.i]
                if holder is not None:
                    return holder
                if up.head.pos_ in ("VERB", "AUX"):
                    clause = Clause(up.head, self.owner, self.frames)
                    agents = clause.mentions_of(clause.agents())
                    return agents[0] if agents else None
                head = up.head
                continue
            break
        return None

    def clause_facts(self) -> Iterator[Fact]:
        """Every fact the frames read from the document's clauses."""
        lead_ins = self.lead_ins()
        for verb in self.doc:
            if verb.pos_ not in ("VERB",) and not (verb.pos_ == "AUX" and verb.dep_ in ("ROOT", "conj")):
                continue
            if verb.dep_ in ("amod", "compound") or self.owner[verb.i] is not None:
                continue  # "forced displacement", "coordinated efforts": a participle inside a noun phrase or a name
            clause = Clause(verb, self.owner, self.frames, lead_ins.get(verb.i))
            if clause.negated():
                continue
            yield from self._clause(clause)

    def _links(self, clause: Clause) -> list[tuple[Link, Mention, Token]]:
        """The link phrases of a clause ("as part of X"), each with its target mention and first word."""
        out = []
        for prep in clause.verb.children:
            if prep.dep_ not in ("prep", "agent"):
                continue
            words, tok = [prep.lower_], prep
            chain: list[tuple[tuple[str, ...], Token]] = []
            for _ in range(3):
                objs = [c for c in tok.children if c.dep_ in ("pobj", "pcomp")]
                if not objs:
                    break
                chain.append((tuple(words), objs[0]))
                nxt = [c for c in objs[0].children if c.dep_ == "prep"]
                if not nxt:
                    break
                words = [*words, objs[0].lower_, nxt[0].lower_]
                tok = nxt[0]
            for link in self.frames.links:
                for phrase, obj in chain:
                    if phrase in link.phrases:
                        for target in clause.mentions_of([obj]):
                            if _fits(target, link.target):
                                out.append((link, target, prep))
        return out

    def _setting_facts(self, clause: Clause, agents_tokens: list[Token]) -> Iterator[Fact]:
        spec = self.frames.setting
        if spec is None:
            return
        date, place, used = clause.date_and_place(self.doc_date)
        if date is None and place is None:
            return
        events = [m for m in clause.mentions_of(agents_tokens + clause.direct_themes() + clause.prep_themes(None))
                  if _fits(m, spec.arg) and (place is None or m.entity.key != place.entity.key)]
        sent = clause.verb.sent
        sentence = self.ctx.document.text[slice(*self.parsed.span_offsets(sent.start_char, sent.end_char))]
        modality = modality_of(clause.verb, self.frames, sentence)
        for event in events:
            bounds = [(t.i, t.i + 1) for t in (clause.verb, *used)] + [(event.start, event.end)]
            lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
            start, end = self.parsed.span_offsets(self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1]))
            quote = self.ctx.document.text[start:end]
            ev = Evidence(self.ctx.document.id, start, end, quote, sentence, spec.id, modality)
            bindings = {"event": event.entity, "place": place.entity if place else None, "date": date,
                        "clause": re.sub(r"\s+", " ", quote).strip()}
            triples = instantiate(list(spec.emit), bindings, {}, self.ctx, ev)
            if triples:
                yield Fact(evidence=ev, triples=one_label(triples, self.ctx))

    def _clause(self, clause: Clause) -> Iterator[Fact]:
        links = self._links(clause)
        agents_tokens = clause.agents() + [self.doc[t.root] for link, t, _ in links if link.co_agent]
        if links:
            yield from self._link_facts(clause, agents_tokens, links)
        yield from self._setting_facts(clause, agents_tokens)
        for frame in self.frames.frames:
            if clause.lemma not in frame.verbs and clause.phrase not in frame.verbs:
                continue
            if frame.passive_only and not clause.passive:
                continue
            themes_tokens = ([] if frame.prep_only else clause.direct_themes()) + (
                clause.prep_themes(frame.preps) if frame.preps else [])
            facts = list(self._emit(frame, clause, agents_tokens, themes_tokens))
            if facts:
                yield from facts
                return
        generic = self.frames.generic
        if generic is not None and clause.lemma not in generic.skip:
            # of a verb's prepositions only those listed say enough without a frame (a recipient, partner, means)
            themes_tokens = clause.direct_themes() + clause.prep_themes(generic.preps) if generic.preps \
                else clause.direct_themes()
            yield from self._emit(generic, clause, agents_tokens, themes_tokens)

    def _link_facts(self, clause: Clause, agents_tokens: list[Token], links: list[tuple[Link, Mention, Token]]
                    ) -> Iterator[Fact]:
        themes = clause.mentions_of(clause.direct_themes())
        agents = clause.mentions_of(agents_tokens)
        sent = clause.verb.sent
        sentence = self.ctx.document.text[slice(*self.parsed.span_offsets(sent.start_char, sent.end_char))]
        modality = modality_of(clause.verb, self.frames, sentence)
        for link, target, prep in links:
            if link.co_agent:
                continue
            args = agents if link.role == "agent" else themes if link.role == "theme" else (themes or agents)
            for arg in args:
                if not _fits(arg, link.arg) or arg.entity.key == target.entity.key:
                    continue
                lo, hi = min(arg.start, prep.i, target.start), max(arg.end, target.end)
                start, end = self.parsed.span_offsets(self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1]))
                quote = self.ctx.document.text[start:end]
                ev = Evidence(self.ctx.document.id, start, end, quote, sentence, link.id, modality)
                bindings = {"arg": arg.entity, "target": target.entity, "clause": re.sub(r"\s+", " ", quote).strip()}
                triples = instantiate(list(link.emit), bindings, {}, self.ctx, ev)
                if triples:
                    yield Fact(evidence=ev, triples=one_label(triples, self.ctx))

    def _emit(self, frame: Frame, clause: Clause, agents_tokens: list[Token], themes_tokens: list[Token]
              ) -> Iterator[Fact]:
        agents = [m for m in clause.mentions_of(agents_tokens) if _fits(m, frame.agent)] if frame.agent else [None]
        themes = [m for m in (clause.deep_mentions(themes_tokens) if frame.deep else clause.mentions_of(themes_tokens))
                  if _fits(m, frame.theme)]
        if not agents or not themes:
            return
        date, place, used = clause.date_and_place(self.doc_date)
        sent = clause.verb.sent
        sentence = self.ctx.document.text[slice(*self.parsed.span_offsets(sent.start_char, sent.end_char))]
        modality = modality_of(clause.verb, self.frames, sentence)
        for agent in agents:
            for theme in themes:
                if agent is not None and agent.entity.key == theme.entity.key:
                    continue
                bounds = [(t.i, t.i + 1) for t in (clause.verb, *used)] + [
                    (m.start, m.end) for m in (agent, theme) if m is not None]
                lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
                start, end = self.parsed.span_offsets(self.doc[lo].idx, self.doc[hi - 1].idx + len(self.doc[hi - 1]))
                quote = self.ctx.document.text[start:end]
                ev = Evidence(self.ctx.document.id, start, end, quote, sentence, frame.id, modality)
                bindings: dict[str, Any] = {
                    "agent": agent.entity if agent is not None else None, "theme": theme.entity, "date": date,
                    "place": place.entity if place is not None else None, "verb": clause.phrase,
                    "clause": re.sub(r"\s+", " ", quote).strip(),
                }
                nodes = mint_nodes(frame.id, frame.nodes, bindings, self.ctx, start)
                triples = instantiate(list(frame.emit), bindings, nodes, self.ctx, ev)
                if triples:
                    yield Fact(evidence=ev, triples=one_label(triples, self.ctx))


def _phrase(tok: Token, *, stop: set[int], keep: Any = None) -> list[Token]:
    """The words of a token's phrase: its subtree without coordinated members, relative clauses, the other
    slots of the match and what hangs on them, and punctuation at the edges."""
    out, todo = [], [tok]
    while todo:
        t = todo.pop()
        out.append(t)
        todo.extend(c for c in t.children if c.i not in stop and (c.dep_ not in ("conj", "cc", "relcl", "advcl")
                                                                  or c.dep_ == "conj" and keep is not None and keep(c)))
    out.sort(key=lambda t: t.i)
    while out and out[-1].is_punct:
        out.pop()
    while out and out[0].is_punct:
        out.pop(0)
    # a phrase is contiguous: keep the run around the head
    run = [t for t in out if abs(t.i - tok.i) <= len(out)]
    i = [t.i for t in run].index(tok.i)
    lo = i
    while lo > 0 and run[lo - 1].i == run[lo].i - 1:
        lo -= 1
    hi = i
    while hi + 1 < len(run) and run[hi + 1].i == run[hi].i + 1:
        hi += 1
    return run[lo : hi + 1]


_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def read_number(ent: Any, spec: Quantities) -> tuple[Decimal, str, Token, bool] | None:
    """(value, unit, the counted noun, approximate) of a number entity, or None if it is no quantity."""
    text = ent.text.replace("\n", " ")
    low = text.lower()
    m = _NUMBER.search(text)
    value: Decimal | None = Decimal(m.group(0).replace(",", "")) if m else None
    if value is None:
        words = [spec.words.get(w) for w in re.findall(r"[a-z]+", low)]
        known = [w for w in words if w is not None]
        if not known:
            return None
        value = Decimal(known[0])
    if m and re.fullmatch(r"(?:19|20)\d\d", m.group(0)) and ent.label_ == "CARDINAL":
        return None  # a year the parser did not take for a date
    for word, factor in spec.scale.items():
        if re.search(rf"\b{word}\b", low):
            value *= factor
    approximate = any(low.startswith(a + " ") for a in spec.approximate) or any(
        ent.start >= len(a.split()) and " ".join(t.lower_ for t in ent.doc[ent.start - len(a.split()) : ent.start]) == a
        for a in spec.approximate)
    money = next((unit for sym, unit in spec.money.items() if sym.lower() in low.split() or text.startswith(sym)), None)
    root = ent.root
    if money is not None or ent.label_ == "MONEY":
        return value, money or "USD", root, approximate
    if ent.label_ == "PERCENT" or any(p in low for p in spec.percent):
        return value, "percent", root, approximate
    counted = root.head if root.dep_ in ("nummod", "quantmod", "compound") and root.head.pos_ in ("NOUN", "PROPN") \
        else None
    if counted is None:
        return None  # a bare number with no noun it counts
    unit_words = [t.lower_ for t in counted.lefts if t.dep_ in ("amod", "compound") and t.i > ent.end - 1] + [
        counted.lemma_.lower() if counted.pos_ == "NOUN" else counted.lower_]
    if counted.lemma_.lower() in spec.not_units or any(re.search(r"[a-z]\d", w) for w in unit_words):
        return None  # "three reasons"; "258 million8 migrants": a footnote mark glued to a word
    return value, " ".join(unit_words), counted, approximate


_MATCHERS: dict[int, Any] = {}


def _head_word(label: str) -> str | None:
    """The head word of a name: its last word that is not a numeral ("Working Session II" -> "session")."""
    words = [w for w in re.findall(r"[\w’'-]+", label.lower()) if not re.fullmatch(r"[ivx]{1,5}|\d[\d.]*[a-z]?", w)]
    return words[-1] if words else None


def dependency_matcher(frames: Frames, vocab: Any) -> Any:
    """The spaCy DependencyMatcher of the patterns (built once per rule set and vocabulary)."""
    from spacy.matcher import DependencyMatcher

    key = id(frames) ^ id(vocab)
    if key not in _MATCHERS:
        matcher = DependencyMatcher(vocab)
        for pattern in frames.patterns:
            matcher.add(pattern.id, [[_expand_types(node) for node in pattern.pattern]])
        _MATCHERS[key] = matcher
    return _MATCHERS[key]


def _expand_types(node: dict[str, Any]) -> dict[str, Any]:
    """``_: {mkg_type: Agent}`` becomes ``_: {mkg_class: {IN: [every class of Agent]}}``."""
    attrs = dict(node.get("RIGHT_ATTRS") or {})
    ext = dict(attrs.get("_") or {})
    if "mkg_type" in ext:
        ext["mkg_class"] = {"IN": sorted(ARG_TYPES[ext.pop("mkg_type")])}
        attrs["_"] = ext
    return {**node, "RIGHT_ATTRS": attrs}


def mention_facts(parsed: Parsed, mentions: list[Mention], ctx: Context) -> Iterator[Fact]:
    """The type and name of every entity the linguistic layer minted, once per name and document."""
    from rdflib import Literal

    from ..namespaces import RDF, RDFS, SKOS

    seen: set[tuple[str, str]] = set()
    for m in mentions:
        entity: Entity = m.entity
        if not entity.minted or m.source in ("anaphor",):
            continue
        span = m.span(parsed.doc)
        start, end = parsed.span_offsets(span.start_char, span.end_char)
        name = re.sub(r"\s+", " ", ctx.document.text[start:end]).strip()
        if (entity.key, name) in seen:
            continue
        seen.add((entity.key, name))
        iri = URIRef(entity.iri)
        triples: list[tuple[Node, Node, Node]] = [(iri, RDF.type, MKG[entity.types[0]]),
                                                  (iri, RDFS.label, Literal(entity.label))]
        if name != entity.label and (" " in name or not name.islower()):
            triples.append((iri, SKOS.altLabel, Literal(name)))  # "report", "process": a bare word is no name
        triples += [(iri, MKG.acronym, Literal(a)) for a in entity.acronyms]
        if m.named_after is not None:  # "GFMD website", "IMRF roundtables": part of what it is named after
            triples.append((iri, MKG.partOf, URIRef(m.named_after.iri)))
        sent = span.sent
        sentence = ctx.document.text[slice(*parsed.span_offsets(sent.start_char, sent.end_char))]
        ev = Evidence(ctx.document.id, start, end, ctx.document.text[start:end], sentence,
                      f"mention-{m.source}", MKG.Stated)
        yield Fact(evidence=ev, triples=one_label(triples, ctx))


def check_examples(frames: Frames, lexicon: Any, dictionary: Any) -> None:
    """Apply every frame and pattern to its own examples; each must yield a fact of that rule.

    Raises RuleError naming the rule's file and line when an example yields none (the rule, the
    lexicon or the parse no longer read what the rule says it reads).
    """
    from pathlib import Path

    from ..corpus import CatalogueRecord, Document
    from ..errors import RuleError
    from .dictionary import Dictionary
    from .engine import clean_view, document_iri
    from .mentions import find_mentions
    from .parse import parse

    rules: list[Any] = [*frames.frames, *([frames.generic] if frames.generic else []), *frames.links,
                        *frames.patterns, *([frames.quantities] if frames.quantities else []),
                        *([frames.setting] if frames.setting else [])]
    for rule in rules:
        for example in rule.examples:
            scratch = Dictionary(entities=dict(dictionary.entities), by_form=dict(dictionary.by_form),
                                 by_fold=dict(dictionary.by_fold))
            record = CatalogueRecord(title="example", date=dt.date(2020, 1, 1), publisher="example")
            document = Document(id="example", path=Path("example.txt"), text=example, record=record)
            clean, index = clean_view(example)
            parsed = parse(clean, index)
            ctx = Context(document=document, doc_iri=document_iri("example"), dictionary=scratch, labels={})
            mentions = find_mentions(parsed, scratch, lexicon, document_id="example")
            got = {f.evidence.rule_id for f in Engine(parsed, mentions, frames, ctx).facts()}
            if rule.id not in got:
                raise RuleError(f"rule {rule.id}: its example yields no fact of it: {example!r} (got {sorted(got)})",
                                source=rule.source, line=rule.line)
