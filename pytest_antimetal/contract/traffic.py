"""A request on its way, before any judging: claimed, sent, counted and recorded.

:class:`Traffic` lets a request go only when the live-target rules allow it
(:class:`~.live_safety.LiveSafety`) and, when it can create, the live budget has a unit left
(:class:`~.sending.Sender`); the time budget and an unreachable target stop a part's stream.
Each answer is counted on the part's statistics, noted for what it created, recorded for
coverage and reported to the progress callback; a request that got no answer is a
``no_response`` failure. Judging the answers is the runner's (:mod:`.checking`).
:func:`run_sender` makes the run's one sender from the settings (its pace, its 429 policy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.coverage import CoverageRecorder
from pytest_antimetal.contract.dispatch import Pacer
from pytest_antimetal.contract.failure_recorder import FailureRecorder
from pytest_antimetal.contract.live_safety import LiveSafety
from pytest_antimetal.contract.part_result import PartResult
from pytest_antimetal.contract.progress import ProgressEvent
from pytest_antimetal.contract.reach import is_connect_error
from pytest_antimetal.contract.report import ReceivedResponse
from pytest_antimetal.contract.sending import RETRIES_ON_429, Attempt, Outgoing, Sender
from pytest_antimetal.contract.settings import ContractSettings

if TYPE_CHECKING:
    import httpx

__all__ = ["Traffic", "run_sender"]


def run_sender(client: httpx.Client, settings: ContractSettings) -> Sender:
    """The one :class:`~.sending.Sender` of a run (one live budget for every operation)."""
    return Sender(
        client,
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


class Traffic:
    """Claims, sends and records the requests of one run (every part, every operation)."""

    def __init__(
        self,
        settings: ContractSettings,
        sender: Sender,
        live: LiveSafety,
        coverage: CoverageRecorder,
        failures: FailureRecorder,
        *,
        out_of_time: Callable[[], bool],
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.live = live
        self.coverage = coverage
        self.failures = failures
        self._out_of_time = out_of_time

    def claimed(
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
            if out is None or self.claim(out, result):
                yield out

    def claim(self, out: Outgoing, result: PartResult, *, budget: bool = True) -> bool:
        """Whether *out* may go: ours to change (live target), and, when it can create, taken
        from the live budget (unless *budget* is false); counted as not sent otherwise."""
        refused = self.live.refusal(out)
        if refused is not None:
            result.stats.skipped[refused] += 1
            return False
        if out.creates and budget:
            if not self.sender.claim():
                result.stats.skipped["live budget reached"] += 1
                return False
            if self.settings.live_budget is not None:
                result.stats.budget_used += 1
        return True

    def send(
        self, out: Outgoing, result: PartResult, *, claim: bool = True
    ) -> tuple[Any, ReceivedResponse] | None:
        """Claim (unless *claim* is false: no live budget), send and receive *out*, a 429
        sent again; the last answer, ``None`` when not sent or not answered."""
        if not self.claim(out, result, budget=claim):
            return None
        got = None
        for attempt in self.sender.attempts(out, claim=claim):
            got = self.receive(out, result, attempt, retry=got is not None and claim)
            if got is None:
                return None
        return got

    def receive(
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
            shown = self.failures.shown(out, dict(missing.request.headers))
            self.failures.fail(
                result, out, check="no_response", message=str(missing), shown=shown, received=None
            )
            return None
        response = attempt.response
        assert response is not None
        result.stats.requests += 1
        received = ReceivedResponse(response.status_code, dict(response.headers), response.content)
        self.live.note_answer(out, received)
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
