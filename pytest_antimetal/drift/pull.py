"""``antimetal-contract pull``: refresh the vendored spec from the vendor's document.

Fetches the vendor's current document, checks it parses, still has ``POST /issues``
and that its ``$ref``s load, prints the classified diff against the vendored copy
(as ``diff`` does: :mod:`pytest_antimetal.drift.cli`), then writes it to
``SPEC_DIR/antimetal-openapi.yaml`` (as YAML; a YAML source is written byte for
byte). It exits 0 after writing: refreshing is the point. A document that means the
same as the vendored copy leaves the file as it is, byte for byte. With
``--fail-on LEVEL`` it refuses (writes nothing, exit 1) when a change at or above
LEVEL is found; ``--dry-run`` never writes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from pytest_antimetal._usage import UsageError
from pytest_antimetal.drift.cli import add_common_options, classified_diff, load_document
from pytest_antimetal.drift.model import Level
from pytest_antimetal.drift.report import render
from pytest_antimetal.drift.source import DEFAULT_DRIFT_SOURCE, Loaded, is_url
from pytest_antimetal.spec import SpecError, check_refs

__all__ = ["SPEC_FILENAME", "configure_parser", "run"]

SPEC_FILENAME = "antimetal-openapi.yaml"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``antimetal-contract pull``."""
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
    add_common_options(parser, fail_on_default=None)


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


def run(args: argparse.Namespace) -> int:
    """Run ``pull``; the exit status."""
    new = load_document(args.source)
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
        old = load_document(str(target))
        result = classified_diff(old, new, str(target), args.source)
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
