"""The document page's marks: overlapping fact spans never change what the highlighted passage holds.

``document_text_html`` is parsed back with :mod:`html.parser`: the text inside ``<mark id="hl">`` must be
exactly ``text[start:end]`` of the request, the whole text must survive unchanged, every mark must close, and
each fact-marked piece must lie inside a fact that covers it; also when fact spans nest ("Mr. Peter Sutherland"
from the titled-person rule, "Peter Sutherland" from the dictionary) or straddle the passage's boundaries.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from migration_kg.serve.describe import Extraction
from migration_kg.serve.pages import Site, document_text_html

BASE = "https://w3id.org/migration-kg/"
TEXT = "He thanked Mr. Peter Sutherland, the former SRSG for International Migration, for his work."


class Marks(HTMLParser):
    """Collects the page text, the highlighted text, and each fact mark's text with its link."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.highlighted: list[str] = []
        self.facts: list[tuple[str, str]] = []  # (href, text)
        self.stack: list[str] = []  # "hl" / "fact" / "a" for each open element
        self.highlights = 0
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "mark" and attr.get("id") == "hl":
            self.highlights += 1
            self.stack.append("hl")
        elif tag == "mark":
            assert attr.get("class") == "fact" and attr.get("title")
            self.stack.append("fact")
            self.facts.append(("", ""))
        elif tag == "a":
            self.stack.append("a")
            href = attr.get("href") or ""
            self.facts[-1] = (href, "")
        else:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        opened = self.stack.pop()
        assert (tag == "mark") == (opened in ("hl", "fact")), f"</{tag}> closes <{opened}>"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if "hl" in self.stack:
            self.highlighted.append(data)
        if "fact" in self.stack:
            href, seen = self.facts[-1]
            self.facts[-1] = (href, seen + data)


def extraction(name: str, start: int, end: int) -> Extraction:
    return Extraction(iri=f"{BASE}evidence/doc/{name}", quote=TEXT[start:end], start=start, end=end,
                      rule=f"{BASE}rule/{name}", modality=None)


def render(extractions: list[Extraction], highlight: tuple[int, int] | None) -> Marks:
    html = document_text_html(Site(BASE), TEXT, extractions, highlight)
    parsed = Marks()
    parsed.feed(html)
    parsed.close()
    assert parsed.stack == [], "every element is closed"
    assert "".join(parsed.text) == TEXT
    for href, piece in parsed.facts:
        name = href.rsplit("/", 1)[-1]
        covering = [ex for ex in extractions if ex.iri.endswith("/" + name)]
        assert covering and piece in covering[0].quote, f"{piece!r} is marked as part of {name}"
    return parsed


TITLED = TEXT.index("Mr. Peter Sutherland")
NAME = TEXT.index("Peter Sutherland")
NAME_END = NAME + len("Peter Sutherland")
POST_END = TEXT.index(", for his")
FACTS = [
    extraction("generic-titled-person", TITLED, NAME_END),  # Mr. Peter Sutherland
    extraction("dictionary-mention", NAME, NAME_END),  # Peter Sutherland
    extraction("post-former-or-new", TITLED, POST_END),  # Mr. Peter Sutherland, the former SRSG ... Migration
    extraction("thanked", 3, TEXT.index(" Peter")),  # thanked Mr.
]


@pytest.mark.parametrize("highlight", [
    (NAME, NAME_END),  # the inner of two nested facts that end together
    (TITLED, NAME_END),  # the outer one
    (TITLED, POST_END),  # the longest, covering the others
    (NAME - 2, NAME + 5),  # straddles the start of the name, inside the titled and post facts
    (NAME + 6, POST_END + 5),  # straddles the end of every fact
    (0, len(TEXT)),  # the whole text
    (0, 1),
    (len(TEXT) - 1, len(TEXT)),
])
def test_the_highlight_holds_exactly_the_requested_passage(highlight: tuple[int, int]) -> None:
    parsed = render(FACTS, highlight)
    assert parsed.highlights == 1
    assert "".join(parsed.highlighted) == TEXT[highlight[0]:highlight[1]]


def test_each_piece_links_to_the_innermost_fact_covering_it() -> None:
    parsed = render(FACTS, (NAME, NAME_END))
    by_text = {piece: href.rsplit("/", 1)[-1] for href, piece in parsed.facts}
    assert by_text["Peter Sutherland"] == "dictionary-mention"
    assert by_text["Mr."] == "thanked"
    assert by_text[", the former SRSG for International Migration"] == "post-former-or-new"


def test_no_highlight_without_a_request() -> None:
    parsed = render(FACTS, None)
    assert parsed.highlights == 0 and parsed.highlighted == []
