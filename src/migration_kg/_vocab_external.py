"""Vocabularies kept under other authorities' identifiers: ISO 3166-1 states (pycountry), the
UN SDG goals, targets and indicators (metadata.un.org IRIs), and Wikidata links."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping
from typing import Any

import pycountry
from rdflib import Literal, Namespace, URIRef

from ._vocab_context import Scheme, VocabContext, is_acronym
from ._vocab_status import VERIFIED, Entry, Status, as_mapping, entries, make_entry
from .errors import ConfigError
from .namespaces import MKG, OWL, SDG, SKOS, WD

ISO_SOURCE = "iso3166_pycountry"
_QID = re.compile(r"Q[1-9]\d*")
_PREFER = re.compile(r"\bPrefer (Q[1-9]\d*)\b")


def add_states(ctx: VocabContext) -> None:
    """Every ISO 3166-1 country as ``id/state/{ALPHA3}`` (``mkg:State``).

    The label is pycountry's ``common_name`` when it has one ('Bolivia', 'Iran'), else its
    ``name``; the other names become ``skos:altLabel``. The source record names the
    pycountry version, since ISO short names change (Turkey became Türkiye in 2022).
    """
    version = importlib.metadata.version("pycountry")
    ctx.extra_sources[ISO_SOURCE] = {
        "title": f"ISO 3166-1 country codes and names, as packaged by pycountry {version}",
        "url": f"https://pypi.org/project/pycountry/{version}/",
    }
    for country in pycountry.countries:
        common = getattr(country, "common_name", None)
        iri = ctx.iri(f"id/state/{country.alpha_3}")
        ctx.entity(iri, [MKG.State], common or country.name, [ISO_SOURCE], "ISO 3166-1")
        ctx.alt_labels(iri, [country.name, getattr(country, "official_name", None), common])
        ctx.add(iri, MKG.iso3166Alpha3, Literal(country.alpha_3))
        ctx.add(iri, MKG.iso3166Alpha2, Literal(country.alpha_2))
        ctx.add(iri, SKOS.notation, Literal(country.alpha_3))


def add_sdg(ctx: VocabContext, data: Mapping[str, Any]) -> URIRef | None:
    """The 17 goals and the migration-related targets and indicators under their UN IRIs,
    in the UN scheme, linked by ``skos:broader``; goals ``owl:sameAs`` their Wikidata items.

    Returns:
        The IRI of the SDG concept scheme, or ``None`` when the file has no SDG sections.
    """
    if not any(data.get(key) for key in ("sdg_iri_patterns", "sdg_goals", "sdg_migration_related_targets")):
        return None
    patterns = make_entry(as_mapping(data.get("sdg_iri_patterns"), "sdg_iri_patterns", ctx.file),
                          "sdg_iri_patterns", ctx.file)
    if not patterns.loads:
        raise ConfigError("sdg_iri_patterns must be verified to load the SDG", source=ctx.file)
    scheme = URIRef(str(patterns.field("scheme") or SDG).rstrip("/"))
    sdgo = Namespace(str(patterns.field("ontology") or SDG["ontology#"]))
    ctx.entity(scheme, [SKOS.ConceptScheme], "Sustainable Development Goals", patterns.sources,
               patterns.where)

    for e in entries(data.get("sdg_goals"), "sdg_goals", ctx.file):
        name = e.field("short_name")
        if not e.loads or not name:
            continue
        goal = int(e.key("goal"))
        iri = _un_iri(ctx, e, scheme)
        _sdg_concept(ctx, iri, sdgo.Goal, str(goal), str(name), scheme, e)
        ctx.add(iri, SKOS.topConceptOf, scheme)
        ctx.alt_labels(iri, [f"SDG {goal}", f"Goal {goal}", f"Sustainable Development Goal {goal}"])
        qid = e.field("wikidata")
        ctx.add(iri, OWL.sameAs, WD[str(qid)] if qid and _QID.fullmatch(str(qid)) else None)
        sdgio = e.field("sdgio")
        ctx.add(iri, SKOS.exactMatch, URIRef(str(sdgio)) if sdgio else None)

    for e in entries(data.get("sdg_migration_related_targets"), "sdg_migration_related_targets", ctx.file):
        text = e.field("text")
        if not e.loads or not text:
            continue
        notation = str(e.key("target"))
        target = _un_iri(ctx, e, scheme)
        _sdg_concept(ctx, target, sdgo.Target, notation, str(text), scheme, e)
        ctx.alt_labels(target, [f"Target {notation}", f"SDG target {notation}"])
        goal_iri = e.field("goal_iri")
        ctx.add(target, SKOS.broader, URIRef(str(goal_iri)) if goal_iri else None)
        for ind in entries(e.field("indicators"), f"{e.where}.indicators", ctx.file, inherited=e.verdict,
                           sources=e.sources):
            label = ind.field("label")
            if not ind.loads or not label:
                continue
            indicator = _un_iri(ctx, ind, scheme)
            _sdg_concept(ctx, indicator, sdgo.Indicator, str(ind.key("notation")), str(label), scheme, ind)
            ctx.alt_labels(indicator, [f"Indicator {ind.key('notation')}"])
            ctx.add(indicator, SKOS.broader, target)
    return scheme


def _sdg_concept(ctx: VocabContext, iri: URIRef, class_: URIRef, notation: str, label: str,
                 scheme: URIRef, e: Entry) -> None:
    ctx.entity(iri, [SKOS.Concept, class_], label, e.sources, e.where)
    ctx.add(iri, SKOS.prefLabel, Literal(label))
    ctx.add(iri, SKOS.notation, Literal(notation))
    ctx.add(iri, SKOS.inScheme, scheme)
    ctx.cite(scheme, e.sources, e.where)


def _un_iri(ctx: VocabContext, e: Entry, scheme: URIRef) -> URIRef:
    iri = str(e.key("iri"))
    if not iri.startswith(str(scheme) + "/"):
        raise ConfigError(f"{e.where}: {iri!r} is not an IRI of {scheme}", source=ctx.file)
    return URIRef(iri)


def add_wikidata_links(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """One ``vocab/wikidata-link/{qid}`` per verified QID: label and acronym of the entity as
    the file names it, ``owl:sameAs wd:{qid}``; the extraction stage links by label.

    The list is named ``verified``, the status its entries inherit. A ``conflict`` entry
    loads only when its note says which QID to prefer ('Prefer Q132551'), and then that QID,
    citing all the entry's sources and keeping the note. Entries without a QID ('see
    sdg_goals[].wikidata') are loaded with the goals; the ``unverified`` list is never read.
    """
    where = "wikidata_qids"
    section = as_mapping(data.get(where) or {}, where, ctx.file)
    for e in entries(section.get("verified"), f"{where}.verified", ctx.file, inherited=VERIFIED):
        note = None
        if e.loads:
            qid = str(e.field("qid") or "")
        elif e.verdict.status is Status.CONFLICT and (prefer := _PREFER.search(e.note)):
            qid, note = prefer.group(1), f"conflict: {e.note}"
        else:
            continue
        if not _QID.fullmatch(qid):
            continue
        label, acronym = _split_entity(str(e.key("entity")))
        iri = ctx.iri(f"vocab/wikidata-link/{qid}")
        ctx.entity(iri, [], label, e.sources, e.where)
        ctx.in_scheme(iri, Scheme.WIKIDATA_LINK, e.sources, e.where)
        ctx.add(iri, SKOS.notation, Literal(qid))
        ctx.add(iri, OWL.sameAs, WD[qid])
        if acronym:
            ctx.add(iri, MKG.acronym, Literal(acronym))
            ctx.alt_labels(iri, [acronym])
        ctx.add(iri, SKOS.editorialNote, Literal(note) if note else None)


def _split_entity(text: str) -> tuple[str, str | None]:
    """'International Labour Organization (ILO)' -> ('International Labour Organization', 'ILO');
    'Sustainable Development Goals (the set)' -> ('Sustainable Development Goals', None)."""
    match = re.fullmatch(r"(.*?)\s*\(([^)]*)\)", text.strip())
    if not match:
        return text.strip(), None
    inner = match.group(2).strip()
    return match.group(1), inner if is_acronym(inner) else None
