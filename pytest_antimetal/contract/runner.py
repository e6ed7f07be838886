"""The contract suite without pytest: the runner that orchestrates a part.

:class:`ContractRunner` takes a :class:`~.parts.Part` from the table in :mod:`.parts`,
draws its requests (:mod:`.generation` for schemathesis's cases, :mod:`.edge_cases` for
the hand-written inputs, with each operation's :mod:`.operation_pieces`), sends them
(:mod:`.traffic`: claimed within :mod:`.live_safety`'s rules and the live budget, sent by
:mod:`.sending`, counted), judges each response (:mod:`.checking`), and records failures
(:mod:`.failure_recorder`) and statistics on a :mod:`.part_result` for the reports. After
the first accepted request of a part it re-sends it without and with a wrong key
(:mod:`.auth_probe`); an operation none of whose requests was accepted gets the same probes
once, on its first valid request. At the end, :meth:`ContractRunner.delete_created` removes
what the run created on a live target.

The request sequence of a part depends on the spec, the seed and the example budget (no
clock, no random ids), so a replay sends the same requests in the same order, as cassettes
need; the fuzzing parts also on the literals of the "local" modules Hypothesis sees when
they generate (README, 'Determinism').
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.auth_probe import INVALID_KEY, auth_probes
from pytest_antimetal.contract.checking import (
    SCHEMATHESIS_CHECKS,
    Expectation,
)
from pytest_antimetal.contract.checks import RunState
from pytest_antimetal.contract.coverage import CoverageRecorder, DocumentModel
from pytest_antimetal.contract.dispatch import Dispatcher
from pytest_antimetal.contract.failure_recorder import FailureRecorder
from pytest_antimetal.contract.live_safety import NOT_OURS, READ_ONLY, LiveSafety
from pytest_antimetal.contract.operation_pieces import (
    MIN_EXAMPLES,
    PARAMETER_ONLY_SHARE,
    OperationPieces,
)
from pytest_antimetal.contract.operations import select_operations
from pytest_antimetal.contract.part_result import PartResult
from pytest_antimetal.contract.parts import ITEMS, PARTS, Inputs, resolve
from pytest_antimetal.contract.report import ReceivedResponse, RunStats
from pytest_antimetal.contract.sending import (
    USER_AGENT,
    Attempt,
    Outgoing,
)
from pytest_antimetal.contract.settings import DEFAULT_MAX_EXAMPLES, ContractSettings
from pytest_antimetal.contract.traffic import Traffic, run_sender

if TYPE_CHECKING:
    import httpx

# Besides the runner: names that lived here before the split (settings, results, the
# live-target rules, the probes' key, per-operation pieces), still importable from here.
__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "INVALID_KEY",
    "ITEMS",
    "MIN_EXAMPLES",
    "NOT_OURS",
    "PARAMETER_ONLY_SHARE",
    "PARTS",
    "READ_ONLY",
    "SCHEMATHESIS_CHECKS",
    "USER_AGENT",
    "ContractRunner",
    "ContractSettings",
    "OperationPieces",
    "PartResult",
]


class ContractRunner:
    """Runs the suite's parts against one target; keeps state across parts and operations.

    One runner for every operation, holding each operation's pieces (:class:`OperationPieces`)
    rather than a runner per operation: the live budget, the record of what was created, the
    identities seen and the deadline are the run's, not an operation's."""

    def __init__(self, settings: ContractSettings, client: httpx.Client | None = None) -> None:
        import httpx

        self.settings = settings
        self.state = RunState(clock=settings.clock)
        self.stats = RunStats()
        self.coverage = CoverageRecorder(DocumentModel.from_spec(settings.spec), settings.base_url)
        self._client = client or httpx.Client(
            transport=settings.transport, timeout=30.0, follow_redirects=False
        )
        self._owns_client = client is None
        self._auth_probed: set[str] = set()
        self._deadline: float | None = None
        # One sender for every operation: one live budget and one record of what was created
        # for the whole run (a sender per operation would multiply the budget).
        self.sender = run_sender(self._client, settings)
        self.dispatcher: Dispatcher[Outgoing | None, list[Attempt]] = Dispatcher(
            lambda out: [] if out is None else self.sender.attempts(out), settings.senders
        )
        self._pieces: dict[str, OperationPieces] = {}
        self.live = LiveSafety(
            capped=settings.live_budget is not None, read_only=settings.read_only
        )
        self.failures = FailureRecorder(settings)
        self.traffic = Traffic(
            settings,
            self.sender,
            self.live,
            self.coverage,
            self.failures,
            out_of_time=self._out_of_time,
        )
        self.default = self.pieces(settings.method, settings.path)
        """The settings' operation: what a part runs when no other is named."""
        self.rules = self.default.rules
        self.cases = self.default.cases
        self.builder = self.default.builder
        self.checker = self.default.checker

    def pieces(self, method: str, path: str) -> OperationPieces:
        """The rules, cases, builder and checker of one operation (made on first use)."""
        key = f"{method.upper()} {path}"
        found = self._pieces.get(key)
        if found is None:
            found = OperationPieces.make(
                self.settings, self.state, method, path, out_of_time=self._out_of_time
            )
            self._pieces[key] = found
        return found

    def operation_named(self, name: str | None) -> OperationPieces:
        """The pieces of the operation *name* (an ``operationId`` or ``"METHOD /path"``);
        the settings' operation for ``None``; ``ValueError`` for an unknown name."""
        if name is None:
            return self.default
        (op,) = select_operations(self.settings.spec, [name])
        return self.pieces(op.method, op.path)

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        self.dispatcher.close()
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> ContractRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def secrets(self) -> tuple[str, ...]:
        # Bare for the reports' redaction only (they match text); never stored or printed.
        return self.failures.secrets

    @property
    def created(self) -> dict[str, str]:
        """Identifiers of what this run created -> the collection URL it was created at, in
        order (:attr:`.live_safety.LiveSafety.created`)."""
        return self.live.created

    @property
    def operation(self) -> Any:
        """schemathesis's ``APIOperation`` for the settings' method and path."""
        return self.cases.operation

    # -- time ------------------------------------------------------------

    def _start_deadline(self) -> None:
        budget = self.settings.time_budget
        if budget is not None and self._deadline is None:
            self._deadline = time.monotonic() + budget

    def _out_of_time(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    # -- parts -----------------------------------------------------------

    def run(self, name: str, operation: str | None = None) -> PartResult:
        """Run one part of the suite (all its shards), or one item of a sharded part
        (:data:`ITEMS`), against *operation* (an ``operationId`` or ``"METHOD /path"``;
        default: the settings' operation); failures are collected, never raised. A part that
        does not apply to the operation sends nothing."""
        the_part, shards = resolve(name)
        pieces = self.operation_named(operation)
        # The stateful part runs over every operation: it is no operation's item.
        result = PartResult(name, operation="" if the_part.drive else pieces.op.operation_id)
        if self.sender.unreachable:  # found by an earlier part: nothing would connect
            result.unreachable = self.sender.unreachable
            return result
        if not the_part.applies(pieces.op):
            return result
        self._start_deadline()
        probed_auth = False
        first_positive: Outgoing | None = None
        extra = (the_part.expectation,) if the_part.expectation else ()
        skipped_datetime = 0
        settings = self.settings
        if the_part.drive is not None:
            the_part.drive(self, result)
            shards = ()
        capped = settings.live_budget is not None

        def alone(out: Outgoing | None) -> bool:
            # A capped run's auth probe takes from the budget right after the first accepted
            # positive request, before anything after it, as in a sequential run: until then
            # a positive request is sent alone, nothing drawn after it before its answer.
            return capped and not probed_auth and out is not None and out.intent == "positive"

        for shard in shards:
            inputs = Inputs(
                pieces.cases,
                pieces.builder,
                pieces.request_schema,
                settings.seed,
                pieces.max_examples,
                shard,
            )
            # Sent side by side (claimed from the budget as drawn), judged in order.
            for out, attempts in self.dispatcher.map(
                self.traffic.claimed(the_part.requests(inputs), result), barrier=alone
            ):
                if out is None:
                    skipped_datetime += 1
                    continue
                received = self._exchange(out, result, extra, pieces, attempts=attempts)
                if received is None:
                    if self.sender.unreachable:
                        result.unreachable = self.sender.unreachable
                        break
                    continue
                if first_positive is None and out.intent == "positive":
                    first_positive = out
                if (
                    not probed_auth
                    and out.intent == "positive"
                    and received.status == pieces.rules.success_status
                ):
                    probed_auth = True
                    self._ignored_auth(out, result, pieces)
            if result.unreachable or self._out_of_time():
                break
        if (
            first_positive is not None
            and pieces.op.operation_id not in self._auth_probed
            and not result.unreachable
        ):
            # No request of this operation was accepted (its ids name nothing this run holds):
            # auth is still checked once, on its first valid request. A careful server checks
            # credentials before it looks the id up, so an unauthenticated request gets 401,
            # never the 404 that would tell it whether the id exists.
            self._ignored_auth(first_positive, result, pieces, accepted=False)
        if skipped_datetime:
            result.stats.skipped[
                "valid-looking timestamps the spec's pattern and format disagree on"
            ] += skipped_datetime
        self.stats.merge(result.stats.as_dict())
        return result

    def send_and_check(self, out: Outgoing, result: PartResult) -> ReceivedResponse | None:
        """Send one request and run every check on its answer, recording failures in
        *result*; ``None`` when it was not sent (budget) or got no answer."""
        return self._exchange(out, result, (), self.default)

    def send(
        self, out: Outgoing, result: PartResult, *, budget: bool = True
    ) -> ReceivedResponse | None:
        """Send one request, counted (and, when it can create, taken from the live budget
        unless *budget* is false); no checks. ``None`` when not sent or not answered (a
        ``no_response`` failure is recorded)."""
        got = self.traffic.send(out, result, claim=budget)
        return None if got is None else got[1]

    def record(
        self,
        out: Outgoing,
        result: PartResult,
        *,
        check: str,
        message: str,
        received: ReceivedResponse | None,
        details: str = "",
    ) -> None:
        """Record a failure found by a part's own judgement (the sequences' invariants)."""
        shown = self.failures.shown(out, dict(out.headers))
        self.failures.fail(
            result,
            out,
            check=check,
            message=message,
            shown=shown,
            received=received,
            details=details,
        )

    def _exchange(
        self,
        out: Outgoing,
        result: PartResult,
        extra: Iterable[Expectation],
        pieces: OperationPieces,
        *,
        attempts: list[Attempt] | None = None,
    ) -> ReceivedResponse | None:
        """Send *out* (unless *attempts* says how it went already) and judge every answer."""
        if attempts is None:
            if not self.traffic.claim(out, result):
                return None
            attempts = self.sender.attempts(out)
        received = None
        for attempt in attempts:  # a 429 sent again: each answer is an exchange to judge
            got = self.traffic.receive(out, result, attempt, retry=attempt is not attempts[0])
            if got is None:
                return None
            response, received = got
            sent_at = attempt.sent_at  # its own, whatever else was in flight
            if attempt is not attempts[-1]:
                # A 429 that was sent again: judged as an answer (its body, its headers: our
                # own checks), not as a verdict on the input, which the last answer gives.
                interim = replace(out, case=None)
                self._check(interim, response, received, result, pieces, sent_at=sent_at, extra=())
                continue
            self._check(out, response, received, result, pieces, sent_at=sent_at, extra=extra)
        return received

    # -- a live target: only what this run created -------------------------

    @property
    def capped(self) -> bool:
        """A live target: requests that can create are capped, and only what this run
        created is changed or deleted."""
        return self.live.capped

    def delete_created(self) -> tuple[list[str], list[str]]:
        """Delete what this run created and still exists (``DELETE <collection>/<id>`` where
        the document declares it); the identifiers deleted (or already gone) and those that
        could not be. Not from the live budget: these requests remove what the budget let in."""
        result = PartResult("clean-up")
        headers = {"User-Agent": USER_AGENT, **self.default.builder.auth_headers()}

        def send(out: Outgoing) -> ReceivedResponse | None:
            got = self.traffic.send(out, result, claim=False)
            return None if got is None else got[1]

        done = self.live.clean_up(self.settings.spec, self.settings.base_url, headers, send)
        self.stats.merge(result.stats.as_dict())
        return done

    # -- checking --------------------------------------------------------

    def _check(
        self,
        out: Outgoing,
        response: httpx.Response,
        received: ReceivedResponse,
        result: PartResult,
        pieces: OperationPieces,
        *,
        sent_at: datetime,
        extra: Iterable[Expectation],
    ) -> None:
        if out.creates and 200 <= received.status < 300:
            # Accepted: something was created (or changed), whatever the request was meant to
            # test; listed by its number when the answer gives one.
            body = received.json()
            identity = body.get("number", body.get("uuid")) if isinstance(body, dict) else None
            result.stats.created.append(identity if isinstance(identity, (int, str)) else "?")
        ran, findings = pieces.checker.judge(out, response, received, sent_at=sent_at, extra=extra)
        result.stats.checks += ran
        self.failures.findings(result, out, response.request.headers, received, findings)

    def _ignored_auth(
        self,
        out: Outgoing,
        result: PartResult,
        pieces: OperationPieces,
        *,
        accepted: bool = True,
    ) -> None:
        """After an accepted request, the same request without / with a wrong key must get
        401; with *accepted* false, the first valid request of an operation none of whose
        requests was accepted (an unknown id): 401 still, before any 404 (403 is for a key
        that authenticates and lacks rights, never for a missing or wrong one).

        Against a capped (live) target the probes count against the budget and run once
        per operation and run: a server that ignores auth would create an issue for each;
        a PATCH/PUT/DELETE of what this run did not create is not sent.
        """
        capped = self.settings.live_budget is not None
        if capped and pieces.op.operation_id in self._auth_probed:
            return
        self._auth_probed.add(pieces.op.operation_id)
        for probe, enforced in auth_probes(out, accepted=accepted):
            self._exchange(probe, result, (enforced,), pieces)
