"""Typed settings (pydantic-settings). Every value can be set as ``MKG_<NAME>``.

Nothing reads the environment at import time: call :func:`get_settings` (cached) or
construct :class:`Settings` directly, as the tests do.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Where things live and how the service behaves."""

    model_config = SettingsConfigDict(env_prefix="MKG_", extra="ignore")

    base_iri: str = Field("https://w3id.org/migration-kg/", description="Base of every IRI we mint.")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of source documents.")
    mappings_dir: Path = Field(PROJECT_ROOT / "mappings", description="Entity dictionary and rules.")
    ontology_dir: Path = Field(PROJECT_ROOT / "ontology", description="OWL ontology, Turtle.")
    shapes_dir: Path = Field(PROJECT_ROOT / "shapes", description="SHACL shapes, Turtle.")
    queries_dir: Path = Field(PROJECT_ROOT / "queries", description="Named SPARQL queries (*.rq).")
    reference_file: Path = Field(
        PROJECT_ROOT / "reference" / "reference-facts.yaml", description="Sourced reference facts."
    )
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Built stores; data/current is served.")
    cache_dir: Path | None = Field(
        None,
        description="Parses of documents by content hash (default: data_dir/cache); an unchanged one is not parsed again.",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = Field(None, description="External URL of the service, if proxied.")

    query_timeout_s: float = Field(10.0, gt=0, description="Deadline of one query; past it the worker is killed (503).")
    query_workers: int = Field(2, gt=0, description="Worker processes that run queries, each with a copy of the graph.")
    max_result_rows: int = Field(100_000, gt=0, description="Solutions (or triples) one answer may hold (else 422).")
    max_result_bytes: int = Field(50_000_000, gt=0, description="Bytes one serialised answer may hold (else 422).")
    max_query_nesting: int = Field(64, gt=0, description="Deepest nesting of { ( [ in a query or update (else 400).")
    max_request_bytes: int = Field(1_000_000, gt=0)
    max_url_bytes: int = Field(16_384, gt=0, description="Longest request URL (path and query string); beyond it 414.")
    max_header_bytes: int = Field(16_384, gt=0, description="Request headers in all (names and values); beyond it 431.")
    max_concurrent_queries: int = Field(
        8, gt=0, description="Queries admitted at once, running or waiting for a worker; beyond it 429."
    )
    result_cache_bytes: int = Field(
        64 * 2**20, ge=0, description="Memory for cached read answers, least recently used out first (0: no cache)."
    )
    result_cache_max_age_s: int = Field(60, ge=0, description="Cache-Control max-age of a cacheable read answer.")
    reload_poll_s: float = Field(
        1.0, ge=0, description="How often serve looks for a new data/current (0: only on SIGHUP or POST /admin/reload)."
    )
    cors_allow_origins: list[str] = Field(default_factory=lambda: ["*"])

    reasoner: bool = Field(True, description="Run HermiT during build (needs Java).")

    update_token: SecretStr | None = Field(
        None,
        min_length=16,
        description="Bearer token for SPARQL Update and Graph Store writes; unset (the default) = read-only.",
    )
    service_allowlist: list[str] = Field(
        default_factory=list,
        description="Endpoint IRIs that SERVICE may call (JSON list); empty (the default) = SERVICE refused.",
    )

    @field_validator("update_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def update_enabled(self) -> bool:
        """Whether writes are served at all (an update token is set)."""
        return self.update_token is not None

    @property
    def parse_cache(self) -> Path:
        """Where the linguistic layer keeps each document's parse (spaCy DocBin by content hash)."""
        return (self.cache_dir or self.data_dir / "cache") / "parse"

    def iri(self, path: str) -> str:
        """Return ``base_iri`` + ``path`` (``path`` without a leading slash)."""
        return self.base_iri + path.lstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
