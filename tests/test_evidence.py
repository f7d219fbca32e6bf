"""Every document-derived triple has evidence whose quote is the text at its offsets."""

from __future__ import annotations

from pathlib import Path

from migration_kg.corpus import load_corpus
from migration_kg.settings import Settings

EVIDENCE = """
PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?ev ?doc ?quote ?start ?end ?exact ?s ?e ?rule WHERE {
  ?ev a mkg:Extraction ; mkg:document ?doc ; mkg:quote ?quote ; mkg:startOffset ?start ;
      mkg:endOffset ?end ; mkg:rule ?rule ;
      oa:hasTarget [ oa:hasSource ?doc ; oa:hasSelector ?q , ?p ] .
  ?q a oa:TextQuoteSelector ; oa:exact ?exact .
  ?p a oa:TextPositionSelector ; oa:start ?s ; oa:end ?e .
}"""

UNSUPPORTED = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX mkg: <https://w3id.org/migration-kg/ontology#>
SELECT ?g ?s ?p ?o WHERE {
  GRAPH ?g {
    ?s ?p ?o
    FILTER NOT EXISTS { ?s a mkg:Extraction }
    FILTER NOT EXISTS { ?s a rdf:Statement }
    FILTER NOT EXISTS { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; mkg:evidence ?ev }
  }
  FILTER (STRSTARTS(STR(?g), "https://w3id.org/migration-kg/graph/doc/"))
  FILTER (!STRSTARTS(STR(?s), "https://w3id.org/migration-kg/evidence/"))
} LIMIT 20"""


def test_every_quote_is_the_text_at_its_offsets(graph_store) -> None:  # type: ignore[no-untyped-def]
    texts = {f"https://w3id.org/migration-kg/doc/{d.id}": d.text for d in load_corpus(Settings().corpus_dir)}
    rows = list(graph_store.query(EVIDENCE, default_graph_as_union=True))
    assert len(rows) > 500
    for row in rows:
        text = texts[row["doc"].value]
        start, end = int(row["start"].value), int(row["end"].value)
        assert (int(row["s"].value), int(row["e"].value)) == (start, end)
        assert text[start:end] == row["quote"].value == row["exact"].value, row["ev"].value
        assert row["rule"].value.startswith("https://w3id.org/migration-kg/rule/")


def test_every_document_triple_is_reified_with_evidence(graph_store) -> None:  # type: ignore[no-untyped-def]
    missing = list(graph_store.query(UNSUPPORTED, default_graph_as_union=False))
    assert missing == [], [tuple(str(r[v]) for v in ("s", "p", "o")) for r in missing]


def test_every_document_has_a_named_graph(graph_store) -> None:  # type: ignore[no-untyped-def]
    graphs = set(graph_store.named_graphs())
    for path in Path(Settings().corpus_dir).glob("*.txt"):
        assert f"https://w3id.org/migration-kg/graph/doc/{path.stem}" in graphs
