"""What a drift check reports: classified changes and their summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Change", "DiffResult", "Level"]


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
class Change:
    """One classified difference between two versions of the document.

    ``location`` is a JSON pointer into the new document, or into the old one
    when the thing it names was removed.
    """

    id: str
    level: Level
    operation: str | None
    location: str
    message: str

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.operation or "", self.location, self.id, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level.value,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
        }


@dataclass(frozen=True)
class DiffResult:
    """Every change found between *old* and *new*, in a stable order."""

    old_source: str
    new_source: str
    changes: tuple[Change, ...]

    @classmethod
    def build(cls, old_source: str, new_source: str, changes: Iterable[Change]) -> DiffResult:
        """Deduplicate (one entry per id, operation and location) and sort."""
        unique: dict[tuple[str, str | None, str], Change] = {}
        for change in changes:
            unique.setdefault((change.id, change.operation, change.location), change)
        ordered = sorted(unique.values(), key=lambda c: c.sort_key)
        return cls(old_source, new_source, tuple(ordered))

    def count(self, level: Level) -> int:
        return sum(1 for change in self.changes if change.level is level)

    @property
    def breaking(self) -> bool:
        return self.count(Level.BREAKING) > 0

    def at_or_above(self, level: Level) -> list[Change]:
        """The changes whose level is *level* or worse."""
        return [change for change in self.changes if change.level.rank >= level.rank]

    def summary(self) -> dict[str, Any]:
        """Counts per level, the total, and whether anything is breaking."""
        return {
            "counts": {level.value: self.count(level) for level in reversed(Level)},
            "total": len(self.changes),
            "breaking": self.breaking,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--format json`` object: ``{"changes": [...], "summary": {...}}``."""
        return {
            "changes": [change.to_dict() for change in self.changes],
            "summary": self.summary(),
        }
