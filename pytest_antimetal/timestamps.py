"""Moved to :mod:`pytest_antimetal.spec.formats`; kept for one release."""

from pytest_antimetal.spec.formats import format_instant, normalise_timestamp

__all__ = ["format_instant", "normalise_timestamp"]
