"""Schema-valid values from the document's own schemas, drawn from a ``random.Random``.

The one generator the builders share: it reads a schema node of the *raw*
document and resolves ``$ref`` as it walks (the metric artifact's attribute
values refer to themselves, so a fully inlined copy does not exist), with a
depth past which only required properties and ``minItems`` are filled in.

Everything a value must satisfy comes from the node: ``type``, ``enum``,
``nullable``, ``oneOf``/``anyOf``/``allOf``, lengths, bounds, ``format`` and
``pattern``. A date-time satisfies both its ``pattern`` and RFC 3339 (the
vendor's pattern admits ``10:00Z``, which the format rejects); a ``uuid``
is a version-4 UUID, which the vendor's patterns (versions 1-8) admit. Text
comes from :mod:`.text`, keyed by the property's name. Standard library only.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pytest_antimetal.builders.text import for_field, service
from pytest_antimetal.spec.formats import format_instant, is_rfc3339, pattern_admits
from pytest_antimetal.spec.loading import Spec, SpecError, resolve_pointer
from pytest_antimetal.spec.nodes import fit_length, value_type

__all__ = ["MAX_DEPTH", "ValueMaker", "new_uuid"]

MAX_DEPTH = 12
"""Schema nesting past which only what is required is generated (ends ``$ref`` cycles)."""

_MAX_ITEMS = 3
_NULL_CHANCE = 0.15
_OPTIONAL_CHANCE = 0.7
_FIRST_CHANCE = 0.8
_BUSHY_DEPTH = 5
"""Past this nesting, optional properties are rarer and arrays hold one item (values stay small)."""


def new_uuid(rnd: random.Random) -> str:
    """A version-4 UUID drawn from *rnd* (a function of its seed)."""
    return str(uuid.UUID(int=rnd.getrandbits(128), version=4))


class ValueMaker:
    """Values for schema nodes of *spec*'s document, drawn from *rnd*.

    *now* is the instant generated date-times lie shortly before (the caller's
    clock); *words* gives the text for a property name (:func:`.for_field`).
    """

    def __init__(
        self,
        spec: Spec,
        rnd: random.Random,
        *,
        now: datetime,
        words: Callable[[str, random.Random], str] = for_field,
    ) -> None:
        self.document = spec.document
        self.rnd = rnd
        self.now = now
        self.words = words

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """*node* with a top-level ``$ref`` followed (siblings override the target)."""
        seen = 0
        while isinstance(node.get("$ref"), str):
            seen += 1
            if seen > MAX_DEPTH:
                raise SpecError(f"$ref chain too long at {node['$ref']!r}")
            target = resolve_pointer(self.document, node["$ref"])
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **siblings} if siblings else target
        return node

    def instant(self, *, within_minutes: int = 180) -> str:
        """A wire-form date-time up to *within_minutes* before ``now``, whole seconds."""
        back = timedelta(seconds=self.rnd.randint(0, within_minutes * 60))
        return format_instant((self.now - back).replace(microsecond=0))

    def value(self, node: Mapping[str, Any], name: str = "", depth: int = 0) -> Any:
        """A value valid against *node*; *name* is the property it is for (text hints)."""
        node = self.resolve(node)
        shallow = depth >= MAX_DEPTH
        if node.get("nullable") is True and not shallow and self.rnd.random() < _NULL_CHANCE:
            return None
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            return self.rnd.choice([v for v in enum if v is not None] or enum)
        options = node.get("oneOf")
        if isinstance(options, list) and options:
            # The vendor's oneOfs are told apart by a one-value enum (``type``,
            # ``metricType``): any option on its own is valid against exactly one.
            return self.value(self.rnd.choice(options), name, depth + 1)
        options = node.get("anyOf")
        if isinstance(options, list) and options:
            # anyOf lists the usual form first (a number before "NaN"/"Infinity").
            pick = options[0] if self.rnd.random() < _FIRST_CHANCE else self.rnd.choice(options)
            return self.value(pick, name, depth + 1)
        if isinstance(node.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
            for raw in node["allOf"]:
                part = self.resolve(raw)
                properties = {**merged.get("properties", {}), **part.get("properties", {})}
                required = [*merged.get("required", []), *part.get("required", [])]
                merged = {**merged, **part, "properties": properties, "required": required}
                merged.pop("allOf", None)
            return self.value(merged, name, depth + 1)
        kind = value_type(node)
        if kind == "string":
            return self.string(node, name)
        if name.endswith("UnixNano") and kind in ("integer", "number", "string"):
            # Nanoseconds since the epoch (OpenTelemetry's form) shortly before now.
            nanos = int(self.now.timestamp() - self.rnd.randint(0, 3600)) * 1_000_000_000
            return str(nanos) if kind == "string" else nanos
        if kind == "integer":
            return self.number(node, integer=True)
        if kind == "number":
            return self.number(node, integer=False)
        if kind == "boolean":
            return self.rnd.random() < 0.5
        if kind == "array":
            return self.array(node, name, depth)
        if kind == "object" or "properties" in node or "additionalProperties" in node:
            return self.object(node, depth)
        return self.words(name, self.rnd) if name else None

    def string(self, node: Mapping[str, Any], name: str) -> str:
        """A string of the node's ``format``, within its lengths and ``pattern``."""
        fmt = node.get("format")
        pattern = node.get("pattern")
        if fmt == "date-time" or (fmt is None and pattern is None and name == "timestamp"):
            candidate = self.instant()
        elif fmt == "date":
            candidate = self.instant()[:10]
        elif fmt == "uuid":
            candidate = new_uuid(self.rnd)
        elif fmt in ("uri", "url"):
            candidate = f"https://app.example.com/{self.rnd.getrandbits(32):08x}"
        elif fmt == "email":
            candidate = f"oncall{self.rnd.randint(1, 99)}@example.com"
        else:
            candidate = self.words(name, self.rnd)
        candidate = fit_length(candidate, node)
        if fmt == "date-time" and not is_rfc3339(candidate):
            raise SpecError(f"{name or 'a date-time'}: cannot fit an RFC 3339 value in {node}")
        if isinstance(pattern, str) and not pattern_admits(pattern, candidate):
            raise SpecError(
                f"{name or 'a string'}: no generator for pattern {pattern!r} "
                f"(format {fmt!r}); pass a value as an override"
            )
        return candidate

    def number(self, node: Mapping[str, Any], *, integer: bool) -> int | float:
        """A number within the node's bounds (draft-4 and draft-6 spellings)."""
        low = _bound(node, "minimum", "exclusiveMinimum", integer, up=True)
        high = _bound(node, "maximum", "exclusiveMaximum", integer, up=False)
        if integer:
            lo = int(low) if low is not None else 0
            hi = int(high) if high is not None else lo + 1000
            return self.rnd.randint(lo, min(hi, lo + 1000))
        lo_f = float(low) if low is not None else 0.0
        hi_f = float(high) if high is not None else lo_f + 1000.0
        return round(self.rnd.uniform(lo_f, hi_f), 2) if hi_f - lo_f >= 0.01 else lo_f

    def array(self, node: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        """Between ``minItems`` and a few items (``minItems`` only past :data:`MAX_DEPTH`)."""
        low = int(node.get("minItems") or 0)
        high = int(node.get("maxItems", low + _MAX_ITEMS))
        if depth >= MAX_DEPTH:
            count = low
        else:
            top = high if depth < _BUSHY_DEPTH else min(high, max(low, 1))
            count = self.rnd.randint(min(max(low, 1), top), top)
        items = node.get("items")
        item_schema: Mapping[str, Any] = items if isinstance(items, Mapping) else {}
        return [self.value(item_schema, _singular(name), depth + 1) for _ in range(count)]

    def object(self, node: Mapping[str, Any], depth: int) -> dict[str, Any]:
        """Every required property, most optional ones; free-form maps get a few keys."""
        properties: Mapping[str, Any] = node.get("properties") or {}
        required = set(node.get("required") or ())
        shallow = depth >= MAX_DEPTH
        chance = _OPTIONAL_CHANCE if depth < _BUSHY_DEPTH else _OPTIONAL_CHANCE / 4
        out: dict[str, Any] = {}
        for prop, sub in properties.items():
            if prop in required or (not shallow and self.rnd.random() < chance):
                out[prop] = self.value(sub, prop, depth + 1)
        extra = node.get("additionalProperties")
        if not properties and isinstance(extra, Mapping) and not shallow:
            for _ in range(self.rnd.randint(1, _MAX_ITEMS)):
                key = service(self.rnd)
                out[key] = self.value(extra, key, depth + 1)
        return out


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and len(name) > 3 else name


def _bound(
    node: Mapping[str, Any], key: str, exclusive_key: str, integer: bool, *, up: bool
) -> float | None:
    raw = node.get(key)
    exclusive = node.get(exclusive_key)
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        raw, exclusive = exclusive, True  # draft 6+ spelling
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return None
    value = float(raw)
    if exclusive is True:
        step = 1 if integer else 0.01
        return value + step if up else value - step
    return math.ceil(value) if integer and up else math.floor(value) if integer else value
