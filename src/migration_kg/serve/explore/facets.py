"""Faceted browsing: the instances of one kind, narrowed by facet values, with counts per value.

Each facet's query gives every (item, value) pair of the kind once; the selection and the
counts are then computed over those pairs. So one request costs one query per facet however
many values are chosen, and every count is exact: the number of items that match the whole
selection and also have that value (values of one facet combine with AND, as facets do).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from ...errors import ConfigError, QueryError
from ...queries import packaged_query
from ..executor import QueryExecutor

_HERE = Path(__file__).resolve().parent
PERSPECTIVES_FILE = _HERE / "perspectives.yaml"
SPARQL_JSON = "application/sparql-results+json"
#: Rows of the result table answered at most (the counts cover every match).
MAX_ROWS = 1000
SORT_COLUMNS = ("label", "type", "year", "process", "documents")


@dataclass(frozen=True)
class Facet:
    """One facet: its name (the query-string parameter), label, query and value order."""

    name: str
    label: str
    query: str
    order: str = "count"  # "count" (most items first) or "value-desc" (e.g. newest year first)


@dataclass(frozen=True)
class Kind:
    """One perspective: the class whose instances are browsed and the facets offered."""

    name: str
    label: str
    class_path: str
    facets: tuple[Facet, ...]


@dataclass(frozen=True)
class Perspectives:
    """Everything ``perspectives.yaml`` declares."""

    kinds: dict[str, Kind]

    def kind(self, name: str) -> Kind:
        """The kind called ``name``.

        Raises:
            QueryError: no such kind (400, naming the kinds there are).
        """
        if name not in self.kinds:
            raise QueryError(f"kind={name!r} is not one of: {', '.join(self.kinds)}")
        return self.kinds[name]


@cache
def load_perspectives(path: Path = PERSPECTIVES_FILE) -> Perspectives:
    """Read and check ``perspectives.yaml`` (every facet's query file must exist).

    Raises:
        ConfigError: the file is malformed, names an unknown facet or a missing query.
    """
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        facets = {
            name: Facet(name, str(spec["label"]), str(spec["query"]), str(spec.get("order", "count")))
            for name, spec in data["facets"].items()
        }
        kinds = {
            name: Kind(name, str(spec["label"]), str(spec["class"]), tuple(facets[f] for f in spec["facets"]))
            for name, spec in data["kinds"].items()
        }
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"malformed perspectives: {type(exc).__name__}: {exc}", source=str(path)) from exc
    for facet in facets.values():
        if not (_HERE / "queries" / f"{facet.query}.rq").is_file():
            raise ConfigError(f"facet {facet.name}: no query queries/{facet.query}.rq", source=str(path))
        if facet.order not in ("count", "value-desc"):
            raise ConfigError(f"facet {facet.name}: order must be count or value-desc", source=str(path))
    return Perspectives(kinds)


def load_query(name: str) -> str:
    """The text of ``serve/explore/queries/<name>.rq`` (see :func:`migration_kg.queries.packaged_query`)."""
    return packaged_query(_HERE / "queries", name)


def select(executor: QueryExecutor, name: str, *, base: str, **bindings: Any) -> list[dict[str, str]]:
    """Run the SELECT query ``name`` through ``executor``; each solution as variable -> lexical value.

    Raises:
        QueryTimeout, Overloaded, StoreError … from the executor.
    """
    answer = executor.execute(load_query(name), results_type=SPARQL_JSON, graph_type=None,
                              substitutions=bindings or None, base_iri=base)
    results = json.loads(answer.body)
    return [{var: term["value"] for var, term in row.items()} for row in results["results"]["bindings"]]


@dataclass
class Item:
    """One row of the result table."""

    iri: str
    label: str
    type: str | None = None
    type_label: str | None = None
    values: dict[str, set[str]] = field(default_factory=dict)  # facet -> values

    def as_json(self, labels: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        """The row as the API answers it: facet values with their labels."""
        return {
            "iri": self.iri, "label": self.label, "type": self.type, "typeLabel": self.type_label,
            "values": {f: [{"value": v, "label": labels[f].get(v, v)} for v in sorted(vs)]
                       for f, vs in sorted(self.values.items())},
        }


@dataclass
class Browse:
    """The answer to one faceted request."""

    kind: Kind
    selection: dict[str, str]
    total: int
    items: list[Item]
    counts: dict[str, list[tuple[str, str, int]]]  # facet -> (value, label, count)
    labels: dict[str, dict[str, str]]

    def as_json(self) -> dict[str, Any]:
        """The whole answer as JSON-ready data."""
        return {
            "kind": self.kind.name, "label": self.kind.label, "selection": self.selection, "total": self.total,
            "shown": len(self.items),
            "facets": [
                {"name": f.name, "label": f.label, "selected": self.selection.get(f.name),
                 "values": [{"value": v, "label": lbl, "count": n} for v, lbl, n in self.counts[f.name]]}
                for f in self.kind.facets
            ],
            "items": [item.as_json(self.labels) for item in self.items],
        }

    def to_csv(self) -> str:
        """The result table as CSV: IRI, label, most specific type, then the other facets' values (labels,
        ``; ``-separated)."""
        columns = [f for f in self.kind.facets if f.name != "type"]  # the type column says it more precisely
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
        writer.writerow(["iri", "label", "type", *(f.name for f in columns)])
        for item in self.items:
            writer.writerow([item.iri, item.label, item.type_label or item.type or "", *(
                "; ".join(sorted(self.labels[f.name].get(v, v) for v in item.values.get(f.name, ())))
                for f in columns)])
        return out.getvalue()


def browse(executor: QueryExecutor, kind: Kind, selection: Mapping[str, str], *, base: str,
           sort: str = "label", descending: bool = False, limit: int = MAX_ROWS) -> Browse:
    """The instances of ``kind`` that have every selected facet value, and the facet counts over them.

    Args:
        selection: facet name -> value (an IRI, or a year) chosen.
        sort: a column of :data:`SORT_COLUMNS` or a facet name.

    Raises:
        QueryError: a selected facet that ``kind`` does not offer, or an unknown sort column (400).
    """
    offered = {f.name for f in kind.facets}
    unknown = sorted(set(selection) - offered)
    if unknown:
        raise QueryError(f"{', '.join(unknown)}: not a facet of {kind.name} (its facets: {', '.join(sorted(offered))})")
    if sort not in SORT_COLUMNS and sort not in offered:
        raise QueryError(f"sort={sort!r} is not one of: {', '.join(dict.fromkeys((*SORT_COLUMNS, *offered)))}")
    cls = ox.NamedNode(base + kind.class_path)
    items: dict[str, Item] = {}
    for row in select(executor, "items", base=base, **{"class": cls}):
        item = items.setdefault(row["item"], Item(row["item"], row.get("label") or _local_name(row["item"])))
        label = row.get("label")
        if label and (item.label == _local_name(item.iri) or (len(label), label) < (len(item.label), item.label)):
            item.label = label
        if row.get("type") and (item.type is None or row["type"] < item.type):
            item.type, item.type_label = row["type"], row.get("typeLabel") or _local_name(row["type"])
    labels: dict[str, dict[str, str]] = {}
    for facet in kind.facets:
        labels[facet.name] = {}
        for row in select(executor, facet.query, base=base, **{"class": cls}):
            found = items.get(row["item"])
            if found is None:
                continue
            found.values.setdefault(facet.name, set()).add(row["value"])
            if row.get("valueLabel") and row["value"] not in labels[facet.name]:
                labels[facet.name][row["value"]] = row["valueLabel"]
    matching = [item for item in items.values()
                if all(value in item.values.get(name, ()) for name, value in selection.items())]
    counts = {f.name: _counts(f, matching, labels[f.name], selection.get(f.name)) for f in kind.facets}
    matching.sort(key=lambda item: _sort_key(item, sort, labels), reverse=descending)
    return Browse(kind, dict(selection), len(matching), matching[:limit], counts, labels)


def _counts(facet: Facet, matching: Sequence[Item], labels: dict[str, str], selected: str | None
            ) -> list[tuple[str, str, int]]:
    counter: Counter[str] = Counter(v for item in matching for v in item.values.get(facet.name, ()))
    if selected is not None and selected not in counter:
        counter[selected] = 0  # the choice stays visible (and can be undone) even when nothing matches
    rows = [(value, labels.get(value) or _local_name(value), n) for value, n in counter.items()]
    if facet.order == "value-desc":
        return sorted(rows, key=lambda r: r[0], reverse=True)
    return sorted(rows, key=lambda r: (-r[2], r[1].casefold()))


def _sort_key(item: Item, column: str, labels: Mapping[str, Mapping[str, str]]) -> tuple[Any, ...]:
    if column == "label":
        return (item.label.casefold(), item.iri)
    if column == "type":
        return ((item.type_label or "").casefold(), item.label.casefold())
    if column == "documents":
        return (len(item.values.get("document", ())), item.label.casefold())
    names = sorted(labels.get(column, {}).get(v, v).casefold() for v in item.values.get(column, ()))
    return (not names, names, item.label.casefold())


def _local_name(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
