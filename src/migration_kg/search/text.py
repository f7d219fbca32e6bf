"""How names and queries are normalised for the search index: folding, words, trigram keys, similarity.

The FTS5 tables fold case and diacritics themselves (``unicode61 remove_diacritics 2``);
the trigram table holds :func:`compact` keys, folded here because SQLite before 3.45 has
no ``remove_diacritics`` for its trigram tokenizer.

>>> fold("Jürg LAUBER")
'jurg lauber'
>>> words('UN "DESA"* (2019)')
['un', 'desa', '2019']
>>> compact("UN DESA")
'undesa'
>>> round(similarity(["undsa"], "UN DESA"), 2)
0.91
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_WORD = re.compile(r"[^\W_]+")
#: A trigram key shorter than this matches too much to say anything.
MIN_FUZZY_CHARS = 4


def fold(text: str) -> str:
    """``text`` lower-cased (``casefold``) with its diacritics removed (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters and digits); punctuation and FTS5 syntax characters are dropped."""
    return _WORD.findall(fold(text))


def compact(text: str) -> str:
    """The folded letters and digits of ``text`` with nothing between them: the key of the trigram table."""
    return "".join(words(text))


def match_expression(query_words: list[str]) -> str:
    """An FTS5 MATCH expression: every word, as a quoted prefix (``"un"* "desa"*``), all required.

    The words come from :func:`words`, so they hold no quote; quoting keeps FTS5 keywords
    (``AND``, ``NEAR`` …) plain words.
    """
    return " ".join(f'"{w}"*' for w in query_words)


def trigram_expression(key: str) -> str:
    """An FTS5 MATCH expression for the trigram table: any trigram of ``key`` (``"und" OR "nds" …``)."""
    grams = dict.fromkeys(key[i:i + 3] for i in range(len(key) - 2))
    return " OR ".join(f'"{g}"' for g in grams)


def similarity(query: list[str], name: str) -> float:
    """How closely the words ``query`` match ``name``, 0 to 1 (``difflib`` ratio of compact forms).

    The best of the whole name and of every run of its words about as long as the query (one
    word more or fewer), so a misspelt surname finds a full name ("lauberr" ~ "Jürg Lauber")
    but a few letters never match the middle of an unrelated word.

    >>> round(similarity(["lauberr"], "Jürg Lauber"), 2)
    0.92
    >>> similarity(["jurg"], "Luxembourg") < 0.5
    True
    """
    key, name_words = "".join(query), words(name)
    best = _ratio(key, "".join(name_words))
    for size in range(max(1, len(query) - 1), len(query) + 2):
        for i in range(len(name_words) - size + 1):
            best = max(best, _ratio(key, "".join(name_words[i:i + size])))
    return best


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
