"""Generated content for the fake, read from the spec's schemas (nothing hand-copied).

:func:`filled` builds a value valid against a schema with every documented
property present (arrays of one item, the first ``oneOf``/``anyOf`` option,
enum members and words picked by a ``random.Random``), so an investigation's
results, an artifact or an agent's answer look like the real thing and are
a function of the random generator's seed. :func:`empty_value` is the other
end: required properties only, nullable ones ``null``, arrays empty (what
"no results yet" looks like).

Beside :class:`pytest_antimetal.builders.values.ValueMaker` on purpose: that one
draws realistic, varied values (optional fields sometimes, a random ``oneOf``
option, text by field name); the fake needs every documented field present and a
fixed shape per seed. What both read from a node (its type, its length bounds)
is one helper, :mod:`pytest_antimetal.spec.nodes`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from pytest_antimetal.spec.minimal import minimal_value
from pytest_antimetal.spec.nodes import fit_length, value_type

__all__ = ["WORDS", "empty_value", "filled", "sentence"]

WORDS = [
    "checkout",
    "latency",
    "rose",
    "after",
    "deploy",
    "connection",
    "pool",
    "exhausted",
    "database",
    "replica",
    "lag",
    "cache",
    "miss",
    "rate",
    "spiked",
    "upstream",
    "timeout",
    "retry",
    "storm",
    "memory",
    "pressure",
    "node",
    "evicted",
    "error",
    "budget",
    "burned",
    "queue",
    "depth",
    "grew",
    "config",
    "change",
    "rolled",
    "out",
]

_MAX_DEPTH = 12


def sentence(rng: random.Random, words: int = 6) -> str:
    """A few words, capitalised (the text of generated fields)."""
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[:1].upper() + text[1:]


def empty_value(node: Mapping[str, Any], *, now: str, new_uuid: Callable[[], str]) -> Any:
    """*node*'s required properties only: nullable ones ``null``, the rest minimal."""
    if node.get("nullable") is True:
        return None
    properties = node.get("properties")
    if node.get("type") == "object" and isinstance(properties, Mapping):
        return {
            name: empty_value(properties.get(name) or {}, now=now, new_uuid=new_uuid)
            for name in node.get("required") or ()
        }
    return minimal_value(node, now=now, new_uuid=new_uuid)


def filled(
    node: Mapping[str, Any],
    rng: random.Random,
    *,
    now: str,
    new_uuid: Callable[[], str],
    _depth: int = 0,
) -> Any:
    """A value valid against *node* with every property it documents (see the module)."""
    if _depth > _MAX_DEPTH:
        return minimal_value(node, now=now, new_uuid=new_uuid)
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        choices = [option for option in enum if option is not None] or enum
        return rng.choice(choices)
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = node.get(combinator)
        if isinstance(options, list) and options and isinstance(options[0], Mapping):
            return filled(options[0], rng, now=now, new_uuid=new_uuid, _depth=_depth + 1)
    kind = value_type(node)
    if kind == "string":
        fmt = node.get("format")
        if fmt in ("date-time", "date", "uuid", "uri", "url", "email") or node.get("pattern"):
            return minimal_value(node, now=now, new_uuid=new_uuid)
        return fit_length(sentence(rng, 3), node)
    if kind in ("integer", "number"):
        low = node.get("minimum")
        high = node.get("maximum")
        start = 1 if low is None else int(low) + 1
        value = start + rng.randrange(100)
        if high is not None:
            value = min(value, int(high))
        if low is not None and value <= low:
            return minimal_value(node, now=now, new_uuid=new_uuid)
        return value if kind == "integer" else float(value)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        items = node.get("items")
        item_node = items if isinstance(items, Mapping) else {}
        if "$ref" in item_node:  # a recursive schema: its items stay unresolved
            return []
        count = max(1, int(node.get("minItems") or 0))
        high = node.get("maxItems")
        if high is not None:
            count = min(count, int(high))
        return [
            filled(item_node, rng, now=now, new_uuid=new_uuid, _depth=_depth + 1)
            for _ in range(count)
        ]
    if kind == "object" or "properties" in node:
        properties = node.get("properties") or {}
        required = set(node.get("required") or ())
        return {
            name: filled(sub or {}, rng, now=now, new_uuid=new_uuid, _depth=_depth + 1)
            for name, sub in properties.items()
            # A recursive schema's unresolved $ref: left out unless required.
            if name in required or not (isinstance(sub, Mapping) and "$ref" in sub)
        }
    return None
