"""Moved to :mod:`pytest_antimetal.cassettes.format`; kept for one release.

The limits are read from the new module: patch them there.
"""

from __future__ import annotations

from pytest_antimetal.cassettes.format import *  # noqa: F403
from pytest_antimetal.cassettes.format import __all__  # noqa: F401 - the old names, exactly
