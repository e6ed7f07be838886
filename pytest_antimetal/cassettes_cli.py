"""Moved to :mod:`pytest_antimetal.cassettes.cli`; kept for one release."""

from __future__ import annotations

from pytest_antimetal.cassettes.check import empty_directory_problem
from pytest_antimetal.cassettes.cli import configure_parser, run

__all__ = ["configure_parser", "empty_directory_problem", "run"]
