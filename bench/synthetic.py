"""A deterministic synthetic graph shaped like ours, at any size: states, places, events, memberships, evidence.

Every membership is asserted in a document graph *and* reified as an ``rdf:Statement``
pointing to an ``mkg:Extraction`` with quote, offsets, sentence, rule and modality, as
``docs/contracts.md`` fixes it; documents mention the states they talk about; events nest
(``mkg:subEventOf``) and places sit in places or states (``mkg:partOf``) so that property
paths have chains to follow. The same ``(triples, seed)`` always gives the same lines.

The IRIs that ``bench/queries/*.rq`` look up (state ``S00007``, event ``E000042``,
membership ``M0000042``, place ``L00003``) exist at every size from :data:`MIN_TRIPLES` on.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

BASE = "https://w3id.org/migration-kg/"
MKG = BASE + "ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
ORG = "http://www.w3.org/ns/org#"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOCAB_GRAPH = BASE + "graph/vocab"
CATALOGUE_GRAPH = BASE + "graph/catalogue"

#: The smallest graph that still holds every IRI the synthetic queries look up.
MIN_TRIPLES = 5_000
_ROLES = ("ChairRole", "CoChairRole", "ChampionRole", "ObserverRole", "MemberRole")
_EVENT_TYPES = ("Meeting", "Dialogue", "Consultation", "Summit", "Workshop", "Roundtable")
_WORDS = ("Chair", "Champion", "Observer", "the Forum", "the Compact", "migration", "review", "pledge", "2016", "2019")
_TRIPLES_PER_FACT = 21  # a membership (7), its statement (5), its extraction (9), a mention (1, often repeated)


def _iri(path: str) -> str:
    return f"<{BASE}{path}>"


def _lit(text: str, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"^^<{XSD}{datatype}>' if datatype else f'"{escaped}"'


def generate(triples: int, *, seed: int = 20261122) -> Iterator[str]:
    """Yield about ``triples`` N-Quads lines (each ending in a newline), deterministically.

    Raises:
        ValueError: ``triples`` is below :data:`MIN_TRIPLES`.

    >>> lines = list(generate(MIN_TRIPLES))
    >>> abs(len(lines) - MIN_TRIPLES) < MIN_TRIPLES // 5, lines == list(generate(MIN_TRIPLES))
    (True, True)
    """
    if triples < MIN_TRIPLES:
        raise ValueError(f"the synthetic graph needs at least {MIN_TRIPLES} triples")
    rng = random.Random(seed)
    facts = max(100, triples * 10 // (10 * _TRIPLES_PER_FACT + 8))  # events and places add ~0.8 per fact
    n_states, n_places = max(50, facts // 100), max(20, facts // 50)
    n_events, n_docs = max(50, facts // 10), max(10, facts // 200)
    a, label, graph_v, graph_c = f"<{RDF}type>", f"<{RDFS}label>", f"<{VOCAB_GRAPH}>", f"<{CATALOGUE_GRAPH}>"

    for i in range(n_states):
        s = _iri(f"id/state/S{i:05d}")
        yield f"{s} {a} <{MKG}State> {graph_v} .\n"
        yield f"{s} {label} {_lit(f'State {i}')} {graph_v} .\n"
        yield f"{s} <{MKG}iso3166Alpha3> {_lit(f'S{i:02X}'[-3:])} {graph_v} .\n"
    for i in range(n_places):
        p = _iri(f"id/place/L{i:05d}")
        parent = _iri(f"id/place/L{i // 4:05d}") if i >= 4 else _iri("id/state/S00007")
        yield f"{p} {a} <{MKG}Place> {graph_v} .\n"
        yield f"{p} {label} {_lit(f'Place {i}')} {graph_v} .\n"
        yield f"{p} <{MKG}partOf> {parent} {graph_v} .\n"
    for i in range(n_docs):
        d = _iri(f"doc/D{i:05d}")
        yield f"{d} {a} <{MKG}Document> {graph_c} .\n"
        yield f"{d} <{DCT}title> {_lit(f'Document {i}')} {graph_c} .\n"
        yield f"{d} <{DCT}date> {_lit(f'{2010 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}', 'date')} {graph_c} .\n"
    for i in range(n_events):
        e, g = _iri(f"id/event/E{i:06d}"), f"<{BASE}graph/doc/D{i % n_docs:05d}>"
        yield f"{e} {a} <{MKG}{_EVENT_TYPES[i % len(_EVENT_TYPES)]}> {g} .\n"
        yield f"{e} {label} {_lit(f'Event {i}')} {g} .\n"
        yield f"{e} <{MKG}startDate> {_lit(f'{2010 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}', 'date')} {g} .\n"
        yield f"{e} <{MKG}location> {_iri(f'id/place/L{rng.randrange(n_places):05d}')} {g} .\n"
        if i >= 10:
            yield f"{e} <{MKG}subEventOf> {_iri(f'id/event/E{i // 10:06d}')} {g} .\n"
    for i in range(facts):
        yield from _fact(i, rng, n_states, n_events, n_docs)


def _fact(i: int, rng: random.Random, n_states: int, n_events: int, n_docs: int) -> Iterator[str]:
    doc_id = f"D{rng.randrange(n_docs):05d}"
    g = f"<{BASE}graph/doc/{doc_id}>"
    m, st, ev = _iri(f"id/membership/M{i:07d}"), _iri(f"statement/T{i:07d}"), _iri(f"evidence/{doc_id}/X{i:07d}")
    state = _iri(f"id/state/S{(7 if i % 50 == 0 else rng.randrange(n_states)):05d}")
    year = 2007 + rng.randrange(18)
    role = _ROLES[rng.randrange(len(_ROLES))]
    yield f"{m} <{RDF}type> <{MKG}Membership> {g} .\n"
    yield f"{m} <{ORG}member> {state} {g} .\n"
    yield f"{m} <{ORG}organization> {_iri(f'id/event/E{rng.randrange(n_events):06d}')} {g} .\n"
    yield f"{m} <{ORG}role> <{MKG}{role}> {g} .\n"
    yield f"{m} <{MKG}startYear> {_lit(str(year), 'gYear')} {g} .\n"
    yield f"{m} <{MKG}endYear> {_lit(str(year + rng.randrange(3)), 'gYear')} {g} .\n"
    yield f"{m} <{RDFS}comment> {_lit(f'membership {i}')} {g} .\n"
    yield f"{st} <{RDF}type> <{RDF}Statement> {g} .\n"
    yield f"{st} <{RDF}subject> {m} {g} .\n"
    yield f"{st} <{RDF}predicate> <{ORG}member> {g} .\n"
    yield f"{st} <{RDF}object> {state} {g} .\n"
    yield f"{st} <{MKG}evidence> {ev} {g} .\n"
    start = rng.randrange(50_000)
    quote = f"{_WORDS[rng.randrange(len(_WORDS))]} {year} {_WORDS[rng.randrange(len(_WORDS))]}"
    yield f"{ev} <{RDF}type> <{MKG}Extraction> {g} .\n"
    yield f"{ev} <{MKG}document> {_iri(f'doc/{doc_id}')} {g} .\n"
    yield f"{ev} <{MKG}quote> {_lit(quote)} {g} .\n"
    yield f"{ev} <{MKG}startOffset> {_lit(str(start), 'integer')} {g} .\n"
    yield f"{ev} <{MKG}endOffset> {_lit(str(start + len(quote)), 'integer')} {g} .\n"
    yield f"{ev} <{MKG}sentence> {_lit(f'In {year} the {role[:-4]} said: {quote}.')} {g} .\n"
    yield f"{ev} <{MKG}rule> {_iri(f'rule/rule-{i % 40}')} {g} .\n"
    yield f"{ev} <{MKG}modality> <{MKG}{'Stated' if i % 7 else 'Proposed'}> {g} .\n"
    yield f"{ev} <http://www.w3.org/ns/prov#wasGeneratedBy> {_iri(f'id/activity/extract/{doc_id}')} {g} .\n"
    yield f"{_iri(f'doc/{doc_id}')} <{MKG}mentions> {state} {g} .\n"


def write_nquads(path: Path, triples: int, *, seed: int = 20261122) -> int:
    """Write :func:`generate` to ``path``; returns the number of lines written."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for line in generate(triples, seed=seed):
            out.write(line)
            count += 1
    return count
