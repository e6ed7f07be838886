"""Retry policy: what is retried, how long it waits, and that nothing really sleeps."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import httpx
import pytest

from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.client import AntimetalClient
from pytest_antimetal.errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def issue_json() -> dict[str, Any]:
    stamp = "2026-03-17T10:00:00.000Z"
    return {
        "uuid": "u-1",
        "number": 1,
        "status": "investigating",
        "title": "t",
        "description": "d",
        "environment": "e",
        "severity": "medium",
        "createdAt": stamp,
        "updatedAt": stamp,
        "triggeredAt": stamp,
        "latestVersion": 1,
    }


OK = httpx.Response(201, json=issue_json())


def err(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"type": "api_error", "message": "nope", "request_id": f"req_{status}"}
    return httpx.Response(status, json=body, headers=headers or {})


class Script:
    """Answers in order; the last answer repeats."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def client_for(script: Script, clock: Clock, **kwargs: Any) -> AntimetalClient:
    policy_kwargs = {k: kwargs.pop(k) for k in ("max_retry_after", "jitter") if k in kwargs}
    policy = RetryPolicy(sleep=clock.sleep, random=lambda: 0.0, now=lambda: NOW, **policy_kwargs)
    return AntimetalClient(
        api_key="k", transport=httpx.MockTransport(script), retry_policy=policy, **kwargs
    )


def create(client: AntimetalClient) -> Any:
    return client.issues.create(title="t", description="d", environment="e")


# --- the policy alone ----------------------------------------------------------------


def test_backoff_is_exponential_capped_and_jittered() -> None:
    low = RetryPolicy(random=lambda: 0.0)
    high = RetryPolicy(random=lambda: 1.0)
    assert [high.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert [low.backoff(n) for n in range(3)] == [0.375, 0.75, 1.5]
    assert RetryPolicy(random=lambda: 0.5).backoff(0) == pytest.approx(0.4375)


def test_policy_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=(1.0, 0.5))


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        ("POST", 429, True),
        ("POST", 408, False),
        ("POST", 500, False),
        ("POST", 503, False),
        ("POST", 400, False),
        ("GET", 500, True),
        ("GET", 503, True),
        ("GET", 404, False),
    ],
)
def test_which_statuses_are_retried(method: str, status: int, retried: bool) -> None:
    decision = RetryPolicy(random=lambda: 0.0).for_response(method, err(status), 0)
    assert decision.retry is retried


@pytest.mark.parametrize(
    ("exc", "post_retried"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow connect"), True),
        (httpx.PoolTimeout("pool"), True),
        (httpx.ReadTimeout("slow read"), False),
        (httpx.WriteTimeout("slow write"), False),
        (httpx.RemoteProtocolError("hung up"), False),
        (httpx.ReadError("reset"), False),
    ],
)
def test_which_transport_errors_are_retried(exc: Exception, post_retried: bool) -> None:
    policy = RetryPolicy(random=lambda: 0.0)
    assert policy.for_exception("POST", exc, 0).retry is post_retried
    assert policy.for_exception("GET", exc, 0).retry is True
    opted_in = RetryPolicy(retry_post_on_server_error=True)
    assert opted_in.for_exception("POST", exc, 0).retry is True


# --- through the client ----------------------------------------------------------------


def test_429_honours_retry_after_seconds(clock: Clock) -> None:
    script = Script(err(429, {"Retry-After": "7"}), OK)
    issue = create(client_for(script, clock))
    assert issue.uuid == "u-1"
    assert script.calls == 2
    assert clock.slept == [7.0]


def test_429_honours_retry_after_http_date(clock: Clock) -> None:
    script = Script(err(429, {"Retry-After": "Fri, 15 Jan 2027 08:00:12 GMT"}), OK)
    create(client_for(script, clock))
    assert clock.slept == [12.0]


def test_429_without_retry_after_backs_off(clock: Clock) -> None:
    script = Script(err(429), err(429), OK)
    create(client_for(script, clock))
    assert clock.slept == [0.375, 0.75]  # 0.5 * 2**n * 0.75 (random() == 0)


def test_retry_after_beyond_the_cap_raises_at_once(clock: Clock) -> None:
    script = Script(err(429, {"Retry-After": "3600"}), OK)
    with pytest.raises(RateLimitError) as info:
        create(client_for(script, clock))
    assert script.calls == 1
    assert clock.slept == []
    assert info.value.retry_after == 3600.0
    assert "exceeds the 60s cap" in str(info.value)


def test_the_cap_is_configurable(clock: Clock) -> None:
    script = Script(err(429, {"Retry-After": "90"}), OK)
    create(client_for(script, clock, max_retry_after=120.0))
    assert clock.slept == [90.0]


def test_max_retries_exhausted_says_how_many_attempts(clock: Clock) -> None:
    script = Script(err(429, {"Retry-After": "1"}))
    with pytest.raises(RateLimitError) as info:
        create(client_for(script, clock, max_retries=3))
    assert script.calls == 4
    assert clock.slept == [1.0, 1.0, 1.0]
    assert info.value.attempts == 4
    assert "gave up after 4 attempts" in str(info.value)


def test_max_retries_zero_means_one_attempt(clock: Clock) -> None:
    script = Script(err(429, {"Retry-After": "1"}))
    with pytest.raises(RateLimitError) as info:
        create(client_for(script, clock, max_retries=0))
    assert (script.calls, clock.slept, info.value.attempts) == (1, [], 1)
    assert "gave up" not in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_no_post_retry_after_5xx(clock: Clock, status: int) -> None:
    script = Script(err(status, {"Retry-After": "1"}), OK)
    with pytest.raises(InternalServerError):
        create(client_for(script, clock))
    assert script.calls == 1
    assert clock.slept == []


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("server hung up")]
)
def test_no_post_retry_after_the_request_may_have_been_sent(clock: Clock, exc: Exception) -> None:
    script = Script(exc, OK)
    with pytest.raises(APIConnectionError) as info:
        create(client_for(script, clock))
    assert script.calls == 1
    assert isinstance(info.value, APITimeoutError) is isinstance(exc, httpx.TimeoutException)
    assert isinstance(info.value.__cause__, type(exc))


def test_opt_in_retries_post_after_5xx_and_timeout(clock: Clock) -> None:
    script = Script(err(500), httpx.ReadTimeout("slow"), OK)
    issue = create(client_for(script, clock, retry_post_on_server_error=True))
    assert issue.number == 1
    assert script.calls == 3
    assert clock.slept == [0.375, 0.75]


def test_5xx_retry_after_is_honoured_when_opted_in(clock: Clock) -> None:
    script = Script(err(503, {"Retry-After": "2"}), OK)
    create(client_for(script, clock, retry_post_on_server_error=True))
    assert clock.slept == [2.0]


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out")]
)
def test_connection_failures_before_sending_are_retried(clock: Clock, exc: Exception) -> None:
    script = Script(exc, exc, OK)
    assert create(client_for(script, clock)).uuid == "u-1"
    assert script.calls == 3
    assert clock.slept == [0.375, 0.75]


def test_connection_failures_exhausted(clock: Clock) -> None:
    script = Script(httpx.ConnectTimeout("connect timed out"))
    with pytest.raises(APITimeoutError) as info:
        create(client_for(script, clock, max_retries=2))
    assert script.calls == 3
    assert info.value.attempts == 3
    assert "gave up after 3 attempts" in str(info.value)


def test_retries_are_logged_at_info_with_the_reason(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pytest_antimetal")
    script = Script(err(429, {"Retry-After": "3"}), httpx.ConnectError("refused"), OK)
    create(client_for(script, clock))
    retries = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(retries) == 2
    assert "in 3.00s (retry 1 of 2): HTTP 429 rate limited" in retries[0].getMessage()
    assert "(retry 2 of 2): ConnectError" in retries[1].getMessage()
    assert "POST https://bff.antimetal.com/api/v2/issues" in retries[0].getMessage()


def test_default_policy_uses_real_sleep_only_when_not_injected() -> None:
    import time

    policy = RetryPolicy()
    assert policy.sleep is time.sleep
    assert inspect.iscoroutinefunction(policy.async_sleep)
    assert AntimetalClient(api_key="k", max_retries=5).retry_policy.max_retries == 5


def test_against_the_fake_injected_429_backs_off(clock: Clock) -> None:
    fake_module = pytest.importorskip("pytest_antimetal.fake")
    fake = fake_module.FakeAntimetal()
    fake.fail_next(2, status=429, retry_after=2)
    policy = RetryPolicy(sleep=clock.sleep, random=lambda: 0.0)
    client = AntimetalClient(api_key=fake.api_key, transport=fake.transport, retry_policy=policy)
    issue = create(client)
    assert clock.slept == [2.0, 2.0]
    assert len(fake.issues) == 1
    assert fake.issues[0]["uuid"] == issue.uuid


def test_against_the_fake_no_duplicate_after_500(clock: Clock) -> None:
    fake_module = pytest.importorskip("pytest_antimetal.fake")
    fake = fake_module.FakeAntimetal()
    fake.fail_next(1, status=500)
    policy = RetryPolicy(sleep=clock.sleep)
    client = AntimetalClient(api_key=fake.api_key, transport=fake.transport, retry_policy=policy)
    with pytest.raises(InternalServerError) as info:
        create(client)
    assert info.value.type == "api_error"
    assert info.value.request_id
    assert len(fake.requests) == 1
    assert clock.slept == []


@pytest.mark.asyncio
async def test_default_async_sleep_runs() -> None:
    await RetryPolicy().async_sleep(0)
