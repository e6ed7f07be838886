"""The contract suite without pytest: the runner that orchestrates a part.

:class:`ContractRunner` takes a :class:`~.parts.Part` from the table in :mod:`.parts`,
draws its requests (:mod:`.generation` for schemathesis's cases, :mod:`.edge_cases` for
the hand-written inputs), sends them (:mod:`.sending`: request building, the live
budget), judges each response (:mod:`.checking`), and records failures and statistics
for the reports. After the first accepted request of a part it re-sends it without
and with a wrong key (``ignored_auth``); an operation none of whose requests was accepted
gets the same probes once, on its first valid request.

The request sequence of a part depends on the spec, the seed and the example budget (no
clock, no random ids), so a replay sends the same requests in the same order, as cassettes
need; the fuzzing parts also on the literals of the "local" modules Hypothesis sees when
they generate (README, 'Determinism').
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.checking import (
    SCHEMATHESIS_CHECKS,
    Checker,
    Expectation,
    coverage_negative_parameters,
)
from pytest_antimetal.contract.checks import CheckFailed, ContractRules, Exchange, RunState
from pytest_antimetal.contract.coverage import CoverageLog, CoverageRecorder, DocumentModel
from pytest_antimetal.contract.dispatch import DEFAULT_CONCURRENCY, Dispatcher, Pacer
from pytest_antimetal.contract.generation import CaseGenerator
from pytest_antimetal.contract.grouping import Entry, EntryBook
from pytest_antimetal.contract.operations import ContractOperation, select_operations
from pytest_antimetal.contract.parts import ITEMS, PARTS, Inputs, resolve
from pytest_antimetal.contract.progress import ProgressCallback, ProgressEvent
from pytest_antimetal.contract.reach import is_connect_error
from pytest_antimetal.contract.report import Failure, ReceivedResponse, RunStats, SentRequest
from pytest_antimetal.contract.sending import (
    RETRIES_ON_429,
    USER_AGENT,
    Attempt,
    Outgoing,
    RequestBuilder,
    Sender,
)
from pytest_antimetal.secrets import APIKey, bearer
from pytest_antimetal.spec import Spec
from pytest_antimetal.spec.formats import now_utc

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "INVALID_KEY",
    "ITEMS",
    "PARTS",
    "SCHEMATHESIS_CHECKS",
    "USER_AGENT",
    "ContractRunner",
    "ContractSettings",
    "OperationPieces",
    "PartResult",
]

DEFAULT_MAX_EXAMPLES = 50
PARAMETER_ONLY_SHARE = 5
"""An operation without a request body fuzzes with ``max_examples // 5`` (at least
:data:`MIN_EXAMPLES`): its inputs are a few parameters, whose boundaries the coverage phase
already walks through; the full budget on each of them would triple the default run."""
MIN_EXAMPLES = 5
INVALID_KEY = "pytest-antimetal-invalid-key-0000"
_PUBLIC_CREDENTIALS = (f"Bearer {INVALID_KEY}",)
_CHANGES_EXISTING = frozenset({"PATCH", "PUT", "DELETE"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
NOT_OURS = "changes a resource this run did not create (live target)"
READ_ONLY = "could create or change (--antimetal-read-only)"
_IDENTIFIER = re.compile(r"[A-Za-z0-9._~-]{1,200}")
"""What an identifier must look like to be recorded as created: one plain path segment (a
server's id with a slash or a control character is not ours to build URLs from)."""


@dataclass
class ContractSettings:
    """Everything one run needs; plain values, no pytest."""

    spec: Spec
    base_url: str
    api_key: APIKey = field(repr=False)
    """Masked when printed; a ``str`` given here is wrapped at once."""
    transport: httpx.BaseTransport | None = None
    """An in-process transport (the fake's); ``None`` sends over the network."""
    max_examples: int = DEFAULT_MAX_EXAMPLES
    time_budget: float | None = None
    seed: int = 0
    live_budget: int | None = None
    """At most this many requests that can create (``None``: no cap; loopback and fakes).

    Every request whose method is not safe counts (POST, PUT, PATCH, DELETE), whatever it
    was meant to test: a server that wrongly accepts an invalid body creates an issue too."""
    budget_claim: Callable[[], bool] | None = None
    """Takes one unit of a budget shared with other processes (xdist workers); ``False`` when
    it is spent. ``None``: this runner counts against ``live_budget`` alone."""
    tag: str | None = None
    """Added to ``context.tags`` of every object body of a request that can create (live
    targets), where the body leaves room for it (see :func:`.sending.tagged`)."""
    clock: Callable[[], datetime] = now_utc
    replay: Callable[[str], str] | None = None
    """Builds the command that replays a part (shown with every failure)."""
    key_is_public: bool = False
    """The key is the fake's well-known one: reproductions show it instead of hiding it."""
    reproduce_setup: str = ""
    """What to run before a failure's curl (starting a local fake), shown with it."""
    cache_dir: Path | None = None
    """Where generated cases are kept between runs (``None``: generate every time)."""
    method: str = "post"
    path: str = "/issues"
    max_failures_per_check: int = 20
    concurrency: int | None = None
    """Requests of a part in flight at once (``None``: :data:`~.dispatch.DEFAULT_CONCURRENCY`
    over the network, 1 with an in-process *transport*, where the GIL leaves nothing to
    overlap). Answers are judged in the part's order whatever the number."""
    rate: float | None = None
    """At most this many requests per second, all senders together (``None``: no limit)."""
    progress: ProgressCallback | None = None
    """Called as each request is answered (the live counter of ``-v``); plain values only."""
    read_only: bool = False
    """Nothing that can create or change is sent (``--antimetal-read-only``): besides the
    operations left out, a part's own cases of an undeclared method (schemathesis's coverage
    phase sends e.g. ``POST /artifacts``) are counted as not sent."""

    def __post_init__(self) -> None:
        if isinstance(self.api_key, str):
            self.api_key = APIKey(self.api_key)

    @property
    def senders(self) -> int:
        """The concurrency this run sends with (:attr:`concurrency`, else the default)."""
        if self.concurrency is not None:
            return self.concurrency
        return 1 if self.transport is not None else DEFAULT_CONCURRENCY

    def __repr__(self) -> str:
        return (
            f"ContractSettings(base_url={self.base_url!r}, api_key='[REDACTED]', "
            f"max_examples={self.max_examples}, seed={self.seed})"
        )


@dataclass
class PartResult:
    """What one part of the suite found."""

    part: str
    failures: list[Failure] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    notes: list[str] = field(default_factory=list)
    book: EntryBook = field(default_factory=EntryBook)
    """Every failure, grouped by root cause (``failures`` keeps the first few per check)."""

    unreachable: str = ""
    """Why the target could not be connected to (the part stopped; nothing was sent)."""

    coverage: CoverageLog = field(default_factory=CoverageLog)
    """What the part's requests exercised of the document, and the statuses they got."""

    operation: str = ""
    """The ``operationId`` the part ran against."""

    @property
    def item(self) -> str:
        """``"listIssues::fuzz-negative-1"``: the item's name under ``antimetal-contract``."""
        return f"{self.operation}::{self.part}" if self.operation else self.part

    @property
    def entries(self) -> list[Entry]:
        return self.book.entries()

    @property
    def passed(self) -> bool:
        return not self.failures and not self.unreachable


@dataclass
class OperationPieces:
    """What the runner keeps per operation: its rules, cases, request builders and checker."""

    op: ContractOperation
    rules: ContractRules
    cases: CaseGenerator
    builder: RequestBuilder
    """Builds the generated requests and the hand-written ones."""
    checker: Checker
    request_schema: dict[str, Any]
    max_examples: int
    """The operation's fuzzing budget per generation mode (:data:`PARAMETER_ONLY_SHARE`)."""

    @classmethod
    def make(cls, runner: ContractRunner, method: str, path: str) -> OperationPieces:
        settings = runner.settings
        spec_op = settings.spec.operation(method, path)
        op = ContractOperation.of(spec_op)
        rules = ContractRules.from_spec(settings.spec, method, path)
        cases = CaseGenerator(
            settings.spec,
            method,
            path,
            cache_dir=settings.cache_dir,
            out_of_time=runner._out_of_time,
        )
        # A hand-written request names placeholder path parameters (fixed, so requests stay a
        # function of the spec); generated ones take theirs from their case.
        placeholders = op.placeholder_path_parameters()
        builder = RequestBuilder(
            settings.base_url,
            method,
            path.format(**placeholders) if placeholders else path,
            authorization=functools.partial(bearer, settings.api_key),
            rules=rules,
            make_case=(
                functools.partial(cases.case, path_parameters=placeholders)
                if placeholders
                else cases.case
            ),
            tag=settings.tag,
        )
        checker = Checker(
            rules,
            runner.state,
            base_url=settings.base_url,
            declared_methods=settings.spec.methods_for(path),
            checks_config=lambda: cases.checks_config,
        )
        budget = settings.max_examples
        if not op.has_body:
            budget = min(budget, max(MIN_EXAMPLES, budget // PARAMETER_ONLY_SHARE))
        return cls(op, rules, cases, builder, checker, spec_op.request_schema() or {}, budget)


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
        self.sender = Sender(
            self._client,
            settings.base_url,
            live_budget=settings.live_budget,
            budget_claim=settings.budget_claim,
            # Over the network a 429 pauses every sender for its Retry-After and the request
            # is sent again; the in-process fake's 429s are faults a test asked for (its
            # seeded clock stands still: waiting would never clear them).
            pacer=(
                Pacer(settings.rate)
                if settings.rate is not None or settings.transport is None
                else None
            ),
            retries_on_429=RETRIES_ON_429 if settings.transport is None else 0,
            clock=settings.clock,
        )
        self.dispatcher: Dispatcher[Outgoing | None, list[Attempt]] = Dispatcher(
            lambda out: [] if out is None else self.sender.attempts(out), settings.senders
        )
        self._pieces: dict[str, OperationPieces] = {}
        self.created: dict[str, str] = {}
        """Identifiers of what this run created (a 2xx answer to a POST naming a ``uuid`` or
        ``id``) -> the collection URL it was created at, in order. Against a live target only
        these are ever changed or deleted."""
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
            found = OperationPieces.make(self, method, path)
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
        return () if self.settings.key_is_public else (self.settings.api_key.get_secret_value(),)

    @property
    def _public(self) -> tuple[str, ...]:
        if self.settings.key_is_public:
            return (*_PUBLIC_CREDENTIALS, bearer(self.settings.api_key))
        return _PUBLIC_CREDENTIALS

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
                self._claimed(the_part.requests(inputs), result), barrier=alone
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
        got = self._send(out, result, claim=budget)
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
        shown = self._shown(out, dict(out.headers))
        self._fail(
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
            if not self._claim(out, result):
                return None
            attempts = self.sender.attempts(out)
        received = None
        for attempt in attempts:  # a 429 sent again: each answer is an exchange to judge
            got = self._receive(out, result, attempt, retry=attempt is not attempts[0])
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

    def _claimed(
        self, requests: Iterable[Outgoing | None], result: PartResult
    ) -> Iterator[Outgoing | None]:
        """*requests* as the dispatcher draws them, each request that can create taken from
        the live budget as it is drawn (in the part's order); stops at the time budget or
        once the target is unreachable."""
        for out in requests:
            if out is not None and self._out_of_time():
                result.stats.skipped["time budget reached"] += 1
                return
            if self.sender.unreachable:
                return
            if out is None or self._claim(out, result):
                yield out

    def _claim(self, out: Outgoing, result: PartResult, *, budget: bool = True) -> bool:
        """Whether *out* may go: ours to change (live target), and, when it can create, taken
        from the live budget (unless *budget* is false); counted as not sent otherwise."""
        if self._not_ours(out):
            result.stats.skipped[NOT_OURS] += 1
            return False
        if self.settings.read_only and out.method.upper() not in _SAFE_METHODS:
            result.stats.skipped[READ_ONLY] += 1
            return False
        if out.creates and budget:
            if not self.sender.claim():
                result.stats.skipped["live budget reached"] += 1
                return False
            if self.settings.live_budget is not None:
                result.stats.budget_used += 1
        return True

    def _send(
        self, out: Outgoing, result: PartResult, *, claim: bool = True
    ) -> tuple[Any, ReceivedResponse] | None:
        if not self._claim(out, result, budget=claim):
            return None
        got = None
        for attempt in self.sender.attempts(out, claim=claim):
            got = self._receive(out, result, attempt, retry=got is not None and claim)
            if got is None:
                return None
        return got

    def _receive(
        self, out: Outgoing, result: PartResult, attempt: Attempt, *, retry: bool = False
    ) -> tuple[Any, ReceivedResponse] | None:
        """Count and record one attempt's answer; ``None`` when it got none (a
        ``no_response`` failure is recorded unless the target is unreachable)."""
        if retry and out.creates and self.settings.live_budget is not None:
            result.stats.budget_used += 1  # the sender took it before sending again
        missing = attempt.error
        if missing is not None:
            if self.sender.unreachable:
                return None
            if not is_connect_error(missing.error):
                result.stats.requests += 1
            shown = self._shown(out, dict(missing.request.headers))
            self._fail(
                result, out, check="no_response", message=str(missing), shown=shown, received=None
            )
            return None
        response = attempt.response
        assert response is not None
        result.stats.requests += 1
        received = ReceivedResponse(response.status_code, dict(response.headers), response.content)
        # 201 Created only: a 200 to a POST may hand back something that already existed (a
        # server that deduplicates), which the run must never change or delete as its own.
        if out.method.upper() == "POST" and received.status == 201:
            body = received.json()
            ident = body.get("uuid", body.get("id")) if isinstance(body, dict) else None
            if isinstance(ident, str) and _IDENTIFIER.fullmatch(ident):
                self.created[ident] = out.url.partition("?")[0].rstrip("/")
        # Every answered request passes here (parts, auth probes, send_and_check): coverage
        # counts what was sent and got back, whichever operation it went to.
        self.coverage.record(
            result.coverage,
            out.method,
            out.url,
            headers=out.headers,
            body=out.body,
            status=received.status,
        )
        if self.settings.progress is not None:
            self.settings.progress(
                ProgressEvent(result.part, result.stats.requests, result.stats.failures.total())
            )
        return response, received

    # -- a live target: only what this run created -------------------------

    @property
    def capped(self) -> bool:
        """A live target: requests that can create are capped, and only what this run
        created is changed or deleted."""
        return self.settings.live_budget is not None

    def _not_ours(self, out: Outgoing) -> bool:
        # A PATCH, PUT or DELETE changes a resource that exists: against a live target, only
        # one whose identifier this run was given when it created it.
        if not self.capped or out.method.upper() not in _CHANGES_EXISTING:
            return False
        from urllib.parse import unquote, urlsplit

        segments = {unquote(s) for s in urlsplit(out.url).path.split("/") if s}
        return not segments & self.created.keys()

    def delete_created(self) -> tuple[list[str], list[str]]:
        """Delete what this run created and still exists (``DELETE <collection>/<id>`` where
        the document declares it); the identifiers deleted (or already gone) and those that
        could not be. Not from the live budget: these requests remove what the budget let in."""
        deletable = [
            op.path.rpartition("/")[0]
            for op in self.settings.spec.operations()
            if op.method == "delete" and op.path.endswith("}") and op.path.count("{") == 1
        ]
        result = PartResult("clean-up")
        deleted: list[str] = []
        failed: list[str] = []
        base = self.settings.base_url.rstrip("/")
        headers = {"User-Agent": USER_AGENT, **self.default.builder.auth_headers()}
        for ident, collection in list(self.created.items()):
            if collection.removeprefix(base) not in deletable:
                continue
            out = Outgoing(
                f"clean-up: delete {ident}",
                "unknown",
                "DELETE",
                f"{collection}/{ident}",
                headers,
                b"",
                None,
            )
            try:
                got = self._send(out, result, claim=False)
            except Exception:
                # One bad answer must not stop the clean-up; and no traceback: its frames hold
                # the request's headers, the key among them.
                got = None
            status = None if got is None else got[1].status
            if status is not None and (200 <= status < 300 or status in (404, 410)):
                deleted.append(ident)
                del self.created[ident]
            else:
                failed.append(ident)
        self.stats.merge(result.stats.as_dict())
        return deleted, failed

    # -- checking --------------------------------------------------------

    def _shown(self, out: Outgoing, headers: dict[str, str]) -> SentRequest:
        return SentRequest.redacted(
            out.method, out.url, headers, out.content, secrets=self.secrets, public=self._public
        )

    def _fail(
        self,
        result: PartResult,
        out: Outgoing,
        *,
        check: str,
        message: str,
        shown: SentRequest,
        received: ReceivedResponse | None,
        details: str = "",
    ) -> None:
        result.stats.failures[check] += 1
        replay = self.settings.replay(result.item) if self.settings.replay else ""
        cache = self.settings.cache_dir
        failure = Failure(
            check,
            message,
            out.label,
            shown,
            received,
            details=details,
            replay=replay,
            setup=self.settings.reproduce_setup,
            body_dir=None if cache is None else cache / "bodies",
        )
        result.book.add(failure, result.item, self.secrets)  # counted whether kept or not
        if result.stats.failures[check] <= self.settings.max_failures_per_check:
            result.failures.append(failure)

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
        exchange = Exchange(
            out.label,
            out.intent,
            out.method,
            out.body,
            sent_at,
            received,
            parameters=coverage_negative_parameters(out.case),
        )
        ran, findings = pieces.checker.judge(out, response, received, exchange, extra)
        result.stats.checks += ran
        if findings:
            shown = self._shown(out, dict(response.request.headers))
            for found in findings:
                self._fail(
                    result,
                    out,
                    check=found.check,
                    message=found.message,
                    shown=shown,
                    received=received,
                    details=found.details,
                )

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
        sent = "the accepted request" if accepted else "a valid request"
        capped = self.settings.live_budget is not None
        if capped and pieces.op.operation_id in self._auth_probed:
            return
        self._auth_probed.add(pieces.op.operation_id)
        for label, auth in (("without credentials", None), ("with an invalid key", INVALID_KEY)):
            headers = {k: v for k, v in out.headers.items() if k.lower() != "authorization"}
            if auth is not None:
                headers["Authorization"] = f"Bearer {auth}"
            probe = Outgoing(
                f"{out.label} - resent {label}",
                "negative",
                out.method,
                out.url,
                headers,
                out.content,
                out.body,
                None,
            )

            def enforced(ex: Exchange, label: str = label) -> None:
                if ex.response.status != 401:
                    raise CheckFailed(
                        "ignored_auth",
                        f"{sent} resent {label} got HTTP {ex.response.status}, expected 401: "
                        "the server does not enforce its bearer security (or checks the id "
                        "before the credentials)",
                    )

            self._exchange(probe, result, (enforced,), pieces)
