"""Unit tests of the fake's helpers: OAS 3.0 -> draft 4, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pytest_antimetal.fake.validation import RequestValidator, to_draft4
from pytest_antimetal.timestamps import format_instant, normalise_timestamp


def test_nullable_and_draft7_spellings() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True, "enum": ["x"]},
            "n": {"type": "integer", "exclusiveMinimum": 0},
            "c": {"const": 3, "example": 3, "x-note": "dropped"},
        },
    }
    converted = to_draft4(schema)
    assert converted["properties"]["a"] == {"type": ["string", "null"], "enum": ["x", None]}
    assert converted["properties"]["n"] == {
        "type": "integer",
        "minimum": 0,
        "exclusiveMinimum": True,
    }
    assert converted["properties"]["c"] == {"enum": [3]}
    validator = RequestValidator(schema)
    assert validator.is_valid({"a": None, "n": 1, "c": 3})
    assert validator.errors({"a": "y", "n": 0, "c": 4}).keys() == {"a", "n", "c"}


def test_boolean_exclusive_minimum_draft4() -> None:
    validator = RequestValidator({"type": "integer", "minimum": 0, "exclusiveMinimum": True})
    assert not validator.is_valid(0)
    assert validator.is_valid(1)
    assert validator.errors(0) == {"body": validator.errors(0)["body"]}


def test_property_named_like_a_keyword() -> None:
    validator = RequestValidator(
        {"type": "object", "properties": {"nullable": {"type": "string"}}, "required": ["nullable"]}
    )
    assert validator.errors({}) == {"nullable": "is required"}
    assert validator.errors({"nullable": 1}) == {"nullable": "must be of type string"}


def test_ascii_digits_only() -> None:
    validator = RequestValidator({"type": "string", "pattern": r"^\d+$"})
    assert validator.is_valid("123")
    assert not validator.is_valid("\u0661\u0662")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T10:00Z", "2026-01-01T10:00:00.000Z"),
        ("2026-01-01T10:00:00+02:00", "2026-01-01T08:00:00.000Z"),
        ("2026-01-01T00:30:00-01:00", "2026-01-01T01:30:00.000Z"),
        ("2000-03-01T00:00:00+00:01", "2000-02-29T23:59:00.000Z"),
        ("2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000Z"),
        ("0000-02-29T12:00:00.5z", "0000-02-29T12:00:00.500Z"),
        ("2026-02-29T00:00:00Z", None),
        ("2026-13-01T00:00:00Z", None),
        ("2026-01-01T24:00:00Z", None),
        ("0000-01-01T00:00:00+00:01", None),
        ("9999-12-31T23:59:59-00:01", None),
        ("not a date", None),
        ("\u0662\u0660\u0662\u0666-01-01T10:00:00Z", None),
    ],
)
def test_normalise_timestamp(value: str, expected: str | None) -> None:
    assert normalise_timestamp(value) == expected


def test_format_instant() -> None:
    assert (
        format_instant(datetime(2026, 3, 17, 9, 5, 7, 999999, tzinfo=UTC))
        == "2026-03-17T09:05:07.999Z"
    )
    assert format_instant(datetime(1, 1, 1)) == "0001-01-01T00:00:00.000Z"
    plus_two = timezone(timedelta(hours=2))
    assert format_instant(datetime(2026, 1, 1, 1, 0, tzinfo=plus_two)) == "2025-12-31T23:00:00.000Z"


def test_an_empty_required_list_is_draft7_and_means_nothing() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": []}
    assert "required" not in to_draft4(schema)
    validator = RequestValidator(schema)  # draft 4 refuses `required: []` when compiling
    assert validator.is_valid({})
    assert validator.errors({"a": 1}) == {"a": "must be of type string"}
    # A property called `required` is a property, not the keyword.
    named = {"type": "object", "properties": {"required": {"type": "array"}}}
    assert to_draft4(named) == named


def test_a_recursive_schema_resolves_against_its_document() -> None:
    import jsonschema_rs

    from pytest_antimetal.spec import resolve_refs, vendored_spec

    document = {
        "components": {
            "schemas": {
                "Value": {
                    "type": "object",
                    "properties": {
                        "int": {"type": "integer"},
                        "list": {"type": "array", "items": {"$ref": "#/components/schemas/Value"}},
                    },
                }
            }
        }
    }
    schema = resolve_refs({"$ref": "#/components/schemas/Value"}, document)
    assert schema["properties"]["list"]["items"] == {"$ref": "#/components/schemas/Value"}
    validator = RequestValidator(schema, document=document)
    assert validator.is_valid({"list": [{"int": 1, "list": [{"int": 2}]}]})
    assert validator.errors({"list": [{"list": [{"int": "2"}]}]}) == {
        "list.0.list.0.int": "must be of type integer"
    }
    # The vendor's GET /artifacts answer is one (OTLP's AnyValue in MetricArtifactDto).
    spec = vendored_spec()
    answer = spec.operation("get", "/artifacts").response_schema(200)
    assert answer is not None
    with pytest.raises(jsonschema_rs.ValidationError, match="does not exist"):
        RequestValidator(answer)  # without its document, the cycle's $ref points nowhere
    artifacts = RequestValidator(answer, document=spec.document)
    assert artifacts.is_valid([])
    assert not artifacts.is_valid([{"type": "metric"}])
