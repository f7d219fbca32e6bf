"""What a passage is about: GCM objectives found in sentences by their own wording.

The method, so that a reader can check every link:

* **Explicit references.** "objective 23", "objectives 5 and 6", "GCM Objective 20": the objective
  of that number, score 1.0.
* **Lexical match against the objective's own words.** Each objective's title (A/RES/73/195, read
  from the reference vocabulary with its sources) and its short label are lemmatised; English stop
  words and words that many objectives or the field's prose share ("migration", "strengthen", …;
  listed in ``mappings/linguistic/topics.yaml``) are dropped. Each remaining lemma is weighted by
  how few titles hold it (``log(1 + 23 / df)``). A sentence matches an objective when it holds the
  objective's short label as a phrase (unless that label is listed as too weak alone), or at least
  ``min_lemmas`` of its weighted lemmas. The score is the matched weight over the objective's total
  weight (1.0 for a label or an explicit reference), and links below ``min_score`` are dropped.

The subject of the link is the event the sentence names, else the event the document reports on; a
sentence with neither yields nothing. Each link is ``?event mkg:discussed ?objective`` with the
sentence's words as evidence, the modality of the sentence, and the score on the evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib import URIRef

from ..errors import RuleError
from ..namespaces import MKG, data_iri
from .dictionary import EVENT_TYPES
from .emit import Context, Evidence, Fact

RULE_ID = "topic-gcm-objective"
_EXPLICIT = re.compile(r"\b(?:GCM\s+)?[Oo]bjectives?\s+(\d{1,2}(?:\s*(?:,|and|&|to|-|–)\s*\d{1,2})*)")


@dataclass(frozen=True)
class Objective:
    number: int
    iri: URIRef
    label: tuple[str, ...]  # lemmas of the short label
    weights: dict[str, float]  # lemma -> weight
    weak_label: bool


@dataclass
class Topics:
    objectives: list[Objective] = field(default_factory=list)
    min_lemmas: int = 2
    min_score: float = 0.3
    source: str = ""


def load_topics(path: Path, lemmatise: Callable[[str], list[str]]) -> Topics:
    """Read ``topics.yaml`` and the objectives of the reference vocabulary it names."""
    try:
        spec: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        reference = (path.parent / str(spec["vocabulary"])).resolve()
        data = yaml.safe_load(reference.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise RuleError(f"cannot read the topic vocabulary: {exc}", source=str(path)) from exc
    from spacy.lang.en.stop_words import STOP_WORDS

    from .._vocab_status import entries

    generic = {str(w).lower() for w in spec.get("generic_words") or ()}
    weak = {str(w).lower() for w in spec.get("weak_labels") or ()}
    rows = []
    for e in entries(data.get("gcm_objectives"), "gcm_objectives", str(reference)):
        title = e.field("title")
        if not e.loads or not title:
            continue
        short = str(e.field("hub_short_label") or "")
        words = [w for w in lemmatise(f"{title} {short}")
                 if w.isalpha() and len(w) > 2 and w not in generic and w not in STOP_WORDS]
        rows.append((int(e.key("number")), short, sorted(set(words))))
    df = Counter(w for _, _, words in rows for w in words)
    topics = Topics(min_lemmas=int(spec.get("min_lemmas", 2)), min_score=float(spec.get("min_score", 0.3)),
                    source=str(path))
    for number, short, words in rows:
        weights = {w: math.log(1 + len(rows) / df[w]) for w in words}
        label = tuple(w for w in lemmatise(short) if w.isalpha())
        topics.objectives.append(Objective(number, URIRef(data_iri(f"vocab/gcm-objective/{number}")), label,
                                           weights, short.lower() in weak))
    return topics


def _has_phrase(lemmas: list[str], phrase: tuple[str, ...]) -> int | None:
    n = len(phrase)
    for i in range(len(lemmas) - n + 1):
        if tuple(lemmas[i : i + n]) == phrase:
            return i
    return None


def topic_facts(parsed: Any, mentions: list[Any], topics: Topics, ctx: Context,
                modality: Callable[[str], URIRef]) -> Iterator[Fact]:
    """``?event mkg:discussed ?objective`` for every sentence that matches an objective."""
    main_event = ctx.values.get("event")
    by_number = {o.number: o for o in topics.objectives}
    events_at: dict[int, list[URIRef]] = {}
    for m in mentions:
        if set(m.entity.types) & EVENT_TYPES:
            events_at.setdefault(m.start, []).append(URIRef(m.entity.iri))
    for sent in parsed.doc.sents:
        tokens = [t for t in sent if not t.is_space]
        if not tokens:
            continue
        lemmas = [t.lemma_.lower() for t in tokens]
        events = [iri for t in tokens for iri in events_at.get(t.i, [])]
        subjects = list(dict.fromkeys(events)) or ([URIRef(main_event)] if main_event is not None else [])
        if not subjects:
            continue
        found: dict[int, tuple[float, int, int]] = {}  # objective -> (score, first token, last token)
        for m in _EXPLICIT.finditer(sent.text):
            span = parsed.doc.char_span(sent.start_char + m.start(), sent.start_char + m.end(), alignment_mode="expand")
            for n in (int(x) for x in re.findall(r"\d{1,2}", m.group(1))):
                if n in by_number and span is not None:
                    found[n] = (1.0, span.start, span.end - 1)
        for obj in topics.objectives:
            if obj.number in found:
                continue
            at = _has_phrase(lemmas, obj.label) if obj.label and not obj.weak_label else None
            if at is not None:
                found[obj.number] = (1.0, tokens[at].i, tokens[at + len(obj.label) - 1].i)
                continue
            hits = [i for i, lemma in enumerate(lemmas) if lemma in obj.weights]
            matched = {lemmas[i] for i in hits}
            if len(matched) < topics.min_lemmas:
                continue
            score = sum(obj.weights[w] for w in matched) / sum(obj.weights.values())
            if score >= topics.min_score:
                found[obj.number] = (round(score, 3), tokens[hits[0]].i, tokens[hits[-1]].i)
        for n, (score, first, last) in sorted(found.items()):
            a, b = parsed.doc[first].idx, parsed.doc[last].idx + len(parsed.doc[last].text)
            start, end = parsed.span_offsets(a, b)
            s_start, s_end = parsed.span_offsets(sent.start_char, sent.end_char)
            sentence = ctx.document.text[s_start:s_end]
            quote = ctx.document.text[start:end]
            ev = Evidence(ctx.document.id, start, end, quote, sentence, RULE_ID, modality(sentence), score=score)
            yield Fact(evidence=ev, triples=[(s, MKG.discussed, by_number[n].iri) for s in subjects])
