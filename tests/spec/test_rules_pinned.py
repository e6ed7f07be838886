"""Guard rail for the spec layer: today's outputs of the date-time and minimal-value rules.

The tables were generated from the code as it stood before the rules were merged into
``pytest_antimetal.spec`` (three RFC 3339 regexes, a fourth parser, two pattern matchers,
two minimal-value builders) and are kept as they were: a row changes only with a
deliberate, documented change of behaviour.

The merged functions are checked against every old column; where they differ, the
difference is listed below (``NOW_*``) with its reason, and nowhere else.
"""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from pytest_antimetal.spec import vendored_spec
from pytest_antimetal.spec.formats import (
    classify_datetime,
    format_instant,
    is_rfc3339,
    normalise_timestamp,
    parse_instant,
    pattern_admits,
)
from pytest_antimetal.spec.minimal import DEFAULT_NOW, DEFAULT_UUID, minimal_value

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

# One regular expression now reads every timestamp: ASCII digits, no trailing newline,
# RFC 3339's ranges (offset hours <= 23, minutes <= 59; seconds <= 60), calendar checked
# without ``datetime`` (so years 9600-9999 are no longer rejected by the 400-year shift).
NOW_NORMALISED = {
    "2026-01-01T10:00:00+24:00": None,  # was '2025-12-31T10:00:00.000Z': no such offset
    "2026-01-01T10:00:00+01:60": None,  # was '2026-01-01T08:00:00.000Z'
}
NOW_RFC3339 = {
    "9999-12-31T23:59:59.999Z": True,  # was False: year 9999 + 400 overflowed datetime
    "9999-12-31T23:30:00-01:00": True,  # was False, likewise
    "2026-01-01T10:00:00Z\n": False,  # was True: ``$`` let a trailing newline through
    "\u0662\u0660\u0662\u0666-01-01T10:00:00Z": False,  # was True: Unicode ``\d``
}
NOW_INSTANT = {
    "2026-01-01T10:00:61Z": None,  # was second 59: not a leap second, not a second
    "2026-01-01T10:00:75Z": None,
    "2026-01-01T10:00:00+24:00": None,  # was an instant: no such offset
    "2026-01-01T10:00:00+01:60": None,
    "2026-01-01T10:00:00Z\n": None,  # was '2426-01-01T10:00:00+00:00'
    "\u0662\u0660\u0662\u0666-01-01T10:00:00Z": None,  # was '2426-01-01T10:00:00+00:00'
}
# ECMA-262 ``\d`` is ASCII (strategies.matches_pattern already said so; pattern_admits did not).
NOW_ADMITTED = {"\u0662\u0660\u0662\u0666-01-01T10:00:00Z": False}
NOW_VERDICT = {
    "9999-12-31T23:59:59.999Z": "both",  # was 'pattern-only'
    "9999-12-31T23:30:00-01:00": "format-only",  # was 'neither'
    "2026-01-01T10:00:00Z\n": "pattern-only",  # was 'both'
    "\u0662\u0660\u0662\u0666-01-01T10:00:00Z": "neither",  # was 'both'
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@pytest.mark.parametrize("row", PATTERN_ROWS, ids=lambda row: repr(row[0]))
def test_datetime_rules(row: tuple[Any, ...]) -> None:
    value, normalised, rfc3339, _, instant, verdict, admits, _ = row
    assert normalise_timestamp(value) == NOW_NORMALISED.get(value, normalised)
    assert is_rfc3339(value) is NOW_RFC3339.get(value, rfc3339)
    assert _iso(parse_instant(value)) == NOW_INSTANT.get(value, instant)
    assert classify_datetime(value, PATTERN) == NOW_VERDICT.get(value, verdict)
    assert pattern_admits(PATTERN, value) is NOW_ADMITTED.get(value, admits)


def _generable(value: str) -> bool:
    """What strategies' date-time values look like: 1970-2099, ASCII, UTC, no leap second."""
    return (
        value.isascii()
        and "1970" <= value[:4] <= "2099"
        and value[17:19] != "60"
        and value.endswith("Z")
    )


@pytest.mark.parametrize("row", PATTERN_ROWS, ids=lambda row: repr(row[0]))
def test_strategies_rules_agree_on_what_they_generate(row: tuple[Any, ...]) -> None:
    # strategies had its own RFC 3339 check (datetime.fromisoformat) and pattern matcher;
    # on the values it generates they agree with the merged ones.
    value, _, _, strategy_rfc3339, _, _, _, matches = row
    assert pattern_admits(PATTERN, value) is matches
    if _generable(value):
        assert is_rfc3339(value) is strategy_rfc3339


@pytest.mark.parametrize(("moment", "text"), FORMAT_ROWS)
def test_format_instant(moment: datetime, text: str) -> None:
    assert format_instant(moment) == text


# The one builder is the fake's, except that a ``default`` outside its ``enum`` is not used
# (a builder of valid values; lint reports such defaults). Where the factory's differed:
# ``minLength`` defaults to 0 (JSON Schema), formats get values of their format, numbers
# honour their bounds in both spellings, type lists and combinators are read.
NOW_MINIMAL = {
    repr({"type": "string", "enum": ["low", "medium"], "default": "MEDIUM"}): "low",
}


def _uuids() -> Any:
    counter = itertools.count(1)
    return lambda: f"uuid-{next(counter)}"


@pytest.mark.parametrize("row", MINIMAL_ROWS, ids=lambda row: repr(row[0]))
def test_minimal_value_is_the_fakes(row: tuple[Any, Any, Any]) -> None:
    schema, _, by_fake = row
    expected = NOW_MINIMAL.get(repr(schema), by_fake)
    assert minimal_value(schema, now=NOW, new_uuid=_uuids()) == expected


@pytest.mark.parametrize("row", MINIMAL_ROWS, ids=lambda row: repr(row[0]))
def test_minimal_value_differs_from_the_factorys_only_where_documented(
    row: tuple[Any, Any, Any],
) -> None:
    schema, by_factory, by_fake = row
    value = minimal_value(schema)  # the factory's call: no clock, no uuid source
    fmt = schema.get("format")
    if fmt == "date-time":
        assert value == by_factory == DEFAULT_NOW
    elif fmt == "uuid":
        assert value == DEFAULT_UUID
    elif fmt == "date":
        assert value == DEFAULT_NOW[:10]
    elif by_factory == by_fake or repr(schema) in NOW_MINIMAL:
        assert value == NOW_MINIMAL.get(repr(schema), by_factory)
    else:
        assert value == by_fake


def test_fake_and_factory_use_the_one_builder() -> None:
    from pytest_antimetal.factory import IssueFactory
    from pytest_antimetal.fake.core import FakeAntimetal

    fake = FakeAntimetal()
    fake._new_uuid = _uuids()  # type: ignore[method-assign]
    schema = {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 2}
    assert fake._minimal(schema, NOW) == ["uuid-1", "uuid-1"]
    document = copy.deepcopy(vendored_spec().document)  # the vendored Spec is shared
    create = document["components"]["schemas"]["CreateIssueDto"]
    create["properties"]["ticket"] = {"type": "string", "format": "email"}
    create["required"] = [*create.get("required", []), "ticket"]
    from pytest_antimetal.spec import Spec

    assert IssueFactory(spec=Spec(document), seed=1).build()["ticket"] == "user@example.com"
