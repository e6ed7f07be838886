"""Date-time and ``pattern`` semantics: the one reading of what a timestamp field admits.

The vendor's document gives its date-time fields two rules that disagree:
``format: date-time`` (RFC 3339, seconds required) and a ``pattern`` that also
admits ``2026-01-01T10:00Z``. So there are two named predicates,
:func:`is_rfc3339` and :func:`pattern_admits`, and :func:`classify_datetime`
says which of them a value satisfies. Every other reader of instants
(:func:`normalise_timestamp`, :func:`parse_instant`) accepts either form and
checks the same calendar and clock ranges, with one regular expression.

``datetime`` cannot represent year 0000, which both rules admit, so the
calendar is checked with plain day arithmetic; :func:`parse_instant` shifts
years by one 400-year Gregorian cycle (:data:`INSTANT_SHIFT`), which keeps
differences exact. Standard library only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Literal

__all__ = [
    "DATETIME_PROBES",
    "INSTANT_SHIFT",
    "DateTimeVerdict",
    "classify_datetime",
    "format_instant",
    "is_rfc3339",
    "normalise_timestamp",
    "now_utc",
    "parse_instant",
    "pattern_admits",
]

DateTimeVerdict = Literal["both", "pattern-only", "format-only", "neither"]

DATETIME_PROBES = (
    "2026-01-01T10:00Z",
    "2026-01-01T10:00:00+01:00",
    "2026-01-01T10:00:00Z",
    "2026-01-01T10:00:00.123Z",
    "2026-01-01t10:00:00z",
    "2026-01-01 10:00:00Z",
    "2026-01-01T10:00:00.123456789Z",
    "2024-02-29T23:59:59Z",
    "2023-02-29T10:00:00Z",
)
"""Timestamps that tell ``pattern`` and ``format: date-time`` apart (edge cases and lint)."""

INSTANT_SHIFT = timedelta(days=146_097)
"""How far :func:`parse_instant` moves every instant: 400 Gregorian years (same leap years)."""

# RFC 3339 ``date-time``, with the seconds optional (the spec's pattern-style form);
# ASCII digits only and no trailing newline, as RFC 3339 and ECMA-262 mean them.
_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:\d{2})\Z",
    re.ASCII,
)
_MS_PER_DAY = 86_400_000


class _Fields:
    """One timestamp's fields, each within its RFC 3339 range."""

    __slots__ = ("day", "fraction", "hour", "minute", "month", "offset", "second", "year")

    def __init__(self, match: re.Match[str]) -> None:
        self.year, self.month, self.day, self.hour, self.minute = (
            int(match[i]) for i in range(1, 6)
        )
        self.second: int | None = None if match[6] is None else int(match[6])
        self.fraction: str = match[7] or ""
        zone = match[8]
        self.offset = 0  # minutes east of UTC
        if zone not in ("Z", "z"):
            sign = -1 if zone[0] == "-" else 1
            self.offset = sign * (int(zone[1:3]) * 60 + int(zone[4:6]))


def _fields(value: str) -> _Fields | None:
    match = _INSTANT.match(value)
    if match is None:
        return None
    zone = match[8]
    if zone not in ("Z", "z") and (int(zone[1:3]) > 23 or int(zone[4:6]) > 59):
        return None
    found = _Fields(match)
    if not 1 <= found.month <= 12 or not 1 <= found.day <= _days_in_month(found.year, found.month):
        return None
    # 60: a leap second, valid RFC 3339 (not a Python datetime).
    if found.hour > 23 or found.minute > 59 or (found.second or 0) > 60:
        return None
    return found


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    # Howard Hinnant's algorithm: proleptic Gregorian, any year, no datetime.
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719_468
    era = days // 146_097
    doe = days - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _format_ms(total_ms: int) -> str | None:
    days, rem = divmod(total_ms, _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    if not 0 <= year <= 9999:
        return None
    hours, rem = divmod(rem, 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    seconds, millis = divmod(rem, 1000)
    return f"{year:04d}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


# -- the spec's two rules ------------------------------------------------------------------


def is_rfc3339(value: str) -> bool:
    """True when *value* is an RFC 3339 ``date-time`` (what ``format: date-time`` means)."""
    found = _fields(value)
    return found is not None and found.second is not None


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        return None


def pattern_admits(pattern: str, value: str) -> bool:
    """ECMA-262 ``pattern`` semantics as the spec means them: ASCII ``\\d``, a search.

    A pattern Python cannot compile admits nothing.
    """
    compiled = _compiled(pattern)
    return compiled is not None and compiled.search(value) is not None


def classify_datetime(value: str, pattern: str | None) -> DateTimeVerdict:
    """Which of the spec's two rules (``pattern`` and ``format``) *value* satisfies."""
    by_format = is_rfc3339(value)
    by_pattern = True if pattern is None else pattern_admits(pattern, value)
    if by_format and by_pattern:
        return "both"
    if by_pattern:
        return "pattern-only"
    if by_format:
        return "format-only"
    return "neither"


# -- instants ------------------------------------------------------------------------------


def now_utc() -> datetime:
    """The real clock, aware (the default of every injectable clock)."""
    return datetime.now(UTC)


def format_instant(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.sssZ`` (UTC, milliseconds), like JavaScript's ``toISOString``.

    A naive datetime is taken to be UTC.
    """
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def normalise_timestamp(value: str) -> str | None:
    """The instant *value* (RFC 3339, or the spec's seconds-less form) in wire form.

    Fractions beyond milliseconds are truncated, as JavaScript's ``Date`` does.
    ``None`` when *value* is not such a timestamp or falls outside years 0000-9999.
    """
    found = _fields(value)
    if found is None:
        return None
    millis = int(found.fraction[:3].ljust(3, "0"))
    total_seconds = (
        _days_from_civil(found.year, found.month, found.day) * 86_400
        + found.hour * 3600
        + (found.minute - found.offset) * 60
        + (found.second or 0)
    )
    return _format_ms(total_seconds * 1000 + millis)


def parse_instant(value: str) -> datetime | None:
    """An RFC 3339 or pattern-style timestamp, aware, shifted by :data:`INSTANT_SHIFT`.

    Shifting every year by one Gregorian cycle keeps differences exact and makes
    year 0000 (valid in both rules) representable; compare with ``now + INSTANT_SHIFT``.
    A leap second reads as second 59. ``None`` for anything else (or past year 9599).
    """
    found = _fields(value)
    if found is None:
        return None
    micro = int(found.fraction.ljust(6, "0")[:6])
    second = min(found.second or 0, 59)
    try:
        moment = datetime(
            found.year + 400, found.month, found.day, found.hour, found.minute, second, micro, UTC
        )
    except ValueError:
        return None
    return moment - timedelta(minutes=found.offset)
