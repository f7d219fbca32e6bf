"""GFMD chairmanships and summits, and the inter-state consultation mechanisms (RCPs, IRFs,
global processes) with their classification."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import Literal, URIRef

from ._vocab_context import Scheme, VocabContext, is_acronym, ordinal, slugify
from ._vocab_status import Entry, Status, as_mapping, entries, section_verdict
from .errors import ConfigError
from .namespaces import DCT, MKG, ORG, RDF, RDFS, SKOS, XSD

_PERIOD = re.compile(
    r"^(?P<start>\d{4}(?:-\d{2}-\d{2})?)(?:\s*[-/]\s*(?P<end>\d{4}(?:-\d{2}-\d{2})?))?"
    r"\s*(?:\((?P<remark>[^)]*)\))?$"
)


@dataclass(frozen=True)
class Period:
    """A chair period: years always, days where the text gives them, and a remark."""

    start_year: int
    end_year: int | None
    start_date: str | None = None
    end_date: str | None = None
    remark: str | None = None

    @property
    def text(self) -> str:
        """'2016', '2017-2018', 'from 2024' (open end)."""
        if self.end_year is None:
            return f"from {self.start_year}"
        if self.end_year == self.start_year:
            return str(self.start_year)
        return f"{self.start_year}-{self.end_year}"


def parse_period(text: str, *, start_only: bool = False) -> Period:
    """Parse a ``chair_period``.

    A bare year is a one-year term ('2016': 2016-2016); 'YYYY-YYYY' and 'A/B' give both ends,
    where each end is a year or an ISO date (the date is kept as well); a start date with no
    end leaves the end open. A trailing '(…)' is a remark ('extended to Jan 2021').
    ``start_only`` keeps the start alone (the status verified only the start date).

    Raises:
        ValueError: the text has none of these forms.

    >>> parse_period("2014-07-01/2015")
    Period(start_year=2014, end_year=2015, start_date='2014-07-01', end_date=None, remark=None)
    >>> parse_period("2017-2018 (co-chairmanship)").text
    '2017-2018'
    """
    match = _PERIOD.match(str(text).strip())
    if not match:
        raise ValueError(f"chair period {text!r} is not 'YYYY', 'YYYY-YYYY' or 'start/end'")
    start, end, remark = match.group("start"), match.group("end"), match.group("remark")
    if start_only:
        end = None
    elif end is None and len(start) == 4:
        end = start
    return Period(
        start_year=int(start[:4]), end_year=int(end[:4]) if end else None,
        start_date=start if len(start) > 4 else None,
        end_date=end if end and len(end) > 4 else None, remark=remark,
    )


@dataclass(frozen=True)
class ChairClaim:
    """One reading of who held a chairmanship, with the sources that give it."""

    states: tuple[str, ...]
    sources: tuple[str, ...]
    period: str | None = None  # None: the entry's chair_period
    open_end: bool = False  # the source gives a start and no end


#: Conflict entries whose note asks for "separate, sourced assertions", spelled out: the file
#: keeps one chair list and names the other reading only in its note and source titles.
CHAIR_CONFLICTS: Mapping[int, tuple[ChairClaim, ...]] = {
    14: (
        ChairClaim(("France",), ("diplomatie_gfmd14", "gfmd_colombia")),
        ChairClaim(("France", "Senegal"), ("gfmdcs_france_senegal",), period="2022", open_end=True),
    ),
}
_MODEL_SEPARATELY = re.compile(r"separate,?\s+sourced\s+assertions", re.IGNORECASE)


def add_chairmanships(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """``vocab/gfmd-chairmanship/{n}`` with a ``mkg:Membership`` per chair and the summit.

    A membership needs a time (contracts.md), so a chair whose period is not verified
    (chairmanship 2) is recorded only as ``mkg:heldBy`` on the chairmanship.
    """
    gfmd = ctx.iri("id/process/gfmd")
    for e in entries(data.get("gfmd_chairmanships"), "gfmd_chairmanships", ctx.file):
        n = int(e.key("n"))
        if e.loads:
            claims: tuple[ChairClaim, ...] = (ChairClaim(tuple(e.field("chair") or ()), e.sources),)
        elif _models_conflict(e) and n in CHAIR_CONFLICTS:
            claims = CHAIR_CONFLICTS[n]
        else:
            continue
        label = f"{ordinal(n)} GFMD Chairmanship"
        chairmanship = ctx.iri(f"vocab/gfmd-chairmanship/{n}")
        ctx.entity(chairmanship, [MKG.Chairmanship], label, e.sources, e.where)
        ctx.concept(chairmanship, Scheme.GFMD_CHAIRMANSHIP, notation=str(n), label=label,
                    sources=e.sources, where=e.where)
        ctx.add(chairmanship, MKG.ordinal, Literal(n))
        ctx.add(chairmanship, MKG.partOf, gfmd)
        previous = ctx.iri(f"vocab/gfmd-chairmanship/{n - 1}")
        if (previous, RDF.type, MKG.Chairmanship) in ctx.graph:
            ctx.add(chairmanship, MKG.precededBy, previous)
        if not e.loads:
            ctx.add(chairmanship, SKOS.editorialNote, Literal(f"conflict: {e.note}"))
        held_in_every_claim = set.intersection(*(set(claim.states) for claim in claims))
        for claim in claims:
            states = {name: ctx.state(name, claim.sources, e.where) for name in claim.states}
            for name in held_in_every_claim:
                ctx.add(chairmanship, MKG.heldBy, states[name])
            period = _claim_period(e, claim)
            if period is None:
                continue
            if e.loads and period.end_year is not None:  # how documents name it: 'GFMD 2016 Chairmanship'
                ctx.alt_labels(chairmanship, [f"GFMD {period.text} Chairmanship"])
            role = MKG.ChairRole if len(states) == 1 else MKG.CoChairRole
            for state in states.values():
                membership = _membership(ctx, n, state, role, period, claim.sources, e.where)
                ctx.add(chairmanship, DCT.hasPart, membership)
                if not e.loads:
                    ctx.add(membership, MKG.status, Literal("conflicting sources"))
        if e.loads:
            _summit(ctx, e, n, chairmanship, gfmd)


def _models_conflict(e: Entry) -> bool:
    """A conflict entry whose note asks for the readings as separate sourced assertions."""
    return e.verdict.status is Status.CONFLICT and bool(_MODEL_SEPARATELY.search(e.note))


def _claim_period(e: Entry, claim: ChairClaim) -> Period | None:
    text: object
    if claim.period is not None:
        text, start_only = claim.period, claim.open_end
    elif e.loads:
        text, start_only = e.field("chair_period"), False
        if text is None and e.covers("start_date"):
            text, start_only = e.data.get("chair_period"), True
    else:  # a modelled conflict: its claims share the entry's period
        text, start_only = e.data.get("chair_period"), False
    if text is None:
        return None
    try:
        return parse_period(str(text), start_only=start_only)
    except ValueError as exc:
        raise ConfigError(f"{e.where}: {exc}", source=e.file) from exc


def _membership(ctx: VocabContext, n: int, state: URIRef, role: URIRef, period: Period,
                sources: tuple[str, ...], where: str) -> URIRef:
    role_name = "Chair" if role == MKG.ChairRole else "Co-Chair"
    alpha3 = str(state).rsplit("/", 1)[-1]
    iri = ctx.iri(f"id/membership/gfmd-chairmanship-{n}-{slugify(role_name)}-{alpha3.lower()}")
    state_label = ctx.graph.value(state, RDFS.label) or alpha3
    ctx.entity(iri, [MKG.Membership], f"{state_label}, GFMD {role_name} {period.text}", sources, where)
    ctx.add(iri, ORG.member, state)
    ctx.add(iri, ORG.organization, ctx.iri("id/process/gfmd"))
    ctx.add(iri, ORG.role, role)
    ctx.add(iri, MKG.startYear, Literal(str(period.start_year), datatype=XSD.gYear))
    if period.end_year is not None:
        ctx.add(iri, MKG.endYear, Literal(str(period.end_year), datatype=XSD.gYear))
    ctx.add(iri, MKG.startDate, ctx.date(period.start_date, where) if period.start_date else None)
    ctx.add(iri, MKG.endDate, ctx.date(period.end_date, where) if period.end_date else None)
    ctx.add(iri, MKG.status, Literal(period.remark) if period.remark else None)
    return iri


def _summit(ctx: VocabContext, e: Entry, n: int, chairmanship: URIRef, gfmd: URIRef) -> None:
    """The summit, when any of its fields is verified (chairmanship 15 has none)."""
    place, dates, name = e.field("place"), e.field("dates"), e.field("summit")
    if place is None and dates is None and name is None:
        return
    iri = ctx.iri(f"id/event/gfmd-summit-{n}")
    ctx.entity(iri, [MKG.Summit], f"{ordinal(n)} GFMD Summit", e.sources, e.where)
    ctx.alt_labels(iri, [name])
    ctx.add(iri, MKG.ordinal, Literal(n))
    ctx.add(iri, MKG.organizedBy, gfmd)
    ctx.locate(iri, place, e.sources, e.where)
    ctx.date_range(iri, dates, e.where)
    ctx.add(chairmanship, DCT.hasPart, iri)
    previous = ctx.iri(f"id/event/gfmd-summit-{n - 1}")
    if (previous, RDF.type, MKG.Summit) in ctx.graph:
        ctx.add(iri, MKG.precededBy, previous)


#: Section list -> (scheme recording the classification, class, IRI path of its members).
ISCM_KINDS: Mapping[str, tuple[Scheme, URIRef, str]] = {
    "rcps": (Scheme.RCP, MKG.RegionalConsultativeProcess, "vocab/rcp"),
    "irfs": (Scheme.IRF, MKG.InterRegionalForum, "vocab/irf"),
    "global_processes": (Scheme.GLOBAL_PROCESS, MKG.GlobalProcess, "id/process"),
}


def add_iscms(ctx: VocabContext, data: Mapping[str, Any]) -> None:
    """RCPs (``vocab/rcp/{slug}``), IRFs (``vocab/irf/{slug}``) and global processes
    (``id/process/{slug}``: ``id/process/gfmd``).

    The file warns that the RCP/IRF classification is time-dependent and differs between
    IOM pages. It is recorded twice, both cited to the entry's sources: as the class (so
    the graph is usable without reasoning) and as ``skos:inScheme vocab/{rcp|irf|global-process}``,
    the assertion a later dated or competing classification can sit beside. The slug is
    that of ``short`` when given ('Colombo Process' -> colombo-process, 'ARCP' -> arcp), else
    of the name without its parentheses.
    """
    where = "inter_state_consultation_mechanisms"
    section = as_mapping(data.get(where) or {}, where, ctx.file)
    inherited = section_verdict(section, where, ctx.file)
    for key, (scheme, class_, path) in ISCM_KINDS.items():
        for e in entries(section.get(key), f"{where}.{key}", ctx.file, inherited=inherited):
            name = e.field("name")
            if not e.loads or not name:
                continue
            label, acronyms, former = _split_name(str(name))
            short = e.field("short")
            iri = ctx.iri(f"{path}/{slugify(str(short or label))}")
            ctx.entity(iri, [class_], label, e.sources, e.where)
            ctx.in_scheme(iri, scheme, e.sources, e.where)
            if short and is_acronym(str(short)):
                acronyms.append(str(short))
            elif short:
                ctx.alt_labels(iri, [short])
            for acronym in acronyms:
                ctx.add(iri, MKG.acronym, Literal(acronym))
            former_names = e.field("former_names") or []
            ctx.alt_labels(iri, [*acronyms, e.field("alias"), e.field("former_name"), *former_names, *former])
            if e.verdict.remark:
                ctx.add(iri, SKOS.editorialNote, Literal(f"status: verified ({e.verdict.remark})"))


def _split_name(name: str) -> tuple[str, list[str], list[str]]:
    """'Eastern Partnership (EaP) Panel … (former Söderköping Process)' ->
    ('Eastern Partnership Panel …', ['EaP'], ['Söderköping Process'])."""
    acronyms, former = [], []
    for inner in re.findall(r"\(([^)]*)\)", name):
        if inner.lower().startswith("former "):
            former.append(inner[len("former "):].strip())
        elif is_acronym(inner):
            acronyms.append(inner)
    label = re.sub(r"\s+", " ", re.sub(r"\([^)]*\)", "", name)).strip()
    return label, acronyms, former
