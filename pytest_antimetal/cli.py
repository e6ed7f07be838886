"""``antimetal-contract``: one console script, one subcommand per tool.

Each subcommand lives in the module that owns its feature; this module only
dispatches, and imports that module when the subcommand runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

# Re-exported: subcommands raise it from the leaf module, never from this dispatcher.
from pytest_antimetal._usage import UsageError

__all__ = ["SUBCOMMANDS", "UsageError", "main"]


class _Subcommand(Protocol):
    def configure_parser(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# name -> (module that implements it, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "fake": ("pytest_antimetal.fake.cli", "serve the fake Antimetal API on loopback"),
    "diff": (
        "pytest_antimetal.drift.cli",
        "classify changes between two versions of the OpenAPI document",
    ),
    "cassettes": (
        "pytest_antimetal.cassettes.cli",
        "check recorded cassettes against the spec and for secrets",
    ),
    "lint": (
        "pytest_antimetal.spec.lint",
        "list contradictions in an OpenAPI spec (pattern vs format, default vs enum, ...)",
    ),
    "pull": (
        "pytest_antimetal.drift.pull",
        "refresh spec/ from the vendor's document, printing the classified diff",
    ),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line instead of argparse's usage block.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


DESCRIPTION = "The tools of pytest-antimetal, one subcommand each."
EPILOG = "A command's own options: antimetal-contract COMMAND --help"


def _build_parser(only: str | None) -> argparse.ArgumentParser:
    from pytest_antimetal import __version__

    # Plain text: the module docstring is reStructuredText, which --help would show raw.
    parser = _Parser(prog="antimetal-contract", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "--version",
        action="version",
        version=f"antimetal-contract (pytest-antimetal) {__version__}",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        # Only the chosen subcommand's module is imported.
        if name == only:
            module = cast(_Subcommand, importlib.import_module(module_name))
            module.configure_parser(sub)
            sub.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``antimetal-contract``; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if not a.startswith("-")), None)
    parser = _build_parser(chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(args_list)
    module = cast(_Subcommand, args._module)
    try:
        return module.run(args)
    except UsageError as exc:
        print(f"antimetal-contract {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    # `python -m pytest_antimetal.cli`: UsageError is the leaf module's, so the class the
    # subcommands raise is the one caught here even though this file runs as __main__.
    raise SystemExit(main())
