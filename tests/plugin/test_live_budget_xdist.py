"""``--antimetal-live-budget`` caps the run: across pytest-xdist workers, and the contract suite
and the issue factory together (README, "The contract suite" and "antimetal_issue_factory").

The server is the embedded fake behind a loopback socket, which the conftest makes the plugin
treat as a live host (loopback targets are not capped)."""

from __future__ import annotations

import re

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.live_budget import SAFE_METHODS
from pytest_antimetal.spec.formats import now_utc
from tests.helpers.sessions import run_plugin

pytestmark = pytest.mark.filterwarnings("error")

LIVE_CONFTEST = """
import pytest_antimetal.target as target

# The test server listens on loopback; the plugin must treat it as a live host (capped).
target.is_loopback_url = lambda url: False
"""

CREATING_TESTS = """
import pytest
from pytest_antimetal.factory import LiveBudgetExceeded

@pytest.mark.parametrize("i", range(3))
def test_create_one(antimetal_issue_factory, i):
    antimetal_issue_factory.create()

def test_create_two_at_once(antimetal_issue_factory):
    antimetal_issue_factory.create_many(2)
"""

_SAFE = SAFE_METHODS


@pytest.fixture
def live(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> FakeAntimetal:
    """A fake judged as a live server (seeded ids, the wall clock), with the key in the env."""
    pytest.importorskip("xdist")
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    pytester.makeconftest(LIVE_CONFTEST)
    return FakeAntimetal(api_keys=[canary_key], seed=1, clock=now_utc)


def _creating(fake: FakeAntimetal) -> list[str]:
    """Every request the server got that could have created something: all but the safe
    methods and the suite's clean-up (``DELETE`` of an issue it created, not taken from the
    budget; there are never more of those than issues created)."""
    sent = [r for r in fake.requests if r.method.upper() not in _SAFE]
    deletes = [r for r in sent if r.method.upper() == "DELETE"]
    assert len(deletes) <= sum(1 for r in sent if r.method.upper() == "POST" and r.status == 201)
    return [f"{r.method.upper()} {r.path}" for r in sent if r.method.upper() != "DELETE"]


def test_factory_creates_the_budget_in_total_under_xdist(
    pytester: pytest.Pytester, live: FakeAntimetal
) -> None:
    # Two files, two workers, --dist loadfile: each worker runs one file's tests. Each file
    # alone would spend the whole budget (3 + 2 creates against a cap of 3); one worker's count
    # would let each worker create 3, 6 in all.
    pytester.makepyfile(test_a=CREATING_TESTS, test_b=CREATING_TESTS)
    with FakeServer(live) as server:
        result = run_plugin(
            pytester,
            f"--antimetal-base-url={server.url}",
            "--antimetal-live-budget=3",
            "-p",
            "no:randomly",
            "-n",
            "2",
            "--dist=loadfile",
        )
        created = list(server.fake.issues)
        creating = _creating(server.fake)
    out = result.stdout.str()
    assert len(created) == 3, out
    assert creating == ["POST /issues"] * 3
    outcomes = result.parseoutcomes()
    # Each passing test created what it asked for (1 or 2); every other one failed, before
    # sending, with the budget's message.
    assert outcomes.get("failed", 0) == 8 - outcomes.get("passed", 0)
    # The traceback's last line, once per failure (on CI the short summary repeats the message).
    refused = re.findall(r"^E\s+\S*LiveBudgetExceeded: live budget: creating", out, re.M)
    assert len(refused) == outcomes["failed"]
    assert "would exceed the run's cap of 3 (" in out
    assert f"pytest-antimetal: 3 issue(s) created on {server.url}" in out


def test_contract_suite_and_factory_share_one_budget(
    pytester: pytest.Pytester, live: FakeAntimetal
) -> None:
    # The suite alone wants far more than 4 requests that can create, and so do the factory's
    # tests: together, in one run over two workers, 4 are sent, not 4 each.
    pytester.makepyfile(test_a=CREATING_TESTS)
    with FakeServer(live) as server:
        result = run_plugin(
            pytester,
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "--antimetal-live-budget=4",
            "--antimetal-max-examples=5",
            "--hypothesis-seed=4",
            "-p",
            "no:randomly",
            "-n",
            "2",
        )
        creating = _creating(server.fake)
    out = result.stdout.str()
    assert "INTERNALERROR" not in out
    assert len(creating) == 4, (creating, out)
    sent = int(out.split("request(s) that can create per run: ")[1].split(" sent")[0])
    by_factory = creating.count("POST /issues") - sent
    assert 0 <= sent <= 4
    assert 0 <= by_factory <= 4
    assert "live budget: 4 request(s) that can create per run: " in out


def test_contract_suite_and_factory_share_one_budget_in_one_process(
    pytester: pytest.Pytester, live: FakeAntimetal
) -> None:
    # Without xdist: one process, the suite's items after the factory's tests.
    pytester.makepyfile(test_a=CREATING_TESTS)
    with FakeServer(live) as server:
        result = run_plugin(
            pytester,
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "--antimetal-live-budget=4",
            "--antimetal-max-examples=5",
            "--hypothesis-seed=4",
            "-p",
            "no:randomly",
        )
        creating = _creating(server.fake)
    out = result.stdout.str()
    assert len(creating) == 4, (creating, out)
    # The factory's tests run first (collection order): 3 single creates, then 2 at once do not
    # fit in the 1 left and create nothing; the suite sends that 1.
    assert "live budget: 4 request(s) that can create per run: 1 sent" in out
    result.stdout.fnmatch_lines(
        [
            "E *LiveBudgetExceeded: live budget: creating 2 more issue(s) on * would exceed the "
            "run's cap of 4 (3 taken by the run, 3 by this process)*",
            "FAILED test_a.py::test_create_two_at_once - *",
        ]
    )
