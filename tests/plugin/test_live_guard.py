"""The fixture clients against a live target: every unsafe request takes from the run's
``--antimetal-live-budget``, and only the run's own issues are changed or deleted.

Unit tests of the transport, then pytester sessions against the embedded fake behind a
loopback socket that the conftest makes the plugin treat as a live host (as in
``test_live_budget_xdist.py``)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient
from pytest_antimetal.factory import LiveBudgetExceeded
from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.live_budget import LiveBudget
from pytest_antimetal.live_guard import (
    AsyncGuardedTransport,
    ForeignIssueError,
    GuardedBudget,
    GuardedTransport,
    LiveGuard,
)
from pytest_antimetal.spec.formats import now_utc
from tests.helpers.sessions import run_plugin

pytestmark = pytest.mark.filterwarnings("error")

BASE = "https://api.example.test/v2"


class _Server:
    """An httpx handler that answers creates with a new issue and counts what reached it."""

    def __init__(self) -> None:
        self.received: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(f"{request.method} {request.url.path}")
        if request.method == "POST" and request.url.path.endswith("/issues"):
            n = len(self.received)
            return httpx.Response(201, json={"number": n, "uuid": f"u-{n}"})
        return httpx.Response(200, json={})


def _guard(size: int, created: list[dict[str, Any]]) -> LiveGuard:
    budget = GuardedBudget(size, where=BASE, pool=LiveBudget(size))
    return LiveGuard(budget, lambda: created, base_path="/v2")


def test_unsafe_requests_take_one_unit_each_and_stop_before_sending() -> None:
    server = _Server()
    created: list[dict[str, Any]] = [{"number": 7, "uuid": "mine", "title": "t"}]
    with httpx.Client(
        transport=GuardedTransport(httpx.MockTransport(server), _guard(2, created))
    ) as c:
        c.get(f"{BASE}/issues")  # reads take nothing
        c.post(f"{BASE}/query", json={})
        c.patch(f"{BASE}/issues/mine", json={})
        with pytest.raises(LiveBudgetExceeded) as raised:
            c.post(f"{BASE}/issues", json={})
        c.delete(f"{BASE}/issues/7")  # deleting the run's own issue is free
    assert server.received == [
        "GET /v2/issues",
        "POST /v2/query",
        "PATCH /v2/issues/mine",
        "DELETE /v2/issues/7",
    ]
    message = str(raised.value)
    assert "cap of 2" in message and "(2 taken by the run" in message
    assert "--antimetal-live-budget N" in message


def test_changes_to_issues_the_run_did_not_create_are_refused() -> None:
    server = _Server()
    created: list[dict[str, Any]] = [{"number": 7, "uuid": "mine", "title": "t"}]
    guard = _guard(5, created)
    with httpx.Client(transport=GuardedTransport(httpx.MockTransport(server), guard)) as c:
        for method in ("PATCH", "DELETE", "PUT", "POST"):
            with pytest.raises(ForeignIssueError, match="'theirs' was not created by this run"):
                c.request(method, f"{BASE}/issues/theirs")
        with pytest.raises(ForeignIssueError):
            c.post(f"{BASE}/issues/8/rerun")
        c.get(f"{BASE}/issues/theirs")  # reading someone's issue is fine
    assert server.received == ["GET /v2/issues/theirs"]
    assert guard.budget.spent == 0


def test_the_factory_units_pay_for_its_own_creates() -> None:
    server = _Server()
    guard = _guard(2, [])
    guard.budget.take(2)  # as IssueFactory.create_many(2) does before sending
    with httpx.Client(transport=GuardedTransport(httpx.MockTransport(server), guard)) as c:
        c.post(f"{BASE}/issues", json={})
        c.post(f"{BASE}/issues", json={})
        with pytest.raises(LiveBudgetExceeded):
            c.post(f"{BASE}/issues", json={})
    assert server.received == ["POST /v2/issues"] * 2


def test_every_attempt_of_a_retried_post_counts() -> None:
    # A POST retried after a 5xx may have created the first time: each attempt takes a unit.
    attempts: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        return httpx.Response(503, json={"message": "busy"})

    guard = _guard(2, [])
    transport = GuardedTransport(httpx.MockTransport(flaky), guard)
    from pytest_antimetal._retry import RetryPolicy

    policy = RetryPolicy(max_retries=5, sleep=lambda s: None)
    client = AntimetalClient(
        api_key="key-0123456789abcdef",
        base_url=BASE,
        transport=transport,
        retry_post_on_server_error=True,
        retry_policy=policy,
    )
    with client, pytest.raises(LiveBudgetExceeded):
        client.issues.create(title="t", description="d", environment="prod")
    assert attempts == ["POST", "POST"]


def test_the_async_transport_guards_alike() -> None:
    server = _Server()

    async def handler(request: httpx.Request) -> httpx.Response:
        return server(request)

    transport = AsyncGuardedTransport(httpx.MockTransport(handler), _guard(1, []))

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport) as c:
            await c.post(f"{BASE}/issues", json={})
            with pytest.raises(LiveBudgetExceeded):
                await c.post(f"{BASE}/issues", json={})
            with pytest.raises(ForeignIssueError):
                await c.delete(f"{BASE}/issues/u-1")

    asyncio.run(go())
    assert server.received == ["POST /v2/issues"]


# --- as users run it ------------------------------------------------------------------------

LIVE_CONFTEST = """
import pytest_antimetal.target as target

# The test server listens on loopback; the plugin must treat it as a live host (capped).
target.is_loopback_url = lambda url: False
"""

CLIENT_CREATES = """
import pytest
from pytest_antimetal.factory import LiveBudgetExceeded

def _create(client, i):
    return client.issues.create(title=f"budget {i}", description="d", environment="prod")

def test_three_creates(antimetal_client):
    _create(antimetal_client, 1)
    _create(antimetal_client, 2)
    _create(antimetal_client, 3)
"""


@pytest.fixture
def live(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> FakeAntimetal:
    """A fake judged as a live server, with the key in the env."""
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    pytester.makeconftest(LIVE_CONFTEST)
    return FakeAntimetal(api_keys=[canary_key], seed=1, clock=now_utc)


def _sent(fake: FakeAntimetal, method: str) -> int:
    return sum(1 for r in fake.requests if r.method.upper() == method)


def test_client_creates_count_against_the_budget(
    pytester: pytest.Pytester, live: FakeAntimetal
) -> None:
    pytester.makepyfile(test_a=CLIENT_CREATES)
    with FakeServer(live) as server:
        result = run_plugin(
            pytester, f"--antimetal-base-url={server.url}", "--antimetal-live-budget=2"
        )
        posts = _sent(server.fake, "POST")
        created = len(server.fake.issues)
    out = result.stdout.str()
    assert (posts, created) == (2, 2), out
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *LiveBudgetExceeded: live budget: POST */issues on * would exceed the run's cap "
            "of 2 request(s) that can create (2 taken*raise it with --antimetal-live-budget N",
        ]
    )
    assert f"pytest-antimetal: 2 issue(s) created on {server.url}" in out


def test_client_and_factory_share_the_budget_without_counting_twice(
    pytester: pytest.Pytester, live: FakeAntimetal
) -> None:
    pytester.makepyfile(
        test_a="""
        import pytest
        from pytest_antimetal.factory import LiveBudgetExceeded

        async def _nothing():
            return None

        def test_mixed(antimetal_issue_factory, antimetal_client, antimetal_async_client):
            import asyncio

            mine = antimetal_issue_factory.create_many(2)  # 2 units, paid once
            antimetal_client.issues.update(mine[0].uuid, status="resolved")  # 1 unit
            antimetal_client.issues.delete(mine[1].uuid)  # clean-up: free
            with pytest.raises(LiveBudgetExceeded):
                antimetal_client.query.create(question="why?")

            async def go():
                async with antimetal_async_client as client:
                    with pytest.raises(LiveBudgetExceeded):
                        await client.issues.create(title="x", description="d", environment="p")

            asyncio.run(go())
        """
    )
    with FakeServer(live) as server:
        result = run_plugin(
            pytester, f"--antimetal-base-url={server.url}", "--antimetal-live-budget=3"
        )
        sent = [f"{r.method.upper()} {r.path}" for r in server.fake.requests]
    result.assert_outcomes(passed=1)
    assert [s.split()[0] for s in sent] == ["POST", "POST", "PATCH", "DELETE"], sent


def test_a_foreign_issue_is_not_changed(pytester: pytest.Pytester, live: FakeAntimetal) -> None:
    with AntimetalClient(
        api_key=live.api_key, base_url=live.base_url, transport=live.transport
    ) as owner:
        theirs = owner.issues.create(title="not ours", description="d", environment="prod")
    pytester.makepyfile(
        test_a=f"""
        import pytest
        from pytest_antimetal.live_guard import ForeignIssueError

        def test_read_but_not_change(antimetal_client):
            assert antimetal_client.issues.retrieve({theirs.uuid!r}).title == "not ours"
            with pytest.raises(ForeignIssueError, match="not created by this run"):
                antimetal_client.issues.update({theirs.uuid!r}, status="resolved")
            with pytest.raises(ForeignIssueError):
                antimetal_client.issues.delete({theirs.uuid!r})
        """
    )
    before = len(live.requests)
    with FakeServer(live) as server:
        result = run_plugin(
            pytester, f"--antimetal-base-url={server.url}", "--antimetal-live-budget=2"
        )
        sent = [r.method.upper() for r in server.fake.requests][before:]
    result.assert_outcomes(passed=1)
    assert sent == ["GET"]


def test_the_cap_holds_for_the_run_under_xdist(
    pytester: pytest.Pytester, live: FakeAntimetal
) -> None:
    # Two files on two workers each try 3 creates: one pool of 3 for the run, not 3 each.
    pytest.importorskip("xdist")
    pytester.makepyfile(test_a=CLIENT_CREATES, test_b=CLIENT_CREATES)
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
        posts = _sent(server.fake, "POST")
    out = result.stdout.str()
    assert posts == 3, out
    assert len(server.fake.issues) == 3
    # Which worker gets how much of the pool depends on timing: one test may make all three
    # creates before the other starts (1 passed, 1 failed) or both may run out (2 failed).
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, out
    assert outcomes.get("passed", 0) + outcomes["failed"] == 2, out
    # The traceback's last line, once per failure (on CI the short summary repeats the message).
    refused = re.findall(r"^E\s+\S*LiveBudgetExceeded: live budget: POST", out, re.M)
    assert len(refused) == outcomes["failed"]
