"""``mkg_layout_boundaries``: sentence starts from the layout, set before the parser runs.

A hard line break (one the parse view kept: a blank line, a list item, a heading line) starts a
sentence, and so does a list bullet at the start of a line. A token after an abbreviation that takes
a name ("Mr.", "Dr.", "H.E.", "U.S.") never starts one, and within a line a sentence ends only after
". ! ?" (so "6 April 2017" in a heading stays whole). The parser keeps starts set before it.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

#: Abbreviations after which no sentence starts (titles and initialisms that precede a name or noun).
ABBREVIATIONS = frozenset({
    "mr.", "ms.", "mrs.", "dr.", "prof.", "amb.", "h.e.", "st.", "gen.", "sen.", "rep.", "gov.", "lt.", "col.",
    "u.s.", "u.n.", "u.k.", "e.g.", "i.e.", "no.", "nos.", "vol.", "art.", "para.", "jr.", "sr.", "vs.", "etc.",
})
_BULLETS = frozenset({"-", "•", "–", "*", "·", "▪", "○", "#", "##", "###", "####"})
_NUMBERED = re.compile(r"^(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]$|^\((?:\d{1,3}|[a-z]|[ivx]{1,4})\)$")
_CLOSERS = frozenset({")", "”", "’", '"', "'", "]", "*", "**"})


def _line_starts(doc: Doc, i: int) -> bool:
    """Whether token ``i`` is the first non-space token of a line."""
    j = i - 1
    while j >= 0 and doc[j].is_space:
        if "\n" in doc[j].text:
            return True
        j -= 1
    return j < 0 or "\n" in doc[j].whitespace_


def _is_marker(doc: Doc, j: int) -> bool:
    """Whether token ``j`` ends a list marker that opens its line ("-", "1.", "1", ".", "(a)")."""
    if (doc[j].text in _BULLETS or _NUMBERED.match(doc[j].text)) and _line_starts(doc, j):
        return True
    return doc[j].text in ".)" and j >= 1 and bool(_NUMBERED.match(doc[j - 1].text + doc[j].text)) and _line_starts(
        doc, j - 1)


def _ends_sentence(doc: Doc, j: int) -> bool:
    while j >= 0 and (doc[j].is_space or doc[j].text in _CLOSERS):
        j -= 1
    return j >= 0 and doc[j].text[-1:] in ".!?" and doc[j].text.lower() not in ABBREVIATIONS


@Language.component("mkg_layout_boundaries")
def layout_boundaries(doc: Doc) -> Doc:
    """Set ``is_sent_start`` from hard line breaks and bullets; clear it after name-taking abbreviations."""
    for i, token in enumerate(doc):
        if i == 0 or token.is_space:
            continue
        previous = doc[i - 1]
        if previous.text.lower() in ABBREVIATIONS and not _line_starts(doc, i):
            token.is_sent_start = False
        elif _line_starts(doc, i):
            token.is_sent_start = True
        elif _is_marker(doc, i - 1):
            token.is_sent_start = False  # "- item", "1. item", "(a) item": the marker starts the sentence
        elif not _ends_sentence(doc, i - 1):
            token.is_sent_start = False  # within a line, a sentence ends only at . ! ? (and what closes them)
    return doc
