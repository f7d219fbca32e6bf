"""Draw a reproducible random sample of extracted facts for a hand precision check.

Usage::

    python scripts/sample_facts.py data/current/graph.nq --size 100 --seed 20261122 > docs/precision/sample.yaml

How the sample is drawn: every reified document statement (an ``rdf:Statement`` in a
``graph/doc/{id}`` graph, i.e. one extracted fact) is listed with its rule; facts made by the
``dictionary-mention`` rule (a dictionary name found in the text) are counted apart, because
they outnumber the rule facts ten to one and say nothing about the pattern rules. The rule
facts are sorted by statement IRI and ``random.Random(seed).sample`` draws ``size`` of them.
The output is YAML with one record per fact (subject, predicate, object with labels, the
quote, the sentence, the rule) and an empty ``verdict:`` for the judge to fill with
``correct`` or ``wrong`` (and a ``why:`` when wrong).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import pyoxigraph as ox
import yaml

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def _label(store: ox.Store, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    if isinstance(term, ox.Literal):
        return term.value
    for predicate in (SKOS + "prefLabel", RDFS + "label"):
        for quad in store.quads_for_pattern(term, ox.NamedNode(predicate), None):
            return f"{quad.object.value} <{term.value}>"
    return f"<{term.value}>"


def _one(store: ox.Store, subject: ox.NamedNode | ox.BlankNode, predicate: str) -> ox.NamedNode | ox.Literal | None:
    for quad in store.quads_for_pattern(subject, ox.NamedNode(predicate), None):
        return quad.object  # type: ignore[return-value]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path, help="the build's N-Quads dump (data/current/graph.nq)")
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--base", default="https://w3id.org/migration-kg/")
    args = parser.parse_args(argv)

    store = ox.Store()
    store.bulk_load(path=str(args.dump), format=ox.RdfFormat.N_QUADS)
    mkg = args.base + "ontology#"
    facts: list[tuple[str, ox.NamedNode]] = []
    mentions = 0
    seen: set[str] = set()
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), ox.NamedNode(RDF + "Statement")):
        graph = quad.graph_name
        if not isinstance(graph, ox.NamedNode) or not graph.value.startswith(args.base + "graph/doc/"):
            continue
        statement = quad.subject
        if not isinstance(statement, ox.NamedNode) or statement.value in seen:
            continue
        seen.add(statement.value)
        evidence = _one(store, statement, mkg + "evidence")
        rule = _one(store, evidence, mkg + "rule") if isinstance(evidence, ox.NamedNode) else None
        rule_id = rule.value.rsplit("/", 1)[-1] if rule is not None else "?"
        if rule_id == "dictionary-mention":
            mentions += 1
            continue
        facts.append((statement.value, statement))
    facts.sort(key=lambda pair: pair[0])
    sample = random.Random(args.seed).sample(facts, min(args.size, len(facts)))
    records = []
    for _, statement in sample:
        evidence = _one(store, statement, mkg + "evidence")
        assert isinstance(evidence, ox.NamedNode)
        subject, predicate, obj = (_one(store, statement, RDF + name) for name in ("subject", "predicate", "object"))
        records.append(
            {
                "statement": statement.value,
                "fact": [
                    _label(store, subject) if subject is not None else "?",
                    predicate.value.replace(mkg, "mkg:") if predicate is not None else "?",
                    _label(store, obj) if obj is not None else "?",
                ],
                "rule": str(getattr(_one(store, evidence, mkg + "rule"), "value", "?")).rsplit("/", 1)[-1],
                "modality": str(getattr(_one(store, evidence, mkg + "modality"), "value", "?")).replace(mkg, "mkg:"),
                "document": str(getattr(_one(store, evidence, mkg + "document"), "value", "?")).rsplit("/", 1)[-1],
                "quote": str(getattr(_one(store, evidence, mkg + "quote"), "value", "")),
                "verdict": None,
            }
        )
    header = {
        "drawn": {
            "population": f"{len(facts)} rule facts (rdf:Statement in graph/doc/*), {mentions} dictionary mentions apart",
            "method": f"sorted by statement IRI, random.Random({args.seed}).sample(k={len(sample)})",
        },
        "facts": records,
    }
    yaml.safe_dump(header, sys.stdout, allow_unicode=True, sort_keys=False, width=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
