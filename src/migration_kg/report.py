"""Report stage: what the rules read in each corpus document.

:func:`corpus_report` runs the corpus, extract and mapping stages (and, unless told not
to, the reasoner and SHACL validation of the whole build) without storing anything, and
returns a :class:`CorpusReport`: per document the entities by class, the facts by
property, the rules that fired and how often, and the sentences that yielded no fact.

Coverage is the share of a document's sentences (``extract.sentence_spans``: sentences,
headings and list items) that hold the evidence span of at least one rule match;
dictionary mentions (rule ``dictionary-mention``) do not count as facts.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Literal
from rdflib.term import Node

from . import corpus as corpus_stage
from .errors import ReasonerError, ValidationFailed
from .extract import Fact, RuleSet, sentence_spans
from .mapping import MENTION_RULE
from .namespaces import DEFAULT_BASE, MKG, RDF, RDFS, graph_iri, prefixed_name
from .settings import Settings
from .validate import ValidationReport, ValidationResult


def curie(node: Node) -> str:
    """``node`` as a prefixed name where a known prefix fits, else the IRI."""
    return prefixed_name(str(node)) or str(node)


@dataclass
class DocumentReport:
    """What the rules read in one document."""

    document: str
    title: str
    sentences: int
    covered: int
    entities_by_class: dict[str, int] = field(default_factory=dict)
    facts_by_property: dict[str, int] = field(default_factory=dict)
    rules_fired: dict[str, int] = field(default_factory=dict)
    uncovered: list[str] = field(default_factory=list)
    shacl: list[ValidationResult] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        """Share of sentences with at least one fact (0 for a document without sentences)."""
        return self.covered / self.sentences if self.sentences else 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "document": self.document, "title": self.title, "sentences": self.sentences,
            "sentences_with_facts": self.covered, "coverage": round(self.coverage, 4),
            "entities_by_class": self.entities_by_class, "facts_by_property": self.facts_by_property,
            "rules_fired": self.rules_fired, "sentences_without_facts": self.uncovered,
            "shacl_results": [_result_json(r) for r in self.shacl],
        }


@dataclass
class CorpusReport:
    """The per-document reports and the outcome of reasoning and validation of the whole build."""

    documents: list[DocumentReport]
    consistent: bool | None = None
    validation: ValidationReport | None = None
    error: str | None = None
    #: a random sample of rule matches for a precision audit (see :func:`sample_facts`)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        shacl: dict[str, Any] | None = None
        if self.validation is not None:
            shacl = {"conforms": self.validation.conforms, "violations": len(self.validation.violations),
                     "warnings": len(self.validation.warnings), "results": len(self.validation.results)}
        return {"documents": [d.to_json() for d in self.documents], "consistent": self.consistent, "shacl": shacl,
                "error": self.error, "sample": self.sample}

    def to_text(self, *, sentences: int = 10) -> str:
        """A readable report; at most ``sentences`` uncovered sentences per document."""
        out: list[str] = []
        for d in self.documents:
            out.append(f"== {d.document}: {d.title}")
            out.append(f"coverage: {d.covered}/{d.sentences} sentences with a fact ({d.coverage:.1%})")
            out.append("entities by class: " + ", ".join(f"{k} {v}" for k, v in d.entities_by_class.items()))
            out.append("facts by property: " + ", ".join(f"{k} {v}" for k, v in d.facts_by_property.items()))
            out.append("rules fired: " + ", ".join(f"{k} {v}" for k, v in d.rules_fired.items()))
            out.append(f"sentences without facts ({len(d.uncovered)}):")
            out += [f"  - {s[:160]}" for s in d.uncovered[:sentences]]
            if len(d.uncovered) > sentences:
                out.append(f"  … and {len(d.uncovered) - sentences} more")
            out.append(f"SHACL results on this document's nodes: {len(d.shacl)}")
            out += ["  " + r.to_text().replace("\n", "\n  ") for r in d.shacl[:sentences]]
            out.append("")
        if self.error:
            out.append(f"build check failed: {self.error.splitlines()[0]}")
        if self.consistent is not None:
            out.append(f"reasoner (HermiT): {'consistent' if self.consistent else 'inconsistent'}")
        if self.validation is not None:
            out.append(self.validation.to_text(limit=sentences).splitlines()[0])
        if self.sample:
            out.append(f"\nrandom sample of {len(self.sample)} facts to check by hand (correct? y/n):")
            for i, item in enumerate(self.sample, 1):
                out.append(f"{i:>3}. [{item['document']} · {item['rule']}] {item['quote']}")
                out += [f"       {t}" for t in item["triples"]]
        return "\n".join(out).rstrip() + "\n"


def _result_json(r: ValidationResult) -> dict[str, Any]:
    return {"severity": r.severity.value, "focus_node": r.focus_node, "path": r.path, "value": r.value,
            "message": r.message, "shape": r.shape, "rule": r.source_rule}


def covered_sentences(text: str, facts: list[Fact]) -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
    """The sentence spans of ``text`` and those that overlap a rule match (mentions excluded)."""
    spans = sentence_spans(text)
    matches = sorted((f.evidence.start, f.evidence.end) for f in facts if f.evidence.rule_id != MENTION_RULE)
    covered = {s for s in spans if any(a < s[1] and b > s[0] for a, b in matches)}
    return spans, covered


def document_report(document: corpus_stage.Document, facts: list[Fact], rules: RuleSet) -> DocumentReport:
    """The report of one document from its extracted facts (no SHACL results yet)."""
    spans, covered = covered_sentences(document.text, facts)
    triples = [t for f in facts for t in f.triples]
    types: dict[Node, set[str]] = {}
    for s, p, o in triples:
        if p == RDF.type:
            types.setdefault(s, set()).add(curie(o))
    entities: set[Node] = {s for s, p, _ in triples if p == RDFS.label} | {o for _, p, o in triples if p == MKG.mentions}
    by_class: Counter[str] = Counter()
    for node in entities:
        known = rules.dictionary.entities.get(str(node).split("/id/", 1)[-1])
        classes = types.get(node) or ({f"mkg:{known.types[0]}"} if known else {"(untyped)"})
        by_class[min(classes)] += 1
    by_property = Counter(curie(p) for _, p, _ in triples if p not in (MKG.mentions, RDF.type, RDFS.label))
    fired = Counter(f.evidence.rule_id for f in facts)
    return DocumentReport(
        document=document.id, title=document.record.title, sentences=len(spans), covered=len(covered),
        entities_by_class=dict(by_class.most_common()), facts_by_property=dict(by_property.most_common()),
        rules_fired=dict(fired.most_common()),
        uncovered=[re.sub(r"\s+", " ", document.text[a:b]).strip() for a, b in spans if (a, b) not in covered],
    )


def sample_facts(facts: dict[str, list[Fact]], size: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``size`` rule matches drawn at random (reproducibly, by ``seed``) from every document's facts.

    Dictionary mentions are left out. Each item gives the document, the rule, the quote and
    the triples as N-Triples-like strings with prefixed names, for a person to judge.
    """
    pool = [(doc, f) for doc, fs in sorted(facts.items()) for f in fs if f.evidence.rule_id != MENTION_RULE]
    chosen = random.Random(seed).sample(pool, min(size, len(pool)))
    return [{"document": doc, "rule": f.evidence.rule_id, "quote": re.sub(r"\s+", " ", f.evidence.quote),
             "triples": [" ".join(_short(t) for t in triple) for triple in f.triples]} for doc, f in chosen]


def _short(node: Node) -> str:
    if isinstance(node, Literal):
        return repr(str(node))
    text = curie(node)
    return f"<{text[len(DEFAULT_BASE):]}>" if text.startswith(DEFAULT_BASE) else text


def corpus_report(settings: Settings, *, corpus_dir: Path | None = None, shacl: bool = True, sample: int = 0,
                  seed: int = 0) -> CorpusReport:
    """The report of every document of ``corpus_dir`` (default: the settings' corpus).

    With ``shacl`` the whole build is reasoned over (if the settings enable HermiT) and
    validated, and each result is listed under the documents whose graph has its focus
    node as a subject. ``sample`` > 0 adds that many random rule matches (``seed``) for
    a precision audit. Raises CorpusError or RuleError when the corpus or the rules
    cannot be read; an inconsistent or invalid build is reported, not raised.
    """
    from . import pipeline

    folder = corpus_dir or settings.corpus_dir
    build = pipeline.BuildReport()
    read = pipeline.extract_corpus(settings, folder, build)
    reports = [document_report(d, read.facts[d.id], read.rules) for d in read.documents]
    result = CorpusReport(documents=reports, sample=sample_facts(read.facts, sample, seed=seed) if sample else [])
    if not shacl:
        return result
    ds = pipeline.assemble(settings, folder, build, extracted=read)
    try:
        pipeline.check(settings, ds, build)
    except (ReasonerError, ValidationFailed) as exc:
        result.error = str(exc)
    result.consistent, result.validation = build.consistent, build.validation
    if result.validation is not None:
        for rep in reports:
            graph = ds.get(graph_iri("doc/" + rep.document))
            subjects = {str(s) for s in graph.subjects()} if graph is not None else set()
            rep.shacl = [r for r in result.validation.results if r.focus_node in subjects]
    return result


__all__ = ["CorpusReport", "DocumentReport", "corpus_report", "covered_sentences", "curie", "document_report",
           "sample_facts"]
