"""Mapping stage: turn extracted facts into RDF with their evidence.

Every fact's triples are asserted in the document's named graph and reified as
``rdf:Statement`` nodes that point (``mkg:evidence``) to an ``mkg:Extraction``: a Web
Annotation whose target selects the quote in the document by text and by position,
with the rule and the modality. See ``docs/contracts.md`` for the model.

The same module writes the graphs that describe the inputs: the catalogue (one
``mkg:Document`` per document), the rule catalogue and the entity dictionary.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from .corpus import Document
from .extract import Dictionary, Fact, RuleSet, document_iri
from .namespaces import DCT, FOAF, MKG, OA, OWL, PROV, RDF, RDFS, SKOS, WD, XSD, data_iri

MENTION_RULE = "dictionary-mention"
_DOC_CLASSES = {
    "SummaryReport": (MKG.SummaryReport, MKG.SummaryReportType),
    "ConceptPaper": (MKG.ConceptPaper, MKG.ConceptPaperType),
    "Report": (MKG.Report, MKG.ReportChapterType),
}


def _hash(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def rule_iri(rule_id: str) -> URIRef:
    """The IRI of a mapping rule."""
    return URIRef(data_iri(f"rule/{rule_id}"))


def evidence_iri(fact: Fact) -> URIRef:
    """The IRI of a fact's extraction: stable for the same rule, document and span."""
    ev = fact.evidence
    return URIRef(data_iri(f"evidence/{ev.document_id}/{_hash(ev.rule_id, ev.start, ev.end)}"))


def statement_iri(triple: tuple[object, object, object]) -> URIRef:
    """The IRI of the reified statement of a triple (one per triple, across documents)."""
    return URIRef(data_iri(f"statement/{_hash(*triple)}"))


def _add_evidence(g: Graph, fact: Fact, doc: URIRef) -> URIRef:
    ev = fact.evidence
    node = evidence_iri(fact)
    target, by_quote, by_pos = URIRef(node + "#target"), URIRef(node + "#quote"), URIRef(node + "#position")
    g.add((node, RDF.type, MKG.Extraction))
    g.add((node, OA.hasTarget, target))
    g.add((target, RDF.type, OA.SpecificResource))
    g.add((target, OA.hasSource, doc))
    g.add((target, OA.hasSelector, by_quote))
    g.add((target, OA.hasSelector, by_pos))
    g.add((by_quote, RDF.type, OA.TextQuoteSelector))
    g.add((by_quote, OA.exact, Literal(ev.quote)))
    g.add((by_pos, RDF.type, OA.TextPositionSelector))
    g.add((by_pos, OA.start, Literal(ev.start, datatype=XSD.integer)))
    g.add((by_pos, OA.end, Literal(ev.end, datatype=XSD.integer)))
    g.add((node, MKG.document, doc))
    g.add((node, MKG.quote, Literal(ev.quote)))
    g.add((node, MKG.startOffset, Literal(ev.start, datatype=XSD.integer)))
    g.add((node, MKG.endOffset, Literal(ev.end, datatype=XSD.integer)))
    g.add((node, MKG.sentence, Literal(ev.sentence)))
    g.add((node, MKG.rule, rule_iri(ev.rule_id)))
    g.add((node, MKG.modality, ev.modality))
    if ev.score is not None:
        g.add((node, MKG.score, Literal(f"{ev.score:.3f}", datatype=XSD.decimal)))
    g.add((node, PROV.wasGeneratedBy, extraction_activity(ev.document_id)))
    return node


def extraction_activity(document_id: str) -> URIRef:
    """The PROV activity that extracted the facts of one document (described in the catalogue)."""
    return URIRef(data_iri(f"id/activity/extract/{document_id}"))


def map_document(document: Document, facts: Iterable[Fact]) -> Graph:
    """The document graph: every fact's triples, their statements and their evidence."""
    g = Graph()
    doc = document_iri(document.id)
    for fact in facts:
        node = _add_evidence(g, fact, doc)
        for triple in fact.triples:
            g.add(triple)
            stmt = statement_iri(triple)
            g.add((stmt, RDF.type, RDF.Statement))
            g.add((stmt, RDF.subject, triple[0]))
            g.add((stmt, RDF.predicate, triple[1]))
            g.add((stmt, RDF.object, triple[2]))
            g.add((stmt, MKG.evidence, node))
    return g


def catalogue_graph(documents: Iterable[Document]) -> Graph:
    """One ``mkg:Document`` record per corpus document."""
    g = Graph()
    for d in documents:
        doc = document_iri(d.id)
        cls, dtype = _DOC_CLASSES.get(d.record.doctype, (MKG.Document, None))
        g.add((doc, RDF.type, cls))
        g.add((doc, RDF.type, MKG.Document))
        g.add((doc, DCT.title, Literal(d.record.title)))
        g.add((doc, RDFS.label, Literal(d.record.title)))
        g.add((doc, DCT.date, Literal(d.record.date)))
        g.add((doc, DCT.publisher, Literal(d.record.publisher)))
        g.add((doc, DCT.identifier, Literal(d.id)))
        g.add((doc, DCT.format, Literal("text/plain" if d.path.suffix in (".txt", ".md") else d.path.suffix)))
        g.add((doc, MKG.description, Literal(f"sha256:{d.sha256}")))
        if dtype is not None:
            g.add((doc, MKG.documentType, dtype))
        activity = extraction_activity(d.id)
        g.add((activity, RDF.type, PROV.Activity))
        g.add((activity, PROV.used, doc))
        g.add((activity, RDFS.label, Literal(f"rule-based extraction from {d.id}")))
        if d.record.source_url:
            g.add((doc, FOAF.page, URIRef(d.record.source_url)))
    return g


#: The rules of the linguistic layer that name entities (see extract.mentions), with what each one reads.
MENTION_RULES = {
    "mention-ner": "A named entity of the parser (person, organisation, place, event, law), typed by its head word.",
    "mention-name": "A capitalised name whose head word says what it is (a strategy, a summit, a programme).",
    "mention-phrase": "A noun phrase naming a governance topic, a stakeholder group, or a meeting or paper of the "
                      "document's own (mappings/linguistic/mentions.yaml).",
    "mention-acronym": "An acronym defined in parentheses after a name, and its later uses.",
}


def rules_graph(rules: RuleSet) -> Graph:
    """One ``mkg:MappingRule`` per rule: the regular-expression rules, the dictionary matcher, and the
    linguistic layer's mention rules, verb frames and dependency patterns."""
    g = Graph()
    entries = [(r.id, r.description, r.pattern, f"{r.source}:{r.line}", "pattern") for r in rules.rules]
    entries.append((MENTION_RULE, "A name from the entity dictionary occurs in the document.",
                    "(every name of mappings/entities.yaml and ISO 3166-1)", "mappings/entities.yaml", "dictionary"))
    if rules.frames is not None:
        entries += [(rid, text, "(the parser's mentions)", "mappings/linguistic/mentions.yaml", "mention")
                    for rid, text in MENTION_RULES.items()]
        frames = [*rules.frames.frames, *([rules.frames.generic] if rules.frames.generic else [])]
        entries += [(f.id, f.description or f"Verb frame: {', '.join(sorted(f.verbs)) or 'any other verb'}.",
                     "verbs: " + " ".join(sorted(f.verbs)) + (f"; prepositions: {' '.join(sorted(f.preps))}"
                                                             if f.preps else ""),
                     f"{f.source}:{f.line}", "frame") for f in frames]
        entries += [(p.id, p.description or p.id, json.dumps(p.pattern, ensure_ascii=False), f"{p.source}:{p.line}",
                     "dependency") for p in rules.frames.patterns]
        entries += [(k.id, k.description or f"A clause's phrase: {', '.join(' '.join(p) for p in k.phrases)}.",
                     "phrases: " + " | ".join(" ".join(p) for p in k.phrases), f"{k.source}:{k.line}", "link")
                    for k in rules.frames.links]
        if rules.frames.setting is not None:
            entries.append((rules.frames.setting.id, rules.frames.setting.description, "a clause's place (in/at) and date",
                            rules.frames.setting.source, "link"))
        if rules.frames.quantities is not None:
            q = rules.frames.quantities
            entries.append((q.id, q.description, "numbers (CARDINAL, MONEY, PERCENT) and the noun they count",
                            q.source, "quantity"))
    if rules.topics is not None:
        from .extract.topics import RULE_ID
        from .extract.topics import __doc__ as method

        entries.append((RULE_ID, "A sentence matches a GCM objective: an explicit reference, its short name, or "
                        "enough of the weighted words of its title; the link goes from the event the sentence names "
                        "(or the document's event) to the objective, with a score. " + " ".join((method or "").split()),
                        "objective titles and short labels of reference/reference-facts.yaml",
                        rules.topics.source, "topic"))
    for rid, description, pattern, source, kind in entries:
        node = rule_iri(rid)
        g.add((node, RDF.type, MKG.MappingRule))
        g.add((node, DCT.identifier, Literal(rid)))
        g.add((node, RDFS.label, Literal(rid)))
        g.add((node, DCT.description, Literal(description or rid)))
        g.add((node, MKG.pattern, Literal(pattern)))
        g.add((node, MKG.ruleKind, Literal(kind)))
        g.add((node, DCT.source, Literal(_relative(source))))
    return g


def _relative(source: str) -> str:
    """A rule's ``file:line`` relative to the project folder (so that builds do not name the checkout)."""
    from .settings import PROJECT_ROOT

    path, sep, line = source.rpartition(":") if re.search(r":\d+$", source) else (source, "", "")
    try:
        path = str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        pass
    return path + sep + line


def entities_graph(dictionary: Dictionary) -> Graph:
    """Names and types of the curated dictionary entities (states are in the vocabularies)."""
    g = Graph()
    for e in dictionary.entities.values():
        if e.minted or e.key.startswith("state/"):
            continue
        iri = URIRef(e.iri)
        for t in e.types:
            g.add((iri, RDF.type, MKG[t]))
        g.add((iri, RDFS.label, Literal(e.label)))
        for a in e.acronyms:
            g.add((iri, MKG.acronym, Literal(a)))
        for a in e.aliases:
            g.add((iri, SKOS.altLabel, Literal(a)))
        for h in e.hidden:
            g.add((iri, SKOS.hiddenLabel, Literal(h)))
        for q in e.same_as:
            g.add((iri, OWL.sameAs, WD[q]))
    return g
