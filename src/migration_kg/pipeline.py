"""The build: corpus -> extract -> mapping -> reason -> validate -> store -> publish -> search, in that order.

:func:`build` calls each stage's public entry point and nothing else holds graph
logic. The new store is swapped in only when every stage passed; any error leaves the
served graph (``data/current``) untouched.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

from . import conflicts, mapping, ontology, publish, search, store, vocab
from . import corpus as corpus_stage
from .errors import ReasonerError, ValidationFailed
from .extract import Fact, RuleSet, extract, load_rules
from .namespaces import DEFAULT_BASE, RDF, RDFS, graph_iri
from .settings import Settings
from .validate import ValidationReport


@dataclass
class BuildReport:
    """What a build produced and how long each stage took."""

    build_dir: Path | None = None
    triples_per_graph: dict[str, int] = field(default_factory=dict)
    entities_per_class: dict[str, int] = field(default_factory=dict)
    facts_per_rule: dict[str, int] = field(default_factory=dict)
    triples_per_rule: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    consistent: bool | None = None
    validation: ValidationReport | None = None
    documents: list[str] = field(default_factory=list)
    #: The documents themselves: the publish stage keeps their texts beside the store.
    sources: list[corpus_stage.Document] = field(default_factory=list, repr=False)
    #: Documents left out because they cannot be read (only with ``skip_unreadable``), one message each.
    skipped: list[str] = field(default_factory=list)
    #: Documents with no catalogue record: what was derived from the document, per document.
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Documents the rules read little of, one message each (the build still succeeds).
    warnings: list[str] = field(default_factory=list)
    #: The build that was served from the data folder before this one, if any.
    replaced: Path | None = None

    def to_text(self) -> str:
        """A readable summary for the CLI and the build notes."""
        lines = [f"build: {self.build_dir}", f"documents: {len(self.documents)}"]
        lines += [f"skipped (cannot be read): {message}" for message in self.skipped]
        lines += [f"derived (no catalogue record): {doc}: {', '.join(how)}" for doc, how in sorted(self.derived.items())]
        lines += [f"warning: {message}" for message in self.warnings]
        if self.replaced is not None:
            lines.append(f"replaced: {self.replaced} (served before this build)")
        lines.append("triples per named graph:")
        lines += [f"  {n:>7}  {g}" for g, n in sorted(self.triples_per_graph.items())]
        lines.append("entities per class (asserted and inferred):")
        lines += [f"  {n:>7}  {c}" for c, n in sorted(self.entities_per_class.items(), key=lambda x: -x[1])]
        lines.append("rules: facts / triples emitted:")
        lines += [
            f"  {self.facts_per_rule[r]:>5} / {self.triples_per_rule.get(r, 0):>6}  {r}"
            for r in sorted(self.facts_per_rule)
        ]
        lines.append("seconds per stage: " + ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items()))
        return "\n".join(lines)


class _Timer:
    def __init__(self, report: BuildReport, stage: str) -> None:
        self.report, self.stage = report, stage

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.report.seconds[self.stage] = time.perf_counter() - self.t0


#: Named graphs by IRI: what the build assembles before it is stored.
Graphs = dict[str, Graph]


@dataclass
class Extracted:
    """The corpus as read and the facts the rules took from each document."""

    documents: list[corpus_stage.Document]
    rules: RuleSet
    facts: dict[str, list[Fact]]


def extract_corpus(settings: Settings, corpus_dir: Path, report: BuildReport, *, skip_unreadable: bool = False
                   ) -> Extracted:
    """Run corpus and extract: the documents, the rules and each document's facts.

    With ``skip_unreadable`` a document that cannot be read is left out whole and named in
    ``report.skipped``; otherwise it fails the build (CorpusError naming file and line).
    """
    with _Timer(report, "corpus"):
        documents, unreadable = corpus_stage.read_corpus(corpus_dir)
        if unreadable and not (skip_unreadable and documents):
            raise corpus_stage.unreadable(unreadable, corpus_dir)
        report.skipped = [str(e) for e in unreadable]
    report.documents = [d.id for d in documents]
    report.sources = documents
    report.derived = {d.id: d.record.derived for d in documents if d.record.derived}
    with _Timer(report, "extract"):
        rules = load_rules(settings.mappings_dir)
        facts: dict[str, list[Fact]] = {d.id: extract(d, rules, cache_dir=settings.parse_cache) for d in documents}
    report.warnings += few_facts(documents, facts)
    return Extracted(documents, rules, facts)


#: A document yielding fewer facts than this (names alone do not count) is reported.
FEW_FACTS = 5


def few_facts(documents: list[corpus_stage.Document], facts: dict[str, list[Fact]]) -> list[str]:
    """A message for every document the rules read little of: fewer than FEW_FACTS facts beyond names."""
    from .extract import sentence_spans

    out = []
    for d in documents:
        n = sum(1 for f in facts[d.id] if f.evidence.rule_id != mapping.MENTION_RULE
                and not f.evidence.rule_id.startswith("mention-"))
        if n < FEW_FACTS:
            sentences = len(sentence_spans(d.text))
            what = "no facts" if n == 0 else f"only {n} fact{'s' if n > 1 else ''}"
            out.append(f"{d.path}: {what} from {sentences} sentences; the rules read little of this document")
    return out


def assemble(settings: Settings, corpus_dir: Path, report: BuildReport, *, skip_unreadable: bool = False,
             extracted: Extracted | None = None) -> Graphs:
    """Run corpus, extract (unless ``extracted`` is given) and mapping; return every named graph (before reasoning).

    ``skip_unreadable``: see :func:`extract_corpus`.
    """
    ds: Graphs = {}
    read = extracted or extract_corpus(settings, corpus_dir, report, skip_unreadable=skip_unreadable)
    documents, rules, facts = read.documents, read.rules, read.facts
    with _Timer(report, "mapping"):
        for d in documents:
            _add(ds, "doc/" + d.id, mapping.map_document(d, facts[d.id]))
            for fact in facts[d.id]:
                rid = fact.evidence.rule_id
                report.facts_per_rule[rid] = report.facts_per_rule.get(rid, 0) + 1
                report.triples_per_rule[rid] = report.triples_per_rule.get(rid, 0) + len(fact.triples)
        every_fact = [f for d in documents for f in facts[d.id]]
        labels = {s: str(o) for f in every_fact for s, p, o in f.triples if p == RDFS.label}
        _add(ds, "conflicts", conflicts.conflicts_graph(conflicts.find_conflicts(every_fact), labels))
        _add(ds, "catalogue", mapping.catalogue_graph(documents))
        _add(ds, "rules", mapping.rules_graph(rules))
        _add(ds, "entities", mapping.entities_graph(rules.dictionary))
    with _Timer(report, "vocab"):
        _add(ds, "vocab", vocab.build_vocabularies(settings.reference_file, base=DEFAULT_BASE))
    with _Timer(report, "ontology"):
        _add(ds, "ontology", ontology.load_ontology(settings.ontology_dir))
    return ds


def _add(ds: Graphs, name: str, g: Graph) -> None:
    target = ds.setdefault(graph_iri(name), Graph())
    for triple in g:
        target.add(triple)


def union(ds: Graphs) -> Graph:
    """All named graphs merged into one graph (for the reasoner and the validator)."""
    g = Graph()
    for named in ds.values():
        for triple in named:
            g.add(triple)
    return g


def quads(ds: Graphs) -> Iterator[tuple[Node, Node, Node, URIRef]]:
    """Every triple of every named graph as a quad."""
    for name, g in ds.items():
        gname = URIRef(name)
        for s, p, o in g:
            yield (s, p, o, gname)


def check(settings: Settings, ds: Graphs, report: BuildReport) -> Graph:
    """Reason (HermiT, if enabled) and validate (SHACL); add ``graph/inferred`` to ``ds``.

    Returns the merged graph (asserted plus inferred). Raises ReasonerError if the graph
    is inconsistent and ValidationFailed (with the text report) if it violates a shape.
    """
    from . import reason, validate

    merged = union(ds)
    if settings.reasoner:
        with _Timer(report, "reason"):
            result, inferred = reason.check_and_infer(merged)
            report.consistent = result.consistent
            if not result.consistent:
                raise ReasonerError(f"the ontology plus the data is inconsistent: {result.explanation}")
        _add(ds, "inferred", inferred)
        for triple in inferred:
            merged.add(triple)
    with _Timer(report, "validate"):
        vreport = validate.validate(merged, shapes_dir=settings.shapes_dir)
        report.validation = vreport
        if not vreport.conforms:
            raise ValidationFailed("the data violates the shapes:\n" + vreport.to_text(), report=vreport)
    return merged


def build(
    settings: Settings, *, corpus_dir: Path | None = None, out_dir: Path | None = None, skip_unreadable: bool = False
) -> BuildReport:
    """Build the graph from ``corpus_dir`` into a new store under ``out_dir`` and swap it in.

    Args:
        skip_unreadable: build from the readable documents, naming the others in
            ``report.skipped`` (each is left out whole, never half-loaded).

    Raises the stage's error (CorpusError, RuleError, ReasonerError, ValidationFailed,
    StoreError …) on failure; then nothing is swapped in.
    """
    report = BuildReport()
    ds = assemble(settings, corpus_dir or settings.corpus_dir, report, skip_unreadable=skip_unreadable)
    merged = check(settings, ds, report)
    modified = datetime.now(UTC)
    build_id = publish.new_build_id(modified)
    with _Timer(report, "void"):
        _add(ds, publish.VOID_GRAPH, publish.void_graph(ds, settings=settings, build_id=build_id, modified=modified))
    with _Timer(report, "store"):
        moved = store.rewrite_base((store.to_oxigraph_quad(q) for q in quads(ds)), DEFAULT_BASE, settings.base_iri)
        build_dir = store.build_store(moved, out_dir or settings.data_dir, build_id=build_id)
    try:
        with _Timer(report, "publish"):
            publish.publish(build_dir, settings=settings, build_id=build_id, modified=modified, documents=report.sources)
        with _Timer(report, "search"):
            index_build(settings, build_dir, report.sources)
    except Exception:
        shutil.rmtree(build_dir, ignore_errors=True)  # never leave a build that looks whole but has no dumps or index
        raise
    report.replaced = store.swap_in(build_dir, out_dir or settings.data_dir)
    report.build_dir = build_dir
    report.triples_per_graph = {name: len(g) for name, g in ds.items()}
    counts: Counter[str] = Counter(str(o) for _, o in merged.subject_objects(RDF.type))
    report.entities_per_class = dict(counts)
    return report


def index_build(settings: Settings, build_dir: Path, documents: list[corpus_stage.Document]) -> search.IndexStats:
    """Write the explorer's search index (``search.sqlite``) into the finished build folder ``build_dir``.

    Raises:
        StoreError: the build's store cannot be read or the index cannot be written.
    """
    built = store.OxigraphStore.open_read_only(build_dir / store.STORE_DIR_NAME)
    texts = {settings.iri("doc/" + d.id): d.text for d in documents}
    return search.build_index(built, build_dir / search.INDEX_NAME, base=settings.base_iri, texts=texts)
