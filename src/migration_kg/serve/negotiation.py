"""Content negotiation: parse ``Accept`` (RFC 9110 §12.5.1) and pick one of the offered types.

The server offers a list of :class:`Offer` in its order of preference; the client's
q-values decide, the most specific matching range wins for each offer (``text/turtle``
over ``text/*`` over ``*/*``), and ties go to the server's order. A ``format=`` query
parameter (``json``, ``ttl`` … or a full media type) overrides the header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import NotAcceptable


@dataclass(frozen=True)
class Offer:
    """One representation the server can produce.

    Attributes:
        media_type: the canonical type sent back in ``Content-Type`` (without parameters).
        aliases: other types a client may ask for to get this one (``application/json``).
        names: short names for the ``format=`` parameter (``json``, ``ttl``).
    """

    media_type: str
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """``media_type`` with ``charset=utf-8`` (every type we produce is UTF-8 text)."""
        return f"{self.media_type}; charset=utf-8"


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """3 for an exact match, 2 for ``type/*``, 1 for ``*/*``, 0 for no match."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type != main:
            return 0
        if self.subtype == "*":
            return 2
        return 3 if self.subtype == sub else 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an ``Accept`` header into media ranges; malformed entries are skipped.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=0.5, */*;q=0.1")]
    [('text', 'turtle', 0.5), ('*', '*', 0.1)]
    """
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        main, slash, sub = media.partition("/")
        if not slash or not main or not sub or (main == "*" and sub != "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append(MediaRange(main, sub, q))
    return ranges


def quality(offer: Offer, ranges: Sequence[MediaRange]) -> float:
    """The q-value the client gives ``offer``: that of the most specific range matching it or an alias.

    A wildcard range matches the canonical type only, the one sent back in ``Content-Type``:
    ``text/*`` must not pick SPARQL XML results through their ``text/xml`` alias, as the
    answer would then be ``application/sparql-results+xml``, which ``text/*`` does not accept.

    >>> xml = Offer("application/sparql-results+xml", ("text/xml",))
    >>> quality(xml, parse_accept("text/*")), quality(xml, parse_accept("text/xml"))
    (0.0, 1.0)
    """
    best_specificity, best_q = 0, 0.0
    for media_type in (offer.media_type, *offer.aliases):
        for media_range in ranges:
            specificity = media_range.specificity(media_type)
            if specificity < 3 and media_type != offer.media_type:
                continue
            if specificity > best_specificity or (specificity == best_specificity and media_range.q > best_q):
                if specificity:
                    best_specificity, best_q = specificity, media_range.q
    return best_q


def negotiate(accept: str | None, offers: Sequence[Offer], *, format_override: str | None = None) -> Offer:
    """Choose the offer to answer with.

    Args:
        accept: the ``Accept`` header (None or empty: the first offer).
        offers: what the server can produce, most preferred first (not empty).
        format_override: the ``format=`` parameter: a short name or a media type.

    Returns:
        The chosen offer.

    Raises:
        NotAcceptable: no offer is acceptable, or ``format_override`` names none of them.

    >>> json = Offer("application/sparql-results+json", ("application/json",), ("json",))
    >>> xml = Offer("application/sparql-results+xml", (), ("xml",))
    >>> negotiate("application/sparql-results+xml;q=0.9, application/json", [xml, json]).media_type
    'application/sparql-results+json'
    """
    if format_override:
        wanted = format_override.strip().lower()
        for offer in offers:
            if wanted in offer.names or wanted == offer.media_type or wanted in offer.aliases:
                return offer
        raise NotAcceptable(
            f"format={format_override!r} is not available here; use one of "
            + ", ".join(offer.names[0] if offer.names else offer.media_type for offer in offers)
        )
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best, best_q = offers[0], 0.0
    for offer in offers:
        q = quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    if best_q <= 0.0:
        raise NotAcceptable(
            f"cannot produce any of {accept!r}; available: " + ", ".join(o.media_type for o in offers)
        )
    return best
