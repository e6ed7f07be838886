"""The schema-node readings every value builder shares (spec/nodes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_antimetal.spec.nodes import fit_length, value_type


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": ["null", "integer"]}, "integer"),
        ({"type": ["null"]}, None),
        ({}, None),
    ],
)
def test_value_type(node: dict[str, Any], expected: Any) -> None:
    assert value_type(node) == expected


@pytest.mark.parametrize(
    ("text", "node", "expected"),
    [
        ("abcdef", {"maxLength": 3}, "abc"),
        ("ab", {"minLength": 4}, "abxx"),
        ("abcdef", {"minLength": 2, "maxLength": 4}, "abcd"),
        ("abc", {"maxLength": None, "minLength": None}, "abc"),
        ("abc", {}, "abc"),
    ],
)
def test_fit_length(text: str, node: dict[str, Any], expected: str) -> None:
    assert fit_length(text, node) == expected
