"""Moved to :mod:`pytest_antimetal.spec.validation`; kept for one release."""

from pytest_antimetal.spec.validation import RequestValidator, to_draft4

__all__ = ["RequestValidator", "to_draft4"]
