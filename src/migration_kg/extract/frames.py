"""Loading the rules of the linguistic layer: verb frames (``mappings/linguistic/frames.yaml``) and
dependency patterns (``mappings/linguistic/patterns/*.yaml``).

A frame names verbs, the types of their agent and theme, optional prepositions that introduce the
theme, and the triples it emits (the emit language of the regular-expression rules). A dependency
pattern is a spaCy ``DependencyMatcher`` pattern whose node names are the slots of its emit list.
Both are checked at load: unknown prefixes, undeclared ontology terms, unbound variables, unknown
types; the examples are checked by :func:`migration_kg.extract.relations.check_examples`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import RuleError
from .dictionary import EVENT_TYPES, SLOT_TYPES
from .rules import MODALITIES, _node_spec, _triple, check_term

#: Argument types a frame may ask for: the entity slot types, events, and "Thing" (any mention).
ARG_TYPES: dict[str, frozenset[str]] = {**SLOT_TYPES, "Event": EVENT_TYPES,
                                        "OrgOrState": SLOT_TYPES["Org"] | {"State"},
                                        "Group": frozenset({"StakeholderGroup"}),
                                        # what a body or organisation can be part of
                                        "Whole": SLOT_TYPES["Process"] | SLOT_TYPES["Org"] | SLOT_TYPES["Body"],
                                        "Thing": SLOT_TYPES["Thing"] | EVENT_TYPES | {"Topic", "StakeholderGroup"}}
#: The variables a frame's emit list may use.
FRAME_VARS = frozenset({"agent", "theme", "date", "place", "verb", "clause"})


@dataclass(frozen=True)
class Frame:
    """One verb frame (see frames.yaml)."""

    id: str
    verbs: frozenset[str]
    agent: frozenset[str] | None
    theme: frozenset[str]
    emit: tuple[tuple[str, str, str], ...]
    nodes: dict[str, list[str]]
    preps: frozenset[str] = frozenset()
    prep_only: bool = False
    passive_only: bool = False
    #: also take the mentions inside the theme's phrase (see relations.Clause.deep_mentions)
    deep: bool = False
    skip: frozenset[str] = frozenset()
    examples: tuple[str, ...] = ()
    description: str = ""
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Link:
    """A prepositional phrase that relates an argument of any clause to a further mention (see frames.yaml)."""

    id: str
    phrases: tuple[tuple[str, ...], ...]
    role: str
    arg: frozenset[str]
    target: frozenset[str]
    emit: tuple[tuple[str, str, str], ...]
    co_agent: bool = False
    examples: tuple[str, ...] = ()
    description: str = ""
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Quantities:
    """How numbers and their units are read (the ``quantities`` section of frames.yaml)."""

    id: str
    money: dict[str, str]
    scale: dict[str, int]
    percent: frozenset[str]
    approximate: tuple[str, ...]
    words: dict[str, int]
    emit: tuple[tuple[str, str, str], ...]
    nodes: dict[str, list[str]]
    examples: tuple[str, ...] = ()
    #: nouns a number goes with that are no unit of anything counted ("three reasons", "two ways")
    not_units: frozenset[str] = frozenset()
    description: str = "A number with its unit and what it counts or measures."
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Pattern:
    """One dependency pattern: a spaCy DependencyMatcher pattern and what its match emits."""

    id: str
    pattern: list[dict[str, Any]]
    slots: dict[str, str]
    emit: tuple[tuple[str, str, str], ...]
    nodes: dict[str, list[str]]
    modality: str = "auto"
    examples: tuple[str, ...] = ()
    description: str = ""
    source: str = ""
    line: int = 0


@dataclass
class Frames:
    """Every frame and pattern of the linguistic layer, with its modality cues."""

    frames: list[Frame]
    generic: Frame | None
    patterns: list[Pattern]
    transparent: frozenset[str]
    modality: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    quantities: Quantities | None = None
    setting: Link | None = None
    light_verbs: frozenset[str] = frozenset()
    nominalizations: dict[str, str] = field(default_factory=dict)


def _words(value: Any, where: str) -> frozenset[str]:
    """A list of words; YAML reads a bare on/off/yes/no as a boolean, which is an error here (quote it)."""
    items = list(value or ())
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{where}: {item!r} is not a word (quote on, off, yes and no in YAML)")
    return frozenset(item.lower() for item in items)


def _types(value: Any, where: str) -> frozenset[str]:
    names = [value] if isinstance(value, str) else list(value or ())
    out: set[str] = set()
    for name in names:
        if name not in ARG_TYPES:
            raise ValueError(f"{where}: unknown type {name!r} (one of {sorted(ARG_TYPES)})")
        out |= ARG_TYPES[name]
    return frozenset(out)


def _check_emit(emit: list[tuple[str, str, str]], allowed: set[str]) -> None:
    import re

    for triple in emit:
        for term in triple:
            check_term(term)
            for var in re.findall(r"\?([a-z_][a-z0-9_]*)", term):
                if var not in allowed:
                    raise ValueError(f"emit uses ?{var}, which is not bound (bound: {sorted(allowed)})")


def _lines(text: str, key: str) -> list[int]:
    node = yaml.compose(text)
    if node is None:
        return []
    for k, value in node.value:
        if k.value == key:
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _frame(raw: dict[str, Any], path: Path, line: int, *, generic: bool = False) -> Frame:
    fid = str(raw.get("id", f"line-{line}"))
    try:
        emit = [_triple(t) for t in raw["emit"]]
        nodes = {k: _node_spec(v) for k, v in (raw.get("nodes") or {}).items()}
        _check_emit(emit, set(FRAME_VARS))
        return Frame(
            id=fid, verbs=_words(raw.get("verbs"), "verbs"),
            agent=_types(raw["agent"], "agent") if raw.get("agent") else None,
            theme=_types(raw["theme"], "theme"), emit=tuple(emit), nodes=nodes,
            preps=_words(raw.get("preps"), "preps"),
            prep_only=bool(raw.get("prep_only")), passive_only=bool(raw.get("passive_only")), deep=bool(raw.get("deep")),
            skip=_words(raw.get("skip"), "skip"),
            examples=tuple(raw.get("examples") or ()), description=str(raw.get("description", "")),
            source=str(path), line=line,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(f"frame {fid}: {exc}", source=str(path), line=line) from exc


def _link(raw: dict[str, Any], path: Path, line: int) -> Link:
    lid = str(raw.get("id", f"line-{line}"))
    try:
        emit = [_triple(t) for t in raw.get("emit") or []]
        _check_emit(emit, {"arg", "target", "clause"})
        role = str(raw["role"])
        if role not in ("agent", "theme", "agent_or_theme"):
            raise ValueError("role must be agent, theme or agent_or_theme")
        phrases = tuple(tuple(w for w in str(p).lower().split() if w not in ("the", "a", "an"))
                        for p in raw["phrases"])
        return Link(id=lid, phrases=phrases, role=role, arg=_types(raw["arg"], "arg"),
                    target=_types(raw["target"], "target"), emit=tuple(emit), co_agent=bool(raw.get("co_agent")),
                    examples=tuple(raw.get("examples") or ()), description=str(raw.get("description", "")),
                    source=str(path), line=line)
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(f"link {lid}: {exc}", source=str(path), line=line) from exc


def _setting(raw: dict[str, Any] | None, path: Path) -> Link | None:
    """The ``setting`` section: where and when the meeting a clause names took place."""
    if not raw:
        return None
    try:
        emit = [_triple(t) for t in raw["emit"]]
        _check_emit(emit, {"event", "place", "date", "clause"})
        return Link(id=str(raw["id"]), phrases=(), role="theme", arg=ARG_TYPES["Event"], target=ARG_TYPES["Place"],
                    emit=tuple(emit), examples=tuple(raw.get("examples") or ()),
                    description="The place and date a clause gives the meeting it names.", source=str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(f"setting: {exc}", source=str(path)) from exc


def _pattern(raw: dict[str, Any], path: Path, line: int) -> Pattern:
    pid = str(raw.get("id", f"line-{line}"))
    try:
        pattern = list(raw["pattern"])
        for node in pattern:
            for attr, spec in (node.get("RIGHT_ATTRS") or {}).items():
                if isinstance(spec, dict) and "IN" in spec and attr != "_":
                    _words(spec["IN"], f"node {node.get('RIGHT_ID')}: {attr}")
        names = {str(node["RIGHT_ID"]) for node in pattern}
        slots = {str(k): str(v) for k, v in (raw.get("slots") or {}).items()}
        for name, kind in slots.items():
            if name not in names:
                raise ValueError(f"slot {name!r} is not a node of the pattern")
            if kind.rstrip("+") not in ARG_TYPES and kind not in ("Text", "Date", "Number", "Lemma"):
                raise ValueError(f"slot {name!r}: unknown type {kind!r}")
        emit = [_triple(t) for t in raw["emit"]]
        _check_emit(emit, set(slots) | {"clause"} | {f"{s}_in" for s, k in slots.items() if k == "Text"})
        for node in pattern:
            ext_type = ((node.get("RIGHT_ATTRS") or {}).get("_") or {}).get("mkg_type")  # see relations._expand_types
            if ext_type is not None and ext_type not in ARG_TYPES:
                raise ValueError(f"node {node['RIGHT_ID']}: unknown mkg_type {ext_type!r}")
        modality = str(raw.get("modality", "auto"))
        if modality != "auto" and modality not in MODALITIES:
            raise ValueError(f"modality must be auto or one of {sorted(MODALITIES)}")
        return Pattern(id=pid, pattern=pattern, slots=slots, emit=tuple(emit),
                       nodes={k: _node_spec(v) for k, v in (raw.get("nodes") or {}).items()}, modality=modality,
                       examples=tuple(raw.get("examples") or ()), description=str(raw.get("description", "")),
                       source=str(path), line=line)
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleError(f"pattern {pid}: {exc}", source=str(path), line=line) from exc


def load_frames(linguistic_dir: Path) -> Frames:
    """Read ``frames.yaml`` and ``patterns/*.yaml`` of ``linguistic_dir``.

    Raises RuleError naming the file and line of a malformed frame or pattern.
    """
    path = linguistic_dir / "frames.yaml"
    try:
        text = path.read_text(encoding="utf-8")
        data: dict[str, Any] = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(f"cannot read the frames: {exc}", source=str(path), line=mark.line + 1 if mark else None) from exc
    lines = _lines(text, "frames")
    frames = [_frame(raw, path, lines[i] if i < len(lines) else 0) for i, raw in enumerate(data.get("frames") or [])]
    generic = _frame(data["generic"], path, 0, generic=True) \
        if data.get("generic") and data["generic"].get("enabled", True) is not False else None
    modality = {kind: {k: frozenset(str(x).lower() for x in v) for k, v in (cues or {}).items()}
                for kind, cues in (data.get("modality") or {}).items()}
    quantities = None
    if data.get("quantities"):
        raw = data["quantities"]
        try:
            q_emit = [_triple(t) for t in raw["emit"]]
            _check_emit(q_emit, {"owner", "unit", "value", "approximate", "clause"})
            quantities = Quantities(
                id=str(raw.get("id", "quantity")), money={str(k): str(v) for k, v in raw["money"].items()},
                scale={str(k).lower(): int(v) for k, v in raw["scale"].items()},
                percent=_words(raw["percent"], "percent"),
                approximate=tuple(sorted((str(a).lower() for a in raw["approximate"]), key=len, reverse=True)),
                words={str(k).lower(): int(v) for k, v in raw["words"].items()}, emit=tuple(q_emit),
                nodes={k: _node_spec(v) for k, v in (raw.get("nodes") or {}).items()},
                not_units=_words(raw.get("not_units"), "not_units"),
                examples=tuple(raw.get("examples") or ()), source=str(path), line=0)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RuleError(f"quantities: {exc}", source=str(path)) from exc
    link_lines = _lines(text, "links")
    links = [_link(raw, path, link_lines[i] if i < len(link_lines) else 0) for i, raw in enumerate(data.get("links") or [])]
    patterns: list[Pattern] = []
    seen = {f.id for f in frames} | {k.id for k in links} | ({generic.id} if generic else set())
    for ppath in sorted((linguistic_dir / "patterns").glob("*.yaml")):
        try:
            ptext = ppath.read_text(encoding="utf-8")
            pdata = yaml.safe_load(ptext) or {}
            plines = _lines(ptext, "patterns")
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            raise RuleError(f"cannot read the patterns: {exc}", source=str(ppath),
                            line=mark.line + 1 if mark else None) from exc
        for i, raw in enumerate(pdata.get("patterns") or []):
            pattern = _pattern(raw, ppath, plines[i] if i < len(plines) else 0)
            if pattern.id in seen:
                raise RuleError(f"rule id {pattern.id!r} defined twice", source=str(ppath), line=pattern.line)
            seen.add(pattern.id)
            patterns.append(pattern)
    nominalizations = {str(k).lower(): str(v).lower() for k, v in (data.get("nominalizations") or {}).items()}
    return Frames(frames=frames, generic=generic, patterns=patterns,
                  transparent=frozenset(str(t).lower() for t in data.get("transparent") or ()), modality=modality,
                  links=links, quantities=quantities, setting=_setting(data.get("setting"), path),
                  light_verbs=_words(data.get("light_verbs"), "light_verbs"), nominalizations=nominalizations)
