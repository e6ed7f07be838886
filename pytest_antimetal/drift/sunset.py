"""Deprecation and sunset dates as an OpenAPI document declares them.

A date comes from an ``x-sunset`` extension (on an operation, a parameter or a
schema) or from a ``Sunset`` / ``Deprecation`` header declared in an
operation's responses (its ``example``, or its schema's ``default``,
``example`` or single ``enum`` value). Dates are read in the forms those use:
ISO 8601 (``2027-01-31``, ``2027-01-31T00:00:00Z``), HTTP dates (RFC 9745's
``Sunset``: ``Sun, 31 Jan 2027 00:00:00 GMT``) and RFC 9745 ``Deprecation``
structured dates (``@1801526400``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["Lifecycle", "operation_lifecycle", "parse_date"]


def parse_date(value: Any) -> dt.date | None:
    """The calendar date (UTC) *value* names, or ``None`` when it names none."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("@"):
        try:
            return _from_epoch(float(text[1:]))
        except ValueError:
            return None
    try:
        return parse_date(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return parse_date(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _from_epoch(seconds: float) -> dt.date | None:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


def _header_value(header: Any) -> Any:
    if not isinstance(header, Mapping):
        return None
    if "example" in header:
        return header["example"]
    schema = header.get("schema")
    if isinstance(schema, Mapping):
        for key in ("default", "example", "const"):
            if key in schema:
                return schema[key]
        enum = schema.get("enum")
        if isinstance(enum, list) and len(enum) == 1:
            return enum[0]
    return None


@dataclass(frozen=True)
class Lifecycle:
    """Whether something is deprecated, and the sunset date announced for it."""

    deprecated: bool = False
    sunset: dt.date | None = None
    sunset_declared: bool = False
    """A sunset is announced (``x-sunset`` or a ``Sunset`` header), even without a readable date."""

    def describe(self) -> str:
        """``sunset on 2027-01-31`` / ``no sunset date announced``."""
        if self.sunset is not None:
            return f"sunset on {self.sunset.isoformat()}"
        if self.sunset_declared:
            return "a sunset is announced without a readable date"
        return "no sunset date announced"


def lifecycle(node: Mapping[str, Any]) -> Lifecycle:
    """The lifecycle an object with ``deprecated`` / ``x-sunset`` keys declares."""
    declared = "x-sunset" in node
    return Lifecycle(bool(node.get("deprecated")), parse_date(node.get("x-sunset")), declared)


def operation_lifecycle(operation: Mapping[str, Any], deref: Any) -> Lifecycle:
    """An operation's lifecycle: its own keys plus ``Sunset``/``Deprecation`` response headers.

    *deref* follows a ``$ref`` (``Normalizer.deref``-shaped: ``(node, loc) -> (node, loc)``).
    """
    own = lifecycle(operation)
    deprecated, sunset, declared = own.deprecated, own.sunset, own.sunset_declared
    responses = operation.get("responses")
    for raw in (responses or {}).values() if isinstance(responses, Mapping) else ():
        response, _ = deref(raw, "")
        headers = response.get("headers") if isinstance(response, Mapping) else None
        if not isinstance(headers, Mapping):
            continue
        for name, raw_header in headers.items():
            header, _ = deref(raw_header, "")
            lowered = str(name).lower()
            if lowered == "deprecation":
                deprecated = True
            elif lowered == "sunset":
                declared = True
                sunset = sunset or parse_date(_header_value(header))
    return Lifecycle(deprecated, sunset, declared)
