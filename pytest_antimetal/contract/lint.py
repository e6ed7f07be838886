"""Moved to :mod:`pytest_antimetal.spec.lint`; kept for one release."""

from pytest_antimetal.spec.lint import (
    Inconsistency,
    configure_parser,
    find_inconsistencies,
    run,
)

__all__ = ["Inconsistency", "configure_parser", "find_inconsistencies", "run"]
