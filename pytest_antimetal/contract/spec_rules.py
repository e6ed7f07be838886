"""What the contract suite derives from the spec, beyond what schemathesis reads.

Everything is computed from a :class:`~pytest_antimetal.spec.Spec`, so a
changed document (a smaller ``maxLength``, a new date-time field) changes the
suite's inputs and checks with no code change. Standard library only.

What a date-time value satisfies (``is_rfc3339``, ``pattern_admits``,
``classify_datetime``) is the spec layer's (:mod:`pytest_antimetal.spec.formats`),
re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_antimetal.spec.formats import (
    DateTimeVerdict,
    classify_datetime,
    is_rfc3339,
    pattern_admits,
)

__all__ = [
    "DateTimeField",
    "DateTimeVerdict",
    "Intent",
    "StringField",
    "classify_datetime",
    "datetime_fields",
    "get_path",
    "is_rfc3339",
    "pattern_admits",
    "string_fields",
    "walk_schema",
]

Intent = Literal["positive", "negative", "unknown"]
"""What a conformant server does with a request: accept it, refuse it, or either."""


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
