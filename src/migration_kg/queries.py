"""Named SPARQL queries: one ``queries/*.rq`` file each, read by one loader.

A file starts with comment lines that describe it::

    # title: Who chaired the GFMD, and when?
    # description: States with a chair or co-chair membership of the GFMD, by year.
    # param: state iri  (optional; an IRI bound by substitution, never pasted into the text)

Values reach a query only as bindings (pyoxigraph ``substitutions=``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, NotFound

_HEADER = re.compile(r"^#\s*(?P<key>title|description|param|cq):\s*(?P<value>.*)$")


@dataclass(frozen=True)
class Param:
    """A query parameter: its variable name, kind (iri, string, integer, date) and whether it is required."""

    name: str
    kind: str = "string"
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name (the file stem), text and header."""

    name: str
    text: str
    title: str
    description: str = ""
    params: tuple[Param, ...] = field(default_factory=tuple)
    cq: str | None = None


def _parse(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Param] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        if m["key"] == "param":
            parts = m["value"].split(None, 2)
            if len(parts) < 2 or parts[1] not in ("iri", "string", "integer", "date"):
                raise ConfigError("param needs 'name kind [description]' with kind iri|string|integer|date",
                                  source=str(path), line=lineno)
            rest = parts[2] if len(parts) > 2 else ""
            params.append(Param(parts[0], parts[1], "required" in rest, rest))
        else:
            meta[m["key"]] = m["value"].strip()
    if "title" not in meta:
        raise ConfigError("query file lacks a '# title:' header line", source=str(path), line=1)
    return NamedQuery(path.stem, text, meta["title"], meta.get("description", ""), tuple(params), meta.get("cq"))


def load_queries(directory: Path) -> dict[str, NamedQuery]:
    """Every ``*.rq`` in ``directory`` by name. Raises ConfigError on a bad header."""
    return {q.name: q for q in (_parse(p) for p in sorted(Path(directory).glob("*.rq")))}


def get_query(directory: Path, name: str) -> NamedQuery:
    """One named query. Raises NotFound if there is no such file."""
    queries = load_queries(directory)
    if name not in queries:
        raise NotFound(f"no query named {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]
