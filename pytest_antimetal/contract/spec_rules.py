"""What the contract suite derives from the spec, beyond what schemathesis reads.

Everything is computed from a :class:`~pytest_antimetal.spec.Spec`, so a
changed document (a smaller ``maxLength``, a new date-time field) changes the
suite's inputs and checks with no code change. Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

__all__ = [
    "DateTimeField",
    "StringField",
    "classify_datetime",
    "datetime_fields",
    "get_path",
    "is_rfc3339",
    "string_fields",
    "walk_schema",
]

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)

DateTimeVerdict = Literal["both", "pattern-only", "format-only", "neither"]


def is_rfc3339(value: str) -> bool:
    """True when *value* is an RFC 3339 ``date-time`` (what ``format: date-time`` means)."""
    match = _RFC3339.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    offset = match.group(8)
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    try:
        # A leap second (60) is valid RFC 3339 but not a Python datetime; year 0000 is
        # valid too: shift by one 400-year Gregorian cycle (same leap years).
        datetime(year + 400, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    return second <= 60


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def pattern_admits(pattern: str, value: str) -> bool:
    """ECMA-262-style ``pattern`` semantics: a search, not a full match."""
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


def walk_schema(
    node: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Yield ``(property path, schema)`` for *node* and every nested object property."""
    if not isinstance(node, Mapping):
        return
    yield path, dict(node)
    for name, sub in (node.get("properties") or {}).items():
        yield from walk_schema(sub, (*path, str(name)))


@dataclass(frozen=True)
class DateTimeField:
    """A request property with ``format: date-time`` (and maybe a ``pattern``)."""

    path: tuple[str, ...]
    pattern: str | None

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class StringField:
    """A request string property with its length bounds."""

    path: tuple[str, ...]
    min_length: int | None
    max_length: int | None
    required: bool

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def datetime_fields(schema: Mapping[str, Any] | None) -> list[DateTimeField]:
    """Every ``format: date-time`` property of a (``$ref``-free) request schema."""
    return [
        DateTimeField(path, node.get("pattern"))
        for path, node in walk_schema(schema)
        if path and node.get("type") == "string" and node.get("format") == "date-time"
    ]


def string_fields(schema: Mapping[str, Any] | None) -> list[StringField]:
    """Top-level string properties without ``enum``/``format`` (free text), in order."""
    if not isinstance(schema, Mapping):
        return []
    required = set(schema.get("required") or ())
    fields = []
    for name, node in (schema.get("properties") or {}).items():
        if not isinstance(node, Mapping) or node.get("type") != "string":
            continue
        if "enum" in node or "format" in node or "pattern" in node:
            continue
        fields.append(
            StringField((name,), node.get("minLength"), node.get("maxLength"), name in required)
        )
    return fields


def get_path(data: Any, path: tuple[str, ...]) -> Any:
    """``data[path[0]][path[1]]...`` or ``None`` when any step is missing."""
    node = data
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
