"""uvicorn's httptools protocol, with a 414 where it would answer a bare 400 to a long URL.

httptools cannot parse a URL longer than :data:`HTTPTOOLS_MAX_URL` bytes, so such a request
never reaches the app (which answers a URL over ``Settings.max_url_bytes`` with a 414 of its
own). uvicorn then answers ``400 Invalid HTTP request received.``; this protocol stops
reading the URL at that length and answers 414 in the app's error format instead, and
closes the connection as uvicorn does after any request it cannot parse. It relies on
``HttpToolsProtocol.on_url`` and ``send_400_response``; ``tests/test_http_defects.py``
checks it against the installed uvicorn.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: The longest URL ``httptools.parse_url`` accepts.
HTTPTOOLS_MAX_URL = 65_535
_URL_TOO_LONG = (
    f"414 URITooLong: the URL is over {HTTPTOOLS_MAX_URL} bytes; "
    "if it carries a SPARQL query, send the query with POST\n"
).encode("ascii")


class _URLTooLong(Exception):
    """Raised from the parser's ``on_url`` callback to stop reading the URL."""


class HttpToolsProtocol414(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` that answers 414 to a URL httptools cannot parse."""

    _url_too_long = False

    def on_message_begin(self) -> None:
        """A new request: reset the flag with the rest of the request state."""
        super().on_message_begin()
        self._url_too_long = False

    def on_url(self, url: bytes) -> None:
        """Accumulate the URL, and stop the parser once it is longer than httptools can parse."""
        super().on_url(url)
        if len(self.url) > HTTPTOOLS_MAX_URL:
            self._url_too_long = True
            raise _URLTooLong

    def send_400_response(self, msg: str) -> None:
        """The parser stopped: 414 if it was the URL's length, else uvicorn's 400."""
        if not self._url_too_long:
            super().send_400_response(msg)
            return
        head = [b"HTTP/1.1 414 URI Too Long\r\n"]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.append(b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
                    % len(_URL_TOO_LONG))
        self.transport.write(b"".join(head) + _URL_TOO_LONG)
        self.transport.close()
