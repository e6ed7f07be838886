"""pytest side of the contract suite: the hooks, and how they wire the suite into a run.

Registered by :mod:`pytest_antimetal.plugin` only when ``--antimetal-contract`` is given.
:class:`ContractPlugin` is the run's :class:`~pytest_antimetal.contract.suite.ContractSuite`
(options, runner, findings) with its hooks: it adds the items
(:mod:`~pytest_antimetal.contract.items`) to the collection, merges what each part's report
carries (xdist workers' too), prints a line per part, the header and the summary
(:mod:`~pytest_antimetal.contract.summary`), and at the session's end deletes what the run
created on a live target, judges the coverage gate and adds root causes to the JUnit file.
The work itself is done by :class:`~pytest_antimetal.contract.runner.ContractRunner`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_antimetal.contract.entries import Entry
from pytest_antimetal.contract.items import (
    COVERAGE_PROPERTY,
    ENTRIES_PROPERTY,
    STATS_PROPERTY,
    ContractCollector,
    ContractFailed,
    ContractItem,
)
from pytest_antimetal.contract.suite import LIVE_TAG, ContractSuite
from pytest_antimetal.contract.summary import terminal_summary
from pytest_antimetal.live_budget import DEFAULT_LIVE_BUDGET

if TYPE_CHECKING:
    from collections.abc import Generator

# DEFAULT_LIVE_BUDGET, LIVE_TAG, ContractFailed and ContractItem: imported from here (their
# home before the split), kept for one release.
__all__ = ["DEFAULT_LIVE_BUDGET", "LIVE_TAG", "ContractFailed", "ContractItem", "ContractPlugin"]

_DELETED_OUTPUT = "antimetal_contract_deleted"
"""An xdist worker's ``workeroutput`` key: what it deleted at its session's end."""
_NOT_IN_JUNIT = frozenset({ENTRIES_PROPERTY, COVERAGE_PROPERTY})


class ContractPlugin(ContractSuite):
    """The suite's pytest plugin; one per session (and per xdist worker)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        # tryfirst: -k / -m deselection (a later implementation) must see our items.
        collector = ContractCollector.from_parent(
            session, name="antimetal-contract", nodeid="antimetal-contract"
        )
        collector.plugin = self
        ours = list(collector.collect())
        items.extend(ours)
        # What a collector's report would say, so "collected N items" counts the suite.
        result: list[pytest.Item | pytest.Collector] = list(ours)
        report = pytest.CollectReport(collector.nodeid, "passed", None, result)
        config.hook.pytest_collectreport(report=report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist (controller): every worker runs with this process's seed (and takes from the
        run's one live budget, which :mod:`pytest_antimetal.plugin` hands them)."""
        node.workerinput["antimetal_seed"] = self.seed

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist (controller): what a worker deleted at its session's end (after its last
        report: it travels in its ``workeroutput``), for this process's summary."""
        got = getattr(node, "workeroutput", {}).get(_DELETED_OUTPUT)
        if got:
            deleted, not_deleted = json.loads(str(got))
            self.deleted += [str(u) for u in deleted]
            self.not_deleted += [str(u) for u in not_deleted]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Here, after every pytest_configure: a conftest may have set the seams.
        from pytest_antimetal.contract.progress import live_counter

        self.live = live_counter(self.config, self.progress_clock, tty=self.progress_tty)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """``-v``: the live counter runs while a part does, and is gone before its report."""
        if self.live is None or not isinstance(item, ContractItem):
            return (yield)
        with self.live.running(item.nodeid.removeprefix("antimetal-contract::")):
            return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Stats and entries travel on the report, so an xdist controller can sum its workers'.
        properties = list(report.user_properties)
        # Taken off every phase's report (tryfirst: before junitxml reads the teardown report's
        # properties): a JUnit file is no place for base64 bodies, and the failure text already
        # shows them. Not on an xdist worker: there this hook runs before the report is sent,
        # and the controller needs the entries.
        if not hasattr(self.config, "workerinput"):
            report.user_properties[:] = [(n, v) for n, v in properties if n not in _NOT_IN_JUNIT]
        if report.when != "call":
            return
        part = report.nodeid.removeprefix("antimetal-contract::")
        sent, found = 0, 0
        for name, value in properties:
            if name == STATS_PROPERTY:
                stats = json.loads(str(value))
                self.stats.merge(stats)
                sent = int(stats.get("requests", 0))
            elif name == COVERAGE_PROPERTY:
                self.coverage.merge(json.loads(str(value)))
            elif name == ENTRIES_PROPERTY:
                entries = [Entry.from_dict(d) for d in json.loads(str(value))]
                found = len(entries)
                for entry in self.book.merge(entries):
                    self.first_shown.setdefault(entry.id, part)
        if report.nodeid.startswith("antimetal-contract::") and not report.skipped:
            self._progress[report.nodeid] = (
                f"{part}: {sent} request(s) sent, {found} root cause(s), {report.duration:.1f} s"
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        """A line per part as it finishes (after pytest's letter); none under ``-q``."""
        line = self._progress.pop(nodeid, None)
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        verbosity = self.config.get_verbosity()
        if line is None or terminal is None or verbosity < 0:
            return
        if verbosity == 0:
            terminal.write(f" {line}\n")  # beside the part's letter; the next starts a line
        else:
            terminal.write_line(f"    {line}")

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        where = "embedded fake" if self.target.is_fake else self.target.base_url
        return [
            f"antimetal contract: target {where}, seed {self.seed}, "
            f"max examples {self.max_examples}"
            + (" (deterministic)" if self.deterministic else "")
            + (", read-only" if self.read_only else "")
            + "; operations: "
            + ", ".join(op.title for op in self.operations)
            + f"; sequences: {self.sequences_note}"
        ]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminal_summary(self, terminalreporter)

    @pytest.hookimpl(trylast=True)  # after junitxml's, which writes the file
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._runner is not None and self.capped and not self.keep_created:
            # Every process deletes what its own runner created (xdist workers included).
            self.deleted, self.not_deleted = self._runner.delete_created()
            workeroutput = getattr(self.config, "workeroutput", None)
            if workeroutput is not None:  # an xdist worker: the controller's summary lists them
                workeroutput[_DELETED_OUTPUT] = json.dumps([self.deleted, self.not_deleted])
        # The coverage gate is judged here, on the controller, once every worker's coverage
        # is merged (an item could see only its own worker's share, and -k could deselect it).
        # Like pytest's --max-warnings it sets the exit status; the terminal summary, printed
        # after this hook, names what was never exercised.
        if (
            self.coverage_min is not None
            and not hasattr(self.config, "workerinput")
            and not self.config.option.collectonly
            and session.exitstatus == pytest.ExitCode.OK
            and not self.coverage_report().meets(self.coverage_min)
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        xmlpath = getattr(self.config.option, "xmlpath", None)
        if not xmlpath or hasattr(self.config, "workerinput"):
            return
        from pytest_antimetal.contract.junit import add_root_causes

        problem = add_root_causes(Path(xmlpath), self.book.entries())
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if problem and terminal is not None:
            terminal.write_line(f"antimetal contract: root causes not in the JUnit file: {problem}")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._runner is not None:
            self._runner.close()
