"""Moved to :mod:`pytest_antimetal.cassettes.plugin`; kept for one release."""

from __future__ import annotations

from pytest_antimetal.cassettes.plugin import (
    CHECK_ITEM_NAME,
    PLUGIN_NAME,
    CassetteCheckItem,
    CassettePlugin,
)

__all__ = ["CHECK_ITEM_NAME", "PLUGIN_NAME", "CassetteCheckItem", "CassettePlugin"]
