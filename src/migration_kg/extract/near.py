"""Near-slots: values a rule takes from the text *before* its match.

A rule's ``near:`` entry names a slot that is not matched by the pattern but looked up in
the text that precedes the match: the last entity of a type in the same sentence, line,
numbered paragraph (``passage``) or nearest heading, every such entity (``many: true``), the
nearest heading's own text (``type: Heading``), or the person a pronoun refers to
(``pronoun: GROUP``: "She" is the last person titled Mrs./Ms. in the passage). Used by
:mod:`migration_kg.extract`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .dictionary import SLOT_TYPES, Dictionary, Entity
from .rules import PERSON_NAME

# A heading line: markdown "#", "c) Heading", "- a) Heading:" (a lettered list item that ends in a colon)
# or a roman-numbered title ("III. Other planned workshops").
_HEADING = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t]+(?P<h1>\S[^\n]*)|[a-z]\)[ \t]+(?P<h2>\S[^\n]*)"
                      r"|-[ \t]*[a-z]\)[ \t]+(?P<h3>\S[^\n]*:)[ \t]*|[IVX]+[.-][ \t]+(?P<h4>\S[^\n]*))$")
_PASSAGE_START = re.compile(r"(?m)^[ \t]*(?:#{1,6}[ \t]|\d+\.[ \t])")
#: Titles that agree with a personal pronoun, for resolving "She"/"He" to the last person so titled.
_PRONOUN_TITLES = {
    "she": r"(?:Mrs\.?|Ms\.?|Madam|Madame|Mme\.?)", "her": r"(?:Mrs\.?|Ms\.?|Madam|Madame|Mme\.?)",
    "he": r"(?:Mr\.?|Sir|Monsieur)", "his": r"(?:Mr\.?|Sir|Monsieur)", "him": r"(?:Mr\.?|Sir|Monsieur)",
}


def last_heading(clean: str, pos: int) -> tuple[int, int] | None:
    """Span of the text of the nearest heading line that ends before ``pos``."""
    found = None
    for mm in _HEADING.finditer(clean, 0, pos):
        found = next((mm.start(g), mm.end(g)) for g in ("h1", "h2", "h3", "h4") if mm.group(g) is not None)
    return found


def resolve(
    spec: Mapping[str, Any], name: str, clean: str, m: re.Match[str], groups: Mapping[str, str], *,
    dictionary: Dictionary, sentence_end: re.Pattern[str], person: Callable[[str], Entity | None],
) -> Any:
    """The value of a near-slot: an entity named before the match, or the nearest heading's text.

    ``within`` bounds the search: the sentence (default), the line (``paragraph``), the numbered
    paragraph or section (``passage``) or the nearest heading (``heading``). ``many: true`` returns
    every entity found, else the last one. ``pronoun: GROUP`` resolves a personal pronoun the
    pattern (or its ``within`` region) matched in GROUP to the last person whose title agrees with
    it ("She" -> "Mrs. X"), else to the last person the dictionary knows; no pronoun, no value.
    """
    m_start = m.start()
    within = spec.get("within", "sentence")
    lo, hi = 0, m_start
    if within == "paragraph":
        lo = clean.rfind("\n", 0, m_start) + 1
    elif within == "passage":
        starts = [mm.start() for mm in _PASSAGE_START.finditer(clean, 0, m_start)]
        lo = max([starts[-1] if starts else 0, m_start - 3000])
    elif within == "heading":
        heading = last_heading(clean, m_start)
        if heading is None:
            return None
        lo, hi = heading
        if spec["type"] == "Heading":
            return re.sub(r"\s+", " ", clean[lo:hi]).strip(" :")
    else:
        cut = [mm.end() for mm in sentence_end.finditer(clean, 0, m_start)]
        lo = max([clean.rfind("\n", 0, m_start) + 1, *cut])
    if spec["type"] == "Heading":
        return None
    types = SLOT_TYPES[spec["type"]]
    pronoun = spec.get("pronoun")
    said = (m.group(pronoun) if pronoun in m.re.groupindex else groups.get(pronoun)) if pronoun else None
    if pronoun and not said:
        return None
    if said:
        titles = _PRONOUN_TITLES.get(said.lower())
        if titles is None:
            return None
        titled = rf"{titles}\s+(?P<name>{dictionary.pattern(types)}|{PERSON_NAME})"
        named = [mm["name"] for mm in re.finditer(titled, clean[lo:hi])]
        if named:
            return person(named[-1])
        # no person with an agreeing title: the last person the dictionary knows in the passage
    found = [e for mm in re.finditer(dictionary.pattern(types), clean[lo:hi])
             if (e := dictionary.lookup(mm.group(0), types))]
    if spec.get("many"):
        return list(dict.fromkeys(found)) or None
    return found[-1] if found else None
