"""Moved to :mod:`pytest_antimetal.spec.facts`; kept for one release."""

from pytest_antimetal.spec.facts import DEFAULT_WORDS, documented_default

__all__ = ["DEFAULT_WORDS", "documented_default"]
