"""The contract report as files a CI page can show: JSON, Markdown, one reproduction per entry.

:func:`write_report` writes, under one directory:

* ``report.json``: entries, counts, seed, spec hash, target (its key masked);
* ``report.md``: the same for a pull-request comment or ``$GITHUB_STEP_SUMMARY``;
* ``report.html``: the coverage of the document, an operation x status matrix (self-contained:
  no scripts, no external assets, every value escaped);
* ``test_repro_<id>.py`` per entry: plain pytest + httpx, sending the entry's request to
  ``$ANTIMETAL_BASE_URL`` with the key from ``$ANTIMETAL_API_KEY`` (never written into the
  file) and asserting what the failing check asked; plus ``repro_<id>.sh``, the curl line;
* ``bodies/``: bodies too large to show, named by content.

Everything here comes from :class:`~.entries.Entry`, which holds redacted data only. The
coverage page is :mod:`.report_html`'s, the reproduction :mod:`.repro`'s, the run's context
:mod:`.report_context`'s; ``ReportContext``, ``coverage_html`` and ``repro_source`` are
importable from here too, where they used to live.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pytest_antimetal.contract.coverage import CoverageReport
from pytest_antimetal.contract.entries import Entry
from pytest_antimetal.contract.report import RunStats
from pytest_antimetal.contract.report_context import ReportContext
from pytest_antimetal.contract.report_html import coverage_html
from pytest_antimetal.contract.repro import repro_source

__all__ = [
    "MARKDOWN_LIMIT",
    "ReportContext",
    "append_step_summary",
    "coverage_html",
    "markdown",
    "repro_source",
    "write_report",
]

MARKDOWN_LIMIT = 60_000
"""Bytes of Markdown at most (GitHub caps a step summary at 1 MiB; a comment at 64 KiB)."""


def write_report(
    directory: Path,
    entries: list[Entry],
    stats: RunStats,
    context: ReportContext,
    *,
    coverage: CoverageReport | None = None,
    coverage_min: float | None = None,
) -> list[Path]:
    """Write the report files under *directory*; returns the paths written.

    With *coverage*, report.json has a ``coverage`` section and report.html is written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    bodies = directory / "bodies"
    written: list[Path] = []
    data = {
        "format": 1,
        "seed": context.seed,
        "spec_sha256": context.spec_sha256,
        "target": {"base_url": context.target, "api_key": context.key},
        "counts": {
            "requests": stats.requests,
            "checks": stats.checks,
            "failures_by_check": dict(stats.failures),
            "root_causes": len(entries),
            "failing_requests": sum(e.requests for e in entries),
        },
        "replay": context.replay,
        "entries": [
            {
                **entry.as_dict(),
                "curl": (entry.minimal or entry.representative[0].request).curl(bodies),
                "reproduction": f"test_repro_{entry.id}.py",
            }
            for entry in entries
        ],
    }
    if coverage is not None:
        data["coverage"] = coverage.as_dict(coverage_min)
    path = directory / "report.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    path = directory / "report.md"
    path.write_text(markdown(entries, stats, context, bodies, coverage), encoding="utf-8")
    written.append(path)
    if coverage is not None:
        path = directory / "report.html"
        path.write_text(coverage_html(coverage, context, coverage_min), encoding="utf-8")
        written.append(path)
    for entry in entries:
        path = directory / f"test_repro_{entry.id}.py"
        path.write_text(repro_source(entry, context.rules_of(entry)), encoding="utf-8")
        written.append(path)
        path = directory / f"repro_{entry.id}.sh"
        first = entry.representative[0]
        lines = ["#!/bin/sh", f"# {entry.headline}"]
        if entry.operation is not None:
            lines.append(f"# operation: {entry.operation.title}")
        if first.setup:
            lines.append(f"# first start the target: {first.setup}")
        lines.append((entry.minimal or first.request).curl(bodies))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


def append_step_summary(text: str) -> bool:
    """Append *text* to ``$GITHUB_STEP_SUMMARY`` when that is set (GitHub Actions)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    try:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text)
    except OSError:
        return False  # a summary that cannot be written must not fail the run
    return True


def _fence(text: str) -> str:
    return "```\n" + text.replace("```", "` ` `") + "\n```"


def markdown(
    entries: list[Entry],
    stats: RunStats,
    context: ReportContext,
    bodies: Path | None = None,
    coverage: CoverageReport | None = None,
) -> str:
    """The report as Markdown, at most :data:`MARKDOWN_LIMIT` bytes (a cut is marked)."""
    status = "failed" if entries else "passed"
    out = [
        f"## antimetal contract: {status}",
        "",
        f"Target `{context.target}`, seed `{context.seed}`, spec sha256 "
        f"`{context.spec_sha256[:12]}`: {stats.requests} request(s) sent, {stats.checks} "
        f"check(s) run, {len(entries)} root cause(s).",
        "",
    ]
    if coverage is not None:
        never = sum(1 for _ in coverage.never_exercised())
        out += [
            f"Coverage of the document: {coverage.shown_percent()} ({coverage.covered} of "
            f"{coverage.declared} documented statuses seen and parameters sent); {never} "
            "thing(s) never exercised (report.html, report.json).",
            "",
        ]
    if entries:
        out += ["| id | operation | cause | checks | requests |", "|---|---|---|---|---|"]
        for e in entries:
            cause = e.headline.split("] ", 1)[1].replace("|", "\\|")
            checks = ", ".join(f"{k} x{n}" for k, n in e.checks.items())
            op = "?" if e.operation is None else e.operation.title
            out.append(f"| `{e.id}` | `{op}` | {cause} | {checks} | {e.hits()} |")
        out.append("")
    for e in entries:
        request = e.minimal or e.representative[0].request
        op = "" if e.operation is None else f" in `{e.operation.title}`"
        out += [f"### `{e.id}` {e.family}{op}", "", _fence(e.format(verbose=False)), ""]
        out += [f"Reproduce: `test_repro_{e.id}.py` (pytest + httpx), or", ""]
        out += [_fence(request.curl(bodies)), ""]
    text = "\n".join(out) + "\n"
    data = text.encode()
    if len(data) > MARKDOWN_LIMIT:
        cut = data[:MARKDOWN_LIMIT].decode("utf-8", errors="ignore")
        text = f"{cut}\n\n[... {len(data) - MARKDOWN_LIMIT:,} more bytes cut: see report.json]\n"
    return text
