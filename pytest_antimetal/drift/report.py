"""Render a :class:`~pytest_antimetal.drift.model.DiffResult` for people and machines."""

from __future__ import annotations

import json

from pytest_antimetal.drift.model import Change, DiffResult, Level

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


def render_markdown(result: DiffResult) -> str:
    """A pull-request comment: a headline and a table."""
    verdict = "breaking changes" if result.breaking else "no breaking change"
    lines = [
        f"### Antimetal API spec drift: {verdict}",
        "",
        f"`{_cell(result.old_source)}` → `{_cell(result.new_source)}`: {_counts(result)}.",
    ]
    if result.changes:
        lines += ["", "| Level | Operation | Change | Rule | Location |", "|---|---|---|---|---|"]
        for c in result.changes:
            operation = f"`{_cell(c.operation)}`" if c.operation else "(document)"
            lines.append(
                f"| {_BADGE[c.level]} | {operation} | {_cell(c.message)} "
                f"| `{c.id}` | `{_cell(c.location)}` |"
            )
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_COMMAND = {Level.BREAKING: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def render_github(result: DiffResult) -> str:
    """GitHub Actions workflow commands: one annotation per change, then the counts."""
    lines = []
    for c in result.changes:
        title = _escape_property(f"Spec drift: {c.id}")
        where = f"{c.operation}: " if c.operation else ""
        message = _escape_data(f"{where}{c.message} (at {c.location})")
        lines.append(f"::{_COMMAND[c.level]} title={title}::{message}")
    lines.append(f"Spec drift {result.old_source} -> {result.new_source}: {_counts(result)}")
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
