"""Moved to :mod:`pytest_antimetal.live_budget` (the budget caps the whole run, the issue
factory's creates too, not the contract suite alone); re-exported here for one release."""

from __future__ import annotations

from pytest_antimetal.live_budget import SharedBudget

__all__ = ["SharedBudget"]
