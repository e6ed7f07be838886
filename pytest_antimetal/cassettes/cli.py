"""``antimetal-contract cassettes check [PATH]...``: recorded traffic against the spec.

Exit status: 0 when every cassette is clean, 1 on findings, 2 on a usage error
(a PATH that does not exist, a directory without cassettes, an unreadable spec).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pytest_antimetal._usage import UsageError

__all__ = ["configure_parser", "run"]

DEFAULT_PATH = "cassettes"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``check`` (the only action) to the ``cassettes`` subcommand."""
    actions = parser.add_subparsers(dest="cassettes_command", metavar="ACTION")
    actions.required = True
    check = actions.add_parser(
        "check",
        help="validate recorded Antimetal interactions against the spec and scan for secrets",
        description="Validate every recorded Antimetal interaction against the spec (routed "
        "to its operation by path template; for 2xx answers the request's body and header, path "
        "and query parameters; every response against its status's schema, a text/event-stream "
        "answer event by event; undocumented operations and statuses) and scan for the API key "
        "and bearer tokens. Exit 1 on findings.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=f"cassette files or directories (searched recursively; default {DEFAULT_PATH}/)",
    )
    check.add_argument(
        "--spec",
        metavar="PATH",
        default=None,
        help="OpenAPI document to check against (default: the vendored one)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``cassettes check``; print one line per finding and a summary."""
    from pytest_antimetal.cassettes.check import (
        check_cassettes,
        empty_directory_problem,
        find_cassettes,
    )
    from pytest_antimetal.spec import SpecError, load_spec

    if args.cassettes_command != "check":  # pragma: no cover - argparse enforces the choice
        raise UsageError(f"unknown action {args.cassettes_command!r}")
    paths = [Path(p) for p in (args.paths or [DEFAULT_PATH])]
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path} does not exist")
    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    problem = empty_directory_problem(paths)
    if problem is not None:
        raise UsageError(problem)
    files = find_cassettes(paths)
    findings = check_cassettes(files, spec)
    for finding in findings:
        print(finding)
    noun = "cassette" if len(files) == 1 else "cassettes"
    if findings:
        print(f"{len(findings)} finding(s) in {len(files)} {noun} (spec {spec.version})")
        return 1
    print(f"{len(files)} {noun} clean against spec {spec.version}")
    return 0
