"""What every vocabulary builder shares: the graph, IRIs, citations, labels, states, places, dates.

Citations: :meth:`VocabContext.cite` adds ``dct:source`` links to ``vocab/source/{key}`` and
remembers the key; :meth:`VocabContext.finish` then writes one record per cited source
(``dct:title`` plus ``foaf:page`` for web pages or ``dct:identifier`` "repo/path@commit"
for files in a repository). A key missing from the ``sources:`` map is a ConfigError.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pycountry
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from .errors import ConfigError
from .namespaces import DCT, FOAF, MKG, RDF, RDFS, SKOS, XSD, data_iri


class Scheme(StrEnum):
    """The concept schemes (and classification lists) this stage writes, as ``vocab/{value}``."""

    GCM_OBJECTIVE = "gcm-objective"
    GCM_PRINCIPLE = "gcm-principle"
    GCM_CLUSTER = "gcm-cluster"
    GFMD_CHAIRMANSHIP = "gfmd-chairmanship"
    RCP = "rcp"
    IRF = "irf"
    GLOBAL_PROCESS = "global-process"
    WIKIDATA_LINK = "wikidata-link"


#: States the reference file names by a short name ISO 3166-1 no longer uses.
STATE_ALIASES: Mapping[str, str] = {"Turkey": "TUR"}  # ISO 3166-1 renamed it Türkiye in 2022

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def slugify(text: str) -> str:
    """ASCII-fold, lower-case and hyphenate: 'Söderköping Process' -> 'soderkoping-process'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def ordinal(n: int) -> str:
    """'1st', '2nd', '3rd', '11th', '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def is_acronym(text: str) -> bool:
    """'IGAD-RCP', 'PAFOM', 'EaP' are acronyms; 'Colombo Process' and 'the set' are not."""
    shaped = re.fullmatch(r"[A-Z][A-Za-z0-9]*(?:-[A-Z0-9]+)*", text)
    return bool(shaped) and sum(c.isupper() for c in text) >= 2


@dataclass
class VocabContext:
    """The graph being built and the helpers every builder uses."""

    graph: Graph
    base: str
    file: str
    sources: Mapping[str, Any]
    extra_sources: dict[str, Mapping[str, str]] = field(default_factory=dict)
    cited: set[str] = field(default_factory=set)
    _place_aliases: dict[str, str] = field(default_factory=dict)

    # --- IRIs, triples, labels -------------------------------------------------------------
    def iri(self, path: str) -> URIRef:
        """``base`` + ``path``."""
        return URIRef(data_iri(path, self.base))

    def scheme(self, scheme: Scheme) -> URIRef:
        """The IRI of ``vocab/{scheme}``."""
        return self.iri(f"vocab/{scheme.value}")

    def add(self, subject: Node, predicate: URIRef, obj: Node | None) -> None:
        """Add one triple; ``None`` objects (a field that did not load) are skipped."""
        if obj is not None:
            self.graph.add((subject, predicate, obj))

    def entity(self, subject: URIRef, types: Iterable[URIRef], label: str, sources: Iterable[str],
               where: str) -> URIRef:
        """Type ``subject``, give it its one ``rdfs:label`` and cite ``sources``."""
        for type_ in types:
            self.graph.add((subject, RDF.type, type_))
        self.graph.set((subject, RDFS.label, Literal(label)))
        self.cite(subject, sources, where)
        return subject

    def alt_labels(self, subject: URIRef, labels: Iterable[object]) -> None:
        """Add ``skos:altLabel`` for each label that differs from the ``rdfs:label``."""
        main = self.graph.value(subject, RDFS.label)
        for label in labels:
            if label and Literal(str(label)) != main:
                self.graph.add((subject, SKOS.altLabel, Literal(str(label))))

    def concept(self, subject: URIRef, scheme: Scheme, *, notation: str, label: str,
                sources: Iterable[str], where: str) -> None:
        """Make ``subject`` a top concept of ``scheme`` with notation and labels."""
        sources = tuple(sources)
        self.graph.add((subject, RDF.type, SKOS.Concept))
        self.graph.add((subject, SKOS.prefLabel, Literal(label)))
        self.graph.add((subject, SKOS.notation, Literal(notation)))
        self.graph.add((subject, SKOS.topConceptOf, self.scheme(scheme)))
        self.in_scheme(subject, scheme, sources, where)

    def in_scheme(self, subject: URIRef, scheme: Scheme, sources: Iterable[str], where: str) -> None:
        """Put ``subject`` in ``scheme``; the scheme cites every source of its members."""
        self.graph.add((subject, SKOS.inScheme, self.scheme(scheme)))
        self.cite(self.scheme(scheme), sources, where)

    # --- citations -------------------------------------------------------------------------
    def cite(self, subject: URIRef, keys: Iterable[str], where: str) -> None:
        """Add ``dct:source`` for each key.

        Raises:
            ConfigError: a key is not in the ``sources:`` map, or there is no key at all.
        """
        keys = tuple(keys)
        if not keys:
            raise ConfigError(f"{where} cites no source", source=self.file)
        for key in keys:
            if key not in self.sources and key not in self.extra_sources:
                raise ConfigError(f"{where} cites unknown source {key!r}", source=self.file)
            self.graph.add((subject, DCT.source, self.iri(f"vocab/source/{key}")))
            self.cited.add(key)

    def finish(self) -> None:
        """Write the records of the cited sources.

        The records are left untyped: shapes/vocab.ttl asks every typed resource under
        ``vocab/`` for a ``dct:source``, and a source record has none of its own.
        """
        for key in sorted(self.cited):
            record = self.extra_sources.get(key) or self.sources[key]
            node = self.iri(f"vocab/source/{key}")
            self.graph.add((node, DCT.title, Literal(str(record.get("title") or key))))
            if record.get("url"):
                self.graph.add((node, FOAF.page, URIRef(str(record["url"]))))
            if record.get("repo"):
                ident = f"{record['repo']}/{record.get('path', '')}@{record.get('commit', '')}"
                self.graph.add((node, DCT.identifier, Literal(ident)))
            for note in ("caveat", "used_for"):
                if record.get(note):
                    self.graph.add((node, RDFS.comment, Literal(f"{note}: {record[note]}")))

    # --- states ----------------------------------------------------------------------------
    def state(self, name: str, sources: Iterable[str], where: str) -> URIRef:
        """The ``id/state/{ALPHA3}`` of a state the reference file names.

        A name ISO 3166-1 does not know but :data:`STATE_ALIASES` does becomes an
        ``skos:altLabel`` of the state, cited to the entry that uses it.

        Raises:
            ConfigError: the name is not a state.
        """
        if name in STATE_ALIASES:
            iri = self.iri(f"id/state/{STATE_ALIASES[name]}")
            self.graph.add((iri, SKOS.altLabel, Literal(name)))
            self.cite(iri, sources, where)
            return iri
        try:
            country = pycountry.countries.lookup(name)
        except LookupError as exc:
            raise ConfigError(f"{where}: {name!r} is not an ISO 3166-1 state", source=self.file) from exc
        return self.iri(f"id/state/{country.alpha_3}")

    # --- places ----------------------------------------------------------------------------
    def register_place_aliases(self, text: str) -> None:
        """Note the spelling variant in 'Marrakech (Marrakesh), Morocco' before any place is made,
        so that a later bare 'Marrakesh' reaches the same place whatever the build order."""
        main, paren, _ = _split_place(text)
        if paren and _same_name(main, paren):
            self._place_aliases[slugify(paren)] = main

    def place(self, text: str, sources: Iterable[str], where: str) -> URIRef | None:
        """The most specific ``mkg:Place`` a place string names, made with its containers.

        'A (B), C': A is a place; C contains A (a state when ISO 3166-1 knows it); B is a
        spelling variant of A when both start alike (an ``skos:altLabel``), an organization
        when it is an acronym (dropped: 'Vienna (UNODC)'), else a venue inside A, which is
        then the place returned. 'online (virtual)' is no place: ``None``.
        """
        sources = tuple(sources)
        main, paren, containers = _split_place(text)
        if main.lower() in {"online", "virtual"}:
            return None
        iri = self._place(main, sources, where)
        inner = iri
        for container in containers:
            outer = self._container(container, sources, where)
            self.graph.add((inner, MKG.partOf, outer))
            inner = outer
        if paren and _same_name(main, paren):
            self.alt_labels(iri, [paren])
        elif paren and not is_acronym(paren):
            venue = self._place(paren, sources, where)
            self.graph.add((venue, MKG.partOf, iri))
            return venue
        return iri

    def locate(self, event: URIRef, text: object, sources: Iterable[str], where: str) -> None:
        """``mkg:location`` of ``event``: the place ``text`` names, if it loaded and is a place."""
        if text is not None:
            self.add(event, MKG.location, self.place(str(text), sources, where))

    def _place(self, label: str, sources: tuple[str, ...], where: str) -> URIRef:
        canonical = self._place_aliases.get(slugify(label), label)
        iri = self.iri(f"id/place/{slugify(canonical)}")
        self.graph.set((iri, RDFS.label, Literal(canonical)))
        self.graph.add((iri, RDF.type, MKG.Place))
        self.alt_labels(iri, [label])
        self.cite(iri, sources, where)
        return iri

    def _container(self, name: str, sources: tuple[str, ...], where: str) -> URIRef:
        try:
            return self.iri(f"id/state/{pycountry.countries.lookup(name).alpha_3}")
        except LookupError:
            return self._place(name, sources, where)

    # --- dates -----------------------------------------------------------------------------
    def date(self, value: object, where: str) -> Literal:
        """An ``xsd:date`` from '2018-12-19' (or a YAML date).

        Raises:
            ConfigError: not an ISO date.
        """
        if isinstance(value, dt.date):
            return Literal(value, datatype=XSD.date)
        text = str(value).strip()
        if not _ISO_DATE.match(text):
            raise ConfigError(f"{where}: {text!r} is not an ISO date (YYYY-MM-DD)", source=self.file)
        try:
            return Literal(dt.date.fromisoformat(text), datatype=XSD.date)
        except ValueError as exc:
            raise ConfigError(f"{where}: {text!r}: {exc}", source=self.file) from exc

    def date_range(self, subject: URIRef, value: object, where: str) -> None:
        """``mkg:startDate``/``mkg:endDate`` from '2017-05-08/2017-05-09' or one date."""
        if value is None:
            return
        start, _, end = str(value).partition("/")
        self.add(subject, MKG.startDate, self.date(start, where))
        self.add(subject, MKG.endDate, self.date(end or start, where))


def _split_place(text: str) -> tuple[str, str | None, list[str]]:
    head, *containers = [part.strip() for part in str(text).split(",")]
    match = re.fullmatch(r"(.*?)\s*\(([^)]*)\)", head)
    if match:
        return match.group(1), match.group(2).strip(), containers
    return head, None, containers


def _same_name(a: str, b: str) -> bool:
    return slugify(a)[:4] == slugify(b)[:4]
