"""How every value builder reads one schema node: its JSON type and its length bounds.

The fake's content (:mod:`pytest_antimetal.fake.content`), the builders
(:mod:`pytest_antimetal.builders.values`), the issue factory and
:func:`~pytest_antimetal.spec.minimal.minimal_value` each make values from
schemas with their own policy (complete, realistic, realistic-then-broken,
smallest); these readings they share, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["fit_length", "value_type"]


def value_type(node: Mapping[str, Any]) -> Any:
    """The node's ``type``; of a ``type`` list (OAS 3.1), the first that is not ``"null"``."""
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def fit_length(text: str, node: Mapping[str, Any]) -> str:
    """*text* cut to the node's ``maxLength``, then padded with ``x`` to its ``minLength``."""
    longest = node.get("maxLength")
    if longest is not None:
        text = text[: int(longest)]
    return text.ljust(int(node.get("minLength") or 0), "x")
