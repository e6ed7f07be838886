"""What the contract suite says at the end of its run: the terminal summary, the coverage
gate's lines, and the report files (``--antimetal-report=DIR``, ``$GITHUB_STEP_SUMMARY``).

Functions of a :class:`~pytest_antimetal.contract.suite.ContractSuite`, called from its
plugin's ``pytest_terminal_summary`` on the controller (an xdist worker's share reaches it
on the reports).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.suite import LIVE_TAG
from pytest_antimetal.target import README_REF

if TYPE_CHECKING:
    from pytest_antimetal.contract.suite import ContractSuite

__all__ = ["coverage_lines", "terminal_summary", "write_report"]

_GATE_LINES = 10
"""Things never exercised named under a failed coverage gate (report.html lists them all)."""


def terminal_summary(suite: ContractSuite, terminalreporter: Any) -> None:
    """The ``antimetal contract`` section of the terminal summary (and the report files)."""
    if suite.config.option.collectonly:
        return
    stats = suite.stats
    tr = terminalreporter
    tr.section("antimetal contract")
    where = "embedded fake" if suite.target.is_fake else suite.target.base_url
    tr.line(f"target: {where}   seed: {suite.seed} (replay with --hypothesis-seed={suite.seed})")
    # One line for the costs, so a one-fault report stays on one screen.
    minimising = f" (+{suite.shrink_sent} minimising root causes)" if suite.shrink_sent else ""
    created = f"   issues created: {len(stats.created)}" if suite.target.is_fake else ""
    tr.line(f"requests sent: {stats.requests}{minimising}   checks run: {stats.checks}{created}")
    if suite.unreachable:
        tr.line(suite.unreachable)
    if stats.failures:
        by_check = ", ".join(f"{k}: {v}" for k, v in sorted(stats.failures.items()))
        tr.line(f"failures by check: {by_check}")
        entries = suite.book.entries()
        tr.line(
            f"root causes: {len(entries)}, each shown once above (how to read one: "
            f"{README_REF}, 'Reading a failure'; what each check asks: 'The contract suite')"
        )
        for entry in entries:
            tr.line(f"  {entry.headline} - {entry.hits()}")
    else:
        tr.line("failures by check: none")
    if not suite.target.is_fake:
        shown = [f"#{n}" for n in stats.created]
        if len(shown) > 20:
            shown = [*shown[:10], f"... {len(shown) - 15} more ...", *shown[-5:]]
        numbers = ", ".join(shown) or "none"
        tr.line(f"issues created on {suite.target.base_url}: {len(stats.created)} ({numbers})")
        if suite.capped and (suite.deleted or suite.not_deleted):
            gone = ", ".join(suite.deleted) or "none"
            tr.line(f"deleted at the end (created by this run): {len(suite.deleted)} ({gone})")
            if suite.not_deleted:
                left = ", ".join(suite.not_deleted)
                tr.line(f"could not delete: {len(suite.not_deleted)} ({left})", red=True)
        elif suite.capped and suite.keep_created and stats.created:
            tr.line(f"kept ({suite.keep_created_by}): what this run created was not deleted")
        if suite.capped:
            # Both numbers: what was sent against the cap (every request that can create,
            # whatever it tested) and what the server accepted.
            tr.line(
                f"live budget: {suite.live_budget} request(s) that can create per run: "
                f"{stats.budget_used} sent, {len(stats.created)} answered 2xx (issues "
                f"created), bodies tagged {LIVE_TAG!r} in context.tags"
            )
    for reason, count in sorted(stats.skipped.items()):
        tr.line(f"not sent: {count} ({reason})")
    if not hasattr(suite.config, "workerinput"):
        if stats.requests:  # nothing sent (an unreachable target): no figure to give
            coverage_lines(suite, tr)
        written = write_report(suite)
        if written and suite.report_dir is not None:
            repros = sum(1 for p in written if p.name.startswith("test_repro_"))
            tr.line(
                f"report: {suite.report_dir}/ (report.json, report.md, {repros} "
                "reproduction(s): test_repro_<id>.py, repro_<id>.sh; coverage: report.html)"
            )


def coverage_lines(suite: ContractSuite, tr: Any) -> None:
    # One line by default (a one-fault report stays on one screen); per operation with -v;
    # what was never exercised when the gate failed.
    report = suite.coverage_report()
    tr.line(report.summary_line())
    if suite.config.get_verbosity() > 0:
        for line in report.operation_lines():
            tr.line(line)
    minimum = suite.coverage_min
    if minimum is None:
        return
    if report.meets(minimum):
        tr.line(f"coverage gate: {report.shown_percent()} >= {minimum:g}%: passed")
        return
    missing = list(report.never_exercised())
    tr.line(
        f"coverage gate: {report.shown_percent()} < {minimum:g}% "
        "(--antimetal-coverage-min): the run fails; never exercised:",
        red=True,
    )
    for line in missing[:_GATE_LINES]:
        tr.line(f"  {line}")
    if len(missing) > _GATE_LINES:
        more = len(missing) - _GATE_LINES
        tr.line(f"  ... and {more} more (-v per operation; --antimetal-report=DIR: report.html)")


def write_report(suite: ContractSuite) -> list[Path]:
    """``--antimetal-report=DIR`` files, and ``$GITHUB_STEP_SUMMARY`` when that is set."""
    summary = bool(os.environ.get("GITHUB_STEP_SUMMARY"))
    if suite.report_dir is None and not summary:
        return []
    from pytest_antimetal.contract.report_context import ReportContext
    from pytest_antimetal.contract.report_files import append_step_summary, markdown, write_report
    from pytest_antimetal.contract.rules import ContractRules

    context = ReportContext(
        seed=suite.seed,
        spec_document=suite.spec.document,
        target="embedded fake" if suite.target.is_fake else str(suite.target.base_url),
        key="[REDACTED]" if suite.target.api_key else "none (the fake's public key)",
        rules=ContractRules.from_spec(suite.spec),
        replay=f"pytest --antimetal-contract --hypothesis-seed={suite.seed}",
        rules_for=lambda op: ContractRules.from_spec(suite.spec, op.method.lower(), op.path),
    )
    entries = suite.book.entries()
    written: list[Path] = []
    if suite.report_dir is not None:
        written = write_report(
            suite.report_dir,
            entries,
            suite.stats,
            context,
            coverage=suite.coverage_report(),
            coverage_min=suite.coverage_min,
        )
        text = (suite.report_dir / "report.md").read_text(encoding="utf-8")
    else:
        text = markdown(entries, suite.stats, context, coverage=suite.coverage_report())
    if summary:
        append_step_summary(text)
    return written
