"""Running the sequences part: the state machine under Hypothesis (shrunk on failure), the
failure it found recorded as numbered steps, and the clean-up of what it created on a live
target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.sending import USER_AGENT, Outgoing
from pytest_antimetal.contract.sequences.driver import Driver
from pytest_antimetal.contract.sequences.machine import build_machine
from pytest_antimetal.contract.sequences.model import PART, STEPS, SequenceFailed, Step

if TYPE_CHECKING:
    from pytest_antimetal.contract.part_result import PartResult

__all__ = ["run_sequences"]


def run_sequences(runner: Any, result: PartResult) -> None:
    """Run the part: the state machine (shrunk on failure), then the clean-up.

    *runner* is the :class:`~pytest_antimetal.contract.runner.ContractRunner` (typed loosely:
    this package must not import the runner, which imports the part table, which imports this
    package). This is the one place the part touches it: it binds what the
    :class:`~.driver.Driver` uses to *result*, and records the failure found.
    """
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis import seed as with_seed
    from hypothesis.stateful import run_state_machine_as_test

    from pytest_antimetal.contract.generation import part_seed

    driver = Driver(
        runner.settings,
        result,
        send=lambda out, budget: runner.send(out, result, budget=budget),
        auth_headers=runner.builder.auth_headers,
        unreachable=lambda: bool(runner.sender.unreachable),
    )
    machine = with_seed(part_seed(runner.settings.seed, PART))(build_machine(driver))
    phases = [Phase.explicit, Phase.generate]
    if not driver.capped:  # every replay would create again on a live target
        phases.append(Phase.shrink)
    config = settings(
        max_examples=max(5, runner.settings.max_examples // 5),
        stateful_step_count=STEPS,
        database=None,
        deadline=None,
        derandomize=False,  # the seed above fixes the draws
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    try:
        run_state_machine_as_test(machine, settings=config)
    except SequenceFailed as failed:
        _record(runner, result, failed)
    except BaseException as other:  # Hypothesis' Flaky wraps ours when a replay differs
        found = _find(other)
        if found is None:
            raise
        _record(runner, result, found)
    finally:
        if driver.capped:
            _clean_up(driver)


def _find(error: BaseException) -> SequenceFailed | None:
    if isinstance(error, SequenceFailed):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _find(inner)
        if found is not None:
            return found
    return None


def _record(runner: Any, result: PartResult, failed: SequenceFailed) -> None:
    steps = failed.steps
    # One line a step, so a shrunk sequence (<= 4 steps) shows whole at default verbosity.
    lines = [step.line(k) for k, step in enumerate(steps, 1)]
    last = next((s.exchanges[-1] for s in reversed(steps) if s.exchanges), None)
    if last is None:
        return
    out, got = last
    runner.record(
        out,
        result,
        check=failed.invariant,
        message=f"{failed.message} (shortest failing sequence, {len(steps)} step(s))",
        received=got,
        details="\n".join(lines),
    )


def _clean_up(driver: Driver) -> None:
    """Delete what the part created and did not delete (live targets): not counted against
    the budget, which caps what can create; leaving issues behind is the worse outcome."""
    left = [u for u in driver.created if u not in driver.deleted]
    for uuid in left:
        driver.steps = [Step("clean-up")]
        out = Outgoing(
            f"{PART} clean-up",
            "positive",
            "DELETE",
            f"{driver.base}/issues/{uuid}",
            {"User-Agent": USER_AGENT, **driver.auth_headers()},
            b"",
            None,
        )
        got = driver.transmit(out, False)
        if got is not None and got.status in (204, 404):
            driver.deleted.add(uuid)
    driver.result.notes.append(
        f"sequences: {len(driver.created)} issue(s) created, {len(driver.deleted)} deleted "
        f"({len(left)} at the end)"
    )
