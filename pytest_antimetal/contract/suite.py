"""The contract suite's run in one process: its options, its runner, and what it found.

:class:`ContractSuite` reads the options (:mod:`~pytest_antimetal.contract.config`), builds the
:class:`~pytest_antimetal.contract.runner.ContractRunner` on first use (the embedded fake, the
live budget, cassettes, the replay command), keeps what every part reported (stats, coverage,
root causes) and minimises root causes. Its pytest hooks are
:class:`~pytest_antimetal.contract.plugin.ContractPlugin`'s; the items it runs are
:mod:`~pytest_antimetal.contract.items`'.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_antimetal.contract.config import (
    coverage_min,
    ini_bool,
    is_deterministic,
    number_option,
    rate_option,
    report_dir,
    run_seed,
    selected_operations,
    sequences,
)
from pytest_antimetal.contract.coverage import CoverageLog, CoverageReport
from pytest_antimetal.contract.entries import Entry
from pytest_antimetal.contract.grouping import EntryBook
from pytest_antimetal.contract.operations import ContractOperation
from pytest_antimetal.contract.parts import STATEFUL_PARTS
from pytest_antimetal.contract.report import RunStats
from pytest_antimetal.contract.settings import DEFAULT_MAX_EXAMPLES
from pytest_antimetal.live_budget import DEFAULT_LIVE_BUDGET, Budget, run_budget
from pytest_antimetal.runconfig import run_spec, run_spec_path, run_target
from pytest_antimetal.secrets import APIKey
from pytest_antimetal.spec import Spec
from pytest_antimetal.target import RUN_TAG as LIVE_TAG
from pytest_antimetal.target import Target

if TYPE_CHECKING:
    from datetime import datetime

    from pytest_antimetal.contract.progress import LiveCounter
    from pytest_antimetal.contract.runner import ContractRunner
    from pytest_antimetal.contract.shrink import Shrinker
    from pytest_antimetal.fake import FakeAntimetal

__all__ = ["FAKE_REPRO_URL", "LIVE_TAG", "STATEFUL_ITEMS", "ContractSuite", "FakeFactory"]

STATEFUL_ITEMS = tuple(part.name for part in STATEFUL_PARTS)
"""The stateful items (one each: a state machine is not sharded): in the default run, and
where ``--antimetal-sequences`` forces them (:func:`.config.sequences`)."""
FAKE_REPRO_PORT = 8000
FAKE_REPRO_URL = f"http://127.0.0.1:{FAKE_REPRO_PORT}"
"""Base URL of a fake-target run: where `antimetal-contract fake --port 8000` listens."""

FakeFactory = Callable[[Spec, int, APIKey], "FakeAntimetal"]


class ContractSuite:
    """The suite's run in one process (per session, and per xdist worker): its options, its
    runner, what it found; :class:`~pytest_antimetal.contract.plugin.ContractPlugin` adds the
    hooks."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        # The suite was asked for: a misconfigured target or spec stops the run at once.
        self.target: Target = run_target(config)
        self.spec: Spec = run_spec(config)
        self.max_examples: int = number_option(
            config, "antimetal_max_examples", "antimetal_max_examples", int, DEFAULT_MAX_EXAMPLES
        )
        self.time_budget: float | None = number_option(
            config, "antimetal_time_budget", "antimetal_time_budget", float, None
        )
        self.live_budget: int = number_option(
            config, "antimetal_live_budget", "antimetal_live_budget", int, DEFAULT_LIVE_BUDGET
        )
        """The run's cap, shared by all of its processes (xdist workers take from one pool)."""
        self.shared_budget: Budget | None = run_budget(config, self.live_budget)
        """The run's budget as this process takes from it, shared with the issue factory: on an
        xdist worker the pool the controller made (:mod:`pytest_antimetal.plugin`)."""
        self.read_only: bool = bool(
            config.getoption("antimetal_read_only", False)
            or ini_bool(config, "antimetal_read_only")
        )
        """Only the operations that change nothing run (and not the stateful part)."""
        self.keep_created_by: str | None = (
            "--antimetal-keep-created"
            if config.getoption("antimetal_keep_created", False)
            else "ini antimetal_keep_created"
            if ini_bool(config, "antimetal_keep_created")
            else None
        )
        """What asked that this run's creations on a live target stay there (the summary names
        it); ``None``: they are deleted at the end."""
        self.operations: tuple[ContractOperation, ...] = tuple(
            op
            for op in selected_operations(config, self.spec)
            if not (self.read_only and op.changes)
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
        self.concurrency: int | None = number_option(
            config, "antimetal_concurrency", "antimetal_concurrency", int, None
        )
        """``None``: the runner's default for the target (README, 'Speed against a remote API')."""
        rate: float | None = rate_option(config)
        # The limit is the run's: under xdist each worker keeps to its share.
        workers = int((getattr(config, "workerinput", None) or {}).get("workercount", 1))
        self.rate: float | None = None if rate is None else rate / max(1, workers)
        self.sequences, self.sequences_note = sequences(config, self.operations, self.read_only)
        """Whether the stateful part is an item of this run, and why (the header says it)."""
        self.deterministic = is_deterministic(config)
        self.seed = run_seed(config, self.deterministic)
        self.stats = RunStats()
        self.coverage = CoverageLog()
        """What the run exercised of the document (merged from every part and xdist worker)."""
        self.coverage_min: float | None = coverage_min(config)
        self._coverage_report: CoverageReport | None = None
        self.book = EntryBook()
        """The run's root causes (merged from every part, and every xdist worker)."""
        self.first_shown: dict[str, str] = {}
        """entry id -> the part whose failure report showed it in full."""
        self._progress: dict[str, str] = {}
        self.unreachable = ""
        """Why the rest of the run is skipped (set when nothing could connect to the target)."""
        self._connection_error: str | None = None
        self.report_dir: Path | None = report_dir(config)
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

    @property
    def keep_created(self) -> bool:
        """What this run created on a live target stays there (else it is deleted at the end)."""
        return self.keep_created_by is not None

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

    def coverage_report(self) -> CoverageReport:
        """The run's coverage of its spec (computed once, after every part reported)."""
        if self._coverage_report is None:
            from pytest_antimetal.contract.coverage import DocumentModel

            self._coverage_report = CoverageReport(
                DocumentModel.from_spec(self.spec), self.coverage
            )
        return self._coverage_report

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
