"""The search stage: a full-text index of a build's entities and evidence passages (SQLite FTS5).

``pipeline.build`` calls :func:`build_index` into the build folder before the build is
swapped in; the explorer (``serve/routers/explore.py``) reads it through :class:`SearchIndex`.
No query scans the graph for substrings: names and sentences are looked up in the index.
"""

from .index import INDEX_NAME, IndexStats, build_index
from .query import EntityHit, PassageHit, SearchIndex, query_words

__all__ = ["INDEX_NAME", "EntityHit", "IndexStats", "PassageHit", "SearchIndex", "build_index", "query_words"]
