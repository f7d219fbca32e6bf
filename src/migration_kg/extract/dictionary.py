"""The entity dictionary: canonical entities with their names, acronyms and variants.

Entries come from ``mappings/entities.yaml`` (curated: identity only, never facts) and
from the ISO 3166-1 list (pycountry) for states. A surface form resolves to one entity;
variants and misspellings ("Jurg Lauber", "Hu Wongbo") are listed as hidden labels so
they resolve to the same IRI. Names not in the dictionary are minted on the fly by
:meth:`Dictionary.mint` under a slug of their ASCII-folded form, so "Gomez Camacho" and
"Gómez Camacho" meet at one IRI without a dictionary entry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pycountry
import yaml

from ..errors import RuleError
from ..namespaces import DEFAULT_BASE

#: Slot types used in rule patterns, and the entity types each one accepts.
ORG_TYPES = frozenset({"Organization", "GovernmentAgency", "IntergovernmentalOrganization", "UNEntity", "Network",
                       "Secretariat", "RegionalEconomicCommunity", "StakeholderGroup"})
PROCESS_TYPES = frozenset({"GovernanceProcess", "GlobalProcess", "ReviewProcess", "RegionalConsultativeProcess",
                           "InterRegionalForum", "InterStateConsultationMechanism"})
BODY_TYPES = frozenset({"Body", "SupportUnit", "Platform", "Mechanism", "WorkingGroup", "Fund", "SteeringCommittee",
                        "SteeringGroup", "Troika", "FriendsOfTheForum", "Chairmanship", "Programme"})
INSTRUMENT_TYPES = frozenset({"Instrument", "Compact", "Resolution", "Declaration", "Agenda", "Roadmap",
                              "Initiative", "Document", "Report", "Publication", "Strategy", "Plan", "Agreement", "Law"})
EVENT_TYPES = frozenset({"Event", "Meeting", "Summit", "Dialogue", "Consultation", "Roundtable", "WorkingSession",
                         "Workshop", "SideEvent", "Hearing", "PlenarySession", "Conference", "Briefing", "Forum"})
SLOT_TYPES: dict[str, frozenset[str]] = {
    "State": frozenset({"State"}),
    "Person": frozenset({"Person"}),
    "KnownPerson": frozenset({"Person"}),  # a person the dictionary names (no minting of unknown names)
    "Org": ORG_TYPES,
    "Process": PROCESS_TYPES,
    "Body": BODY_TYPES,
    "Instrument": INSTRUMENT_TYPES,
    "Place": frozenset({"Place"}),
    "Fund": frozenset({"Fund"}),
    "Topic": frozenset({"Topic"}),
    "Event": EVENT_TYPES,
    "Agent": frozenset({"State", "Person"}) | ORG_TYPES | PROCESS_TYPES | BODY_TYPES,
    # an org:member must be an agent in the ontology's sense: states, persons and organisations only
    "Actor": frozenset({"State", "Person"}) | ORG_TYPES,
    "Thing": frozenset({"State", "Person", "Place", "Topic"}) | ORG_TYPES | PROCESS_TYPES | BODY_TYPES
    | INSTRUMENT_TYPES,
}


def slugify(text: str) -> str:
    """ASCII-fold, lower-case and hyphenate: 'Jürg Lauber' -> 'jurg-lauber'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def normalize_form(text: str) -> str:
    """The key a surface form is looked up by: markup, articles and spacing removed."""
    text = re.sub(r"[*_]", "", text)
    text = re.sub(r"\s+", " ", text).strip(" ,.;:()")
    text = re.sub(r"^(?:the|The)\s+", "", text)
    text = text.replace("’", "'")
    return text


@dataclass(frozen=True)
class Entity:
    """A canonical entity. ``key`` is the IRI path below ``id/`` (``state/ECU``)."""

    key: str
    types: tuple[str, ...]
    label: str
    acronyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    same_as: tuple[str, ...] = ()
    minted: bool = False
    #: a name minted in the document being read and copied into its local dictionary
    local: bool = False

    @property
    def iri(self) -> str:
        """The entity's IRI under the default base."""
        return f"{DEFAULT_BASE}id/{self.key}"

    def forms(self) -> tuple[str, ...]:
        """Every surface form that names this entity."""
        return (self.label, *self.acronyms, *self.aliases, *self.hidden)


@dataclass
class Dictionary:
    """Entities by key and by surface form."""

    entities: dict[str, Entity] = field(default_factory=dict)
    by_form: dict[str, str] = field(default_factory=dict)
    by_fold: dict[str, str] = field(default_factory=dict)
    _patterns: dict[frozenset[str], str] = field(default_factory=dict)

    def add(self, entity: Entity) -> None:
        """Add (or merge names into) an entity; a form already taken by another entity is an error."""
        old = self.entities.get(entity.key)
        if old:
            entity = Entity(
                key=old.key, types=tuple(dict.fromkeys(old.types + entity.types)), label=old.label,
                acronyms=tuple(dict.fromkeys(old.acronyms + entity.acronyms)),
                aliases=tuple(dict.fromkeys(a for a in (*old.aliases, *entity.aliases, entity.label) if a != old.label)),
                hidden=tuple(dict.fromkeys(old.hidden + entity.hidden)),
                same_as=tuple(dict.fromkeys(old.same_as + entity.same_as)), minted=old.minted and entity.minted,
            )
        self.entities[entity.key] = entity
        for form in entity.forms():
            norm = normalize_form(form)
            if norm and (norm not in self.by_form or self.entities[self.by_form[norm]].minted):
                self.by_form[norm] = entity.key
            fold = slugify(norm)
            if fold and (fold not in self.by_fold or self.entities[self.by_fold[fold]].minted):
                self.by_fold[fold] = entity.key
        self._patterns.clear()

    def lookup(self, text: str, types: frozenset[str] | None = None) -> Entity | None:
        """The entity named by ``text`` (of one of ``types``, when given), or None.

        A form not known as written is looked up accent- and case-insensitively (and ignoring
        punctuation), so that "JURG LAUBER" or "Jurg Lauber" find "Jürg Lauber".
        """
        norm = normalize_form(text)
        key = self.by_form.get(norm) or self.by_fold.get(slugify(norm))
        if key is None:
            return None
        entity = self.entities[key]
        if types is not None and not set(entity.types) & types:
            return None
        return entity

    def mint(self, kind: str, label: str, type_: str, *, acronyms: tuple[str, ...] = (),
             slug: str | None = None) -> Entity:
        """The entity for a name the dictionary does not know, created once per slug.

        Takes the IRI kind (``person``, ``org`` …), the name as written, the ontology
        class, optionally the acronyms and the slug (default: the slug of the name).
        Returns the existing entity when the name (or slug) is already known.
        """
        label = normalize_form(label)
        existing = self.lookup(label, frozenset({type_}))
        if existing:
            return existing
        key = f"{kind}/{slug or slugify(label)}"
        if key in self.entities:
            return self.entities[key]
        entity = Entity(key=key, types=(type_,), label=label, acronyms=acronyms, minted=True)
        self.add(entity)
        return entity

    def localised(self, entities: list[Entity]) -> Dictionary:
        """A copy in which ``entities`` (minted in one document) are matched like curated ones.

        Takes minted entities; returns a new dictionary whose patterns include their names
        (as entities with ``local=True``); ``self`` is not changed.
        """
        copy = Dictionary(entities=dict(self.entities), by_form=dict(self.by_form))
        for e in entities:
            copy.entities.pop(e.key, None)
            copy.add(Entity(key=e.key, types=e.types, label=e.label, acronyms=e.acronyms, aliases=e.aliases,
                            hidden=e.hidden, local=True))
        return copy

    def pattern(self, types: frozenset[str]) -> str:
        """A regex alternation of every form of the entities of ``types``, longest first."""
        if types not in self._patterns:
            forms = {
                form for e in self.entities.values() if set(e.types) & types and not e.minted
                for form in e.forms() if normalize_form(form)
            }
            alts = sorted((re.escape(f).replace(r"\ ", r"\s+") for f in forms), key=len, reverse=True)
            self._patterns[types] = r"(?<![\w-])(?:the\s+)?(?:" + "|".join(alts or ["(?!)"]) + r")(?![\w-])"
        return self._patterns[types]


def _country_entities() -> list[Entity]:
    out = []
    for c in pycountry.countries:
        label = getattr(c, "common_name", None) or c.name
        names = {c.name, getattr(c, "official_name", c.name), label}
        aliases = tuple(sorted(n for n in names if n != label and "," not in n))
        out.append(Entity(key=f"state/{c.alpha_3}", types=("State",), label=label, aliases=aliases))
    return out


def load_dictionary(path: Path) -> Dictionary:
    """ISO states plus the curated entries of ``path``. Raises RuleError naming file and entry."""
    dictionary = Dictionary()
    for entity in _country_entities():
        dictionary.add(entity)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RuleError(f"YAML syntax error: {exc}", source=str(path), line=mark.line + 1 if mark else None) from exc
    except OSError as exc:
        raise RuleError(f"cannot read entity dictionary: {exc}", source=str(path)) from exc
    for i, raw in enumerate(data.get("entities") or []):
        try:
            types = raw["type"] if isinstance(raw["type"], list) else [raw["type"]]
            entity = Entity(
                key=str(raw["key"]), types=tuple(types), label=str(raw["label"]),
                acronyms=tuple(raw.get("acronyms") or ()), aliases=tuple(raw.get("aliases") or ()),
                hidden=tuple(raw.get("hidden") or ()), same_as=tuple(raw.get("same_as") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise RuleError(f"entity #{i + 1} lacks {exc}", source=str(path)) from exc
        if not re.fullmatch(r"[a-z-]+/[A-Za-z0-9-]+", entity.key):
            raise RuleError(f"entity key {entity.key!r} must look like 'kind/slug'", source=str(path))
        dictionary.add(entity)
    return dictionary
