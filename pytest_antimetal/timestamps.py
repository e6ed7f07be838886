"""Timestamps in the spec's wire form, for any year the spec's pattern admits.

``datetime`` cannot represent year 0000, which the spec's date-time pattern
accepts, so instants are normalised with plain day arithmetic instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["format_instant", "normalise_timestamp"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:\d{2})\Z",
    re.ASCII,
)
_MS_PER_DAY = 86_400_000


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
    match = _RFC3339.match(value)
    if match is None:
        return None
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    second = int(match[6] or 0)
    millis = int((match[7] or "")[:3].ljust(3, "0"))
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    zone = match[8]
    offset_minutes = 0
    if zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        offset_minutes = sign * (int(zone[1:3]) * 60 + int(zone[4:6]))
    total_seconds = (
        _days_from_civil(year, month, day) * 86_400
        + hour * 3600
        + (minute - offset_minutes) * 60
        + second
    )
    return _format_ms(total_seconds * 1000 + millis)
