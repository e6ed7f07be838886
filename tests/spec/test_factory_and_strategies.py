"""The issue factory and the spec-derived strategies (plain, without pytest fixtures)."""

from __future__ import annotations

import copy
import re
from datetime import UTC
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_antimetal.factory import OMIT, IssueFactory
from pytest_antimetal.spec import Spec, vendored_spec
from pytest_antimetal.strategies import matches_pattern
from pytest_antimetal.timestamps import format_instant

SCHEMA = vendored_spec().operation("post", "/issues").request_schema()
assert SCHEMA is not None
PATTERN = SCHEMA["properties"]["triggeredAt"]["pattern"]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def validate(payload: dict[str, Any], schema: dict[str, Any] = SCHEMA) -> None:
    jsonschema.Draft4Validator(schema).validate(payload)


def test_build_is_valid_realistic_and_unique() -> None:
    factory = IssueFactory(seed=3)
    payloads = [factory.build() for _ in range(50)]
    for payload in payloads:
        validate(payload)
        assert payload["environment"] in ("production", "staging")
    assert len({p["title"] for p in payloads}) == 50


def test_build_overrides_snake_case_and_omit() -> None:
    factory = IssueFactory()
    payload = factory.build(triggered_at="2026-01-01T10:00:00Z", severity=OMIT, title="Mine")
    assert payload["triggeredAt"] == "2026-01-01T10:00:00Z"
    assert "severity" not in payload
    assert payload["title"] == "Mine"


def test_build_rejects_unknown_fields() -> None:
    with pytest.raises(TypeError, match="no field 'titel'"):
        IssueFactory().build(titel="typo")


def test_seeded_factories_repeat_themselves() -> None:
    assert IssueFactory(seed=7).build() == IssueFactory(seed=7).build()


@pytest.mark.parametrize(
    ("field", "violation"),
    [
        ("title", "missing"),
        ("title", "too_long"),
        ("title", "too_short"),
        ("title", "wrong_type"),
        ("severity", "not_in_enum"),
        ("triggeredAt", "bad_format"),
        ("triggered_at", "pattern_mismatch"),
        ("context.tags", "wrong_type"),
        ("context.alertUrl", "wrong_type"),
    ],
)
def test_build_invalid_breaks_exactly_the_named_constraint(field: str, violation: str) -> None:
    factory = IssueFactory()
    payload = factory.build_invalid(field, violation)
    errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(payload))
    if violation == "bad_format":
        # Month 13 satisfies neither the pattern nor RFC 3339.
        assert not RFC3339.match(payload["triggeredAt"]) or payload["triggeredAt"][5:7] == "13"
    assert errors, payload
    # Exactly one constraint is broken.
    assert len(errors) == 1, [e.message for e in errors]


def test_build_invalid_explains_what_the_spec_allows() -> None:
    factory = IssueFactory()
    with pytest.raises(ValueError, match=r"cannot build 'too_long' for 'description'"):
        factory.build_invalid("description", "too_long")
    with pytest.raises(ValueError, match="no field 'nope'"):
        factory.build_invalid("nope", "missing")
    assert "too_long" in factory.violations("title")
    assert "missing" not in factory.violations("severity")


def test_a_changed_spec_changes_the_factory_with_no_code_change() -> None:
    document = copy.deepcopy(vendored_spec().document)
    dto = document["components"]["schemas"]["CreateIssueDto"]
    dto["properties"]["title"]["maxLength"] = 10
    dto["properties"]["team"] = {"type": "string", "minLength": 3}
    dto["required"].append("team")
    spec = Spec(document)
    factory = IssueFactory(spec=spec)
    schema = spec.operation("post", "/issues").request_schema()
    assert schema is not None
    payload = factory.build()
    validate(payload, schema)
    assert len(payload["title"]) <= 10
    assert payload["team"] == "xxx"
    assert len(factory.build_invalid("title", "too_long")["title"]) == 11


def test_create_without_a_client_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="needs a client"):
        IssueFactory().create()


@settings(max_examples=150, deadline=None)
@given(IssueFactory().strategy())
def test_strategy_payloads_are_valid_and_datetimes_satisfy_pattern_and_format(
    payload: dict[str, Any],
) -> None:
    validate(payload)
    stamp = payload.get("triggeredAt")
    if stamp is not None:
        assert matches_pattern(PATTERN, stamp)
        assert RFC3339.match(stamp), stamp


@settings(max_examples=30, deadline=None)
@given(IssueFactory().strategy(environment="production", severity=OMIT))
def test_strategy_fixed_values(payload: dict[str, Any]) -> None:
    assert payload["environment"] == "production"
    assert "severity" not in payload


def test_the_spec_pattern_admits_values_rfc3339_rejects() -> None:
    # The inconsistency the strategies avoid: no seconds matches the pattern only.
    assert matches_pattern(PATTERN, "2026-01-01T10:00Z")
    assert not RFC3339.match("2026-01-01T10:00Z")


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_instant_is_js_iso_form(moment: Any) -> None:
    text = format_instant(moment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text)
