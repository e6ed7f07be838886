"""Facts read out of a spec's prose that more than one module needs (was ``spec_facts.py``).

One place for each reading, so the fake, the contract checks and the linter
cannot disagree about what the document says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_WORDS", "documented_default"]

DEFAULT_WORDS = re.compile(r"defaults? to ([A-Za-z0-9_\-]+)", re.IGNORECASE)
"""Matches "defaults to X" / "default to X" in a description; group 1 is X."""


def documented_default(node: Mapping[str, Any]) -> Any:
    """A property's default: ``default``, else "defaults to X" in its description.

    The description may spell an enum value in another case ("MEDIUM" for
    ``medium``): the value on the wire is the enum's spelling. ``None`` when the
    description names no enum value (e.g. "defaults to current time").
    """
    if "default" in node:
        return node["default"]
    match = DEFAULT_WORDS.search(str(node.get("description", "")))
    if match is None:
        return None
    word = match.group(1)
    for value in node.get("enum") or ():
        if isinstance(value, str) and value.lower() == word.lower():
            return value
    return None
