"""The reference vocabularies: ``reference/reference-facts.yaml`` as SKOS/RDF (graph ``graph/vocab``).

:func:`build_vocabularies` writes, from verified entries only (the status rules are in
``_vocab_status``):

* the GCM objectives, guiding principles and thematic clusters (``vocab/gcm-objective/{n}``,
  ``vocab/gcm-principle/{n}``, ``vocab/gcm-cluster/{n}``), the informal thematic sessions,
  the compact, its adoption events and resolutions, and the IMRF editions (``_vocab_gcm``);
* the GFMD chairmanships (``vocab/gfmd-chairmanship/{n}``) with chair memberships and summits,
  and the RCPs, IRFs and global processes with their classification (``_vocab_gfmd``);
* the ISO 3166-1 states, the SDG goals, targets and indicators under their UN IRIs, and
  the Wikidata links (``_vocab_external``).

Every resource written carries ``dct:source`` to a ``vocab/source/{key}`` record (``dct:title``
and ``foaf:page`` or ``dct:identifier`` "repo/path@commit"); the source records themselves
are the only subjects without one. IRIs follow ``docs/contracts.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, Literal, URIRef

from . import _vocab_external, _vocab_gcm, _vocab_gfmd
from ._vocab_context import Scheme, VocabContext
from .errors import ConfigError
from .namespaces import DCT, DEFAULT_BASE, PREFIXES, RDF, RDFS, SDG, SKOS, data_iri

__all__ = ["SDG_SCHEME", "VOCAB_SCHEMES", "Scheme", "build_vocabularies", "scheme_iris"]

#: The UN's SDG concept scheme, which the goals, targets and indicators keep.
SDG_SCHEME = URIRef(str(SDG).rstrip("/"))

SCHEME_LABELS: Mapping[Scheme, str] = {
    Scheme.GCM_OBJECTIVE: "Objectives of the Global Compact for Migration",
    Scheme.GCM_PRINCIPLE: "Guiding principles of the Global Compact for Migration",
    Scheme.GCM_CLUSTER: "Thematic clusters of the GCM consultation phase",
    Scheme.GFMD_CHAIRMANSHIP: "GFMD chairmanships",
    Scheme.RCP: "Regional consultative processes on migration (IOM classification)",
    Scheme.IRF: "Inter-regional forums on migration (IOM classification)",
    Scheme.GLOBAL_PROCESS: "Global processes on migration (IOM classification)",
    Scheme.WIKIDATA_LINK: "Verified Wikidata items of migration-governance actors",
}


def scheme_iris(base: str = DEFAULT_BASE) -> dict[str, URIRef]:
    """The IRI of every scheme this stage writes, by name (``"gcm-objective"`` … and ``"sdg"``).

    >>> str(scheme_iris("https://example.org/")["gcm-objective"])
    'https://example.org/vocab/gcm-objective'
    """
    iris = {scheme.value: URIRef(data_iri(f"vocab/{scheme.value}", base)) for scheme in Scheme}
    iris["sdg"] = SDG_SCHEME
    return iris


#: The scheme IRIs under the default base (see :func:`scheme_iris` for another base).
VOCAB_SCHEMES: Mapping[str, URIRef] = scheme_iris()


def build_vocabularies(reference_file: Path, *, base: str = DEFAULT_BASE) -> Graph:
    """Turn the reference facts into SKOS/RDF.

    Args:
        reference_file: the YAML file (``Settings.reference_file``).
        base: the base of the IRIs we mint.

    Returns:
        A new graph (not a named graph: the store puts it in ``graph/vocab``).

    Raises:
        ConfigError: the file cannot be read, is not YAML (names the line), or an entry is
            malformed (names the entry), cites an unknown source or names an unknown state.
    """
    data = load_reference(reference_file)
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    ctx = VocabContext(graph=graph, base=base, file=str(reference_file), sources=data["sources"])
    _register_place_aliases(ctx, data)
    try:
        _vocab_external.add_states(ctx)
        _vocab_external.add_sdg(ctx, data)
        _vocab_gfmd.add_iscms(ctx, data)
        _vocab_gcm.add_objectives(ctx, data)
        _vocab_gcm.add_principles(ctx, data)
        _vocab_gcm.add_clusters(ctx, data)
        _vocab_gcm.add_adoption(ctx, data)
        _vocab_gcm.add_imrf(ctx, data)
        _vocab_gfmd.add_chairmanships(ctx, data)
        _vocab_external.add_wikidata_links(ctx, data)
    except (TypeError, ValueError) as exc:  # a value of the wrong shape: int("x"), a list for a str …
        raise ConfigError(f"malformed reference entry: {exc}", source=str(reference_file)) from exc
    _add_schemes(ctx)
    ctx.finish()
    return graph


def load_reference(path: Path) -> dict[str, Any]:
    """Read the reference YAML.

    Raises:
        ConfigError: unreadable, not YAML (with the line), not a mapping, or no ``sources:`` map.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the reference file: {exc}", source=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", source=str(path),
                          line=mark.line + 1 if mark is not None else None) from exc
    if not isinstance(data, dict):
        raise ConfigError("the reference file must be a mapping of sections", source=str(path))
    if not isinstance(data.get("sources"), dict):
        raise ConfigError("the reference file lacks its sources: map", source=str(path))
    for key, record in data["sources"].items():
        if not isinstance(record, dict) or not record.get("title"):
            raise ConfigError(f"source {key!r} must be a mapping with a title", source=str(path))
    return data


def _register_place_aliases(ctx: VocabContext, node: object) -> None:
    """Walk the file for place strings so spelling variants meet at one place."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in {"place", "venue"} and isinstance(value, str):
                ctx.register_place_aliases(value)
            else:
                _register_place_aliases(ctx, value)
    elif isinstance(node, list):
        for item in node:
            _register_place_aliases(ctx, item)


def _add_schemes(ctx: VocabContext) -> None:
    """Type and label each scheme that has members (and so sources)."""
    for scheme, label in SCHEME_LABELS.items():
        iri = ctx.scheme(scheme)
        if (iri, DCT.source, None) in ctx.graph:
            ctx.graph.add((iri, RDF.type, SKOS.ConceptScheme))
            ctx.graph.add((iri, RDFS.label, Literal(label)))
            ctx.graph.add((iri, SKOS.prefLabel, Literal(label)))
