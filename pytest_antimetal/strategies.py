"""Hypothesis strategies derived from the spec's JSON schemas.

Covers the schema subset the vendor's document uses (objects, strings with
length, ``enum``, ``pattern`` and ``format``, arrays, free-form objects).
Where a string has both ``format: date-time`` and a ``pattern``, every value
satisfies both: the vendor's pattern admits ``2026-01-01T10:00Z``, which
RFC 3339 rejects, so a generated *valid* value must avoid that corner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from pytest_antimetal.spec.formats import format_instant, is_rfc3339
from pytest_antimetal.spec.formats import pattern_admits as matches_pattern

__all__ = ["from_schema", "matches_pattern"]

# Free-form text: any Unicode scalar value JSON can carry (no lone surrogates).
_TEXT = st.characters(codec="utf-8", exclude_categories=["Cs"])
_DEFAULT_MAX = 40


def _datetimes(pattern: str | None) -> st.SearchStrategy[str]:
    moments = st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    )
    seconds_only = moments.map(lambda m: format_instant(m)[:19] + "Z")
    with_millis = moments.map(format_instant)
    values = st.one_of(with_millis, seconds_only)
    if pattern is None:
        return values
    return values.filter(lambda v: matches_pattern(pattern, v) and is_rfc3339(v))


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    min_size = int(schema.get("minLength", 0))
    max_size = int(schema.get("maxLength", max(min_size, _DEFAULT_MAX)))
    fmt = schema.get("format")
    pattern = schema.get("pattern")
    if fmt == "date-time":
        return _datetimes(pattern)
    if fmt == "uri":
        path = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
        return path.map(lambda p: f"https://alerts.example.com/{p}")
    if pattern is not None:
        return st.from_regex(pattern).filter(lambda v: min_size <= len(v) <= max_size)
    return st.text(_TEXT, min_size=min_size, max_size=max_size)


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(_TEXT, max_size=20),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(_TEXT, max_size=10), children, max_size=3),
        ),
        max_leaves=8,
    )


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy of values valid against *schema* (``$ref``-free, OAS 3.0)."""
    strategy = _from_schema(schema)
    if schema.get("nullable"):
        return st.one_of(st.none(), strategy)
    return strategy


def _from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    kind = schema.get("type")
    if kind == "string":
        return _strings(schema)
    if kind == "integer":
        return st.integers(
            min_value=_bound(schema, "minimum", "exclusiveMinimum", 1),
            max_value=_bound(schema, "maximum", "exclusiveMaximum", -1),
        )
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        items = schema.get("items") or {}
        return st.lists(
            from_schema(items) if items else _json_values(),
            min_size=int(schema.get("minItems", 0)),
            max_size=int(schema.get("maxItems", 5)),
        )
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {name: from_schema(sub) for name, sub in properties.items() if name in required}
        optional = {
            name: from_schema(sub) for name, sub in properties.items() if name not in required
        }
        if not properties and schema.get("additionalProperties", True) is not False:
            return st.dictionaries(st.text(_TEXT, max_size=10), _json_values(), max_size=4)
        return st.fixed_dictionaries(fixed, optional=optional)
    return _json_values()


def _bound(schema: dict[str, Any], key: str, exclusive_key: str, step: int) -> int | None:
    value = schema.get(key)
    exclusive = schema.get(exclusive_key)
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        # draft-07 spelling: the exclusive bound is the number itself
        return int(exclusive) + step
    if value is None:
        return None
    return int(value) + step if exclusive is True else int(value)
