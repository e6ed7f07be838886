"""``antimetal-contract diff`` and ``antimetal-contract pull``.

``diff OLD NEW`` exits 1 when a change at or above ``--fail-on`` (default
``breaking``) is found, 0 otherwise, 2 when a document cannot be read.

``pull`` fetches the vendor's current document, checks it parses, still
has ``POST /issues`` and that its ``$ref``s load, prints the classified diff
against the vendored copy, then writes it to ``SPEC_DIR/antimetal-openapi.yaml``
(as YAML; a YAML source is written byte for byte). It exits 0 after writing:
refreshing is the point. A document that means the same as the vendored copy
leaves the file as it is, byte for byte.
With ``--fail-on LEVEL`` it refuses (writes nothing, exit 1) when a change at
or above LEVEL is found; ``--dry-run`` never writes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_antimetal._usage import UsageError
from pytest_antimetal.drift.model import Change, DiffResult, Level
from pytest_antimetal.drift.report import FORMATS, render
from pytest_antimetal.drift.rules import DEFAULT_SUNSET_WINDOW, diff_documents
from pytest_antimetal.drift.source import Loaded, is_url, load_source
from pytest_antimetal.spec import SpecError, check_refs

if TYPE_CHECKING:
    from pytest_antimetal.drift.accept import AcceptFile

__all__ = ["configure_parser", "pull_configure_parser", "pull_run", "run"]

SPEC_FILENAME = "antimetal-openapi.yaml"
_LEVELS = [level.value for level in reversed(Level)]


def _load(source: str) -> Loaded:
    try:
        return load_source(source)
    except SpecError as exc:
        raise UsageError(str(exc)) from None


def _add_common(parser: argparse.ArgumentParser, *, fail_on_default: str | None) -> None:
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
    _add_common(parser, fail_on_default="breaking")
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


def _diff(old: Loaded, new: Loaded, old_source: str, new_source: str) -> DiffResult:
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

    old, new = _load(args.old), _load(args.new)
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


def pull_configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``antimetal-contract pull``."""
    from pytest_antimetal.plugin import DEFAULT_DRIFT_SOURCE

    parser.description = (
        "Fetch the vendor's current OpenAPI document, print the classified diff against "
        "the vendored copy, and write it into the spec directory."
    )
    parser.add_argument(
        "--source",
        default=DEFAULT_DRIFT_SOURCE,
        metavar="URL|PATH",
        help=f"where to read the vendor's document (default: {DEFAULT_DRIFT_SOURCE})",
    )
    parser.add_argument(
        "--spec-dir",
        default="spec",
        type=Path,
        metavar="DIR",
        help=f"directory holding {SPEC_FILENAME} (default: ./spec)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    _add_common(parser, fail_on_default=None)


def _yaml_text(loaded: Loaded) -> str:
    if not loaded.text.lstrip().startswith("{"):
        return loaded.text if loaded.text.endswith("\n") else loaded.text + "\n"
    import yaml

    # SafeDumper quotes strings that would load as another type ('2026-03-17').
    return yaml.safe_dump(loaded.spec.document, sort_keys=False, allow_unicode=True, width=100)


def _file_mode(path: Path) -> int:
    """The permission bits *path* should end with: its current ones, else a new file's."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)  # the only way to read it; restored at once
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # mkstemp creates the file 0600 and os.replace keeps that: a shared
        # checkout or a container running as another user could not read it.
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pull_run(args: argparse.Namespace) -> int:
    """Run ``pull``; the exit status."""
    new = _load(args.source)
    try:
        new.spec.operation("post", "/issues")
    except SpecError:
        raise UsageError(f"{args.source}: has no POST /issues; refusing to vendor it") from None
    try:  # what the plugin would refuse to load is not vendored either
        check_refs(new.spec.document, source=args.source)
    except SpecError as exc:
        raise UsageError(f"{exc}; refusing to vendor it") from None
    target: Path = args.spec_dir / SPEC_FILENAME
    if target.exists():
        old = _load(str(target))
        result = _diff(old, new, str(target), args.source)
        sys.stdout.write(render(result, args.format))
        if args.fail_on is not None and result.at_or_above(Level(args.fail_on)):
            print(f"not written: changes at or above {args.fail_on} (see above)", file=sys.stderr)
            return 1
        if old.spec.document == new.spec.document:
            # Same document, other text (the vendor serves JSON, spec/ holds YAML):
            # rewriting would make a textual diff with no change in it.
            print(f"{target} is up to date with {args.source}: not rewritten", file=sys.stderr)
            return 0
    else:
        # Nothing to compare with: no diff report (it would say "No changes.").
        print(f"{target} does not exist yet: the whole document is new", file=sys.stderr)
    if args.dry_run:
        print(f"dry run: {target} not written", file=sys.stderr)
        return 0
    text = _yaml_text(new)
    try:
        _write_atomically(target, text)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write ({exc.strerror or exc})") from None
    origin = "fetched" if is_url(args.source) else "copied"
    print(f"{origin} {args.source} -> {target}", file=sys.stderr)
    return 0
