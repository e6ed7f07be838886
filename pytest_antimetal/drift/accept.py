"""Reviewed exceptions: drift changes a team has looked at and accepted, until a date.

An accept file is ``antimetal-drift.toml``::

    [[accept]]
    id = "request-property-max-length-decreased"
    location = "/components/schemas/CreateIssueDto/properties/title"
    reason = "we cap titles at 120 characters ourselves"
    expires = 2027-03-01

or the same entries as ``[[tool.antimetal.drift.accept]]`` in ``pyproject.toml``.
An entry matches every change with its rule id and location (a JSON pointer).
A matched change is reported at ``info`` with the reason; an entry past its
``expires`` date fails the check (one line) whether it matches or not; an
entry matching nothing is reported as stale. ``tomllib`` is imported only when
a file is read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_antimetal.drift.model import Change, DiffResult, Level

__all__ = ["ACCEPT_FILENAME", "DRAFT_DAYS", "AcceptEntry", "AcceptError", "AcceptFile", "draft"]

ACCEPT_FILENAME = "antimetal-drift.toml"
DRAFT_DAYS = 90
"""How long a drafted entry lasts before it needs another review."""


class AcceptError(Exception):
    """The accept file cannot be used (one line naming the file and entry)."""


@dataclass(frozen=True)
class AcceptEntry:
    """One accepted change: rule id and location, why, and until when (inclusive)."""

    id: str
    location: str
    reason: str
    expires: dt.date
    number: int
    """1-based position in the file, for messages."""

    def matches(self, change: Change) -> bool:
        return change.id == self.id and self.location in (change.location, change.old_location)

    def describe(self) -> str:
        return f"entry {self.number} ({self.id} at {self.location})"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _entry(path: str, number: int, raw: Any) -> AcceptEntry:
    where = f"{path}: entry {number}"
    if not isinstance(raw, Mapping):
        raise AcceptError(f"{where}: expected a table with id, location, reason and expires")
    missing = [k for k in ("id", "location", "reason", "expires") if k not in raw]
    if missing:
        raise AcceptError(f"{where}: missing {', '.join(missing)}")
    rule, location, reason = raw["id"], raw["location"], raw["reason"]
    if not all(isinstance(v, str) for v in (rule, location, reason)):
        raise AcceptError(f"{where}: id, location and reason must be strings")
    if not reason.strip():
        raise AcceptError(
            f"{where} ({rule} at {location}) has no reason: say why the change is safe here"
        )
    expires = _date(raw["expires"])
    if expires is None:
        raise AcceptError(f"{where}: expires must be a date (2027-03-01), got {raw['expires']!r}")
    return AcceptEntry(rule, location, reason.strip(), expires, number)


@dataclass(frozen=True)
class AcceptFile:
    """The entries of one accept file (:meth:`load`, :meth:`discover`)."""

    path: str
    entries: tuple[AcceptEntry, ...]

    @classmethod
    def load(cls, path: str | Path) -> AcceptFile:
        """Read *path* (``pyproject.toml``: its ``[tool.antimetal.drift]`` table)."""
        import tomllib

        name = str(path)
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise AcceptError(f"{name}: cannot read ({exc.strerror or exc})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AcceptError(f"{name}: not valid TOML ({exc})") from None
        table: Any = data
        if Path(path).name == "pyproject.toml":
            table = data.get("tool", {}).get("antimetal", {}).get("drift", {})
        raw = table.get("accept", []) if isinstance(table, Mapping) else None
        if not isinstance(raw, list):
            raise AcceptError(f"{name}: 'accept' must be an array of tables ([[accept]])")
        return cls(name, tuple(_entry(name, i, e) for i, e in enumerate(raw, start=1)))

    @classmethod
    def discover(cls, folder: str | Path) -> AcceptFile | None:
        """``antimetal-drift.toml`` in *folder*, else its ``pyproject.toml`` section, else None."""
        base = Path(folder)
        own = base / ACCEPT_FILENAME
        if own.is_file():
            return cls.load(own)
        pyproject = base / "pyproject.toml"
        if pyproject.is_file() and b"[tool.antimetal.drift" in pyproject.read_bytes():
            return cls.load(pyproject)
        return None

    def apply(self, result: DiffResult, today: dt.date) -> DiffResult:
        """Accepted changes at ``info``; expired entries as errors; stale ones as notes."""
        used: set[int] = set()
        changes: list[Change] = []
        for change in result.changes:
            entry = next((e for e in self.entries if e.matches(change)), None)
            if entry is None:
                changes.append(change)
                continue
            used.add(entry.number)
            if entry.expires < today or not change.level.rank:
                changes.append(change)
                continue
            note = f"accepted until {entry.expires.isoformat()}: {entry.reason}"
            changes.append(change.with_level(Level.INFO, note))
        errors = list(result.errors)
        notes = list(result.notes)
        for entry in self.entries:
            if entry.expires < today:
                errors.append(
                    f"{self.path}: {entry.describe()} expired on {entry.expires.isoformat()}: "
                    "review it (renew with a new date, or remove it)"
                )
            elif entry.number not in used:
                notes.append(
                    f"stale acceptance in {self.path}: {entry.describe()} matches no change; "
                    "remove it"
                )
        return result.replace(changes=changes, errors=tuple(errors), notes=tuple(notes))

    def contains(self, change: Change) -> bool:
        return any(e.matches(change) for e in self.entries)


def draft(changes: Iterable[Change], today: dt.date, *, days: int = DRAFT_DAYS) -> str:
    """TOML ``[[accept]]`` entries for *changes*, reasons left empty for a person to write.

    An entry with an empty reason is refused when the file is read, so a draft
    cannot accept anything until someone says why.
    """
    seen: set[tuple[str, str]] = set()
    parts = [
        f"\n# Drafted by `antimetal-contract diff --write-accept` on {today.isoformat()}.\n"
        "# Write each reason (why the change is safe here); an empty reason is refused.\n"
    ]
    for change in changes:
        key = (change.id, change.location)
        if key in seen:
            continue
        seen.add(key)
        where = f"{change.operation}: " if change.operation else ""
        comment = f"{where}{change.message}".replace("\n", " ")
        parts.append(
            "\n[[accept]]\n"
            f"id = {json.dumps(change.id)}\n"
            f"location = {json.dumps(change.location)}\n"
            f"# {comment}\n"
            'reason = ""\n'
            f"expires = {(today + dt.timedelta(days=days)).isoformat()}\n"
        )
    return "".join(parts) if len(parts) > 1 else ""
