"""Hand-written inputs a random fuzzer rarely reaches, derived from the spec.

Every input says what a conformant server must do with it (``positive``:
accept, ``negative``: reject with a 4xx, ``unknown``: anything but a 5xx).
Values are fixed, so the request sequence is the same on every run. Samples are
fitted to the spec's ``minLength``/``maxLength``/``pattern``, and every input meant
to be accepted is checked against the request schema (the fake's validator).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_antimetal.contract.spec_rules import (
    Intent,
    datetime_fields,
    string_fields,
    walk_schema,
)
from pytest_antimetal.spec.formats import DATETIME_PROBES, classify_datetime, pattern_admits

__all__ = ["DATETIME_PROBES", "EdgeInput", "edge_inputs", "malformed_inputs", "valid_body"]

_LONG_TEXT_BYTES = 64 * 1024 + 1
_NON_ASCII = "Zürich café — ação ñandú 東京 Москва"
# Astral characters first, so a sample cut to a small maxLength still holds one.
_ASTRAL = "🔥🚨 outage 𝄞 𠜎 \U0001f9ea"
_NESTING = 32
_FORMAT_SAMPLES = {
    "uri": "https://example.com/alerts/1",
    "email": "pytest@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date": "2026-01-01",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


@dataclass(frozen=True)
class EdgeInput:
    """One request body to send, and what a conformant server does with it."""

    label: str
    intent: Intent
    body: Any = None
    """A JSON value, serialised by the runner (ignored when ``raw`` is set)."""
    raw: bytes | None = None
    content_type: str | None = "application/json"
    extra_headers: dict[str, str] = field(default_factory=dict)
    ascii_only: bool = True
    """Serialise with ``\\u`` escapes (True) or as raw UTF-8 (False)."""

    def content(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body, ensure_ascii=self.ascii_only).encode("utf-8")


def _fit(text: str, low: int | None, high: int | None) -> str:
    """*text* repeated or cut to [*low*, *high*] code points (JSON Schema counts those)."""
    text = text or "x"
    while low and len(text) < low:
        text += text
    return text if high is None else text[: max(high, low or 0)]


def _string_for(node: Mapping[str, Any], name: str) -> str:
    low, high = node.get("minLength"), node.get("maxLength")
    samples = [f"pytest-antimetal {name}", name, "pytest", "value", "x", "a", "0"]
    fitted = [_fit(sample, low, high) for sample in samples]
    pattern = node.get("pattern")
    if not isinstance(pattern, str):
        return fitted[0]
    for sample in fitted:
        if pattern_admits(pattern, sample):
            return sample
    return _from_regex(pattern, low, high) or fitted[0]


def _from_regex(pattern: str, low: int | None, high: int | None) -> str | None:
    """The simplest string matching *pattern* within the bounds (the same one every run)."""
    from hypothesis import find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    def fits(text: str) -> bool:
        return (low is None or len(text) >= low) and (high is None or len(text) <= high)

    try:
        found: str = find(
            st.from_regex(pattern),
            fits,
            settings=settings(database=None, derandomize=True, max_examples=500),
        )
    except (HypothesisException, re.error):
        return None
    return found


def _value_for(node: Mapping[str, Any], name: str) -> Any:
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    fmt = node.get("format")
    if kind == "string":
        if fmt == "date-time":
            return "2026-01-01T10:00:00.000Z"
        if fmt in _FORMAT_SAMPLES:
            return _FORMAT_SAMPLES[fmt]
        return _string_for(node, name)
    if kind == "integer":
        return max(int(node.get("minimum", 1)), 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [_value_for(node.get("items") or {"type": "string"}, name)]
    if kind == "object":
        return {
            key: _value_for(sub, key)
            for key, sub in (node.get("properties") or {}).items()
            if isinstance(sub, Mapping)
        }
    return "x"


def valid_body(schema: Mapping[str, Any], *, full: bool = False) -> dict[str, Any]:
    """A body with every required property (``full``: every property) set to a valid value."""
    required = set(schema.get("required") or ())
    return {
        name: _value_for(node, name)
        for name, node in (schema.get("properties") or {}).items()
        if isinstance(node, Mapping) and (full or name in required)
    }


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node = out
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return out


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "value"}
    for level in range(depth):
        value = {f"level{depth - level}": value}
    return value


def edge_inputs(schema: Mapping[str, Any]) -> Iterator[EdgeInput]:
    """Boundary, encoding and shape inputs for a JSON request *schema* (``$ref``-free).

    A "positive" input the schema does not admit (a ``pattern`` or a format the
    hand-written value misses) is relabelled "negative", naming why: a correct
    server refuses it, so it must not be reported for doing so.
    """
    from pytest_antimetal.spec.validation import RequestValidator

    validator = RequestValidator(schema)
    for item in _edge_inputs(schema):
        if item.intent == "positive" and item.raw is None and not validator.is_valid(item.body):
            path, message = next(iter(validator.errors(item.body).items()), ("body", "invalid"))
            label = f"{item.label} (not valid per the spec: {path} {message})"
            yield dataclasses.replace(item, intent="negative", label=label)
        else:
            yield item


def _edge_inputs(schema: Mapping[str, Any]) -> Iterator[EdgeInput]:
    base = valid_body(schema)
    full = valid_body(schema, full=True)
    yield EdgeInput("every optional field absent", "positive", base)
    yield EdgeInput("every optional field present", "positive", full)
    yield EdgeInput(
        "Content-Type with charset",
        "positive",
        base,
        content_type="application/json; charset=utf-8",
    )

    for sf in string_fields(schema):
        low = sf.min_length or 0
        if low >= 1:
            yield EdgeInput(
                f"{sf.dotted} of {low} character(s)", "positive", _set(base, sf.path, "a" * low)
            )
            yield EdgeInput(f"{sf.dotted} empty", "negative", _set(base, sf.path, ""))
        if sf.max_length is not None:
            top = sf.max_length
            yield EdgeInput(
                f"{sf.dotted} of {top} characters", "positive", _set(base, sf.path, "m" * top)
            )
            yield EdgeInput(
                f"{sf.dotted} of {top + 1} characters",
                "negative",
                _set(base, sf.path, "m" * (top + 1)),
            )
            # Length counts characters, not bytes or UTF-16 units.
            yield EdgeInput(
                f"{sf.dotted} of {top} astral characters",
                "positive",
                _set(base, sf.path, "\U0001f525" * top),
                ascii_only=False,
            )
        else:
            yield EdgeInput(
                f"{sf.dotted} of {_LONG_TEXT_BYTES} bytes",
                "positive",
                _set(base, sf.path, "d" * _LONG_TEXT_BYTES),
            )
        astral = _fit(_ASTRAL, sf.min_length, sf.max_length)
        yield EdgeInput(
            f"{sf.dotted} non-ASCII (raw UTF-8)",
            "positive",
            _set(base, sf.path, _fit(_NON_ASCII, sf.min_length, sf.max_length)),
            ascii_only=False,
        )
        yield EdgeInput(
            f"{sf.dotted} astral-plane (\\u escapes)", "positive", _set(base, sf.path, astral)
        )
        yield EdgeInput(
            f"{sf.dotted} astral-plane (raw UTF-8)",
            "positive",
            _set(base, sf.path, astral),
            ascii_only=False,
        )
        if sf.required:
            yield EdgeInput(
                f"{sf.dotted} missing",
                "negative",
                {k: v for k, v in base.items() if k != sf.path[0]},
            )
        yield EdgeInput(f"{sf.dotted} not a string", "negative", _set(base, sf.path, 12345))

    for name, node in (schema.get("properties") or {}).items():
        if isinstance(node, Mapping) and node.get("enum"):
            for value in node["enum"]:
                yield EdgeInput(f"{name} = {value!r}", "positive", _set(base, (name,), value))
            first = str(node["enum"][0])
            if first.upper() != first:
                yield EdgeInput(
                    f"{name} = {first.upper()!r} (case differs from the enum)",
                    "negative",
                    _set(base, (name,), first.upper()),
                )

    for path, node in walk_schema(schema):
        if (
            path
            and node.get("type") == "object"
            and node.get("additionalProperties")
            not in (
                None,
                False,
            )
        ):
            dotted = ".".join(path)
            yield EdgeInput(f"{dotted} empty", "positive", _set(base, path, {}))
            yield EdgeInput(
                f"{dotted} nested {_NESTING} deep", "positive", _set(base, path, _nested(_NESTING))
            )

    for dt in datetime_fields(schema):
        seen: set[str] = set()
        for probe in DATETIME_PROBES:
            verdict = classify_datetime(probe, dt.pattern)
            if verdict in seen and verdict != "both":
                continue
            seen.add(verdict)
            intent: Intent = "positive" if verdict == "both" else "negative"
            yield EdgeInput(
                f"{dt.dotted} = {probe!r} ({verdict})", intent, _set(base, dt.path, probe)
            )


def malformed_inputs(schema: Mapping[str, Any]) -> Iterator[EdgeInput]:
    """Bodies that are not a valid JSON object of the right media type: always a 4xx."""
    base = json.dumps(valid_body(schema)).encode()
    yield EdgeInput("truncated JSON", "negative", raw=base[: len(base) // 2])
    yield EdgeInput("not JSON at all", "negative", raw=b"title=hello&description=x")
    yield EdgeInput("empty body", "negative", raw=b"")
    yield EdgeInput("JSON array", "negative", raw=b"[]")
    yield EdgeInput("JSON string", "negative", raw=b'"issue"')
    yield EdgeInput("JSON number", "negative", raw=b"42")
    yield EdgeInput("JSON null", "negative", raw=b"null")
    yield EdgeInput("NaN literal", "negative", raw=base[:-1] + b', "extra": NaN}')
    yield EdgeInput("invalid UTF-8", "negative", raw=b'{"title": "\xff\xfe", "x": "\xc3"}')
    yield EdgeInput("deeply nested JSON", "negative", raw=b"[" * 100_000 + b"]" * 100_000)
    yield EdgeInput(
        "wrong Content-Type (text/plain)", "negative", raw=base, content_type="text/plain"
    )
    yield EdgeInput(
        "form-encoded body",
        "negative",
        raw=b"title=a&description=b&environment=c",
        content_type="application/x-www-form-urlencoded",
    )
    yield EdgeInput("no Content-Type", "unknown", raw=base, content_type=None)
    yield EdgeInput("UTF-8 BOM before JSON", "unknown", raw=b"\xef\xbb\xbf" + base)
