"""Mentions: the spans of a parsed document that name an entity, and the entity each one names.

Found in this order, a token belonging to at most one mention (the first that claims it):

1. **dictionary**: every name of the entity dictionary (curated entries, ISO 3166 states, names the
   regular-expression rules minted in this document);
2. **ner**: the parser's named entities (persons, organisations, places, events, laws), typed by the
   head word of the name (``heads`` of ``mappings/linguistic/mentions.yaml``), else by the entity label;
3. **name**: capitalised names the parser did not label whose head word is a known head ("Safe
   Mobility Initiative", "Working Session II", "the 10th Regional Conference");
4. **phrase**: common-noun phrases naming a governance topic, a stakeholder group, or a document or
   meeting of the document's own ("labour migration", "migrant workers", "background notes");
5. **anaphor**: definite descriptions and pronouns that stand for an earlier mention of the same
   document ("the Declaration", "the Summit", "he").

"Full Name (ACR)" gives the entity the acronym ACR, and later uses of ACR in the document name it.
Entities of people, organisations, topics and groups are minted into the build's dictionary, so the
same name meets the same IRI across documents; a document's own meetings and papers named by a common
noun ("the meeting", "background notes") are keyed within the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from spacy.tokens import Doc, Span, Token

from ..errors import RuleError
from .dictionary import (
    BODY_TYPES,
    EVENT_TYPES,
    INSTRUMENT_TYPES,
    ORG_TYPES,
    PROCESS_TYPES,
    SLOT_TYPES,
    Dictionary,
    Entity,
    normalize_form,
    slugify,
)
from .minting import acronym_fits
from .parse import Parsed

_CONNECTORS = frozenset({"of", "for", "on", "and", "the", "in", "to", "de", "&", "del", "la", "des", "du", "against"})
_DETERMINERS = frozenset({"DET", "PRON", "NUM", "PUNCT", "SPACE", "CCONJ", "ADP", "PART"})
_PRONOUNS = {"he": "he", "him": "he", "his": "he", "she": "she", "her": "she"}
_ROMAN = re.compile(r"^(?:[IVX]{1,5}|\d{1,3}(?:\.\d{1,2})?[a-z]?|[A-Z])$")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z&]{1,11}$")


@dataclass(frozen=True)
class PhraseClass:
    """Common-noun phrases of one class (see ``phrases`` in mentions.yaml)."""

    cls: str
    scope: str
    heads: frozenset[str]
    bare: frozenset[str]
    strict: frozenset[str]
    modifiers: frozenset[str]
    of_heads: frozenset[str]


@dataclass(frozen=True)
class Lexicon:
    """The head words and phrase classes of ``mappings/linguistic/mentions.yaml``."""

    titles: frozenset[str]
    ner: dict[str, str | None]
    heads: dict[str, str]
    phrases: tuple[PhraseClass, ...]
    anaphoric: frozenset[str]
    event_collectives: frozenset[str] = frozenset()


@dataclass
class Mention:
    """Tokens ``[start, end)`` of the parse name ``entity``; ``root`` is the phrase's syntactic head."""

    start: int
    end: int
    root: int
    entity: Entity
    source: str
    #: the mention this phrase is named after ("GFMD website" after the GFMD)
    named_after: Entity | None = None

    def span(self, doc: Doc) -> Span:
        """The mention's tokens."""
        return doc[self.start : self.end]


#: classes whose bare noun with an article ("a non-paper", "a meeting") is a thing the frames can read
_BARE_WITH_ARTICLE = frozenset({"Event", "Meeting", "Instrument", "Document", "Agreement", "Declaration", "Law",
                                "Resolution", "Plan", "Strategy", "Programme", "Fund", "Report", "Publication",
                                "NonPaper"})


def load_lexicon(path: Path) -> Lexicon:
    """Read ``mentions.yaml``. Raises RuleError naming the file on a malformed entry."""
    try:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        phrases = tuple(
            PhraseClass(cls=cls, scope=str(spec.get("scope", "global")),
                        heads=frozenset(h.lower() for h in spec.get("heads") or ()),
                        bare=frozenset(b.lower() for b in spec.get("bare") or ()),
                        strict=frozenset(s.lower() for s in spec.get("strict") or ()),
                        modifiers=frozenset(m.lower() for m in spec.get("modifiers") or ()),
                        of_heads=frozenset(o.lower() for o in spec.get("of_heads") or ()))
            for cls, spec in (data.get("phrases") or {}).items()
        )
        return Lexicon(
            titles=frozenset(t.lower() for t in data.get("titles") or ()),
            ner=dict(data.get("ner") or {}),
            heads={str(k).lower(): str(v) for k, v in (data.get("heads") or {}).items()},
            phrases=phrases,
            anaphoric=frozenset(a.lower() for a in data.get("anaphoric_heads") or ()),
            event_collectives=frozenset(a.lower() for a in data.get("event_collectives") or ()),
        )
    except (OSError, yaml.YAMLError, AttributeError, TypeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(f"cannot read the mention lexicon: {exc}", source=str(path),
                        line=mark.line + 1 if mark else None) from exc


def kind_of(cls: str) -> str:
    """The IRI kind (``id/{kind}/…``) of an ontology class."""
    for types, kind in ((EVENT_TYPES, "event"), (PROCESS_TYPES, "process"), (BODY_TYPES, "body"),
                        (INSTRUMENT_TYPES, "instrument"), (ORG_TYPES, "org")):
        if cls in types:
            return "group" if cls == "StakeholderGroup" else kind
    if cls in ("Document", "Report", "Publication"):
        return "document"
    return {"Person": "person", "Place": "place", "Topic": "topic", "State": "state"}.get(cls, "thing")


class _Finder:
    def __init__(self, parsed: Parsed, dictionary: Dictionary, lexicon: Lexicon, document_id: str,
                 main_event: Entity | None) -> None:
        self.doc = parsed.doc
        self.view = parsed.view
        self.dictionary = dictionary
        self.lexicon = lexicon
        self.document_id = document_id
        self.main_event = main_event
        self.owner: list[Mention | None] = [None] * len(self.doc)
        self.mentions: list[Mention] = []
        self.gender: dict[str, str] = {}

    # -- bookkeeping -------------------------------------------------------------------------

    def free(self, start: int, end: int) -> bool:
        return start < end and all(self.owner[i] is None for i in range(start, end))

    def claim(self, start: int, end: int, entity: Entity, source: str) -> Mention | None:
        while start < end and (self.doc[start].pos_ in ("DET", "PUNCT", "SPACE", "PART") or self.doc[start].is_punct
                               or self.doc[start].pos_ in ("ADV", "NUM", "X") and self.doc[start].is_lower
                               or self.doc[start].is_space or self.doc[start].dep_ == "case"):
            start += 1
        while start < end and self.doc[start].pos_ in ("CCONJ", "ADP", "SCONJ"):
            start += 1
        while end > start and (self.doc[end - 1].is_punct or self.doc[end - 1].is_space
                               or self.doc[end - 1].pos_ in ("ADP", "DET", "CCONJ", "PART", "SCONJ")):
            end -= 1
        if not self.free(start, end):
            return None
        span = self.doc[start:end]
        mention = Mention(start, end, span.root.i, entity, source)
        for i in range(start, end):
            self.owner[i] = mention
        self.mentions.append(mention)
        return mention

    def mint(self, cls: str, name: str, *, scoped: bool = False, acronym: str | None = None) -> Entity:
        kind = kind_of(cls)
        label = normalize_form(name)
        if scoped:
            slug = f"{self.document_id}-{slugify(label)}"
            key = f"{kind}/{slug}"
            return self.dictionary.entities.get(key) or self._add(Entity(key=key, types=(cls,), label=label, minted=True))
        known = self.dictionary.lookup(label)
        if known is not None and (cls in known.types or not known.minted):
            return known
        slug = slugify(acronym) if acronym else slugify(label)
        return self.dictionary.mint(kind, label, cls, acronyms=(acronym,) if acronym else (), slug=slug)

    def _add(self, entity: Entity) -> Entity:
        self.dictionary.entities[entity.key] = entity
        return entity

    def head_class(self, words: list[str]) -> str | None:
        """The class the head word (or the last two words) of a name gives, if any (plural heads too)."""
        low = [w.lower() for w in words]
        if low and low[-1] not in self.lexicon.heads and low[-1].endswith("s") and low[-1][:-1] in self.lexicon.heads:
            low[-1] = low[-1][:-1]
        if len(low) >= 2 and f"{low[-2]} {low[-1]}" in self.lexicon.heads:
            return self.lexicon.heads[f"{low[-2]} {low[-1]}"]
        for w in reversed(low):
            if _ROMAN.match(w.upper() if len(w) <= 5 else w) and w not in ("a", "i"):
                continue  # "Working Session II", "Roundtable 1.1": the numeral follows the head
            found = self.lexicon.heads.get(w)
            if found is not None:
                return found
            break
        # "Summit of the Americas", "Declaration on Migration and Protection": the head precedes the of-phrase
        at = next((i for i, w in enumerate(low) if w in ("of", "on", "for") and i > 0), None)
        if at is not None:
            return self.head_class(words[:at])
        return None

    # -- the passes ----------------------------------------------------------------------------

    def dictionary_names(self) -> None:
        regex = re.compile(self.dictionary.pattern(SLOT_TYPES["Thing"]))
        longer = [e for e in self.doc.ents if e.label_ in ("GPE", "LOC", "FAC", "PERSON") or e.label_ in (
                  "ORG", "EVENT", "LAW") and self.head_class([t.text for t in e]) is not None]
        for m in regex.finditer(self.view):
            entity = self.dictionary.lookup(m.group(0))
            span = self.doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if entity is None or span is None:
                continue
            if any(e.start <= span.start and span.end <= e.end and len(e) > len(span) and e[-1].is_title
                   and self.dictionary.lookup(e.text) is None and (e.label_ != "PERSON" or "Place" in entity.types
                                                                   or "State" in entity.types) for e in longer):
                continue  # "Mexico City", "Guatemala City": a name inside a longer name is no mention of it
            after = span.end
            while after < len(self.doc) and self.doc[after].is_title and self.doc[after].pos_ == "PROPN":
                after += 1
            if after > span.end and self.head_class([t.text for t in self.doc[span.start:after]]) is not None \
                    and self.dictionary.lookup(self.doc[span.start:after].text) is None \
                    and not entity.key.startswith(("process/", "org/", "instrument/", "body/")):
                continue  # "Rabat Process": the place names the process, and the longer name is the mention
            self.claim(span.start, span.end, entity, "dictionary")

    def instances(self) -> None:
        """"GFMD 2017", "the eleventh GFMD", "the first IMRF", "2018 High-level Political Forum": a process named
        with a year or an ordinal is one of its meetings, an event of its own that is part of the process."""
        doc = self.doc
        for m in list(self.mentions):
            if m.source != "dictionary" or not set(m.entity.types) & PROCESS_TYPES:
                continue
            start, end = m.start, m.end
            before = doc[start - 1] if start > 0 else None
            after = doc[end] if end < len(doc) else None
            if before is not None and self.owner[before.i] is None and (
                    before.ent_type_ == "ORDINAL" or re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)|(?:19|20)\d\d", before.text)):
                start -= 1
            elif after is not None and self.owner[after.i] is None and re.fullmatch(r"(?:19|20)\d\d", after.text) \
                    and after.ent_type_ == "DATE":
                end += 1
            else:
                continue
            label = doc[start:end].text
            process = m.entity
            instance = self.mint("Event", label)
            for i in range(start, end):
                self.owner[i] = m
            m.start, m.end, m.entity, m.named_after, m.source = start, end, instance, process, "name"

    def named_entities(self) -> None:
        for ent in self.doc.ents:
            cls = self.lexicon.ner.get(ent.label_)
            if cls is None:
                continue
            for part in self._split_coordinated(ent):
                self._named(part, cls, ent.label_)

    def _split_coordinated(self, ent: Span) -> list[Span]:
        """'the Inter-Parliamentary Union and Mayors Migration Council': two names, each with its head."""
        for tok in ent:
            if tok.lower_ == "and" and tok.i > ent.start and tok.i < ent.end - 1:
                left, right = self.doc[ent.start : tok.i], self.doc[tok.i + 1 : ent.end]
                if self.head_class([t.text for t in left]) and self.head_class([t.text for t in right]):
                    return [left, right]
        return [ent]

    def _named(self, span: Span, cls: str, label: str) -> None:
        if any(t.text == "(" for t in span):  # "Intergovernmental Authority on Development (IGAD)": the name ends
            span = self.doc[span.start : next(t.i for t in span if t.text == "(")]
        tokens = [t for t in span if not (t.pos_ == "DET" or t.is_punct and t.text not in ".-’'&")]
        while tokens and tokens[-1].pos_ in ("CCONJ", "ADP"):
            tokens = tokens[:-1]  # "Ministries of Labor and": the parser's entity ends in the middle of a list
        if not tokens:
            return
        if label == "PERSON":
            while tokens and tokens[0].text.lower().rstrip(",") in self.lexicon.titles:
                tokens = tokens[1:]
            while tokens[0].i > 0 and self.owner[tokens[0].i - 1] is None and self.doc[tokens[0].i - 1].pos_ == "PROPN" \
                    and self.doc[tokens[0].i - 1].is_title and self.doc[tokens[0].i - 1].lower_ not in self.lexicon.titles \
                    and not (tokens[0].i > 1 and self.doc[tokens[0].i - 2].lower_ == "of"):
                tokens = [self.doc[tokens[0].i - 1], *tokens]  # the parser often leaves out a first given name
            names = [t for t in tokens if t.is_title or t.is_upper and len(t) > 1 or t.text in ("de", "van", "von", "del")]
            if len(names) < 2 or len(names) != len(tokens) or self.head_class([t.text for t in tokens]):
                return  # one word ("Roadmap") or a name whose head word says it is no person
            name = self.doc[tokens[0].i : tokens[-1].i + 1]
            self.claim(name.start, name.end, self.mint("Person", name.text), "ner")
            return

        words = [t.text for t in tokens]
        head = self.head_class(words)
        if re.fullmatch(r"(?:[IVXL]{1,5}|\d{1,2})\.?", words[0]) and len(words) > 1 and label != "PERSON":
            return  # "I. Introduction", "3. The second dialogue": a numbered heading, not a name
        low = " ".join(w.lower() for w in words)
        if head is not None and (low in self.lexicon.heads or low.rstrip("s") in self.lexicon.heads):
            return  # "Working Group", "Secretariat": a head word alone names no one thing across documents
        if tokens[0].i >= 2 and self.doc[tokens[0].i - 1].lower_ == "of" and \
                self.doc[tokens[0].i - 2].lower_ in self.lexicon.titles and head is None:
            return  # "Secretary of Foreign Affairs": the name of a post, not of an organisation
        if label == "GPE":
            state = self.dictionary.lookup(span.text, SLOT_TYPES["State"])
            if state is not None:
                self.claim(span.start, span.end, state, "ner")
                return
        if label in ("GPE", "LOC") and any(words[-1].lower() in pc.heads for pc in self.lexicon.phrases
                                           if pc.cls == "StakeholderGroup"):
            return  # "Member States", "partner countries": a group, left to the phrase pass
        if head is None and label == "ORG" and tokens[-1].pos_ != "PROPN" and not tokens[-1].is_upper:
            return  # "Co-Chairs": a common noun
        if head is None and label == "ORG":
            if not (len(words) == 1 and _ACRONYM.match(words[0]) and words[0].isupper()) and sum(
                    1 for t in tokens if t.is_title or t.is_upper) < 2:
                return  # a single capitalised word is too often no organisation ("Champions")
            before = self.doc[span.start - 1] if span.start > 0 else None
            if not any(t.is_upper and len(t) > 1 for t in tokens) and (before is None or before.lower_ != "the") \
                    or any(t.text in (",", "&") for t in span):
                return  # "African Migrations", "Relief, Rehabilitation and Development", "Jørgen & Cathrine Talleraas"
        if head is None and label in ("EVENT", "LAW"):
            return
        if not any(t.is_title or t.is_upper or t.like_num for t in tokens):
            return  # "overseas recruitment processes": the parser's entity, but no name
        text = self.doc[tokens[0].i : tokens[-1].i + 1].text
        self.claim(tokens[0].i, tokens[-1].i + 1, self.mint(head or cls, text), "ner")

    def merge_short_names(self) -> None:
        """"López Obrador" after "Andrés Manuel López Obrador": a person named by the end of a longer name
        in the same document is that person."""
        persons = [m for m in self.mentions if "Person" in m.entity.types]
        full = sorted({m.entity.key: m.entity for m in persons}.values(), key=lambda e: -len(e.label.split()))
        for m in persons:
            words = m.entity.label.split()
            for other in full:
                longer = other.label.split()
                if len(longer) > len(words) and longer[-len(words):] == words and other.key != m.entity.key:
                    m.entity = other
                    break

    def persons_gender(self) -> None:
        """The gender a title before a person's mention gives ("Mr." he, "Ms." she), for pronouns."""
        for m in self.mentions:
            if "Person" in m.entity.types and m.start > 0:
                title = self.doc[m.start - 1].lower_.rstrip(".")
                if title in ("mr", "sir", "king", "prince", "lord", "mister"):
                    self.gender.setdefault(m.entity.key, "he")
                elif title in ("ms", "mrs", "madam", "queen", "princess", "dame", "lady"):
                    self.gender.setdefault(m.entity.key, "she")

    def capitalised_names(self) -> None:
        doc, i = self.doc, 0
        while i < len(doc):
            if not self._cap(doc[i]):
                i += 1
                continue
            j = i
            while j + 1 < len(doc) and (self._cap(doc[j + 1]) or doc[j + 1].lower_ in _CONNECTORS and j + 2 < len(doc)
                                        and self._cap(doc[j + 2]) or _ROMAN.match(doc[j + 1].text)
                                        and doc[j + 1].i > i):
                j += 1
            self._capitalised(i, j + 1)
            i = j + 1

    def _cap(self, tok: Token) -> bool:
        return (tok.is_title or tok.is_upper and len(tok) > 1) and tok.pos_ in ("PROPN", "NOUN", "ADJ", "VERB") and \
            tok.lower_ not in self.lexicon.titles or tok.text in ("’s", "'s") and tok.i > 0 and tok.nbor(-1).is_title

    def _capitalised(self, start: int, end: int) -> None:
        while end > start and self.doc[end - 1].lower_ in _CONNECTORS:
            end -= 1
        if start > 0 and self.doc[start - 1].ent_type_ == "ORDINAL" or start > 0 and re.fullmatch(
                r"\d+(?:st|nd|rd|th)", self.doc[start - 1].text):
            start -= 1  # "the 10th Regional Conference", "the eleventh Summit": the ordinal is part of the name
        words = [t.text for t in self.doc[start:end]]
        caps = sum(1 for t in self.doc[start:end] if t.is_title or t.is_upper)
        head = self.head_class(words)
        if head is None or caps < 2 or not self.free(start, end):
            return
        if self.doc[start].is_sent_start and caps == 2 and self.doc[start].pos_ != "PROPN":
            return
        self.claim(start, end, self.mint(head, self.doc[start:end].text), "name")

    def phrases(self) -> None:
        for chunk in self.doc.noun_chunks:
            root = chunk.root
            if self.owner[root.i] is not None:
                continue
            mods = [t for t in chunk if t.i < root.i and t.pos_ not in _DETERMINERS and t.pos_ != "ADV" and t.lower_ not in (
                "such", "other", "all", "many", "several", "these", "those", "this", "that", "more", "new", "key",
                "various", "further", "own", "certain", "same", "main", "relevant", "concerned", "respective",
                "different", "better", "greater", "stronger", "improved", "eg", "e.g.", "ie", "i.e.", "etc",
                "upcoming", "persistent", "rising", "growing", "increasing", "enhanced", "concrete", "important",
                "effective", "specific", "possible", "current", "recent", "ongoing", "likely", "closer", "innovative",
                "collective", "diversified", "differentiated", "significant", "major", "broad", "wider", "strong")]
            if not mods and self.main_event is not None and root.lower_ in self.lexicon.event_collectives:
                self.claim(chunk.start, chunk.end, self.main_event, "anaphor")  # "participants", "the discussion"
                continue
            first = mods[0].i if mods else root.i
            while first > chunk.start and not self.doc[first - 1].whitespace_ and self.doc[first - 1].text != "'s" \
                    and self.owner[first - 1] is None:
                first -= 1  # "whole-of-society approaches": the hyphenated compound is one modifier
            # "GFMD website", "IMRF roundtables", "first GFMD dialogue", "19 October briefing": the name starts
            # with the modifiers that are names, dates or ordinals themselves
            name_start = next((t.i for t in chunk if t.pos_ not in ("DET", "PUNCT") and t.dep_ not in ("poss", "case")
                               and not (t.pos_ == "NUM" and t.ent_type_ != "DATE")  # "81 GFMD Member States"
                               or self.owner[t.i] is not None), root.i)
            namers = [m for m in {id(x): x for x in (self.owner[t.i] for t in self.doc[name_start:root.i])
                                  if x is not None}.values() if m.source != "anaphor"]
            while first < root.i and self.owner[first] is not None:
                first += 1
            end = root.i + 1
            head = root.lower_
            classes = [pc for pc in self.lexicon.phrases if head in pc.heads or root.lemma_.lower() in pc.heads]
            if not classes and namers and self.head_class([root.text]) is not None:
                named = self.head_class([root.text])  # "GCM process": a name of a head-word class
                label = self.doc[name_start:end].text
                self._claim_named(first, end, self.mint(named or "Thing", label), namers)
                continue
            for pc in classes:
                end = self._of_extension(root, pc) or end
                if pc.cls in ("Event", "Document", "Body"):
                    end = self._name_extension(root, pc) or end
                text = self.doc[first:end].text
                low = normalize_form(text).lower()
                modifiers = {t.lower_ for t in self.doc[first : root.i]} | {t.lemma_.lower() for t in self.doc[first:root.i]}
                if pc.cls == "StakeholderGroup" and any(t.ent_type_ == "NORP" for t in self.doc[first:root.i]):
                    modifiers.add("migrant")  # "Venezuelan migrants", "Haitian nationals": a demonym makes a group
                if pc.cls in ("Topic", "StakeholderGroup"):
                    ok = low in pc.bare or (
                        (modifiers & pc.modifiers) if (head in pc.strict or root.lemma_.lower() in pc.strict
                                                       or pc.cls == "StakeholderGroup") else
                        bool(modifiers) or end > root.i + 1) or bool(namers)
                    if not ok:
                        continue
                    label = self.doc[name_start:end].text if namers else text
                    self._claim_named(first, end, self.mint(pc.cls, label), namers)
                elif chunk[0].lower_ == "the" and not mods and pc.cls == "Event" and self.main_event is not None \
                        and head in ("meeting", "consultation", "dialogue", "session", "event", "forum", "summit"):
                    self.claim(first, end, self.main_event, "anaphor")
                elif namers:
                    cls = self.head_class([root.text]) or pc.cls  # "Nepal's ministry" is a government agency
                    self._claim_named(first, end, self.mint(cls, self.doc[name_start:end].text), namers)
                else:
                    if first == root.i and end == root.i + 1 and not root.is_upper and (
                            root.tag_ in ("NNS", "NNPS") or chunk[0].lower_ != "the" and (
                                chunk[0].pos_ != "DET" or pc.cls not in _BARE_WITH_ARTICLE)):
                        break  # "a platform", "groups", "in order to": a bare common noun names nothing of its own
                        # ("the session", "the fund", "a non-paper" refer to one: the frames read who chaired,
                        # set up or wrote it)
                    cls = self.head_class([root.text]) or pc.cls
                    claim_end = end if self.free(first, end) else root.i + 1
                    self.claim(first, claim_end, self.mint(cls, text, scoped=True), "phrase")
                break

    def _claim_named(self, first: int, end: int, entity: Entity, namers: list[Mention]) -> None:
        """Claim a phrase named after other mentions, and remember what it is named after."""
        if not self.free(first, end):
            end = next((i for i in range(first, end) if self.owner[i] is not None), end)
        mention = self.claim(first, end, entity, "phrase")
        if mention is not None:
            wholes = PROCESS_TYPES | ORG_TYPES | BODY_TYPES | EVENT_TYPES | INSTRUMENT_TYPES
            # "IMRF roundtables" are part of the IMRF; "the IMRF process" and "the Summit meeting" are the
            # thing they are named after, no part of it
            mention.named_after = next((m.entity for m in namers if m.entity.key != entity.key
                                        and set(m.entity.types) & wholes
                                        and kind_of(m.entity.types[0]) != kind_of(entity.types[0])), None)

    def _name_extension(self, root: Token, pc: PhraseClass) -> int | None:
        """The end of "the briefing on the IMRF roadmap", "guidance on national implementation plans": a
        meeting's, paper's or body's name goes on with its subject."""
        for child in root.rights:
            if child.lower_ in ("on", "for") and child.i == root.i + 1:
                objs = [c for c in child.children if c.dep_ == "pobj"]
                if objs:
                    last = max(t.i for t in objs[0].subtree if t.dep_ not in ("relcl", "acl", "punct", "cc", "conj"))
                    words = self.doc[root.i + 1 : last + 1]
                    if last - root.i <= 8 and not any(t.pos_ == "VERB" for t in words) and \
                            self.doc[last].pos_ in ("NOUN", "PROPN") and \
                            sum(t.text == "(" for t in words) == sum(t.text == ")" for t in words):
                        return last + 1  # not "drivers (2", not "member states and other concerned"
        return None

    def _of_extension(self, root: Token, pc: PhraseClass) -> int | None:
        """The end of "root causes of migration": the of-phrase after a head that takes one."""
        if root.lower_ not in pc.of_heads and root.lemma_.lower() not in pc.of_heads:
            return None
        for child in root.rights:
            if child.lower_ == "of" and child.i == root.i + 1:
                objs = [c for c in child.children if c.dep_ == "pobj"]
                if objs and self.free(child.i, objs[0].i + 1):
                    return objs[0].i + 1
        return None

    def acronyms(self) -> None:
        """"Full Name (ACR)": ACR becomes an acronym of the entity, and its later uses in the text name it."""
        doc = self.doc
        found: dict[str, Entity] = {}
        for m in list(self.mentions):
            k = m.end
            if k + 2 < len(doc) and doc[k].text == "(" and doc[k + 2].text == ")" and _ACRONYM.match(doc[k + 1].text) \
                    and doc[k + 1].text[0].isupper() and self.owner[k + 1] is None and not m.entity.key.startswith("state/"):
                acr = doc[k + 1].text
                words = [t.text for t in m.span(doc) if t.text[:1].isupper()]
                if sum(1 for ch in acr if ch.isupper()) >= 2 and acronym_fits(words, acr):
                    found[acr] = m.entity
        for acr, entity in found.items():
            if entity.minted:
                self.dictionary.add(Entity(key=entity.key, types=entity.types, label=entity.label, acronyms=(acr,),
                                           minted=True))
            for tok in doc:
                if tok.text == acr and self.owner[tok.i] is None:
                    self.claim(tok.i, tok.i + 1, entity, "acronym")

    def first_person(self) -> None:
        """"we", "our", "us": the state the document speaks for, when one state dominates its mentions
        (a government's statements, fact sheets and speeches), else nothing."""
        from collections import Counter

        states = Counter(m.entity.key for m in self.mentions if "State" in m.entity.types)
        if not states:
            return
        key, count = states.most_common(1)[0]
        if count < 3 or count < 0.4 * sum(states.values()):
            return
        state = self.dictionary.entities[key]
        for tok in self.doc:
            if tok.lower_ in ("we", "our", "us", "ours") and tok.pos_ == "PRON" and self.owner[tok.i] is None:
                self.claim(tok.i, tok.i + 1, state, "anaphor")

    def anaphors(self) -> None:
        doc = self.doc
        for tok in doc:
            if self.owner[tok.i] is not None:
                continue
            low = tok.lower_
            if low in _PRONOUNS and tok.pos_ == "PRON":
                g = _PRONOUNS[low]
                person = self._last(tok.i, lambda e, g=g: "Person" in e.types and self.gender.get(e.key, g) == g,
                                    window=3)
                if person is not None:
                    self.claim(tok.i, tok.i + 1, person, "anaphor")
            elif low in self.lexicon.anaphoric and tok.i > 0 and doc[tok.i - 1].lower_ == "the" and tok.pos_ in (
                    "NOUN", "PROPN") and (tok.i + 1 >= len(doc) or doc[tok.i + 1].pos_ not in ("NOUN", "PROPN")):
                cls = self.lexicon.heads.get(low)
                target = self._last(tok.i, lambda e, w=low, c=cls: normalize_form(e.label).lower().split(" ")[-1]
                                    .rstrip("s") == w.rstrip("s") or (c is not None and c in e.types), window=None)
                if target is not None:
                    self.claim(tok.i, tok.i + 1, target, "anaphor")

    def _last(self, before: int, accept: Any, *, window: int | None) -> Entity | None:
        sent_start = self.doc[before].sent.start
        earlier = [m for m in self.mentions if m.end <= before and m.source != "anaphor"]
        for m in sorted(earlier, key=lambda m: m.start, reverse=True):
            if window is not None and self._sentences_between(m.start, sent_start) > window:
                return None
            if accept(m.entity):
                return m.entity
        return None

    def _sentences_between(self, a: int, sent_start: int) -> int:
        return sum(1 for s in self.doc.sents if a < s.start <= sent_start)


def find_mentions(parsed: Parsed, dictionary: Dictionary, lexicon: Lexicon, *, document_id: str,
                  main_event: Entity | None = None) -> list[Mention]:
    """Every mention in a parsed document, in text order (see the module docstring for the passes).

    Args:
        parsed: the document's parse.
        dictionary: the build's dictionary (localised to the document); names minted here are added to it.
        lexicon: the head words and phrase classes.
        document_id: keys the document's own meetings and papers.
        main_event: the event the document reports on, if the rules found one ("the meeting" names it).
    """
    finder = _Finder(parsed, dictionary, lexicon, document_id, main_event)
    finder.dictionary_names()
    finder.instances()
    finder.named_entities()
    finder.capitalised_names()
    finder.acronyms()
    finder.phrases()
    finder.merge_short_names()
    finder.persons_gender()
    finder.anaphors()
    finder.first_person()
    return sorted(finder.mentions, key=lambda m: m.start)
