"""Which reference facts may load: the ``status:`` rules of ``reference-facts.yaml``.

The rule, applied to every entry (a mapping in a section list, or a named mapping such as
``gcm_adoption.vote``):

1. An entry's status is its own ``status:``; without one it inherits the status of the
   nearest enclosing mapping that has one. Where no ancestor has a status either (the
   ``gcm_objectives`` and ``sdg_goals`` lists), an entry that cites a ``source:`` counts as
   verified and one that cites none as unverified.
2. ``verified`` loads every field. ``verified (a, b, c)`` loads only the named fields when
   each name is a field of the entry (``start date`` names the first half of a period,
   ``year only`` the field ``year``); otherwise the parenthesis is a remark (``verified
   (name truncated in excerpt)``), every field loads and the remark is kept.
3. ``conflict`` and ``unverified …`` load nothing. A conflict loads as separate sourced
   assertions only where the entry's note says so; the builder that models that case
   handles it explicitly.
4. A field whose value is a mapping with its own ``status:`` loads its ``value`` only if
   that status is verified, whatever the entry says.
5. The identity keys of an entry (``number``, ``n``, ``edition``, ``name`` …) load
   whenever any field of the entry loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .errors import ConfigError


class Status(Enum):
    """The three status values the reference file uses (``meta.status_values``)."""

    VERIFIED = "verified"
    CONFLICT = "conflict"
    UNVERIFIED = "unverified"


#: Names in ``verified (…)`` that are not fields themselves, mapped to what they cover.
FIELD_ALIASES: Mapping[str, str] = {"start date": "start_date", "end date": "end_date"}
#: Parts of a field a partial status can name (the halves of ``chair_period``).
DERIVED_FIELDS = frozenset({"start_date", "end_date"})


@dataclass(frozen=True)
class Verdict:
    """A parsed status: the value, the fields it covers (``None``: all) and any remark."""

    status: Status
    fields: frozenset[str] | None = None
    remark: str | None = None

    def covers(self, field: str) -> bool:
        """Whether ``field`` of an entry with this status may load."""
        return self.status is Status.VERIFIED and (self.fields is None or field in self.fields)


VERIFIED = Verdict(Status.VERIFIED)
UNVERIFIED = Verdict(Status.UNVERIFIED)

_STATUS = re.compile(r"^(verified|conflict|unverified)\s*(?:\((.*)\))?\s*$", re.IGNORECASE)


def parse_status(text: object, *, fields: frozenset[str] = frozenset(), where: str = "") -> Verdict:
    """Parse one ``status:`` value against the field names of its entry.

    Args:
        text: the YAML value, e.g. ``"verified (chair, place, theme)"``.
        fields: the keys of the entry, to tell a field list from a remark.
        where: the entry's path, for the error message.

    Returns:
        The :class:`Verdict`.

    Raises:
        ValueError: ``text`` is not one of the status values (the caller adds the file).

    >>> sorted(parse_status("verified (chair, place)", fields=frozenset({"chair", "place", "dates"})).fields)
    ['chair', 'place']
    >>> parse_status("verified (name truncated in excerpt)", fields=frozenset({"name"})).remark
    'name truncated in excerpt'
    """
    match = _STATUS.match(str(text))
    if not match:
        raise ValueError(f"{where}: status {text!r} is not verified, conflict or unverified")
    status = Status(match.group(1).lower())
    detail = (match.group(2) or "").strip()
    if not detail:
        return Verdict(status)
    names = [re.sub(r"\s+only$", "", part.strip()) for part in detail.split(",")]
    named = [FIELD_ALIASES.get(n, n) for n in names]
    if status is Status.VERIFIED and all(n in fields or n in DERIVED_FIELDS for n in named):
        return Verdict(status, fields=frozenset(named))
    return Verdict(status, remark=detail)


def source_keys(raw: object) -> tuple[str, ...]:
    """``source:`` as a tuple of keys (the file writes both a key and a list of keys)."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(str(k) for k in raw)
    raise TypeError(f"source must be a key or a list of keys, not {raw!r}")


@dataclass(frozen=True)
class Entry:
    """One reference entry with its resolved status and sources.

    ``where`` is the entry's path in the file (``gfmd_chairmanships[8]``), used in messages.
    """

    data: Mapping[str, Any]
    verdict: Verdict
    sources: tuple[str, ...]
    where: str
    file: str

    @property
    def loads(self) -> bool:
        """Whether any field of the entry may load (rule 5 loads its keys then)."""
        return self.verdict.status is Status.VERIFIED

    @property
    def note(self) -> str:
        """The entry's ``note:`` (empty when it has none)."""
        return str(self.data.get("note") or "")

    def key(self, name: str) -> Any:
        """An identity field, which must be present.

        Raises:
            ConfigError: the entry lacks ``name``.
        """
        if self.data.get(name) is None:
            raise ConfigError(f"{self.where} lacks {name!r}", source=self.file)
        return self.data[name]

    def field(self, name: str) -> Any:
        """The value of ``name`` if the status rules let it load, else ``None``."""
        raw = self.data.get(name)
        if isinstance(raw, Mapping) and "status" in raw:
            verdict = self._parse(raw["status"], frozenset())
            return raw.get("value") if self.loads and verdict.covers("value") else None
        return raw if self.verdict.covers(name) else None

    def covers(self, name: str) -> bool:
        """Whether the entry's own status covers ``name`` (for derived fields like ``start_date``)."""
        return self.verdict.covers(name)

    def _parse(self, text: object, fields: frozenset[str]) -> Verdict:
        try:
            return parse_status(text, fields=fields, where=self.where)
        except ValueError as exc:
            raise ConfigError(str(exc), source=self.file) from exc


def entries(
    items: object, where: str, file: str, *, inherited: Verdict | None = None,
    sources: tuple[str, ...] = (),
) -> Iterator[Entry]:
    """The entries of a section list (or one mapping), with status and sources resolved.

    Args:
        items: a list of mappings, or one mapping (a single entry).
        where: the section's path, e.g. ``gfmd_chairmanships``.
        file: the reference file, for messages.
        inherited: the status of the nearest enclosing mapping that has one.
        sources: the sources of the enclosing mapping, used by entries citing none.

    Raises:
        ConfigError: the section is not a list of mappings, or a status or source is malformed.
    """
    if items is None:
        return
    listed = items if isinstance(items, list) else [items]
    for i, data in enumerate(listed):
        here = f"{where}[{i}]" if isinstance(items, list) else where
        if not isinstance(data, Mapping):
            raise ConfigError(f"{here} must be a mapping, not {type(data).__name__}", source=file)
        yield make_entry(data, here, file, inherited=inherited, sources=sources)


def make_entry(
    data: Mapping[str, Any], where: str, file: str, *, inherited: Verdict | None = None,
    sources: tuple[str, ...] = (),
) -> Entry:
    """Resolve the status and sources of one entry (see the module docstring)."""
    try:
        own_sources = source_keys(data.get("source")) or sources
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}", source=file) from exc
    if "status" in data:
        try:
            verdict = parse_status(data["status"], fields=frozenset(data), where=where)
        except ValueError as exc:
            raise ConfigError(str(exc), source=file) from exc
    elif inherited is not None:
        verdict = inherited
    else:
        verdict = VERIFIED if own_sources else UNVERIFIED
    return Entry(data=data, verdict=verdict, sources=own_sources, where=where, file=file)


def section_verdict(section: Mapping[str, Any], where: str, file: str) -> Verdict | None:
    """The status a section mapping passes down to its entries, if it has one."""
    if "status" not in section:
        return None
    return make_entry(section, where, file).verdict


def as_mapping(value: object, where: str, file: str) -> Mapping[str, Any]:
    """``value`` if it is a mapping.

    Raises:
        ConfigError: it is not (names the section).
    """
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping, not {type(value).__name__}", source=file)
    return value
