"""Which IRI a request path names: RFC 3987 §3.2 (https://www.rfc-editor.org/rfc/rfc3987#section-3.2).

A request line carries a URI. The IRI it stands for keeps its percent-encoded ASCII as it
is (``/id/a%20b`` names the IRI ``…/id/a%20b``, not one with a space, which no IRI may
hold) and decodes only the UTF-8 sequences of characters an IRI may hold unencoded
(``/id/caf%C3%A9`` names ``…/id/café``). Percent-encoded unreserved characters are
decoded too (RFC 3986 §6.2.2.2: ``%61`` and ``a`` are the same URI). The server's own
decoding of the path (``scope["path"]``) is not used, as it turns ``%20`` into a space and
``%2F`` into a slash.

A path that names no IRI at all (a raw ``<``, ``{`` or ``"``, a lone ``%``) is
:class:`~migration_kg.errors.InvalidIRI` (400).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pyoxigraph as ox
from starlette.requests import Request

from ..errors import InvalidIRI

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: Everything an IRI path may hold in ASCII, so :func:`to_uri` leaves ASCII alone.
_ASCII_SAFE = "!$&'()*+,;=:@/%-._~"
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
#: ``ucschar`` of RFC 3987 §2.2: the non-ASCII characters an IRI path may hold unencoded.
_UCSCHAR = (
    (0xA0, 0xD7FF), (0xF900, 0xFDCF), (0xFDF0, 0xFFEF),
    *((plane, plane + 0xFFFD) for plane in range(0x10000, 0xE0000, 0x10000)),
    (0xE1000, 0xEFFFD),
)  # fmt: skip


def is_ucschar(char: str) -> bool:
    """Whether ``char`` may stand unencoded in an IRI path.

    >>> is_ucschar("é"), is_ucschar(" "), is_ucschar("\\ufffe")
    (True, False, False)
    """
    code = ord(char)
    return any(low <= code <= high for low, high in _UCSCHAR)


def _utf8_width(lead: int) -> int:
    """The length of the UTF-8 sequence that starts with the octet ``lead`` (0: not a lead octet)."""
    for width, (mask, value) in enumerate(((0x80, 0x00), (0xE0, 0xC0), (0xF0, 0xE0), (0xF8, 0xF0)), start=1):
        if lead & mask == value:
            return width
    return 0


def _decode_run(match: re.Match[str]) -> str:
    octets = bytes.fromhex(match.group(0).replace("%", ""))
    out: list[str] = []
    i = 0
    while i < len(octets):
        lead = octets[i]
        width = _utf8_width(lead)
        piece = octets[i : i + max(width, 1)]
        try:
            char = piece.decode("utf-8") if width else ""
        except UnicodeDecodeError:
            char = ""
        if char and (char in _UNRESERVED or (width > 1 and is_ucschar(char))):
            out.append(char)
            i += len(piece)
        else:  # reserved, not allowed, or not UTF-8: stays percent-encoded (upper case, RFC 3986 §6.2.2.1)
            out.append(f"%{lead:02X}")
            i += 1
    return "".join(out)


def uri_to_iri(raw_path: str) -> str:
    """The IRI path a URI path stands for (RFC 3987 §3.2).

    >>> uri_to_iri("/id/caf%C3%A9"), uri_to_iri("/id/a%20b"), uri_to_iri("/id/%7b%61"), uri_to_iri("/id/%FF")
    ('/id/café', '/id/a%20b', '/id/%7Ba', '/id/%FF')
    """
    return _PERCENT_RUN.sub(_decode_run, raw_path)


def to_uri(iri_path: str) -> str:
    """The URI form of an IRI path (RFC 3987 §3.1: only non-ASCII is percent-encoded), fit for a header.

    >>> to_uri("/id/café"), to_uri("/id/a%20b")
    ('/id/caf%C3%A9', '/id/a%20b')
    """
    return quote(iri_path, safe=_ASCII_SAFE)


def request_path(request: Request) -> str:
    """The IRI form of the request's path (no query string), as :func:`uri_to_iri` reads it.

    Raises:
        InvalidIRI: the path holds bytes that are not UTF-8 (400).
    """
    raw = request.scope.get("raw_path")
    if not raw:  # an ASGI server that does not pass the raw path: encode the decoded one again
        return uri_to_iri(to_uri(request.scope["path"]))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidIRI(f"the request path is not UTF-8 (byte {exc.start})") from exc
    return uri_to_iri(text.split("?", 1)[0])


def checked_iri(base: str, path: str) -> str:
    """``base`` + ``path`` (without its leading slash) if that is an IRI.

    Raises:
        InvalidIRI: it is not one (a character no IRI may hold, a broken ``%`` escape) (400).

    >>> checked_iri("https://ex.org/", "/id/a%20b")
    'https://ex.org/id/a%20b'
    >>> checked_iri("https://ex.org/", "/id/a<b")
    Traceback (most recent call last):
    ...
    migration_kg.errors.InvalidIRI: the path /id/a<b names no IRI (Invalid IRI code point '<'); percent-encode the character
    """
    iri = base + path.lstrip("/")
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise InvalidIRI(f"the path {path} names no IRI ({exc}); percent-encode the character") from exc
    return iri
