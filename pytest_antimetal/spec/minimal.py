"""The smallest valid value for a schema: one builder for the fake and the factory.

The fake fills a required response field it cannot know with it; the issue
factory, a required request field it has no realistic value for. Before this
module each had its own builder and they disagreed (pinned in
``tests/test_spec_semantics.py``). The choices, and why:

- ``default`` before ``enum``, but only a ``default`` the ``enum`` contains: the
  document's own choice is the most natural value, yet a builder of *valid*
  values cannot return a default its schema rejects (``antimetal-contract lint``
  reports those); the first ``enum`` value is then used.
- A string without ``minLength`` is ``""``: JSON Schema's ``minLength`` defaults to 0.
- Formats get a value of that format (``date-time``: *now*; ``date``; ``uuid``:
  *new_uuid*; ``uri``/``url``; ``email``), numbers respect ``minimum``/``maximum``
  in both the draft-4 and the draft-6 spelling, ``type`` lists skip ``null``, and
  ``allOf``/``oneOf``/``anyOf`` take their first option.

``pattern`` is not honoured (neither builder did); a field with one needs a
realistic value from its caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pytest_antimetal.spec.nodes import value_type

__all__ = ["DEFAULT_NOW", "DEFAULT_UUID", "minimal_value"]

DEFAULT_NOW = "2026-01-01T00:00:00.000Z"
"""The date-time :func:`minimal_value` uses when its caller has no clock."""

DEFAULT_UUID = "00000000-0000-4000-8000-000000000000"
"""The uuid :func:`minimal_value` uses when its caller mints none."""


def _fixed_uuid() -> str:
    return DEFAULT_UUID


def minimal_value(
    node: Mapping[str, Any],
    *,
    now: str = DEFAULT_NOW,
    new_uuid: Callable[[], str] = _fixed_uuid,
) -> Any:
    """A small value valid against *node* (``$ref``-free), ``None`` when it says nothing.

    *now* is the wire-form instant a ``date-time`` gets; *new_uuid* is called for
    each ``format: uuid`` string.
    """
    if "default" in node:
        enum = node.get("enum")
        if not isinstance(enum, list) or node["default"] in enum:
            return node["default"]
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for combinator in ("allOf", "oneOf", "anyOf"):
        options = node.get(combinator)
        if isinstance(options, list) and options and isinstance(options[0], Mapping):
            return minimal_value(options[0], now=now, new_uuid=new_uuid)
    kind = value_type(node)
    if kind == "string":
        return _minimal_string(node, now, new_uuid)
    if kind in ("integer", "number"):
        return _minimal_number(node, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "array":
        items = node.get("items")
        item = minimal_value(
            items if isinstance(items, Mapping) else {}, now=now, new_uuid=new_uuid
        )
        return [item] * int(node.get("minItems") or 0)
    if kind == "object" or "properties" in node:
        props = node.get("properties") or {}
        return {
            name: minimal_value(props.get(name) or {}, now=now, new_uuid=new_uuid)
            for name in node.get("required") or ()
        }
    return None


def _minimal_string(node: Mapping[str, Any], now: str, new_uuid: Callable[[], str]) -> str:
    fmt = node.get("format")
    if fmt == "date-time":
        return now
    if fmt == "date":
        return now[:10]
    if fmt == "uuid":
        return new_uuid()
    if fmt in ("uri", "url"):
        return "https://example.com/"
    if fmt == "email":
        return "user@example.com"
    return "x" * int(node.get("minLength") or 0)


def _minimal_number(node: Mapping[str, Any], *, integer: bool) -> int | float:
    low = node.get("minimum")
    exclusive = node.get("exclusiveMinimum")
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        low, exclusive = exclusive, True  # draft 6+ spelling
    if low is None:
        high = node.get("maximum")
        value: int | float = 0 if high is None or high >= 0 else math.floor(high) - 1
        return value if integer else float(value)
    value = math.ceil(low) if integer else low
    if exclusive is True and value <= low:
        value = value + 1
    return value
