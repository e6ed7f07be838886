"""Issue 14: every operation's error handling has a planted fault, caught by exactly the checks
it names; the same runs against the embedded fake find nothing over 20 seeds.

The runner is driven per operation (``ContractSettings(method=..., path=...)``), the way the
pytest items run it. Budgets are small (the fuzzing parts draw :data:`BUDGET` cases a seed),
so that the twenty seeds times eight operations stay within a CI run's means; the parts a
fault is caught by are the ones the seeds are run over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_antimetal.contract.report import format_failures
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import (
    MISSED_OPERATION_FAULTS,
    OPERATION_FAULTS,
    make_operation_fake,
)

KEY = "amk-operation-faults-key-0123456789"
BUDGET = 5
FUZZ_BUDGET = 3
"""Cases a fuzzing part draws per seed in the twenty-seed runs (60 per part and operation)."""
SEEDS = range(20)
FIXED = ("examples", "coverage")
"""Parts whose requests depend on the document alone, not the seed."""
FUZZ = ("fuzz-positive", "fuzz-negative")
"""Parts that draw new requests for every seed."""
FIXED_SEEDS = range(5)
"""A fixed part sends the same requests whatever the seed: five differently seeded fakes
answer them (ids, clocks), not twenty, to keep this file within a CI run's means."""
STATELESS = FIXED + FUZZ
"""The parts that mean the same for every operation (``edge-cases`` and ``malformed`` build
createIssue's bodies, and are run only where a fault needs them)."""


def _runner(
    fake: FakeAntimetal,
    method: str,
    path: str,
    seed: int,
    cache_dir: Path | None = None,
    budget: int = BUDGET,
) -> ContractRunner:
    settings = ContractSettings(
        spec=fake.spec,
        base_url=fake.base_url,
        api_key=KEY,
        transport=fake.transport,
        seed=seed,
        max_examples=budget,
        clock=fake.clock,
        method=method,
        path=path,
        cache_dir=cache_dir,
    )
    return ContractRunner(settings)


def _runs() -> Iterator[tuple[str, str, tuple[str, ...], range]]:
    """Each operation with a planted fault, the parts to run it with, and over which seeds:
    the fixed parts (with any a fault needs) over :data:`FIXED_SEEDS`, fuzzing over all."""
    fixed: dict[tuple[str, str], list[str]] = {}
    for fault in OPERATION_FAULTS.values():
        found = fixed.setdefault((fault.method, fault.path), list(FIXED))
        if fault.part not in (*found, *FUZZ):
            found.append(fault.part)
    for (method, path), names in sorted(fixed.items()):
        yield method, path, tuple(names), FIXED_SEEDS
        yield method, path, FUZZ, SEEDS


def test_every_operation_but_create_has_a_fault() -> None:
    """A fault for every operation of the document other than createIssue (which has
    FAULTS)."""
    spec = vendored_spec()
    others = {(op.method, op.path) for op in spec.operations()} - {("post", "/issues")}
    planted = {(f.method, f.path) for f in OPERATION_FAULTS.values()}
    assert planted == others
    assert len(planted) == 8


@pytest.mark.parametrize("name", sorted(OPERATION_FAULTS))
def test_operation_fault_is_caught_by_exactly_its_checks(name: str) -> None:
    fault = OPERATION_FAULTS[name]
    fake = make_operation_fake(name, vendored_spec(), 1, KEY)
    with _runner(fake, fault.method, fault.path, seed=1) as runner:
        result = runner.run(fault.part)
    found = {failure.check for failure in result.failures}
    assert found == fault.checks, format_failures(fault.part, result.failures, runner.secrets)
    # Found on the operation planted, not on a neighbour the coverage part probes.
    methods = {failure.request.method for failure in result.failures}
    assert methods == {fault.method.upper()}


@pytest.mark.parametrize(
    ("method", "path", "parts", "seeds"),
    list(_runs()),
    ids=[f"{m.upper()} {p} {'fuzz' if parts == FUZZ else 'fixed'}" for m, p, parts, _ in _runs()],
)
def test_the_same_runs_find_nothing_against_the_fake(
    method: str, path: str, parts: tuple[str, ...], seeds: range, tmp_path: Path
) -> None:
    """The parts that catch the faults above, and the fuzzing ones, against the embedded fake
    (fixed parts' cases are generated once and kept in a cache, as a run keeps them)."""
    sent = 0
    for seed in seeds:
        fake = FakeAntimetal(api_keys=[KEY], seed=seed)
        budget = FUZZ_BUDGET if parts == FUZZ else BUDGET
        with _runner(fake, method, path, seed, tmp_path, budget) as runner:
            for part in parts:
                result = runner.run(part)
                failures = format_failures(part, result.failures, runner.secrets)
                assert result.passed, f"seed {seed}: {failures}"
            sent += runner.stats.requests
    assert sent >= len(seeds) * len(parts) * 2  # every part sent requests on every seed


@pytest.mark.parametrize("name", sorted(MISSED_OPERATION_FAULTS))
@pytest.mark.xfail(strict=True, reason="missed today: see MISSED_OPERATION_FAULTS")
def test_missed_operation_fault(name: str) -> None:
    """Faults the suite misses today; each starts passing (and must move to OPERATION_FAULTS)
    when the check that should catch it does."""
    fault = MISSED_OPERATION_FAULTS[name]
    fake = make_operation_fake(name, vendored_spec(), 1, KEY)
    with _runner(fake, fault.method, fault.path, seed=1) as runner:
        result = runner.run(fault.part)
    found = {failure.check for failure in result.failures}
    assert found == fault.checks, format_failures(fault.part, result.failures, runner.secrets)


def test_a_read_answering_the_same_issue_twice_is_not_a_failure() -> None:
    """A conformant server that holds issues 1-3: ``GET /issues/by_number/1`` twice answers the
    same issue twice. ``identity_unique`` is about what a request created; on a read it called
    the second answer a duplicate (found while planting ``by-number-zero``)."""
    fake = FakeAntimetal(api_keys=[KEY], seed=1)
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    for i in range(3):
        body = {"title": f"issue {i}", "description": "held", "environment": "prod"}
        assert fake.handle("POST", "/issues", headers, json.dumps(body).encode()).status == 201
    with _runner(fake, "get", "/issues/by_number/{number}", seed=1) as runner:
        for part in STATELESS:
            result = runner.run(part)
            assert result.passed, format_failures(part, result.failures, runner.secrets)
    answered = [r for r in fake.requests if r.method == "GET"]
    assert len(answered) > 20


@pytest.mark.parametrize(
    "operation", sorted(op.operation_id or op.label for op in vendored_spec().operations())
)
def test_auth_is_probed_on_every_operation(operation: str) -> None:
    """A server that serves every request whatever its key is caught on every operation by its
    examples alone, including those whose random ids name no issue (answered 404 with a key)."""
    from tests.helpers.planted_faults import FaultyFake, ignores_auth

    fake = FaultyFake(ignores_auth, spec=vendored_spec(), seed=1, api_keys=[KEY])
    with _runner(fake, "post", "/issues", seed=1) as runner:
        result = runner.run("examples", operation)
    found = {failure.check for failure in result.failures}
    assert "ignored_auth" in found, format_failures("examples", result.failures, runner.secrets)
    probes = [f for f in result.failures if f.check == "ignored_auth"]
    assert len(probes) == 2  # without a key and with a wrong one, once
