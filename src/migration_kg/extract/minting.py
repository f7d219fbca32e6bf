"""Minting entities for names the dictionary does not know (part of the extract stage).

Two slot types of the rule language mint: ``NewOrg`` ("International Labour Organization
(ILO)": a capitalised name defined with its acronym) and ``NewName`` ("Colombo Process").
Both take the rule file's ``org_head`` table (a name's head word -> ontology class), the
shared :class:`Dictionary` and the document's ``minted`` map (key -> entity), to which every
minted or re-found entity is added so that later rules of the document can match it. A
name the curated dictionary knows always wins: then nothing is minted and None returned.
IRIs are deterministic: organisations by acronym (``id/org/oecd``), processes by name
(``id/process/colombo-process``), so the same name meets the same IRI across documents.
:func:`localised` then recompiles the rules whose entity slots should match the names a
document minted, for that document only.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .dictionary import BODY_TYPES, INSTRUMENT_TYPES, ORG_TYPES, PROCESS_TYPES, SLOT_TYPES, Dictionary, Entity, slugify
from .rules import RuleSet, compile_pattern

_KINDS = ((ORG_TYPES, "org"), (PROCESS_TYPES, "process"), (BODY_TYPES, "body"), (INSTRUMENT_TYPES, "instrument"))


def _initials(words: list[str]) -> tuple[str, str]:
    """(initials of the capitalised words, initials of every word), upper-cased.

    An all-capitals word gives all its letters ("UN Network" -> "UNN"); a hyphenated
    word gives one letter per capitalised part ("Co-operation" -> "C").
    """
    strict, loose = [], []
    for word in words:
        if word.isupper() and len(word) > 1:
            strict.append(word)
        elif word[0].isupper():
            strict.append("".join(part[0] for part in word.split("-") if part[:1].isupper()))
        loose.append(word[0].upper())
    return "".join(strict).upper(), "".join(loose)


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def acronym_fits(words: list[str], acronym: str) -> bool:
    """Whether ``acronym`` abbreviates the name ``words`` (its initials, or a subsequence of them)."""
    words = [w for w in words if w]
    if not words:
        return False
    strict, loose = _initials(words)
    return strict == acronym.upper() or (
        acronym[0].upper() == strict[:1] and _is_subsequence(acronym.upper(), loose) and len(acronym) >= len(strict) - 1)


def new_org(text: str, heads_table: dict[str, str], dictionary: Dictionary, minted: dict[str, Entity]) -> Entity | None:
    """The entity an acronym definition names ("International Labour Organization (ILO)").

    The name is cut to the longest tail of capitalised words whose initials spell the
    acronym (so "Delegates of the International Labour Organization (ILO)" names the ILO);
    a dictionary entity with that name or acronym wins (returns None: the dictionary
    matcher already records it); otherwise an entity of the class that the rule's
    ``org_head`` table gives the name's last head word is minted, keyed by the acronym.
    Returns None when no tail fits or the last word is not in the table.
    """
    m = re.fullmatch(r"(.*?)\s+\(([A-Za-z]+)\)", re.sub(r"\s+", " ", text.strip()))
    if m is None:
        return None
    words, acronym = m[1].split(" "), m[2]
    heads = {k.lower(): v for k, v in heads_table.items()}
    for i, first in enumerate(words):
        if not first[0].isupper() or first.lower() in ("the", "a", "an"):
            continue
        strict, loose = _initials(words[i:])
        fits = strict == acronym.upper() or (
            acronym[0].upper() == strict[:1] and _is_subsequence(acronym.upper(), loose) and len(acronym) >= len(strict) - 1
        )
        if not fits:
            continue
        name = " ".join(words[i:])
        known = dictionary.lookup(acronym) or dictionary.lookup(name)
        if known is not None and not (known.minted or known.local):
            return None
        if known is not None:
            entity = minted.get(known.key) or known
            minted.setdefault(entity.key, entity)
            return entity
        head = next((heads[w.lower()] for w in reversed(words[i:]) if w.lower() in heads), None)
        if head is None:
            return None
        return _mint(dictionary, minted, name, head, acronyms=(acronym,), slug=slugify(acronym))
    return None


def _mint(
    dictionary: Dictionary, minted: dict[str, Entity], name: str, cls_term: str, *, acronyms: tuple[str, ...] = (),
    slug: str | None = None,
) -> Entity:
    cls = cls_term.rsplit(":", 1)[-1]
    kind = next((k for types, k in _KINDS if cls in types), "org")
    entity = dictionary.mint(kind, name, cls, acronyms=acronyms, slug=slug)
    minted.setdefault(entity.key, entity)
    return entity


def new_name(text: str, heads_table: dict[str, str], dictionary: Dictionary, minted: dict[str, Entity]) -> Entity | None:
    """The entity a capitalised name whose last word is a key of ``org_head`` names ("Colombo Process").

    A dictionary entity of that name wins (returns None); otherwise one is minted, keyed by the name.
    """
    name = re.sub(r"\s+", " ", text.strip())
    heads = {k.lower(): v for k, v in heads_table.items()}
    head = heads.get(name.rsplit(" ", 1)[-1].lower())
    known = dictionary.lookup(name)
    if known is not None and not (known.minted or known.local):
        return None
    if known is not None:
        entity = minted.get(known.key) or known
        minted.setdefault(entity.key, entity)
        return entity
    return _mint(dictionary, minted, name, head) if head else None


def localised(rules: RuleSet, minted: list[Entity]) -> RuleSet:
    """``rules`` with patterns recompiled so that entity slots also match the names ``minted`` in a document."""
    if not minted:
        return rules
    dictionary = rules.dictionary.localised(minted)
    types = {t for e in minted for t in e.types}
    out = []
    for rule in rules.rules:
        if any(sl.type in SLOT_TYPES and SLOT_TYPES[sl.type] & types for sl in rule.slots.values()):
            regex, _ = compile_pattern(rule.pattern, dictionary, rule.lookups)
            rule = replace(rule, regex=regex)
        out.append(rule)
    return RuleSet(dictionary=dictionary, rules=out, labels=rules.labels, frames=rules.frames, lexicon=rules.lexicon)
