"""What a drift check reports: classified changes and their summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Change", "DiffResult", "Level", "Subject"]


class Level(StrEnum):
    """How much a change can hurt a client, from harmless to breaking."""

    INFO = "info"
    WARNING = "warning"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Level.INFO: 0, Level.WARNING: 1, Level.BREAKING: 2}


@dataclass(frozen=True)
class Subject:
    """What part of an operation a change touches (used to decide whether it is used here).

    ``kind`` is ``operation``, ``parameter``, ``request-body``, ``response`` or
    ``response-header``; ``status`` the response status (``400|401`` when the
    change reaches several); ``name`` the parameter
    (``query:limit``, ``header:antimetal-version``, ``path:#0``) or response
    header (lower case); ``field`` the property path in the body
    (``context.tags[]``; empty for the body as a whole).
    """

    kind: str
    status: str | None = None
    name: str | None = None
    field: str = ""


@dataclass(frozen=True)
class Change:
    """One classified difference between two versions of the document.

    ``location`` is a JSON pointer into the new document, or into the old one
    when the thing it names was removed; ``old_location`` (when known) is where
    the same thing is in the old document. ``note`` says why the level is what
    it is when something other than the rule decided it (usage, an accept
    entry); ``rule_level`` is then the rule's own level.
    """

    id: str
    level: Level
    operation: str | None
    location: str
    message: str
    old_location: str | None = field(default=None, compare=False)
    subject: Subject | None = field(default=None, compare=False)
    note: str = ""
    rule_level: Level | None = None

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.operation or "", self.location, self.id, self.message)

    @property
    def report_key(self) -> tuple[int, str, str, str]:
        """Breaking first, then by location (how the text report is ordered)."""
        return (-self.level.rank, self.location, self.id, self.message)

    def with_level(self, level: Level, note: str) -> Change:
        """This change at *level*, saying why in *note* (the rule's level is kept)."""
        return dataclasses.replace(
            self, level=level, note=note, rule_level=self.rule_level or self.level
        )

    def merged_with(self, other: Change) -> Change:
        """This change, its subject's statuses joined with *other*'s (``400|401``)."""
        mine, theirs = self.subject, other.subject
        if mine is None or theirs is None or mine.status is None or theirs.status is None:
            return self
        statuses = mine.status.split("|")
        if theirs.status in statuses:
            return self
        subject = dataclasses.replace(mine, status="|".join([*statuses, theirs.status]))
        return dataclasses.replace(self, subject=subject)

    def with_note(self, note: str) -> Change:
        return dataclasses.replace(self, note=note)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "level": self.level.value,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
        }
        if self.note:
            out["note"] = self.note
        if self.rule_level is not None and self.rule_level is not self.level:
            out["rule_level"] = self.rule_level.value
        return out


@dataclass(frozen=True)
class DiffResult:
    """Every change found between *old* and *new*, in a stable order.

    ``errors`` fail the check whatever the changes (an expired acceptance);
    ``notes`` are one-line remarks for the reader (the usage scope, stale
    acceptances). The documents are kept (not compared) so reports can quote
    the old and new fragments.
    """

    old_source: str
    new_source: str
    changes: tuple[Change, ...]
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    old_document: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    new_document: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, old_source: str, new_source: str, changes: Iterable[Change]) -> DiffResult:
        """Deduplicate (one entry per id, operation and location) and sort.

        The same change reached through several responses (a shared error
        schema) is one entry whose subject lists every status (``400|401``).
        """
        unique: dict[tuple[str, str | None, str], Change] = {}
        for change in changes:
            key = (change.id, change.operation, change.location)
            first = unique.setdefault(key, change)
            if first is not change:
                unique[key] = first.merged_with(change)
        ordered = sorted(unique.values(), key=lambda c: c.sort_key)
        return cls(old_source, new_source, tuple(ordered))

    def replace(self, **changes: Any) -> DiffResult:
        """A copy with some fields replaced (``changes`` are re-sorted)."""
        if "changes" in changes:
            changes["changes"] = tuple(sorted(changes["changes"], key=lambda c: c.sort_key))
        return dataclasses.replace(self, **changes)

    def count(self, level: Level) -> int:
        return sum(1 for change in self.changes if change.level is level)

    @property
    def breaking(self) -> bool:
        return self.count(Level.BREAKING) > 0

    def at_or_above(self, level: Level) -> list[Change]:
        """The changes whose level is *level* or worse."""
        return [change for change in self.changes if change.level.rank >= level.rank]

    def fails(self, level: Level) -> bool:
        """Whether a check failing at *level* fails: a change that bad, or an error."""
        return bool(self.errors) or bool(self.at_or_above(level))

    def summary(self) -> dict[str, Any]:
        """Counts per level, the total, and whether anything is breaking."""
        out: dict[str, Any] = {
            "counts": {level.value: self.count(level) for level in reversed(Level)},
            "total": len(self.changes),
            "breaking": self.breaking,
        }
        if self.errors:
            out["errors"] = list(self.errors)
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` object: ``{"changes": [...], "summary": {...}}``."""
        return {
            "changes": [change.to_dict() for change in self.changes],
            "summary": self.summary(),
        }
