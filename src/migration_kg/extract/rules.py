"""Loading and compiling the mapping rules of ``mappings/rules/*.yaml``.

A rule is data: a pattern with typed slots and the triples it emits. The engine that
applies rules lives in :mod:`migration_kg.extract`; this module only reads and checks
them, so that a bad rule fails at load time with its file, line and id.

Pattern syntax: a Python regular expression in which

* ``{name:Type}`` is a slot that matches any name of an entity of that type
  (``State``, ``Person``, ``Org``, ``Process``, ``Body``, ``Instrument``, ``Place``,
  ``Agent``, ``Thing``), or a value (``Year``, ``YearRange``, ``Date``, ``MonthYear``,
  ``Int``, ``Number``, ``Ordinal``, ``Text``, ``Name``, ``Quoted``), or a name the
  dictionary need not know (``NewOrg``: "International Labour Organization (ILO)", a
  capitalised name with its acronym in parentheses, minted as a new entity whose class
  comes from the rule file's lookup table ``org_head`` keyed by the name's last word;
  ``NewName``: "Colombo Process", two or three capitalised words of which the last is a
  key of ``org_head``);
* ``{name:Type+}`` matches a list ("Ghana, Iraq, Mexico and the Philippines"), of entities
  or of values ("targets 5.2, 8.7 and 16.2" with ``{t:Notation+}``);
* ``{name:@table}`` matches a key of the rule file's lookup table ``table``;
* a space matches any run of white space (the documents wrap lines anywhere).

Beyond ``pattern`` and ``emit``, a rule may have ``within`` (a pattern for the regions it
applies in, whose slots and named groups bind like the pattern's: "the list after a heading
that says suggestions"), ``near`` (slots filled from the text *before* the match: the last
entity of a type in the sentence, line, numbered paragraph (``passage``) or nearest heading;
``many: true`` for all of them; ``type: Heading`` for the heading's text; ``pronoun: GROUP``
to resolve "She"/"He" to the last person with an agreeing title), ``each`` (triples per list
item), ``context``/``requires`` (nodes, or entity slots such as ``chair: ?state``, passed between the rules
of a document: ``$event``, ``$chair``),
``modality`` and ``examples`` (checked at load). Emit terms: ``?slot``, ``?slot.attr``
(``start``, ``end``, ``label``, ``text``, ``year``, ``nth``, ``hash``), ``_node``, ``$doc``,
``$quote``, ``"literal ?slot"``, ``<id/path/?slot>`` and CURIEs, also with a slot as local
part (``sdg:?target``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import RuleError
from ..namespaces import MKG, PREFIXES
from .dates import DATE_REGEX, MONTH_YEAR_REGEX
from .dictionary import SLOT_TYPES, Dictionary

TITLE = (r"(?:Ambassador|Amb\.|Mr\.?|Ms\.?|Mrs\.?|Dr\.?|H\.E\.|Professor|Prof\.|Minister|"
         r"Under-Secretary[- ]General|Director-General|Secretary-General)")
NAME_TOKEN = r"[A-ZÀ-Ý][a-zß-ÿ'’]+(?:-[A-ZÀ-Ý]?[a-zß-ÿ'’]+)*"
PERSON_NAME = rf"{NAME_TOKEN}(?:\s+(?:(?:de|da|van|von|del|la|le|di|bin|al)\s+)?{NAME_TOKEN}){{1,4}}"
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30,
}
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15,
}
_WORDS = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_ORDS = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))

_CAP_WORD = r"(?:[A-Z][\w’'&]*(?:-[\w’']+)*)"
_CONNECTOR = r"of|for|on|and|the|in|de|des|du|la|to|&"
#: Regexes of the value slot types.
VALUE_SLOTS: dict[str, str] = {
    "Year": r"(?:19|20)\d\d",
    "YearRange": r"(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d",
    "Date": DATE_REGEX,
    "MonthYear": MONTH_YEAR_REGEX,
    "Int": rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|(?i:{_WORDS}))",
    "Number": r"\d+(?:[.,]\d+)?",
    "Ordinal": rf"(?i:{_ORDS})",
    "Text": r"[^.;:\n]+?",
    "Name": PERSON_NAME,
    "Quoted": r"[“\"][^”\"]+[”\"]",
    "Money": r"(?:USD|US\$|\$)\s?\d+(?:[.,]\d+)?(?:\s(?:million|billion))?",
    "NewOrg": rf"{_CAP_WORD}(?:(?:\s+(?:{_CONNECTOR}))*\s+{_CAP_WORD})+\s+\([A-Z][A-Za-z]{{1,9}}\)",
    "NewName": r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?\s+[A-Z][a-z]+",
    "Notation": r"\d{1,2}\.[0-9a-z]{1,2}\b",
    "Count": r"\d+(?:[.,]\d+)?(?:\s+(?:million|billion))?",
}
#: Slot types whose value is an entity minted from the text (see extract._new_org, extract._new_name).
MINTING_SLOTS = frozenset({"NewOrg", "NewName"})
#: Where a near-slot looks for its value: the sentence, the line, the numbered paragraph or heading
#: section (``passage``), or the nearest heading above the match (``heading``).
NEAR_WITHIN = ("sentence", "paragraph", "passage", "heading")
_SLOT = re.compile(r"\{(?P<name>[a-z_][a-z0-9_]*):(?P<type>@?[A-Za-z_]+)(?P<many>\+)?\}")
LIST_SEP = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)"
MODALITIES = {"stated": MKG.Stated, "proposed": MKG.Proposed, "expected": MKG.Expected, "disputed": MKG.Disputed}


@dataclass(frozen=True)
class Slot:
    """A typed slot of a pattern."""

    name: str
    type: str
    many: bool = False


@dataclass
class Rule:
    """One mapping rule, compiled."""

    id: str
    description: str
    pattern: str
    regex: re.Pattern[str]
    slots: dict[str, Slot]
    emit: list[tuple[str, str, str]]
    nodes: dict[str, list[str]]
    lookups: dict[str, dict[str, str]]
    modality: str = "auto"
    each: dict[str, dict[str, Any]] = field(default_factory=dict)
    near: dict[str, dict[str, str]] = field(default_factory=dict)
    within: re.Pattern[str] | None = None
    context: dict[str, str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    source: str = ""
    line: int = 0

    @property
    def kind(self) -> str:
        """'pattern' for every rule of this engine (kept for the rule catalogue)."""
        return "pattern"


@dataclass
class RuleSet:
    """The dictionary and the ordered rules.

    ``labels`` remembers the first ``rdfs:label`` each minted node got while extracting
    with this rule set, across documents, so that a node keeps one label in the build
    (later, different names of it become ``skos:altLabel``).
    """

    dictionary: Dictionary
    rules: list[Rule]
    labels: dict[Any, Any] = field(default_factory=dict)
    #: the linguistic layer (``mappings/linguistic/``): verb frames and dependency patterns, mention lexicon
    frames: Any = None
    lexicon: Any = None
    #: what passages are about (``linguistic/topics.yaml``): the GCM objectives by their wording
    topics: Any = None


def _spaces_to_ws(pattern: str) -> str:
    out, depth, i = [], 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
        if ch == " " and not depth:
            while i + 1 < len(pattern) and pattern[i + 1] == " ":
                i += 1
            out.append(r"\s+")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _slot_regex(slot: Slot, dictionary: Dictionary, lookups: dict[str, dict[str, str]]) -> str:
    if slot.type.startswith("@"):
        table = lookups[slot.type[1:]]
        item = "(?:" + "|".join(re.escape(k).replace(r"\ ", r"\s+")
                                for k in sorted(table, key=len, reverse=True)) + ")"
    elif slot.type == "Person":
        item = rf"(?:\*\*)?(?:{TITLE}\s+)*(?:{dictionary.pattern(SLOT_TYPES['Person'])}|{PERSON_NAME})(?:\*\*)?"
    elif slot.type in SLOT_TYPES:
        item = dictionary.pattern(SLOT_TYPES[slot.type])
    else:
        item = VALUE_SLOTS[slot.type]
    if slot.many:
        item = rf"{item}(?:{LIST_SEP}{item})*"
    return f"(?P<{slot.name}>{item})"


def compile_pattern(
    pattern: str, dictionary: Dictionary, lookups: dict[str, dict[str, str]]
) -> tuple[re.Pattern[str], dict[str, Slot]]:
    """Expand the slots of ``pattern`` and compile it. Raises ValueError on a bad slot."""
    slots: dict[str, Slot] = {}

    def expand(m: re.Match[str]) -> str:
        slot = Slot(m["name"], m["type"], bool(m["many"]))
        if slot.name in slots:
            raise ValueError(f"slot {slot.name!r} used twice")
        if slot.type.startswith("@") and slot.type[1:] not in lookups:
            raise ValueError(f"no lookup table {slot.type[1:]!r}")
        if not slot.type.startswith("@") and slot.type not in SLOT_TYPES and slot.type not in VALUE_SLOTS:
            raise ValueError(f"unknown slot type {slot.type!r}")
        slots[slot.name] = slot
        return "\0" + slot.name + "\0"

    marked = _spaces_to_ws(_SLOT.sub(expand, pattern))
    for name, slot in slots.items():
        marked = marked.replace("\0" + name + "\0", _slot_regex(slot, dictionary, lookups))
    return re.compile(marked), slots


def check_term(term: str) -> None:
    """Raise ValueError if an emit term is not a variable, node, context, literal or known CURIE."""
    if term == "a" or term[0] in "?_$\"<" or re.fullmatch(r"-?\d+", term):
        return
    prefix, _, local = term.partition(":")
    if prefix not in PREFIXES or not local:
        raise ValueError(f"unknown prefix in {term!r}")
    if prefix == "mkg":
        try:
            MKG[local]
        except (KeyError, AttributeError) as exc:
            raise ValueError(f"{term!r} is not declared in the ontology") from exc


def _triple(entry: Any) -> tuple[str, str, str]:
    """An emit entry: a string "s p o" (quoted literals may hold spaces) or a list of three."""
    parts = shlex.split(entry, posix=False) if isinstance(entry, str) else [str(t) for t in entry]
    if len(parts) != 3:
        raise ValueError(f"emit entry {entry!r} is not a triple")
    return (parts[0], parts[1], parts[2])


def _node_spec(spec: Any) -> list[str]:
    return spec.split() if isinstance(spec, str) else [str(p) for p in spec]


def _load_file(path: Path, dictionary: Dictionary) -> list[Rule]:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data: dict[str, Any] = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(f"YAML syntax error: {exc}", source=str(path), line=mark.line + 1 if mark else None) from exc
    lines: list[int] = []
    if node is not None:
        for key, value in node.value:
            if key.value == "rules":
                lines = [item.start_mark.line + 1 for item in value.value]
    lookups = data.get("lookups") or {}
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        line = lines[i] if i < len(lines) else 0
        rid = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
        try:
            regex, slots = compile_pattern(raw["pattern"], dictionary, lookups)
            within = None
            if raw.get("within"):  # the region a rule applies in; its slots and named groups bind like the pattern's
                within, within_slots = compile_pattern(raw["within"], dictionary, lookups)
                if set(within_slots) & set(slots):
                    raise ValueError(f"slots {sorted(set(within_slots) & set(slots))} used in both within and pattern")
                slots.update(within_slots)
            each = {k: {"nodes": {n: _node_spec(v) for n, v in (b.get("nodes") or {}).items()},
                        "emit": [_triple(t) for t in b["emit"]]} for k, b in (raw.get("each") or {}).items()}
            near = {k: dict(v) for k, v in (raw.get("near") or {}).items()}
            for name, spec in near.items():
                if spec.get("type") not in (*SLOT_TYPES, "Heading") or spec.get("within", "sentence") not in NEAR_WITHIN:
                    raise ValueError(f"near slot {name!r} needs a type of {sorted(SLOT_TYPES)} or Heading and within "
                                     f"{'|'.join(NEAR_WITHIN)}")
                slots[name] = Slot(name, "Text" if spec["type"] == "Heading" else spec["type"], bool(spec.get("many")))
            for name in each:
                if name not in slots or not slots[name].many:
                    raise ValueError(f"each: {name!r} is not a list slot ({{{name}:Type+}})")
            emit = [_triple(t) for t in raw.get("emit") or []]
            every_triple = emit + [t for b in each.values() for t in b["emit"]]
            for name in re.findall(r"\(\?P<(\w+)>", raw["pattern"] + str(raw.get("within") or "")):
                slots.setdefault(name, Slot(name, "Text"))
            if any(sl.type in MINTING_SLOTS for sl in slots.values()) and "org_head" not in lookups:
                raise ValueError("a NewOrg slot needs the lookup table org_head (last word -> class)")
            for triple in every_triple:
                for term in triple:
                    check_term(str(term))
            for var in set(re.findall(r"\?([a-z_][a-z0-9_]*)", " ".join(t for tr in every_triple for t in tr))):
                if var not in slots:
                    raise ValueError(f"emit uses ?{var}, which the pattern does not bind")
            modality = raw.get("modality", "auto")
            if modality != "auto" and modality not in MODALITIES:
                raise ValueError(f"modality must be auto or one of {sorted(MODALITIES)}")
            rule = Rule(
                id=str(raw["id"]), description=str(raw.get("description", "")), pattern=raw["pattern"],
                regex=regex, slots=slots, emit=emit,  # type: ignore[arg-type]
                nodes={k: _node_spec(v) for k, v in (raw.get("nodes") or {}).items()},
                lookups=lookups, modality=modality, context=dict(raw.get("context") or {}),
                each=each, near=near,
                within=within,
                requires=tuple(raw.get("requires") or ()), examples=tuple(raw.get("examples") or ()),
                source=str(path), line=line,
            )
        except (KeyError, TypeError, ValueError, re.error) as exc:
            raise RuleError(f"rule {rid}: {exc}", source=str(path), line=line) from exc
        for example in rule.examples:
            if not rule.regex.search(example):
                raise RuleError(f"rule {rid}: its example does not match: {example!r}", source=str(path), line=line)
        rules.append(rule)
    return rules


def load_rules(mappings_dir: Path, *, check: bool = True) -> RuleSet:
    """The dictionary (``entities.yaml``), every rule in ``rules/*.yaml`` in file order, and the linguistic
    layer of ``linguistic/`` (its examples checked unless ``check`` is false). Raises RuleError on a bad rule."""
    from .dictionary import load_dictionary

    dictionary = load_dictionary(mappings_dir / "entities.yaml")
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in sorted((mappings_dir / "rules").glob("*.yaml")):
        for rule in _load_file(path, dictionary):
            if rule.id in seen:
                raise RuleError(f"rule id {rule.id!r} also defined in {seen[rule.id]}", source=str(path),
                                line=rule.line)
            seen[rule.id] = rule.source
            rules.append(rule)
    ruleset = RuleSet(dictionary=dictionary, rules=rules)
    linguistic = mappings_dir / "linguistic"
    if linguistic.is_dir():
        from .frames import load_frames
        from .mentions import load_lexicon

        ruleset.lexicon = load_lexicon(linguistic / "mentions.yaml")
        ruleset.frames = load_frames(linguistic)
        if (linguistic / "topics.yaml").is_file():
            from .parse import load_pipeline
            from .topics import load_topics

            nlp = load_pipeline()
            ruleset.topics = load_topics(linguistic / "topics.yaml",
                                         lambda text: [t.lemma_.lower() for t in nlp(text)])
        if check:
            from .relations import check_examples

            check_examples(ruleset.frames, ruleset.lexicon, dictionary)
    return ruleset
