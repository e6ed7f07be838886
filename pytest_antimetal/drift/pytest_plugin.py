"""Moved to :mod:`pytest_antimetal.drift.plugin`; kept for one release."""

from __future__ import annotations

from pytest_antimetal.drift.plugin import (
    ITEM_NAME,
    DriftFailure,
    DriftItem,
    DriftPlugin,
    project_cassettes,
    resolve_source,
)

__all__ = [
    "ITEM_NAME",
    "DriftFailure",
    "DriftItem",
    "DriftPlugin",
    "project_cassettes",
    "resolve_source",
]
