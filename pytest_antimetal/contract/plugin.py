"""pytest side of the contract suite: items, failure text, terminal summary.

Registered by :mod:`pytest_antimetal.plugin` only when ``--antimetal-contract``
is given. The suite appears as one collector ``antimetal-contract`` with one
item per part (``antimetal-contract::coverage`` ...; the fuzzing parts in two items each,
``fuzz-positive-1`` ...), so reports read well and ``pytest -n`` spreads the work over
workers. The work itself is done by
:class:`~pytest_antimetal.contract.runner.ContractRunner`.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_antimetal.contract.coverage import CoverageLog, CoverageReport, parse_percent
from pytest_antimetal.contract.failure_repr import failure_repr
from pytest_antimetal.contract.grouping import Entry, EntryBook, format_part
from pytest_antimetal.contract.operations import (
    ContractOperation,
    UnknownOperation,
    select_operations,
)
from pytest_antimetal.contract.parts import STATEFUL_PARTS, items_for
from pytest_antimetal.contract.report import RunStats
from pytest_antimetal.contract.runner import DEFAULT_MAX_EXAMPLES, PartResult
from pytest_antimetal.live_budget import DEFAULT_LIVE_BUDGET, Budget, run_budget
from pytest_antimetal.runconfig import run_spec, run_spec_path, run_target
from pytest_antimetal.secrets import APIKey, redact
from pytest_antimetal.spec import Spec
from pytest_antimetal.target import README_REF, Target
from pytest_antimetal.target import RUN_TAG as LIVE_TAG

if TYPE_CHECKING:
    from collections.abc import Generator
    from datetime import datetime

    from _pytest._code.code import TerminalRepr

    from pytest_antimetal.contract.progress import LiveCounter
    from pytest_antimetal.contract.runner import ContractRunner
    from pytest_antimetal.contract.shrink import Shrinker
    from pytest_antimetal.fake import FakeAntimetal

__all__ = ["DEFAULT_LIVE_BUDGET", "LIVE_TAG", "ContractFailed", "ContractItem", "ContractPlugin"]

_SEE = f" (see {README_REF}, 'Configuration reference')"
STATEFUL_ITEMS = tuple(part.name for part in STATEFUL_PARTS)
"""The stateful items (one each: a state machine is not sharded): in the default run, and
where ``--antimetal-sequences`` forces them (:func:`_sequences`)."""
_STATS_PROPERTY = "antimetal_contract_stats"
_DELETED_OUTPUT = "antimetal_contract_deleted"
"""An xdist worker's ``workeroutput`` key: what it deleted at its session's end."""
_ENTRIES_PROPERTY = "antimetal_contract_entries"
_COVERAGE_PROPERTY = "antimetal_contract_coverage"
_NOT_IN_JUNIT = frozenset({_ENTRIES_PROPERTY, _COVERAGE_PROPERTY})
_GATE_LINES = 10
"""Things never exercised named under a failed coverage gate (report.html lists them all)."""
FAKE_REPRO_PORT = 8000
FAKE_REPRO_URL = f"http://127.0.0.1:{FAKE_REPRO_PORT}"
"""Base URL of a fake-target run: where `antimetal-contract fake --port 8000` listens."""

FakeFactory = Callable[[Spec, int, APIKey], "FakeAntimetal"]


class TargetUnreachable(Exception):
    """Nothing could connect to the target: one failure, and the other parts are skipped."""


class ContractFailed(Exception):
    """A part of the suite found failures (formatted by :meth:`ContractItem.repr_failure`)."""

    def __init__(self, result: PartResult) -> None:
        super().__init__(f"{len(result.failures)} contract failure(s)")
        self.result = result


def _number(config: pytest.Config, option: str, ini: str, kind: type, default: Any) -> Any:
    value = config.getoption(option)
    source = f"--{option.replace('_', '-')}"
    if value is None:
        raw = config.getini(ini)
        if raw in (None, "", []):
            return default
        source = f"ini {ini}"
        try:
            value = kind(raw)
        except ValueError:
            raise pytest.UsageError(f"{source}: expected a number, got {raw!r}{_SEE}") from None
    # NaN compares false with everything, so `value <= 0` alone would let it (and inf) through
    # as "no limit".
    if not math.isfinite(value):
        raise pytest.UsageError(f"{source}: must be a finite number, got {value}{_SEE}")
    if value <= 0 and not (kind is int and option == "antimetal_live_budget" and value == 0):
        raise pytest.UsageError(f"{source}: must be positive, got {value}{_SEE}")
    return value


def _coverage_min(config: pytest.Config) -> float | None:
    """``--antimetal-coverage-min`` (else ini ``antimetal_coverage_min``): the percentage below
    which the run fails; ``None``: no gate."""
    raw = config.getoption("antimetal_coverage_min", None)
    source = "--antimetal-coverage-min"
    if raw in (None, ""):
        raw = config.getini("antimetal_coverage_min")
        source = "ini antimetal_coverage_min"
        if raw in (None, "", []):
            return None
    try:
        return parse_percent(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"{source}: {exc}{_SEE}") from None


def _operations(config: pytest.Config, spec: Spec) -> tuple[ContractOperation, ...]:
    """``--antimetal-operations`` (else ini ``antimetal_operations``): the operations the run
    covers, every one of the document's by default."""
    raw = config.getoption("antimetal_operations", None)
    source = "--antimetal-operations"
    if raw in (None, ""):
        raw = config.getini("antimetal_operations")
        source = "ini antimetal_operations"
    names = [n for n in str(raw or "").replace("\n", ",").split(",") if n.strip()]
    try:
        return select_operations(spec, names)
    except UnknownOperation as exc:
        raise pytest.UsageError(f"{source}: {exc}") from None


def _ini_bool(config: pytest.Config, name: str) -> bool | None:
    """A boolean ini value, a usage error naming it when it is not one."""
    try:
        value = config.getini(name)
    except (ValueError, pytest.UsageError) as exc:  # "invalid truth value 'maybe'": which?
        raise pytest.UsageError(f"ini {name}: {exc}") from None
    return None if value is None else bool(value)


def _sequences(
    config: pytest.Config, operations: tuple[ContractOperation, ...], read_only: bool
) -> tuple[bool, str]:
    """Whether the stateful part runs, and what the header says of it: by default when the
    run selects every operation it drives; ``--antimetal-sequences`` (ini ``antimetal_sequences
    = true``) runs it whatever the selection (it drives its operations itself),
    ``--antimetal-no-sequences`` (ini ``= false``) never; a read-only run never (it creates)."""
    from pytest_antimetal.contract.sequences import OPERATIONS

    on = bool(config.getoption("antimetal_sequences", False))
    off = bool(config.getoption("antimetal_no_sequences", False))
    if on and off:
        raise pytest.UsageError(
            "--antimetal-sequences and --antimetal-no-sequences contradict each other"
        )
    if not (on or off):
        ini = _ini_bool(config, "antimetal_sequences")  # None when the ini does not say
        if ini is not None:
            on, off = bool(ini), not ini
    if read_only:
        return False, "off (read-only: they create and delete)"
    if off:
        return False, "off (--antimetal-no-sequences)"
    if on:
        return True, "on"
    selected = {(op.method.upper(), op.path) for op in operations}
    missing = sorted(OPERATIONS - selected, key=lambda m: (m[1], m[0]))
    if missing:
        left_out = ", ".join(f"{method} {path}" for method, path in missing)
        return False, f"off (the run leaves out {left_out}; --antimetal-sequences forces them)"
    return True, "on"


def _report_dir(config: pytest.Config) -> Path | None:
    raw = config.getoption("antimetal_report", None)
    return None if raw in (None, "") else Path(str(raw))


def _seed(config: pytest.Config, deterministic: bool) -> int:
    # An xdist worker uses the controller's seed, so the summary's replay seed is the one
    # every worker's failures were generated with.
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "antimetal_seed" in workerinput:
        return int(workerinput["antimetal_seed"])
    raw = config.getoption("hypothesis_seed", None)
    if raw is not None:
        text = str(raw)
        return int(text) if text.isdigit() else zlib.crc32(text.encode())
    if deterministic:
        return 0
    return int.from_bytes(os.urandom(4), "big")


def _is_deterministic(config: pytest.Config) -> bool:
    """Cassettes need the same requests on every run: recording/replay implies a fixed seed."""
    if config.getoption("record_mode", None) is not None:
        return True
    import hypothesis

    default = hypothesis.settings.default
    return default is not None and bool(default.derandomize)


class ContractPlugin:
    """The suite's pytest plugin; one per session (and per xdist worker)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        # The suite was asked for: a misconfigured target or spec stops the run at once.
        self.target: Target = run_target(config)
        self.spec: Spec = run_spec(config)
        self.max_examples: int = _number(
            config, "antimetal_max_examples", "antimetal_max_examples", int, DEFAULT_MAX_EXAMPLES
        )
        self.time_budget: float | None = _number(
            config, "antimetal_time_budget", "antimetal_time_budget", float, None
        )
        self.live_budget: int = _number(
            config, "antimetal_live_budget", "antimetal_live_budget", int, DEFAULT_LIVE_BUDGET
        )
        """The run's cap, shared by all of its processes (xdist workers take from one pool)."""
        self.shared_budget: Budget | None = run_budget(config, self.live_budget)
        """The run's budget as this process takes from it, shared with the issue factory: on an
        xdist worker the pool the controller made (:mod:`pytest_antimetal.plugin`)."""
        self.read_only: bool = bool(
            config.getoption("antimetal_read_only", False)
            or _ini_bool(config, "antimetal_read_only")
        )
        """Only the operations that change nothing run (and not the stateful part)."""
        self.keep_created: bool = bool(config.getoption("antimetal_keep_created", False))
        self.operations: tuple[ContractOperation, ...] = tuple(
            op for op in _operations(config, self.spec) if not (self.read_only and op.changes)
        )
        """The operations of this run (``--antimetal-operations``; all by default; under
        ``--antimetal-read-only`` those with a safe method)."""
        if self.read_only and not self.operations:
            raise pytest.UsageError(
                "--antimetal-read-only leaves no operation to run: every operation "
                "--antimetal-operations selects can create or change"
            )
        self.deleted: list[str] = []
        self.not_deleted: list[str] = []
        self.concurrency: int | None = _number(
            config, "antimetal_concurrency", "antimetal_concurrency", int, None
        )
        """``None``: the runner's default for the target (README, 'Speed against a remote API')."""
        rate: float | None = _number(config, "antimetal_rate", "antimetal_rate", float, None)
        # The limit is the run's: under xdist each worker keeps to its share.
        workers = int((getattr(config, "workerinput", None) or {}).get("workercount", 1))
        self.rate: float | None = None if rate is None else rate / max(1, workers)
        self.sequences, self.sequences_note = _sequences(config, self.operations, self.read_only)
        """Whether the stateful part is an item of this run, and why (the header says it)."""
        self.deterministic = _is_deterministic(config)
        self.seed = _seed(config, self.deterministic)
        self.stats = RunStats()
        self.coverage = CoverageLog()
        """What the run exercised of the document (merged from every part and xdist worker)."""
        self.coverage_min: float | None = _coverage_min(config)
        self._coverage_report: CoverageReport | None = None
        self.book = EntryBook()
        """The run's root causes (merged from every part, and every xdist worker)."""
        self.first_shown: dict[str, str] = {}
        """entry id -> the part whose failure report showed it in full."""
        self._progress: dict[str, str] = {}
        self.unreachable = ""
        """Why the rest of the run is skipped (set when nothing could connect to the target)."""
        self._connection_error: str | None = None
        self.report_dir: Path | None = _report_dir(config)
        self.shrink_sent = 0
        """Requests spent minimising entries (not in "requests sent": they re-send)."""
        self._shrinker: Shrinker | None = None
        """``--antimetal-report=DIR``: where report.json, report.md and reproductions go."""
        self.fake_factory: FakeFactory | None = None
        """Test seam: builds the in-process fake (planted-fault variants in our own tests)."""
        self.progress_clock: Callable[[], float] | None = None
        """Test seam: the live counter's clock (``None``: ``time.monotonic``)."""
        self.progress_tty: bool | None = None
        """Test seam: draw the counter as on a terminal, or not (``None``: as pytest says)."""
        self.live: LiveCounter | None = None
        """The live counter of ``-v`` runs, made at session start (else ``None``)."""
        self.fake: FakeAntimetal | None = None
        self._runner: ContractRunner | None = None

    # -- the runner ------------------------------------------------------

    @property
    def api_key(self) -> APIKey:
        if self.target.api_key:
            return self.target.api_key
        if self.target.is_fake:
            from pytest_antimetal.fake import DEFAULT_FAKE_API_KEY

            return APIKey(DEFAULT_FAKE_API_KEY)
        return APIKey("cassette-replay")  # replaying cassettes: nothing reaches a server

    @property
    def key_is_public(self) -> bool:
        """The run uses the fake's well-known key (no ``ANTIMETAL_API_KEY``): nothing to hide."""
        return self.target.is_fake and not self.target.api_key

    @property
    def secrets(self) -> tuple[str, ...]:
        """What every output of the suite must not show."""
        # Bare for the reports' redaction only (they match text); never stored or printed.
        return () if self.key_is_public else (self.api_key.get_secret_value(),)

    @property
    def capped(self) -> bool:
        """Issue-creating requests are capped against a live, non-loopback server."""
        return not self.target.is_fake and not self.target.is_loopback

    def runner(self) -> ContractRunner:
        if self._runner is None:
            from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
            from pytest_antimetal.spec.formats import now_utc

            transport = None
            setup = ""
            clock: Callable[[], datetime] = now_utc
            if self.target.is_fake:
                if self.fake_factory is not None:
                    self.fake = self.fake_factory(self.spec, self.seed, self.api_key)
                else:
                    from pytest_antimetal.fake import FakeAntimetal

                    self.fake = FakeAntimetal(
                        spec=self.spec, seed=self.seed, api_keys=[self.api_key]
                    )
                # The in-process fake ignores the host: failures then show a curl aimed at a
                # local `antimetal-contract fake`, never at the spec's (production) server.
                base_url = FAKE_REPRO_URL
                transport = self.fake.transport
                # "About now" is the fake's now: a seeded fake's clock is frozen at an
                # instant derived from the seed, and tests may advance it.
                clock = self.fake.clock
                setup = f"antimetal-contract fake --port {FAKE_REPRO_PORT}"
                if self.key_is_public:
                    setup += f" --api-key {self.api_key.get_secret_value()}"  # the fake's own
            else:
                assert self.target.base_url is not None
                base_url = self.target.base_url
            settings = ContractSettings(
                spec=self.spec,
                base_url=base_url,
                api_key=self.api_key,
                transport=transport,
                max_examples=self.max_examples,
                time_budget=self.time_budget,
                seed=self.seed,
                live_budget=self.live_budget if self.capped else None,
                budget_claim=(
                    self.shared_budget.claim
                    if self.capped and self.shared_budget is not None
                    else None
                ),
                tag=LIVE_TAG if self.capped else None,
                replay=self.replay_command,
                cache_dir=self._cache_dir(),
                key_is_public=self.key_is_public,
                reproduce_setup=setup,
                clock=clock,
                progress=None if self.live is None else self.live.update,
                read_only=self.read_only,
                # A cassette is recorded and replayed one request at a time: side by side, a
                # replay could hand two requests with the same key each other's answers.
                concurrency=(
                    1
                    if self.config.getoption("record_mode", None) is not None
                    else self.concurrency
                ),
                rate=self.rate,
            )
            self._runner = ContractRunner(settings)
        return self._runner

    def connection_error(self) -> str:
        """Why nothing can connect to a network target, asked once, before any work (``""``:
        it can; the embedded fake and cassette runs are never asked)."""
        if self._connection_error is None:
            self._connection_error = ""
            replaying = self.config.getoption("record_mode", None) is not None
            if not self.target.is_fake and not replaying and self.target.base_url:
                from pytest_antimetal.contract.reach import connection_error

                error = connection_error(self.target.base_url)
                self._connection_error = f"{self.target.base_url}: {error}" if error else ""
        return self._connection_error

    def _cache_dir(self) -> Path | None:
        cache = getattr(self.config, "cache", None)  # None under -p no:cacheprovider
        return None if cache is None else Path(cache.mkdir("antimetal-contract"))

    def cassette(self, part: str) -> AbstractContextManager[Any]:
        """Under ``--record-mode`` (pytest-recording), *part*'s traffic goes through a cassette.

        ``cassettes/antimetal-contract/<part>.yaml`` (under ini ``antimetal_cassette_dir``),
        with the project's scrubbing, matcher and fail-closed guard. Generation is
        deterministic in that mode, so a replay sends the same requests. ``--block-network``
        holds as for test functions.
        """
        from pytest_antimetal.cassettes.plugin import PLUGIN_NAME, CassettePlugin

        cassettes = self.config.pluginmanager.get_plugin(PLUGIN_NAME)
        assert isinstance(cassettes, CassettePlugin)
        # An operation's items under a folder of its own: `<operationId>/<part>.yaml`.
        path = cassettes.cassette_dir() / "antimetal-contract" / f"{part.replace('::', '/')}.yaml"
        record = f"{self.replay_command(part)} --record-mode=once"
        if not self.target.is_fake:
            record = f"ANTIMETAL_API_KEY=<your key> {record}"
        base_url = None if self.target.is_fake else self.target.base_url
        return cassettes.item_context(path, base_url=base_url, record_command=record)

    def replay_command(self, part: str) -> str:
        """The pytest command that sends the same requests for *part* again (an item's name
        under ``antimetal-contract``, ``"listIssues::fuzz-negative-1"``); it selects that item
        alone: ``-k`` matches substrings (``getIssue`` is in ``getIssueResults``), so the
        operation is chosen by ``--antimetal-operations``, which matches names exactly."""
        operation, _, name = part.rpartition("::")
        parts = ["pytest", "--antimetal-contract"]
        if operation:
            parts.append(f"--antimetal-operations={operation}")
        parts += ["-k", name, f"--hypothesis-seed={self.seed}"]
        if part in STATEFUL_ITEMS:
            # Forced: whatever the ini selects or says, the replay runs the part.
            parts.append("--antimetal-sequences")
        if self.max_examples != DEFAULT_MAX_EXAMPLES:
            parts.append(f"--antimetal-max-examples={self.max_examples}")
        if self.target.source == "--antimetal-base-url" and self.target.base_url:
            parts.append(f"--antimetal-base-url={self.target.base_url}")
        path = run_spec_path(self.config)
        if path is not None:
            parts.append(f"--antimetal-spec={path}")
        return " ".join(parts)

    # -- hooks -----------------------------------------------------------

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
            if name == _STATS_PROPERTY:
                stats = json.loads(str(value))
                self.stats.merge(stats)
                sent = int(stats.get("requests", 0))
            elif name == _COVERAGE_PROPERTY:
                self.coverage.merge(json.loads(str(value)))
            elif name == _ENTRIES_PROPERTY:
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
        if self.config.option.collectonly:
            return
        stats = self.stats
        tr = terminalreporter
        tr.section("antimetal contract")
        where = "embedded fake" if self.target.is_fake else self.target.base_url
        tr.line(f"target: {where}   seed: {self.seed} (replay with --hypothesis-seed={self.seed})")
        # One line for the costs, so a one-fault report stays on one screen.
        minimising = f" (+{self.shrink_sent} minimising root causes)" if self.shrink_sent else ""
        created = f"   issues created: {len(stats.created)}" if self.target.is_fake else ""
        tr.line(
            f"requests sent: {stats.requests}{minimising}   checks run: {stats.checks}{created}"
        )
        if self.unreachable:
            tr.line(self.unreachable)
        if stats.failures:
            by_check = ", ".join(f"{k}: {v}" for k, v in sorted(stats.failures.items()))
            tr.line(f"failures by check: {by_check}")
            entries = self.book.entries()
            tr.line(
                f"root causes: {len(entries)}, each shown once above (how to read one: "
                f"{README_REF}, 'Reading a failure'; what each check asks: 'The contract suite')"
            )
            for entry in entries:
                tr.line(f"  {entry.headline} - {entry.hits()}")
        else:
            tr.line("failures by check: none")
        if not self.target.is_fake:
            shown = [f"#{n}" for n in stats.created]
            if len(shown) > 20:
                shown = [*shown[:10], f"... {len(shown) - 15} more ...", *shown[-5:]]
            numbers = ", ".join(shown) or "none"
            tr.line(f"issues created on {self.target.base_url}: {len(stats.created)} ({numbers})")
            if self.capped and (self.deleted or self.not_deleted):
                gone = ", ".join(self.deleted) or "none"
                tr.line(f"deleted at the end (created by this run): {len(self.deleted)} ({gone})")
                if self.not_deleted:
                    left = ", ".join(self.not_deleted)
                    tr.line(f"could not delete: {len(self.not_deleted)} ({left})", red=True)
            elif self.capped and self.keep_created and stats.created:
                tr.line("kept (--antimetal-keep-created): what this run created was not deleted")
            if self.capped:
                # Both numbers: what was sent against the cap (every request that can create,
                # whatever it tested) and what the server accepted.
                tr.line(
                    f"live budget: {self.live_budget} request(s) that can create per run: "
                    f"{stats.budget_used} sent, {len(stats.created)} answered 2xx (issues "
                    f"created), bodies tagged {LIVE_TAG!r} in context.tags"
                )
        for reason, count in sorted(stats.skipped.items()):
            tr.line(f"not sent: {count} ({reason})")
        if not hasattr(self.config, "workerinput"):
            if stats.requests:  # nothing sent (an unreachable target): no figure to give
                self._coverage_lines(tr)
            written = self.write_report()
            if written and self.report_dir is not None:
                repros = sum(1 for p in written if p.name.startswith("test_repro_"))
                tr.line(
                    f"report: {self.report_dir}/ (report.json, report.md, {repros} "
                    "reproduction(s): test_repro_<id>.py, repro_<id>.sh; coverage: report.html)"
                )

    def coverage_report(self) -> CoverageReport:
        """The run's coverage of its spec (computed once, after every part reported)."""
        if self._coverage_report is None:
            from pytest_antimetal.contract.coverage import DocumentModel

            self._coverage_report = CoverageReport(
                DocumentModel.from_spec(self.spec), self.coverage
            )
        return self._coverage_report

    def _coverage_lines(self, tr: Any) -> None:
        # One line by default (a one-fault report stays on one screen); per operation with -v;
        # what was never exercised when the gate failed.
        report = self.coverage_report()
        tr.line(report.summary_line())
        if self.config.get_verbosity() > 0:
            for line in report.operation_lines():
                tr.line(line)
        minimum = self.coverage_min
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
            tr.line(
                f"  ... and {more} more (-v per operation; --antimetal-report=DIR: report.html)"
            )

    def minimise(self, entries: list[Entry]) -> None:
        """Give each entry not shown yet its smallest request (README, 'Reading a failure').

        Never against a live (non-loopback) target: there every request can create an issue.
        """
        for entry in entries:
            self.shrinker().name(entry)  # the operation it was found in, named in reports
            if entry.id in self.first_shown or entry.minimal is not None or entry.minimal_note:
                continue
            if self.capped:
                entry.minimal_note = "not minimised: live target (each request can create)"
                continue
            found = self.shrinker().shrink(entry)
            self.shrink_sent += found.sent
            entry.minimal = found.request
            entry.minimal_note = found.note or (
                f"{found.sent} request(s) to find it; same cause, HTTP {found.status}"
            )

    def shrinker(self) -> Shrinker:
        if self._shrinker is None:
            import httpx

            from pytest_antimetal.contract.report import ReceivedResponse
            from pytest_antimetal.contract.shrink import (
                OperationRouter,
                Shrinker,
                headers_to_send,
            )
            from pytest_antimetal.secrets import bearer

            runner = self.runner()
            client = httpx.Client(transport=runner.settings.transport, timeout=30.0)
            key = runner.settings.api_key

            def send(
                method: str, url: str, headers: dict[str, str], body: bytes
            ) -> ReceivedResponse | None:
                try:
                    got = client.request(
                        method, url, headers=headers_to_send(headers, bearer(key)), content=body
                    )
                except httpx.HTTPError:
                    return None
                return ReceivedResponse(got.status_code, dict(got.headers), got.content)

            # Each entry is shrunk by the rules of the operation its request went to.
            router = OperationRouter(self.spec, runner.settings.base_url)
            self._shrinker = Shrinker(send, runner.rules, router=router)
        return self._shrinker

    def write_report(self) -> list[Path]:
        """``--antimetal-report=DIR`` files, and ``$GITHUB_STEP_SUMMARY`` when that is set."""
        summary = bool(os.environ.get("GITHUB_STEP_SUMMARY"))
        if self.report_dir is None and not summary:
            return []
        from pytest_antimetal.contract.checks import ContractRules
        from pytest_antimetal.contract.report_files import (
            ReportContext,
            append_step_summary,
            markdown,
            write_report,
        )

        context = ReportContext(
            seed=self.seed,
            spec_document=self.spec.document,
            target="embedded fake" if self.target.is_fake else str(self.target.base_url),
            key="[REDACTED]" if self.target.api_key else "none (the fake's public key)",
            rules=ContractRules.from_spec(self.spec),
            replay=f"pytest --antimetal-contract --hypothesis-seed={self.seed}",
            rules_for=lambda op: ContractRules.from_spec(self.spec, op.method.lower(), op.path),
        )
        entries = self.book.entries()
        written: list[Path] = []
        if self.report_dir is not None:
            written = write_report(
                self.report_dir,
                entries,
                self.stats,
                context,
                coverage=self.coverage_report(),
                coverage_min=self.coverage_min,
            )
            text = (self.report_dir / "report.md").read_text(encoding="utf-8")
        else:
            text = markdown(entries, self.stats, context, coverage=self.coverage_report())
        if summary:
            append_step_summary(text)
        return written

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


class ContractCollector(pytest.Collector):
    """``antimetal-contract``: one collector per operation (named by its ``operationId``),
    each with one item per part that applies to it; the stateful part beside them."""

    plugin: ContractPlugin

    def collect(self) -> Iterator[pytest.Item]:
        for op in self.plugin.operations:
            collector = OperationCollector.from_parent(self, name=op.operation_id)
            collector.plugin = self.plugin
            collector.operation = op
            yield from collector.collect()
        if self.plugin.sequences and not self.plugin.read_only:
            for name in STATEFUL_ITEMS:
                item = ContractItem.from_parent(self, name=name)
                item.plugin = self.plugin
                item.operation = None
                yield item

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return "antimetal-contract", None, "antimetal-contract"


class OperationCollector(pytest.Collector):
    """``antimetal-contract::listIssues``: the parts of the suite for one operation."""

    plugin: ContractPlugin
    operation: ContractOperation

    def collect(self) -> Iterator[pytest.Item]:
        for name in items_for(self.operation):
            item = ContractItem.from_parent(self, name=name)
            item.plugin = self.plugin
            item.operation = self.operation
            yield item

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return "antimetal-contract", None, f"antimetal-contract::{self.operation.title}"


class ContractItem(pytest.Item):
    """One part of the suite for one operation, e.g.
    ``antimetal-contract::listIssues::fuzz-negative-1``."""

    plugin: ContractPlugin
    operation: ContractOperation | None
    """``None`` for the stateful part (it runs over every operation)."""

    @property
    def item_name(self) -> str:
        """The item's name under ``antimetal-contract`` (``"listIssues::examples"``)."""
        return self.nodeid.removeprefix("antimetal-contract::")

    def runtest(self) -> None:
        if self.plugin.unreachable:
            pytest.skip(self.plugin.unreachable)
        runner = self.plugin.runner()
        reason = self.plugin.connection_error()
        if not reason:
            op = None if self.operation is None else self.operation.operation_id
            with self.plugin.cassette(self.item_name):
                result = runner.run(self.name, op)
            reason = result.unreachable
        if reason:
            reason = redact(reason, self.plugin.secrets)
            self.plugin.unreachable = f"target unreachable ({reason}), see {self.nodeid}"
            raise TargetUnreachable(reason)
        self.user_properties.append((_STATS_PROPERTY, json.dumps(result.stats.as_dict())))
        self.user_properties.append((_COVERAGE_PROPERTY, json.dumps(result.coverage.as_dict())))
        if result.failures:
            self.plugin.minimise(result.entries)
            entries = [entry.as_dict() for entry in result.entries]
            self.user_properties.append((_ENTRIES_PROPERTY, json.dumps(entries)))
        if result.failures:
            raise ContractFailed(result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        secrets = self.plugin.secrets
        if isinstance(excinfo.value, TargetUnreachable):
            return failure_repr(
                f"cannot connect to {excinfo.value}\nnothing was sent; the other parts of the "
                "suite are skipped. Is the server running, and is the base URL right "
                f"(--antimetal-base-url, ANTIMETAL_BASE_URL)?",
                self.nodeid,
            )
        if isinstance(excinfo.value, ContractFailed):
            result = excinfo.value.result
            verbose = int(self.config.getoption("verbose", 0) or 0) > 0
            text = format_part(
                result.item,
                result.entries,
                result.stats.failures,
                verbose=verbose,
                shown=self.plugin.first_shown,
            )
            return failure_repr(text, self.nodeid)
        return redact(str(super().repr_failure(excinfo)), secrets)

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        where = "" if self.operation is None else f" ({self.operation.label})"
        return "antimetal-contract", None, f"antimetal-contract::{self.item_name}{where}"
