"""Moved to :mod:`pytest_antimetal.drift.plugin`; kept for one release."""

from __future__ import annotations

from pytest_antimetal.drift.plugin import *  # noqa: F403
from pytest_antimetal.drift.plugin import __all__  # noqa: F401 - the old names, exactly
