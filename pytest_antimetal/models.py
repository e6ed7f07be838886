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
        if key not in body or not isinstance(prop, Mapping):
            continue
        if body[key] is None and prop.get("nullable") is True:
            continue  # OpenAPI 3.0's spelling of type [X, "null"]
        if not _type_ok(body[key], prop.get("type")):
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


# Wire name -> attribute: the only thing about the response this module owns. Which
# fields are required, and their types, come from the run's spec (see Issue.from_json).
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
_TIMESTAMPS = ("created_at", "updated_at", "triggered_at")


def _vendored_response_schema() -> dict[str, Any] | None:
    from pytest_antimetal.spec import SpecError, vendored_spec

    try:
        operation = vendored_spec().operation("post", "/issues")
        return operation.response_schema(operation.success_status)
    except SpecError:
        return None


@dataclass(frozen=True)
class Issue:
    """An issue as returned by ``POST /issues`` (``CreateIssueResponseDto``).

    Which fields must be present is the spec's call, not this class's: a field
    the run's spec does not require (or marks ``nullable``) is ``None`` when the
    response leaves it out or sends ``null``. The annotations follow the
    vendored spec, where only ``environment`` is optional; with a custom
    ``spec=`` that relaxes another field, that attribute may be ``None`` too.
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
    def from_json(
        cls,
        body: Mapping[str, Any],
        *,
        request_id: str | None = None,
        schema: Mapping[str, Any] | None = None,
    ) -> Issue:
        """Build from a ``CreateIssueResponseDto`` body, checked against *schema*.

        *schema* is the response schema of ``POST /issues`` in the run's spec
        (``None``: the vendored spec's; ``{}``: no check). Raises
        :class:`ValueError` naming every required field that is missing and
        every field of the wrong type (never a ``KeyError``).
        """
        if schema is None:
            schema = _vendored_response_schema()
        problems = check_against_schema(body, schema)
        if problems:
            raise ValueError("; ".join(problems))
        values: dict[str, Any] = {attr: body.get(wire) for wire, attr in _WIRE_TO_ATTR.items()}
        return cls(**values, request_id=request_id, raw=dict(body))

    def as_datetime(self, name: str = "triggered_at") -> datetime:
        """Parse one timestamp field (``created_at``, ``updated_at``, ``triggered_at``)."""
        if name not in _TIMESTAMPS:
            raise ValueError(f"{name!r} is not a timestamp field of Issue")
        value: str | None = getattr(self, name)
        if value is None:
            raise ValueError(f"{name} is not set in this response")
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
