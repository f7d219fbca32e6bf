"""The researchers' explorer (``/explore``): faceted browsing of the graph by kind, and entity pages
with the evidence of every fact. Search itself is the search stage's index (``migration_kg.search``).

``perspectives.yaml`` declares the kinds and facets; ``queries/*.rq`` are their SPARQL,
run through the query executor with values as bindings.
"""
