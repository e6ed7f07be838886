"""``antimetal-contract pull``: the subcommand module (see :mod:`pytest_antimetal.drift.cli`).

A module of its own so the dispatcher's ``configure_parser``/``run`` convention
applies unchanged.
"""

from __future__ import annotations

import argparse

from pytest_antimetal.drift.cli import pull_configure_parser, pull_run

__all__ = ["configure_parser", "run"]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``antimetal-contract pull``."""
    pull_configure_parser(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``pull``; the exit status."""
    return pull_run(args)
