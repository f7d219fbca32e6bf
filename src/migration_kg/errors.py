"""One error root for the project, with one subclass per pipeline stage.

Library code raises these and never calls ``sys.exit``; the CLI turns them into a
non-zero exit and the web layer maps them to HTTP status codes in one place
(``serve/errors.py``).
"""

from __future__ import annotations


class MigrationKGError(Exception):
    """Root of every error this package raises on purpose."""

    #: HTTP status the web layer answers with (overridden by subclasses).
    http_status: int = 500

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = f"{self.source}:{self.line}: " if self.line is not None else f"{self.source}: "
        return f"{where}{self.message}"


class ConfigError(MigrationKGError):
    """Settings or command-line options that cannot work."""


class CorpusError(MigrationKGError):
    """A document cannot be read, or its catalogue record is missing or malformed."""

    http_status = 422


class RuleError(MigrationKGError):
    """A mapping rule file is malformed (names file, line and rule id)."""

    http_status = 422


class EvaluateError(MigrationKGError):
    """A gold annotation or a gold mapping that cannot be read."""

    http_status = 422


class ExtractError(MigrationKGError):
    """Applying the rules to a document failed."""


class MappingError(MigrationKGError):
    """Turning extractions into RDF failed (unknown term, bad literal …)."""


class OntologyError(MigrationKGError):
    """The ontology files cannot be parsed, or use an undeclared term."""


class ReasonerError(MigrationKGError):
    """The reasoner found the ontology plus data inconsistent, or could not run."""


class ValidationFailed(MigrationKGError):
    """The data violates the SHACL shapes; ``report`` holds the typed report."""

    def __init__(self, message: str, *, report: object | None = None) -> None:
        self.report = report
        super().__init__(message)


class StoreError(MigrationKGError):
    """The triple store cannot be built, opened or swapped."""

    http_status = 503


class BuildRefused(StoreError):
    """A new build was not served (its manifest or dump is missing or damaged, or its workers
    could not load it); the build served before still is. Answered 409 to ``POST /admin/reload``."""

    http_status = 409


class QueryError(MigrationKGError):
    """A query or request the client sent is wrong (syntax, parameters, media type)."""

    http_status = 400


class InvalidIRI(QueryError):
    """A request path or parameter that names no IRI (a character no IRI may hold, a broken ``%`` escape).

    https://www.rfc-editor.org/rfc/rfc3987#section-2.2
    """


class QueryRejected(QueryError):
    """A syntactically valid query that this service refuses to run (SERVICE, LOAD, FROM …)."""

    http_status = 403


class Unauthorized(QueryError):
    """A write without credentials (``Authorization: Bearer <token>``); answered 401 with a challenge."""

    http_status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="migration-kg"'}


class Forbidden(QueryError):
    """A write this service does not allow: updates are disabled, or the token is wrong."""

    http_status = 403


class ReadOnlyGraph(Forbidden):
    """A write into a graph of the served build (or one that could reach them): the build's graphs
    change only by a new build; writes go to other graphs. The message names the graph."""


class PayloadTooLarge(QueryError):
    """The request body is larger than ``Settings.max_request_bytes``."""

    http_status = 413


class URITooLong(QueryError):
    """A request URL longer than ``Settings.max_url_bytes``, or a GET whose query string is longer
    than ``Settings.max_request_bytes`` (send it with POST)."""

    http_status = 414


class HeaderFieldsTooLarge(QueryError):
    """Request headers larger than ``Settings.max_header_bytes`` in all (RFC 6585 §5)."""

    http_status = 431


class UnsupportedMediaType(QueryError):
    """The request body has a media type or charset this service does not read."""

    http_status = 415


class UnsupportedEncoding(UnsupportedMediaType):
    """The request body has a ``Content-Encoding`` this service does not read (RFC 9110 §15.5.16).

    The 415 names the encodings that are read in ``Accept-Encoding`` (RFC 9110 §12.5.3).
    """

    headers = {"Accept-Encoding": "gzip"}


class NotAcceptable(QueryError):
    """No representation matches the client's Accept header."""

    http_status = 406


class ResultTooLarge(QueryError):
    """The answer has more rows or bytes than ``Settings.max_result_rows``/``max_result_bytes``.

    Answered 422: the query is valid but its answer is too large to send; nothing is truncated.
    """

    http_status = 422


class QueryTimeout(MigrationKGError):
    """A query ran past its deadline and was stopped."""

    http_status = 503


class QueryCrashed(MigrationKGError):
    """The worker process running a query died (a crash of the engine); it is restarted."""

    http_status = 503


class Overloaded(MigrationKGError):
    """Too many queries are running or waiting; answered 429 with ``Retry-After``."""

    http_status = 429
    headers = {"Retry-After": "1"}


class NotFound(MigrationKGError):
    """No such resource, query or document."""

    http_status = 404
