"""``antimetal-contract diff``, and the reading and diffing ``pull`` shares with it.

``diff OLD NEW`` exits 1 when a change at or above ``--fail-on`` (default
``breaking``) is found, 0 otherwise, 2 when a document cannot be read.
``pull`` (refresh the vendored copy) is :mod:`pytest_antimetal.drift.pull`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_antimetal._usage import UsageError
from pytest_antimetal.drift.model import Change, DiffResult, Level
from pytest_antimetal.drift.report import FORMATS, render
from pytest_antimetal.drift.rules import DEFAULT_SUNSET_WINDOW, diff_documents
from pytest_antimetal.drift.source import Loaded, load_source
from pytest_antimetal.spec import SpecError

if TYPE_CHECKING:
    from pytest_antimetal.drift.accept import AcceptFile

__all__ = [
    "add_common_options",
    "classified_diff",
    "configure_parser",
    "load_document",
    "run",
]

_LEVELS = [level.value for level in reversed(Level)]


def load_document(source: str) -> Loaded:
    try:
        return load_source(source)
    except SpecError as exc:
        raise UsageError(str(exc)) from None


def add_common_options(parser: argparse.ArgumentParser, *, fail_on_default: str | None) -> None:
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="text",
        help="text (default), json, markdown (a PR comment) or github (workflow annotations)",
    )
    parser.add_argument(
        "--fail-on",
        choices=_LEVELS,
        default=fail_on_default,
        help="exit 1 when a change at or above this level is found"
        + (f" (default: {fail_on_default})" if fail_on_default else ""),
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``antimetal-contract diff``."""
    parser.description = (
        "Compare two versions of an OpenAPI document and classify every change as "
        "breaking, warning or info."
    )
    parser.add_argument("old", metavar="OLD", help="path or http(s) URL (YAML or JSON)")
    parser.add_argument("new", metavar="NEW", help="path or http(s) URL (YAML or JSON)")
    add_common_options(parser, fail_on_default="breaking")
    parser.add_argument(
        "--used-by",
        action="append",
        default=[],
        metavar="PATH",
        help="VCR.py cassettes (a file, or a directory searched recursively; repeatable): "
        "changes to operations, parameters and fields they do not use become "
        "'info: not used here'",
    )
    parser.add_argument(
        "--sunset-window",
        type=_days,
        default=DEFAULT_SUNSET_WINDOW,
        metavar="DAYS",
        help="a sunset this close to today, of something used, is breaking "
        f"(default: {DEFAULT_SUNSET_WINDOW})",
    )
    parser.add_argument(
        "--accept",
        metavar="PATH",
        default=None,
        help="reviewed exceptions (default: ./antimetal-drift.toml, else "
        "[tool.antimetal.drift] in ./pyproject.toml)",
    )
    parser.add_argument(
        "--write-accept",
        action="store_true",
        help="append draft entries for the changes that fail the check to the accept file "
        "(reasons left empty for you to write)",
    )


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if not 0 <= days <= 36500:
        raise argparse.ArgumentTypeError(f"must be between 0 and 36500 days, got {days}")
    return days


def classified_diff(old: Loaded, new: Loaded, old_source: str, new_source: str) -> DiffResult:
    try:
        return diff_documents(
            old.spec.document, new.spec.document, old_source=old_source, new_source=new_source
        )
    except RecursionError:
        raise UsageError(f"{new_source}: schemas nested too deeply to compare") from None


def run(args: argparse.Namespace) -> int:
    """Run ``diff``; the exit status."""
    from pytest_antimetal.drift import usage
    from pytest_antimetal.drift.accept import AcceptError
    from pytest_antimetal.drift.gate import evaluate

    old, new = load_document(args.old), load_document(args.new)
    try:
        accept = _accept_file(args.accept, creating=args.write_accept)
        result = evaluate(
            old.spec.document,
            new.spec.document,
            old_source=args.old,
            new_source=args.new,
            used_by=args.used_by,
            accept=accept,
            sunset_window=args.sunset_window,
        )
    except usage.UsageError as exc:
        raise UsageError(f"--used-by: {exc}") from None
    except AcceptError as exc:
        raise UsageError(str(exc)) from None
    except RecursionError:
        raise UsageError(f"{args.new}: schemas nested too deeply to compare") from None
    sys.stdout.write(render(result, args.format))
    if args.write_accept:
        _write_drafts(args.accept, accept, result.at_or_above(Level(args.fail_on)))
    return 1 if result.fails(Level(args.fail_on)) else 0


def _accept_file(path: str | None, *, creating: bool) -> AcceptFile | None:
    from pytest_antimetal.drift.accept import AcceptFile

    if path is None:
        return AcceptFile.discover(Path())  # relative: messages name the file as the user does
    if creating and not Path(path).exists():
        return None  # --write-accept creates it
    return AcceptFile.load(path)


def _write_drafts(path: str | None, accept: AcceptFile | None, changes: list[Change]) -> None:
    import datetime as dt

    from pytest_antimetal.drift.accept import ACCEPT_FILENAME, draft

    target = Path(path) if path is not None else None
    if target is None:
        target = Path(accept.path) if accept is not None else Path(ACCEPT_FILENAME)
    if target.name == "pyproject.toml":
        raise UsageError(
            f"--write-accept: drafts go to {ACCEPT_FILENAME}, not {target} "
            f"(pass --accept {ACCEPT_FILENAME}, then move the entries if you like)"
        )
    pending = [c for c in changes if accept is None or not accept.contains(c)]
    text = draft(pending, dt.date.today())
    if not text:
        print(f"--write-accept: nothing to draft ({target} unchanged)", file=sys.stderr)
        return
    try:
        with target.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror or exc})") from None
    count = text.count("[[accept]]")
    print(
        f"drafted {count} entr{'y' if count == 1 else 'ies'} in {target}: write each reason, "
        "then commit it",
        file=sys.stderr,
    )
