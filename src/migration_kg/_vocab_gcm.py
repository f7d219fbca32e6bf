"""The Global Compact for Migration: objectives, guiding principles, thematic clusters and
sessions, adoption facts and resolutions, and the International Migration Review Forums."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rdflib import Literal, URIRef

from ._vocab_context import Scheme, VocabContext, ordinal, slugify
from ._vocab_status import Entry, as_mapping, entries, make_entry, section_verdict
from .namespaces import DCT, MKG, XSD

#: The compact's name is the title of the annex of A/RES/73/195; the file states it only
#: in the title of that source, so the name is written here and cited to it.
GCM_NAME = "Global Compact for Safe, Orderly and Regular Migration"
GCM_NAME_SOURCE = "A_RES_73_195_pdf_p29"
CONFERENCE_NAME = "Intergovernmental Conference on the Global Compact for Migration"


def add_objectives(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """The 23 objectives as ``vocab/gcm-objective/{n}`` (``skos:Concept``, ``mkg:Objective``).

    Titles are the entry's own ``title`` (for objective 20 that is the resolution text,
    not the iomeval file the caveat warns about), cited to the entry's own sources.
    """
    for e in entries(data.get("gcm_objectives"), "gcm_objectives", ctx.file):
        title = e.field("title")
        if not e.loads or not title:
            continue
        n = int(e.key("number"))
        iri = ctx.iri(f"vocab/gcm-objective/{n}")
        ctx.entity(iri, [MKG.Objective], str(title), e.sources, e.where)
        ctx.concept(iri, Scheme.GCM_OBJECTIVE, notation=str(n), label=str(title), sources=e.sources,
                    where=e.where)
        ctx.add(iri, MKG.number, Literal(n))
        ctx.alt_labels(iri, [e.field("hub_short_label"), f"Objective {n}", f"GCM Objective {n}"])
        paragraph = e.field("paragraph_in_A_RES_73_195")
        ctx.add(iri, MKG.paragraph, Literal(int(paragraph)) if paragraph is not None else None)
        ctx.add(iri, DCT.identifier, _literal(e.field("id")))


def add_principles(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """The 10 guiding principles as ``vocab/gcm-principle/{n}`` (paragraph numbers are unverified)."""
    for e in entries(data.get("gcm_guiding_principles"), "gcm_guiding_principles", ctx.file):
        label = e.field("label")
        if not e.loads or not label:
            continue
        n = int(e.key("number"))
        iri = ctx.iri(f"vocab/gcm-principle/{n}")
        ctx.entity(iri, [MKG.GuidingPrinciple], str(label), e.sources, e.where)
        ctx.concept(iri, Scheme.GCM_PRINCIPLE, notation=str(n), label=str(label), sources=e.sources,
                    where=e.where)
        ctx.add(iri, MKG.number, Literal(n))
        ctx.alt_labels(iri, [f"Guiding principle {n}"])
        ctx.add(iri, DCT.identifier, _literal(e.field("id")))


def add_clusters(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """The six thematic clusters (``vocab/gcm-cluster/{n}``) and the informal thematic session
    that discussed each (``id/event/gcm-thematic-session-{n}``, a ``mkg:Consultation``)."""
    where = "gcm_modalities_thematic_sessions"
    section = as_mapping(data.get(where) or {}, where, ctx.file)
    inherited = section_verdict(section, where, ctx.file)
    for e in entries(section.get("sessions"), f"{where}.sessions", ctx.file, inherited=inherited):
        title = e.field("title")
        if not e.loads or not title:
            continue
        n = int(e.key("number"))
        cluster = ctx.iri(f"vocab/gcm-cluster/{n}")
        ctx.entity(cluster, [MKG.ThematicCluster], str(title), e.sources, e.where)
        ctx.concept(cluster, Scheme.GCM_CLUSTER, notation=str(n), label=str(title), sources=e.sources,
                    where=e.where)
        ctx.add(cluster, MKG.number, Literal(n))
        ctx.alt_labels(cluster, [f"Cluster {n}", f"GCM cluster {n}", f"Thematic cluster {n}"])

        session = ctx.iri(f"id/event/gcm-thematic-session-{n}")
        ctx.entity(session, [MKG.Consultation], f"GCM informal thematic session {n}", e.sources, e.where)
        ctx.alt_labels(session, [f"informal thematic session {n}", f"thematic session {n}"])
        ctx.add(session, MKG.ordinal, Literal(n))
        ctx.add(session, MKG.discussed, cluster)
        ctx.date_range(session, e.field("dates"), e.where)
        ctx.locate(session, e.field("venue"), e.sources, e.where)


def add_adoption(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """The compact (``id/instrument/gcm``), the events of its adoption and the resolutions
    (``id/instrument/{symbol-slug}``) named in ``gcm_adoption``; the unverified vote is skipped."""
    where = "gcm_adoption"
    if not data.get(where):
        return
    section = as_mapping(data[where], where, ctx.file)
    inherited = section_verdict(section, where, ctx.file)
    parts = {
        key: make_entry(as_mapping(value, f"{where}.{key}", ctx.file), f"{where}.{key}", ctx.file,
                        inherited=inherited)
        for key, value in section.items() if key != "status"
    }
    gcm = ctx.iri("id/instrument/gcm")
    ctx.entity(gcm, [MKG.Compact], GCM_NAME, [GCM_NAME_SOURCE], where)

    conference = parts.get("intergovernmental_conference")
    if conference and conference.loads:
        adopted = conference.field("adopted_on")
        if adopted:
            ctx.add(gcm, MKG.date, ctx.date(adopted, conference.where))
            ctx.cite(gcm, conference.sources, conference.where)
        first_day = _first_day(conference.field("dates") or adopted)
        event = ctx.iri(f"id/event/{first_day}-gcm-intergovernmental-conference")
        ctx.entity(event, [MKG.Conference], CONFERENCE_NAME, conference.sources, conference.where)
        ctx.alt_labels(event, ["Intergovernmental Conference"])
        ctx.date_range(event, conference.field("dates"), conference.where)
        ctx.locate(event, conference.field("place"), conference.sources, conference.where)
        ctx.add(event, MKG.discussed, gcm)

    agreed = parts.get("negotiated_text_agreed")
    if agreed and agreed.loads and agreed.field("date"):
        event = ctx.iri(f"id/event/{_first_day(agreed.field('date'))}-gcm-negotiated-text-agreed")
        ctx.entity(event, [MKG.Event], "Agreement on the negotiated text of the GCM", agreed.sources,
                   agreed.where)
        ctx.add(event, MKG.date, ctx.date(agreed.field("date"), agreed.where))
        ctx.add(event, MKG.discussed, gcm)

    aka = parts.get("also_known_as")
    if aka and aka.loads and aka.field("value"):
        ctx.alt_labels(gcm, [aka.field("value")])
        ctx.cite(gcm, aka.sources, aka.where)

    for part in parts.values():
        if part.loads and part.field("resolution"):
            add_resolution(ctx, part)


def add_resolution(ctx: VocabContext, e: Entry) -> URIRef:
    """A General Assembly resolution from an entry with ``resolution`` (symbol), ``date``, ``title``."""
    symbol = str(e.field("resolution")).strip()
    iri = ctx.iri(f"id/instrument/{slugify(symbol)}")
    ctx.entity(iri, [MKG.Resolution], symbol, e.sources, e.where)
    ctx.add(iri, MKG.unSymbol, Literal(symbol))
    number = re.fullmatch(r"A/RES/(\d+/\d+)", symbol)
    ctx.alt_labels(iri, [f"resolution {number.group(1)}"] if number else [])
    ctx.add(iri, DCT.title, _literal(e.field("title")))
    date = e.field("date")
    ctx.add(iri, MKG.date, ctx.date(date, e.where) if date else None)
    return iri


def add_imrf(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """The IMRF editions as ``id/event/imrf-{year}`` (``mkg:Forum``), verified fields only
    (so edition 2 has its year and no dates), with the multi-stakeholder hearing."""
    imrf = ctx.iri("id/process/imrf")
    for e in entries(data.get("imrf"), "imrf", ctx.file):
        year = e.field("year")
        if not e.loads or year is None:
            continue
        edition = int(e.key("edition"))
        iri = ctx.iri(f"id/event/imrf-{int(year)}")
        ctx.entity(iri, [MKG.Forum], f"International Migration Review Forum {int(year)}", e.sources, e.where)
        ctx.alt_labels(iri, [f"IMRF {int(year)}", f"{ordinal(edition)} International Migration Review Forum"])
        ctx.add(iri, MKG.ordinal, Literal(edition))
        ctx.add(iri, MKG.date, Literal(str(int(year)), datatype=XSD.gYear))
        ctx.add(iri, MKG.organizedBy, imrf)
        ctx.date_range(iri, e.field("dates"), e.where)
        ctx.locate(iri, e.field("place"), e.sources, e.where)
        hearing_date = e.field("multi_stakeholder_hearing")
        if hearing_date:
            hearing = ctx.iri(f"id/event/imrf-{int(year)}-multi-stakeholder-hearing")
            ctx.entity(hearing, [MKG.Hearing], f"Multi-stakeholder hearing of the IMRF {int(year)}",
                       e.sources, e.where)
            ctx.add(hearing, MKG.date, ctx.date(hearing_date, e.where))
            ctx.add(hearing, MKG.subEventOf, iri)


def _first_day(value: object) -> str:
    return str(value).partition("/")[0].strip()


def _literal(value: object) -> Literal | None:
    return Literal(str(value)) if value is not None else None
