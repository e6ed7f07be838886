"""Guard rail for the spec layer: today's outputs of the date-time and minimal-value rules.

The tables were generated from the code as it stood before the rules were merged into
``pytest_antimetal.spec`` (three RFC 3339 regexes, a fourth parser, two pattern matchers,
two minimal-value builders) and are kept as they were: a row changes only with a
deliberate, documented change of behaviour.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from pytest_antimetal import factory, strategies
from pytest_antimetal.contract import spec_rules
from pytest_antimetal.contract.checks import parse_instant
from pytest_antimetal.fake.core import FakeAntimetal
from pytest_antimetal.spec import vendored_spec
from pytest_antimetal.timestamps import format_instant, normalise_timestamp

PATTERN: str = (
    vendored_spec()
    .operation("post", "/issues")
    .request_schema()["properties"]["triggeredAt"]["pattern"]
)

# (value, normalise_timestamp, spec_rules.is_rfc3339, strategies._is_rfc3339,
#  checks.parse_instant (isoformat), classify_datetime(PATTERN), pattern_admits(PATTERN),
#  strategies.matches_pattern(PATTERN))
PATTERN_ROWS: list[tuple[Any, ...]] = [
    (
        "2026-01-01T10:00Z",
        "2026-01-01T10:00:00.000Z",
        False,
        False,
        "2426-01-01T10:00:00+00:00",
        "pattern-only",
        True,
        True,
    ),
    (
        "2026-01-01T10:00:00+01:00",
        "2026-01-01T09:00:00.000Z",
        True,
        True,
        "2426-01-01T09:00:00+00:00",
        "format-only",
        False,
        False,
    ),
    (
        "2026-01-01T10:00:00Z",
        "2026-01-01T10:00:00.000Z",
        True,
        True,
        "2426-01-01T10:00:00+00:00",
        "both",
        True,
        True,
    ),
    (
        "2026-01-01T10:00:00.123Z",
        "2026-01-01T10:00:00.123Z",
        True,
        True,
        "2426-01-01T10:00:00.123000+00:00",
        "both",
        True,
        True,
    ),
    (
        "2026-01-01t10:00:00z",
        "2026-01-01T10:00:00.000Z",
        True,
        True,
        "2426-01-01T10:00:00+00:00",
        "format-only",
        False,
        False,
    ),
    ("2026-01-01 10:00:00Z", None, False, False, None, "neither", False, False),
    (
        "2026-01-01T10:00:00.123456789Z",
        "2026-01-01T10:00:00.123Z",
        True,
        True,
        "2426-01-01T10:00:00.123456+00:00",
        "both",
        True,
        True,
    ),
    (
        "2024-02-29T23:59:59Z",
        "2024-02-29T23:59:59.000Z",
        True,
        True,
        "2424-02-29T23:59:59+00:00",
        "both",
        True,
        True,
    ),
    ("2023-02-29T10:00:00Z", None, False, False, None, "neither", False, False),
    (
        "2024-02-29T23:59:60Z",
        "2024-03-01T00:00:00.000Z",
        True,
        False,
        "2424-02-29T23:59:59+00:00",
        "format-only",
        False,
        False,
    ),
    (
        "0000-01-01T00:00:00Z",
        "0000-01-01T00:00:00.000Z",
        True,
        False,
        "0400-01-01T00:00:00+00:00",
        "both",
        True,
        True,
    ),
    (
        "0000-01-01T00:30:00+01:00",
        None,
        True,
        False,
        "0399-12-31T23:30:00+00:00",
        "format-only",
        False,
        False,
    ),
    (
        "9999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59.999Z",
        False,
        True,
        None,
        "pattern-only",
        True,
        True,
    ),
    ("9999-12-31T23:30:00-01:00", None, False, True, None, "neither", False, False),
    (
        "2026-01-01T10:00:00.1239Z",
        "2026-01-01T10:00:00.123Z",
        True,
        True,
        "2426-01-01T10:00:00.123900+00:00",
        "both",
        True,
        True,
    ),
    (
        "2026-01-01T12:00:00.123+01:00",
        "2026-01-01T11:00:00.123Z",
        True,
        True,
        "2426-01-01T11:00:00.123000+00:00",
        "format-only",
        False,
        False,
    ),
    (
        "2026-01-01T10:00:61Z",
        None,
        False,
        False,
        "2426-01-01T10:00:59+00:00",
        "neither",
        False,
        False,
    ),
    (
        "2026-01-01T10:00:75Z",
        None,
        False,
        False,
        "2426-01-01T10:00:59+00:00",
        "neither",
        False,
        False,
    ),
    ("2026-01-01T24:00:00Z", None, False, False, None, "neither", False, False),
    ("2026-01-01T10:60:00Z", None, False, False, None, "neither", False, False),
    ("2026-13-01T10:00:00Z", None, False, False, None, "neither", False, False),
    ("2026-00-01T10:00:00Z", None, False, False, None, "neither", False, False),
    ("2026-04-31T10:00:00Z", None, False, False, None, "neither", False, False),
    (
        "2026-01-01T10:00:00+24:00",
        "2025-12-31T10:00:00.000Z",
        False,
        False,
        "2425-12-31T10:00:00+00:00",
        "neither",
        False,
        False,
    ),
    (
        "2026-01-01T10:00:00+01:60",
        "2026-01-01T08:00:00.000Z",
        False,
        True,
        "2426-01-01T08:00:00+00:00",
        "neither",
        False,
        False,
    ),
    ("2026-01-01T10:00:00", None, False, False, None, "neither", False, False),
    ("2026-01-01", None, False, False, None, "neither", False, False),
    ("2026-01-01T10:00:00Z\n", None, True, False, "2426-01-01T10:00:00+00:00", "both", True, True),
    ("٢٠٢٦-01-01T10:00:00Z", None, True, False, "2426-01-01T10:00:00+00:00", "both", True, False),
    ("2026-01-01T10:00.5Z", None, False, False, None, "neither", False, False),
    ("2026-1-01T10:00:00Z", None, False, False, None, "neither", False, False),
    ("", None, False, False, None, "neither", False, False),
    ("not a timestamp", None, False, False, None, "neither", False, False),
    ("1900-02-29T10:00:00Z", None, False, False, None, "neither", False, False),
    (
        "2000-02-29T10:00:00Z",
        "2000-02-29T10:00:00.000Z",
        True,
        True,
        "2400-02-29T10:00:00+00:00",
        "both",
        True,
        True,
    ),
    (
        "1970-01-01T00:00:00.000Z",
        "1970-01-01T00:00:00.000Z",
        True,
        True,
        "2370-01-01T00:00:00+00:00",
        "both",
        True,
        True,
    ),
    (
        "2026-03-17T12:00:01.000-00:00",
        "2026-03-17T12:00:01.000Z",
        True,
        True,
        "2426-03-17T12:00:01+00:00",
        "format-only",
        False,
        False,
    ),
]

FORMAT_ROWS = [
    (datetime(2026, 1, 1, 0, 0), "2026-01-01T00:00:00.000Z"),
    (datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC), "2026-01-01T10:00:00.123Z"),
    (
        datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(seconds=7200))),
        "2026-01-01T10:00:00.000Z",
    ),
    (datetime(1, 1, 1, 0, 0), "0001-01-01T00:00:00.000Z"),
    (datetime(9999, 12, 31, 23, 59, 59, 999999), "9999-12-31T23:59:59.999Z"),
]

# (schema, factory._minimal, FakeAntimetal._minimal with now=NOW and uuids uuid-1, uuid-2, ...)
MINIMAL_ROWS: list[tuple[Any, Any, Any]] = [
    ({}, None, None),
    ({"type": "string"}, "x", ""),
    ({"type": "string", "minLength": 0}, "x", ""),
    ({"type": "string", "minLength": 3}, "xxx", "xxx"),
    ({"type": "string", "maxLength": 5}, "x", ""),
    (
        {"type": "string", "format": "date-time"},
        "2026-01-01T00:00:00.000Z",
        "2026-05-06T07:08:09.010Z",
    ),
    ({"type": "string", "format": "date"}, "x", "2026-05-06"),
    ({"type": "string", "format": "uri"}, "https://example.com/", "https://example.com/"),
    ({"type": "string", "format": "url"}, "x", "https://example.com/"),
    ({"type": "string", "format": "email"}, "x", "user@example.com"),
    ({"type": "string", "format": "uuid"}, "x", "uuid-1"),
    ({"type": "string", "enum": ["low", "medium", "high"]}, "low", "low"),
    ({"type": "string", "enum": ["low", "medium", "high"], "default": "medium"}, "low", "medium"),
    ({"type": "string", "enum": ["low", "medium"], "default": "MEDIUM"}, "low", "MEDIUM"),
    ({"type": "string", "default": "d"}, "d", "d"),
    ({"enum": []}, "raises IndexError", None),
    ({"type": "integer"}, 0, 0),
    ({"type": "integer", "minimum": 3}, 3, 3),
    ({"type": "integer", "minimum": 3, "exclusiveMinimum": True}, 4, 4),
    ({"type": "integer", "exclusiveMinimum": 3}, 0, 4),
    ({"type": "integer", "minimum": 2.5}, 2, 3),
    ({"type": "integer", "maximum": -4}, 0, -5),
    ({"type": "integer", "maximum": 10}, 0, 0),
    ({"type": "number"}, 1.0, 0.0),
    ({"type": "number", "minimum": 2.5}, 1.0, 2.5),
    ({"type": "number", "minimum": 2.5, "exclusiveMinimum": True}, 1.0, 3.5),
    ({"type": "number", "maximum": -0.5}, 1.0, -2.0),
    ({"type": "boolean"}, False, False),
    ({"type": "array"}, [], []),
    ({"type": "array", "items": {"type": "string"}}, [], []),
    (
        {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 2},
        ["xx", "xx"],
        ["xx", "xx"],
    ),
    ({"type": "object"}, {}, {}),
    (
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
            "required": ["a"],
        },
        {"a": "x"},
        {"a": ""},
    ),
    ({"properties": {"a": {"type": "boolean"}}, "required": ["a"]}, None, {"a": False}),
    ({"type": ["string", "null"]}, None, ""),
    ({"type": ["null", "integer"]}, None, 0),
    ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, None, 0),
    ({"allOf": [{"type": "string", "minLength": 2}]}, None, "xx"),
    ({"type": "null"}, None, None),
    ({"nullable": True, "type": "string", "minLength": 1}, "x", "x"),
]

NOW = "2026-05-06T07:08:09.010Z"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@pytest.mark.parametrize("row", PATTERN_ROWS, ids=lambda row: repr(row[0]))
def test_datetime_rules_as_they_were(row: tuple[Any, ...]) -> None:
    value, normalised, rfc3339, strategy_rfc3339, instant, verdict, admits, matches = row
    assert normalise_timestamp(value) == normalised
    assert spec_rules.is_rfc3339(value) is rfc3339
    assert strategies._is_rfc3339(value) is strategy_rfc3339
    assert _iso(parse_instant(value)) == instant
    assert spec_rules.classify_datetime(value, PATTERN) == verdict
    assert spec_rules.pattern_admits(PATTERN, value) is admits
    assert strategies.matches_pattern(PATTERN, value) is matches


@pytest.mark.parametrize(("moment", "text"), FORMAT_ROWS)
def test_format_instant_as_it_was(moment: datetime, text: str) -> None:
    assert format_instant(moment) == text


@pytest.mark.parametrize("row", MINIMAL_ROWS, ids=lambda row: repr(row[0]))
def test_minimal_values_as_they_were(row: tuple[Any, Any, Any]) -> None:
    schema, by_factory, by_fake = row
    if isinstance(by_factory, str) and by_factory.startswith("raises "):
        with pytest.raises(IndexError):
            factory._minimal(schema)
    else:
        assert factory._minimal(schema) == by_factory
    fake = FakeAntimetal()
    counter = itertools.count(1)
    fake._new_uuid = lambda: f"uuid-{next(counter)}"  # type: ignore[method-assign]
    assert fake._minimal(schema, NOW) == by_fake
