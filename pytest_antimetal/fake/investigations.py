"""Issues as the whole document shows them, and their simulated investigations.

A created issue starts ``investigating`` with run (version) 1 ``PENDING``. The
run completes on the fake clock after the investigation delay
(:data:`DEFAULT_INVESTIGATION_SECONDS` unless the fake is built with
``investigation="instant"`` (0), ``"manual"`` (never by itself) or a number of
seconds), turning ``SUCCESS`` with generated results, and the issue
``ready_to_fix`` (unless a test or client moved its status meanwhile). Tests
drive it with :class:`Investigations` (``fake.investigations``):
:meth:`~Investigations.complete`, :meth:`~Investigations.fail`,
:meth:`~Investigations.noop` and :meth:`~Investigations.rerun` (a new version).

Results are built by :mod:`~pytest_antimetal.fake.results` from the document's
``IssueResultsDto`` when first asked for, as a function of the fake's seed, the
issue and the version, so 100,000 issues keep no results in memory. Their
evidence's ``documentId``\\ s name generated artifacts (``TYPE:fake:ISSUE:VERSION:N``)
that ``GET /artifacts`` builds the same way. A pending or no-op run's results
are "no results yet": ``rootCause`` and ``sessionUuid`` ``null``, the other
required members empty (never ``null``: the document forbids it); a failed
run's say so in ``rootCause: null`` plus one ``timeline`` entry.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pytest_antimetal.fake.content import empty_value
from pytest_antimetal.fake.results import RunResults, artifact_schemas, schema_of, wire_instant
from pytest_antimetal.fake.store import IssueRecord, Run, Store
from pytest_antimetal.spec.formats import format_instant

if TYPE_CHECKING:
    from pytest_antimetal.builders import ArtifactBuilder, ResultsBuilder
    from pytest_antimetal.fake.clock import FakeClock
    from pytest_antimetal.spec import Spec

__all__ = [
    "DEFAULT_INVESTIGATION_SECONDS",
    "InvestigationMode",
    "Investigations",
    "IssueLike",
    "artifact_schemas",  # moved to fake.results; re-exported here
]

DEFAULT_INVESTIGATION_SECONDS = 2.0
"""How long (on the fake clock) a new investigation takes unless the fake is told otherwise."""

InvestigationMode = Literal["instant", "manual"] | float
"""``"instant"`` (0 s), ``"manual"`` (only :meth:`Investigations.complete` ends it) or seconds."""

IssueLike = str | Mapping[str, Any] | Any
"""An issue's uuid, a body holding ``"uuid"`` (a 201 body, an ``IssueDto``), or an object
with ``.uuid``."""


def _uuid_of(issue: IssueLike) -> str:
    if isinstance(issue, str):
        return issue
    value = issue.get("uuid") if isinstance(issue, Mapping) else getattr(issue, "uuid", None)
    if not isinstance(value, str):
        raise TypeError("an issue is its uuid, a mapping with 'uuid' or an object with .uuid")
    return value


def _delay(mode: InvestigationMode) -> float | None:
    if mode == "instant":
        return 0.0
    if mode == "manual":
        return None
    if isinstance(mode, bool) or not isinstance(mode, int | float) or not mode >= 0:
        raise ValueError('investigation must be "instant", "manual" or seconds >= 0')
    return float(mode)


class Investigations:
    """The issues' investigation runs: the clock decides when they end, tests may decide how.

    Reached as ``fake.investigations``; usable from any thread.
    """

    def __init__(
        self,
        spec: Spec,
        store: Store,
        *,
        clock: FakeClock,
        new_uuid: Callable[[], str],
        seed: int | None,
        mode: InvestigationMode = DEFAULT_INVESTIGATION_SECONDS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_uuid = new_uuid
        self._seed = seed
        self._results = RunResults(spec, store.lock, clock=clock, new_uuid=new_uuid, seed=seed)
        self.mode = mode
        self._issue_schema = schema_of(spec, "get", "/issues/{id}")
        self.artifact_schemas = self._results.artifact_schemas
        """The document's artifact schemas by ``type``."""
        self._issue_properties = tuple(self._issue_schema.get("properties") or {})
        # (due, sequence, organisation, issue uuid, version): names, not the records, so an
        # issue the byte cap drops (or a DELETE) is freed now, not when its run falls due.
        self._pending: list[tuple[float, int, str, str, int]] = []
        self._sequence = 0

    @property
    def lock(self) -> threading.RLock:
        """The lock of what the fake keeps (also guarding the shared builders)."""
        return self._store.lock

    @property
    def mode(self) -> InvestigationMode:
        """How new runs end: ``"instant"``, ``"manual"`` or seconds on the fake clock."""
        return self._mode

    @mode.setter
    def mode(self, value: InvestigationMode) -> None:
        self._delay = _delay(value)
        self._mode = value

    def clear(self) -> None:
        """Forget pending runs and generated results (the fake's ``reset``)."""
        with self._store.lock:
            self._pending.clear()
            self._results.clear()

    # -- used by the operations ------------------------------------------------------------

    def complete_record(self, data: dict[str, Any], now: str) -> None:
        """Give a new issue's fields what ``IssueDto`` requires beyond the 201 body."""
        properties = self._issue_schema.get("properties") or {}
        for name in self._issue_schema.get("required") or ():
            if name not in data and name not in ("versions", "latestVersion"):
                data[name] = empty_value(
                    properties.get(name) or {}, now=now, new_uuid=self._new_uuid
                )

    def start(self, record: IssueRecord) -> Run | None:
        """Open a new run (the next version) on *record*, due by the current mode.

        ``None`` when the document shows no issue (``GET /issues/{id}``): a fake of
        ``POST /issues`` alone keeps its 201 bodies as they were.
        """
        if not self._issue_schema:
            return None
        with self._store.lock:
            run = Run(self._new_uuid(), len(record.runs) + 1, None)
            record.runs.append(run)
            if self._delay is not None:
                run.due = self._clock.timestamp() + self._delay
                if self._delay == 0:
                    self._finish(record, run, "SUCCESS", when=run.due)
                else:
                    self._sequence += 1
                    entry = (run.due, self._sequence, record.organization, record.uuid, run.version)
                    heapq.heappush(self._pending, entry)
            return run

    def settle(self) -> None:
        """Complete every run due by now (called before each request is answered)."""
        pending = self._pending
        if not pending:
            return
        now = self._clock.timestamp()
        with self._store.lock:
            while pending and pending[0][0] <= now:
                due, _, organization, uuid, version = heapq.heappop(pending)
                record = self._store.get(organization, uuid)  # None: dropped or deleted
                run = None if record is None else self.run_of(record, version)
                if record is not None and run is not None and run.status == "PENDING":
                    self._finish(record, run, "SUCCESS", when=due)

    def view(self, record: IssueRecord) -> dict[str, Any]:
        """The issue as ``GET /issues/{id}`` answers (a fresh dict)."""
        data = record.data
        if not self._issue_properties:
            return dict(data)
        view: dict[str, Any] = {}
        for name in self._issue_properties:
            if name == "versions":
                view[name] = [self._version(run) for run in record.runs]
            elif name == "latestVersion":
                view[name] = max(1, len(record.runs))
            elif name in data:
                view[name] = data[name]
        return view

    def run_of(self, record: IssueRecord, version: int | None) -> Run | None:
        """*record*'s run *version* (``None``: the latest), if it exists."""
        runs = record.runs
        if version is None:
            return runs[-1] if runs else None
        return runs[version - 1] if 1 <= version <= len(runs) else None

    def results(self, record: IssueRecord, run: Run) -> dict[str, Any]:
        """The ``IssueResultsDto`` of *run* (see the module)."""
        return self._results.results(record, run)

    def artifact_ids(self, record: IssueRecord, run: Run) -> list[str]:
        """The artifact ids *run*'s results cite (``documentId``, non-null ``artifactId``)."""
        return self._results.artifact_ids(record, run)

    def artifact(self, organization: str, artifact_id: str) -> dict[str, Any] | None:
        """The generated artifact *artifact_id* of one of *organization*'s issues, if any."""
        parts = artifact_id.split(":")
        if len(parts) != 5 or parts[1] != "fake" or parts[0] not in self.artifact_schemas:
            return None
        kind, _, issue_uuid, version, _index = parts
        record = self._store.get(organization, issue_uuid)
        if record is None or not version.isdigit():
            return None
        run = self.run_of(record, int(version))
        if run is None or artifact_id not in self.artifact_ids(record, run):
            return None
        return self._results.artifact(record, artifact_id, kind)

    # -- the controls ----------------------------------------------------------------------

    def complete(
        self,
        issue: IssueLike,
        *,
        root_cause: str | None = None,
        results: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """End *issue*'s latest run ``SUCCESS`` now; returns its results.

        *root_cause* becomes ``rootCause.rootCauseSummary`` of the generated results;
        *results* (a whole ``IssueResultsDto``) replaces them.
        """
        record, run = self._latest(issue)
        with self._store.lock:
            if results is not None:
                run.results = dict(results)
            elif root_cause is not None:
                run.results = self._results.generated(record, run, root_cause)
            self._finish(record, run, "SUCCESS", when=self._clock.timestamp())
            if run.results is not None:
                self._store.count(len(repr(run.results)))
            return self.results(record, run)

    def fail(self, issue: IssueLike, reason: str = "investigation failed") -> None:
        """End *issue*'s latest run ``ERROR`` now; its results say *reason* (the status stays)."""
        record, run = self._latest(issue)
        with self._store.lock:
            run.description = reason
            self._finish(record, run, "ERROR", when=self._clock.timestamp())

    def noop(self, issue: IssueLike) -> None:
        """End *issue*'s latest run ``NOOP`` now (nothing new: empty results)."""
        record, run = self._latest(issue)
        with self._store.lock:
            self._finish(record, run, "NOOP", when=self._clock.timestamp())

    def rerun(self, issue: IssueLike) -> int:
        """Start a new run (version) of *issue*, ``PENDING``, the issue ``investigating``.

        Returns the new version; it ends by the current mode like a first run.
        """
        record, _ = self._latest(issue)
        with self._store.lock:
            record.data["status"] = "investigating"
            self.touch(record)
            run = self.start(record)
            assert run is not None  # _latest found or made one
            return run.version

    def status(self, issue: IssueLike, version: int | None = None) -> str:
        """The status (``PENDING``, ``SUCCESS``, ``ERROR``, ``NOOP``) of *issue*'s run *version*."""
        record = self._record(issue)
        run = self.run_of(record, version)
        if run is None:
            raise LookupError(f"issue {record.uuid} has no version {version}")
        return run.status

    # -- internals -------------------------------------------------------------------------

    def touch(self, record: IssueRecord) -> None:
        """Bump ``updatedAt`` to now, and past its previous value when the clock (on the
        wire's millisecond) has not moved since."""
        stamp = format_instant(self._clock())
        before = record.data.get("updatedAt")
        if isinstance(before, str) and stamp <= before:  # same wire form: compares as text
            previous = wire_instant(before)
            if previous is not None:
                stamp = format_instant(previous + timedelta(milliseconds=1))
        record.data["updatedAt"] = stamp
        record.summary = None

    def _record(self, issue: IssueLike) -> IssueRecord:
        uuid = _uuid_of(issue)
        self.settle()  # what the clock already ended is ended for the controls too
        record = self._store.find(uuid)
        if record is None:
            raise LookupError(f"the fake keeps no issue {uuid}")
        return record

    def _latest(self, issue: IssueLike) -> tuple[IssueRecord, Run]:
        record = self._record(issue)
        if not record.runs and self.start(record) is None:
            raise LookupError("this fake's document has no investigations (no GET /issues/{id})")
        return record, record.runs[-1]

    def _finish(self, record: IssueRecord, run: Run, status: str, *, when: float | None) -> None:
        run.status = status
        run.due = None
        record.summary = None
        if status == "SUCCESS" and record.data.get("status") == "investigating":
            record.data["status"] = "ready_to_fix"
        moment = self._clock() if when is None else datetime.fromtimestamp(when, UTC)
        before = record.data.get("updatedAt")
        stamp = format_instant(moment)
        if not isinstance(before, str) or stamp > before:
            record.data["updatedAt"] = stamp
        else:
            self.touch(record)

    def _version(self, run: Run) -> dict[str, Any]:
        entry: dict[str, Any] = {"uuid": run.uuid, "version": run.version, "status": run.status}
        if run.description is not None:
            entry["description"] = run.description
        return entry

    def builders(self) -> tuple[ResultsBuilder, ArtifactBuilder] | None:
        """The builders (``pytest_antimetal.builders``) on this document, if it has what they
        need; else ``None`` and the fake fills the schemas itself (``content``)."""
        return self._results.builders()
