"""Read a gold annotation in the format of ``../shared/gold/``: ``entities.yaml`` and ``facts.yaml``.

Entities have an id, a type, a label, aliases and other names; facts have a subject (an entity id),
a relation class, an object (an entity id or a literal with its datatype), a modality, the document
and the quote. Anything malformed is an :class:`~migration_kg.errors.EvaluateError` naming the file
and the line of the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import EvaluateError


@dataclass(frozen=True)
class GoldEntity:
    id: str
    type: str
    label: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class GoldLiteral:
    value: str
    datatype: str | None = None


@dataclass(frozen=True)
class GoldFact:
    id: str
    subject: str
    relation_class: str
    object: str | GoldLiteral
    modality: str
    doc: str
    quote: str
    tier: str = "core"


@dataclass
class Gold:
    entities: dict[str, GoldEntity] = field(default_factory=dict)
    facts: list[GoldFact] = field(default_factory=list)
    source: str = ""


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping (as ``__line__``)."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _read(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        raise EvaluateError(f"cannot read the gold annotation: {exc.strerror}", source=str(path)) from exc
    except yaml.YAMLError as exc:
        line = exc.problem_mark.line + 1 if getattr(exc, "problem_mark", None) else None  # type: ignore[attr-defined]
        raise EvaluateError(f"not YAML: {exc}", source=str(path), line=line) from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise EvaluateError(f"expected a mapping with a list under {key!r}", source=str(path), line=1)
    return data[key]


def gold_dir(path: Path) -> Path:
    """The folder that holds ``entities.yaml`` and ``facts.yaml``: ``path`` or its ``gold/``."""
    for candidate in (path, path / "gold"):
        if (candidate / "entities.yaml").is_file() and (candidate / "facts.yaml").is_file():
            return candidate
    raise EvaluateError("no entities.yaml and facts.yaml here or in gold/", source=str(path))


def load_gold(path: Path) -> Gold:
    """The gold annotation under ``path`` (a folder, or a folder with a ``gold/`` subfolder)."""
    folder = gold_dir(Path(path))
    gold = Gold(source=str(folder))
    entities_file, facts_file = folder / "entities.yaml", folder / "facts.yaml"
    for record in _read(entities_file, "entities"):
        line = record.get("__line__")
        try:
            names = [record["label"], *(record.get("aliases") or []), *(record.get("other_names") or [])]
            entity = GoldEntity(str(record["id"]), str(record["type"]), str(record["label"]),
                                tuple(str(n) for n in names))
        except (KeyError, TypeError) as exc:
            raise EvaluateError(f"an entity needs id, type and label ({exc})", source=str(entities_file),
                                line=line) from exc
        if entity.id in gold.entities:
            raise EvaluateError(f"entity id {entity.id!r} given twice", source=str(entities_file), line=line)
        gold.entities[entity.id] = entity
    for record in _read(facts_file, "facts"):
        line = record.get("__line__")
        try:
            obj = record["object"]
            target: str | GoldLiteral
            if record.get("object_type") == "literal" or isinstance(obj, dict):
                target = GoldLiteral(str(obj["literal"]), obj.get("datatype"))
            else:
                target = str(obj)
            fact = GoldFact(str(record["id"]), str(record["subject"]), str(record["relation_class"]), target,
                            str((record.get("qualifiers") or {}).get("modality") or "stated"),
                            str(record["doc"]), str(record.get("quote") or ""), str(record.get("tier") or "core"))
        except (KeyError, TypeError) as exc:
            raise EvaluateError(f"a fact needs id, subject, relation_class, object and doc ({exc})",
                                source=str(facts_file), line=line) from exc
        for ref in (fact.subject, fact.object):
            if isinstance(ref, str) and ref not in gold.entities:
                raise EvaluateError(f"fact {fact.id} names an unknown entity {ref!r}", source=str(facts_file),
                                    line=line)
        gold.facts.append(fact)
    return gold
