"""Render a :class:`~pytest_antimetal.drift.model.DiffResult` for people and machines."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_antimetal.drift.model import Change, DiffResult, Level
from pytest_antimetal.drift.source import is_url
from pytest_antimetal.spec import SpecError, resolve_pointer

__all__ = ["FORMATS", "render", "render_github", "render_json", "render_markdown", "render_text"]


def _counts(result: DiffResult) -> str:
    b, w, i = (result.count(level) for level in (Level.BREAKING, Level.WARNING, Level.INFO))
    return f"{b} breaking, {w} warning{'' if w == 1 else 's'}, {i} info"


def render_text(result: DiffResult) -> str:
    """A plain report: a headline, then two lines per change (by operation, then location)."""
    lines = [f"Spec drift {result.old_source} -> {result.new_source}: {_counts(result)}"]
    lines += [f"error: {error}" for error in result.errors]
    lines += [f"note: {note}" for note in result.notes]
    if not result.changes:
        lines.append("No changes.")
    for change in sorted(result.changes, key=lambda c: c.report_key):
        where = change.operation or "(document)"
        lines.append(f"{change.level.value.upper():<9}{where}: {change.message}")
        lines.append(f"{'':<9}[{change.id}] at {change.location}{_note(change)}")
    return "\n".join(lines) + "\n"


def _note(change: Change) -> str:
    """`` (not used here; breaking if used)`` and the like."""
    if not change.note:
        return ""
    was = change.rule_level
    if was is not None and was is not change.level:
        return f" ({change.note}; {was.value} by rule)"
    return f" ({change.note})"


def render_json(result: DiffResult) -> str:
    """``{"changes": [...], "summary": {...}}``, indented, keys in a fixed order."""
    return json.dumps(result.to_dict(), indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_BADGE = {Level.BREAKING: "**breaking**", Level.WARNING: "warning", Level.INFO: "info"}
_HEADING = {Level.BREAKING: "Breaking", Level.WARNING: "Warnings", Level.INFO: "Info"}
FRAGMENT_LINES = 30
"""Lines of an old or new fragment shown in the markdown report before it is cut (and says so)."""


def _at(document: Mapping[str, Any] | None, pointer: str | None) -> tuple[bool, Any]:
    """(found, node) at *pointer* in *document*."""
    if document is None or pointer is None:
        return False, None
    _, slash, tokens = pointer.partition("/")
    if not slash:
        return True, document  # no reference token: the whole document
    try:
        return True, resolve_pointer(document, f"#/{tokens}")
    except SpecError:
        return False, None


def _fence(text: str, lang: str = "json") -> list[str]:
    # A fence longer than any backtick run inside, so a description cannot close it.
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *text.splitlines(), fence]


def _fragment(document: Mapping[str, Any] | None, pointer: str | None) -> list[str] | None:
    found, node = _at(document, pointer)
    if not found:
        return None
    lines = json.dumps(node, indent=2, ensure_ascii=False, default=str).splitlines()
    if len(lines) > FRAGMENT_LINES:
        more = len(lines) - FRAGMENT_LINES
        lines = [*lines[:FRAGMENT_LINES], f"... ({more} more line{'s' if more > 1 else ''} cut)"]
    return _fence("\n".join(lines))


def _fragments(result: DiffResult, change: Change) -> list[str]:
    """Old and new fragments of *change*, folded so a long report stays readable."""
    removed = change.old_location is None or change.old_location == change.location
    old_pointer = change.old_location or change.location
    old = _fragment(result.old_document, old_pointer)
    new_found, _ = _at(result.new_document, change.location)
    new = _fragment(result.new_document, change.location) if new_found else None
    if removed and old is not None and new is not None and old == new:
        old = None  # one pointer, both documents hold the same: not informative twice
    if old is None and new is None:
        return []
    out = ["", "  <details><summary>old / new</summary>", ""]
    for label, body in (("old", old), ("new", new)):
        out.append(f"  {label}:")
        out.append("")
        out += [f"  {line}" for line in (body or ["(absent)"])]
        out.append("")
    out.append("  </details>")
    return out


def render_markdown(result: DiffResult) -> str:
    """A pull-request changelog: breaking first, grouped by operation, old and new fragments."""
    verdict = "breaking changes" if result.breaking else "no breaking change"
    if result.errors:
        verdict = "check failed"
    lines = [
        f"### Antimetal API spec drift: {verdict}",
        "",
        f"`{_cell(result.old_source)}` → `{_cell(result.new_source)}`: {_counts(result)}.",
    ]
    if result.errors or result.notes:
        lines.append("")
        lines += [f"- **error:** {_cell(error)}" for error in result.errors]
        lines += [f"- {_cell(note)}" for note in result.notes]
    for level in reversed(Level):
        changes = [c for c in result.changes if c.level is level]
        if not changes:
            continue
        lines += ["", f"#### {_HEADING[level]} ({len(changes)})"]
        groups: dict[str, list[Change]] = {}
        for change in sorted(changes, key=lambda c: c.report_key):
            groups.setdefault(change.operation or "(document)", []).append(change)
        for operation in sorted(groups, key=lambda o: (o == "(document)", o)):
            title = f"`{operation}`" if operation != "(document)" else operation
            lines += ["", f"##### {title}", ""]
            for c in groups[operation]:
                lines.append(
                    f"- {_cell(c.message)} — `{c.id}` at `{_cell(c.location)}`{_cell(_note(c))}"
                )
                lines += _fragments(result, c)
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_COMMAND = {Level.BREAKING: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def _local(source: str) -> Path | None:
    if is_url(source) or not Path(source).is_file():
        return None
    return Path(source)


def _shown(path: Path) -> str:
    """*path* relative to the working directory (the repository root in a CI job) when inside it."""
    try:
        return Path(os.path.relpath(path.resolve(), Path.cwd())).as_posix()
    except ValueError:  # another drive
        return path.as_posix()


VENDORED_NAME = "antimetal-openapi.yaml"


class _Annotator:
    """``file=`` and ``line=`` for a change, in the vendored spec when it is one side.

    The vendored spec (a local ``antimetal-openapi.yaml``, NEW first) is the
    file in the repository: NEW in a pull request that refreshes it, OLD in a
    scheduled check against the published document. Failing that, NEW when it
    is a local file, else OLD.
    """

    def __init__(self, result: DiffResult) -> None:
        from pytest_antimetal.drift.lines import LineIndex

        sides = [("new", _local(result.new_source)), ("old", _local(result.old_source))]
        local = [(side, path) for side, path in sides if path is not None]
        vendored = [(side, path) for side, path in local if path.name == VENDORED_NAME]
        chosen = (vendored or local)[:1]
        self.side = chosen[0][0] if chosen else "new"
        path = chosen[0][1] if chosen else None
        self.file = _shown(path) if path is not None else None
        self.index = LineIndex.from_file(path) if path is not None else None

    def where(self, change: Change) -> str:
        if self.file is None or self.index is None:
            return ""
        pointer = change.location if self.side == "new" else change.old_location or change.location
        line = self.index.line(pointer)
        where = f"file={_escape_property(self.file)}"
        return f"{where},line={line}," if line is not None else f"{where},"


def render_github(result: DiffResult) -> str:
    """GitHub Actions workflow commands: one annotation per change on its line, then the counts."""
    annotate = _Annotator(result)
    lines = [f"::error title=Spec drift::{_escape_data(error)}" for error in result.errors]
    for c in sorted(result.changes, key=lambda c: c.report_key):
        title = _escape_property(f"Spec drift: {c.id}")
        where = f"{c.operation}: " if c.operation else ""
        message = _escape_data(f"{where}{c.message} (at {c.location}){_note(c)}")
        lines.append(f"::{_COMMAND[c.level]} {annotate.where(c)}title={title}::{message}")
    lines.append(f"Spec drift {result.old_source} -> {result.new_source}: {_counts(result)}")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


FORMATS = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "github": render_github,
}


def render(result: DiffResult, fmt: str = "text") -> str:
    """Render *result* in the format called *fmt* (one of :data:`FORMATS`)."""
    return FORMATS[fmt](result)
