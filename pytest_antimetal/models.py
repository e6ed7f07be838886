"""Typed results returned by the client.

Field values are kept exactly as the API sent them (timestamps stay the wire
strings, e.g. ``"2026-03-17T10:00:00.000Z"``, so they compare equal to what a
server or cassette holds); :meth:`Issue.as_datetime` parses one when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Issue", "check_against_schema", "format_timestamp"]

# JSON Schema "type" -> the Python types json.loads produces for it.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _type_ok(value: Any, expected: str | list[str] | None) -> bool:
    if expected is None:
        return True
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        types = _JSON_TYPES.get(name)
        if types is None:
            return True  # unknown type keyword: not ours to judge
        # bool is an int subclass in Python, not in JSON.
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, types):
            return True
    return False


def check_against_schema(body: Any, schema: Mapping[str, Any] | None) -> list[str]:
    """Shallow check of a response body: an object, required keys, property types.

    Deliberately lenient on values (enums, formats, patterns): a live server
    that adds a status must not break callers; the contract suite judges that.
    Returns one message per problem, empty when the body is usable.
    """
    if not isinstance(body, dict):
        return [f"expected a JSON object, got {type(body).__name__}"]
    if not schema:
        return []
    problems = [
        f"missing required field {key!r}" for key in schema.get("required", []) if key not in body
    ]
    for key, prop in schema.get("properties", {}).items():
        if key in body and isinstance(prop, Mapping) and not _type_ok(body[key], prop.get("type")):
            problems.append(
                f"field {key!r} should be {prop.get('type')}, got {type(body[key]).__name__}"
            )
    return problems


def format_timestamp(value: str | datetime) -> str:
    """Serialise ``triggered_at``: strings pass through, aware datetimes become UTC ``...Z``.

    Raises :class:`ValueError` for a naive datetime (its instant is ambiguous).
    """
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"triggered_at must be a str or datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "triggered_at is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc)"
        )
    utc = value.astimezone(UTC)
    # Milliseconds, like JavaScript's toISOString, unless that would lose precision.
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# Wire name -> attribute, and what Issue itself needs whatever the spec says.
_WIRE_TO_ATTR = {
    "uuid": "uuid",
    "number": "number",
    "status": "status",
    "title": "title",
    "description": "description",
    "severity": "severity",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "triggeredAt": "triggered_at",
    "latestVersion": "latest_version",
    "environment": "environment",
}
_INTEGER_FIELDS = ("number", "latestVersion")
_ISSUE_WIRE_SCHEMA: dict[str, Any] = {
    "required": [wire for wire in _WIRE_TO_ATTR if wire != "environment"],
    "properties": {
        wire: {"type": "integer" if wire in _INTEGER_FIELDS else "string"} for wire in _WIRE_TO_ATTR
    },
}


@dataclass(frozen=True)
class Issue:
    """An issue as returned by ``POST /issues`` (``CreateIssueResponseDto``).

    ``raw`` is the whole JSON body (fields a newer API adds are there);
    ``request_id`` comes from the ``X-Request-Id`` response header.
    """

    uuid: str
    number: int
    status: str
    title: str
    description: str
    severity: str
    created_at: str
    updated_at: str
    triggered_at: str
    latest_version: int
    environment: str | None = None
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, body: Mapping[str, Any], *, request_id: str | None = None) -> Issue:
        """Build from a ``CreateIssueResponseDto`` body.

        Raises :class:`ValueError` naming every field that is missing or of the
        wrong type (never a ``KeyError``).
        """
        problems = check_against_schema(body, _ISSUE_WIRE_SCHEMA)
        if problems:
            raise ValueError("; ".join(problems))
        values = {attr: body[wire] for wire, attr in _WIRE_TO_ATTR.items() if wire in body}
        return cls(**values, request_id=request_id, raw=dict(body))

    def as_datetime(self, name: str = "triggered_at") -> datetime:
        """Parse one timestamp field (``created_at``, ``updated_at``, ``triggered_at``)."""
        if name not in ("created_at", "updated_at", "triggered_at"):
            raise ValueError(f"{name!r} is not a timestamp field of Issue")
        value: str = getattr(self, name)
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
