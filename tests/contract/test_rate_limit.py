"""``rate_limit_retry_after``: a 429 carries a valid ``Retry-After`` (delta-seconds or an
HTTP-date). The document declares 429 on every operation and no header; RFC 6585 makes it
optional, but without it a client can only guess when to try again (ours pauses for it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pytest_antimetal.contract.checks import (
    CheckFailed,
    ContractRules,
    Exchange,
    RunState,
    rate_limit_retry_after,
)
from pytest_antimetal.contract.report import ReceivedResponse, format_failures
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import FaultyFake, no_retry_after

KEY = "amk-rate-limit-key-0123456789"
RULES = ContractRules.from_spec(vendored_spec(), "get", "/issues")


def _ex(status: int, headers: dict[str, str]) -> Exchange:
    response = ReceivedResponse(status, headers, b"{}")
    return Exchange("case", "positive", "GET", None, datetime(2026, 1, 1, tzinfo=UTC), response)


@pytest.mark.parametrize("value", ["0", "120", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_429_with_delta_seconds_or_an_http_date_passes(value: str) -> None:
    rate_limit_retry_after(_ex(429, {"Retry-After": value}), RULES, RunState())


@pytest.mark.parametrize("headers", [{}, {"retry-after": "soon"}, {"retry-after": "-1"}])
def test_a_429_without_a_valid_retry_after_fails(headers: dict[str, str]) -> None:
    with pytest.raises(CheckFailed) as failed:
        rate_limit_retry_after(_ex(429, headers), RULES, RunState())
    assert failed.value.check == "rate_limit_retry_after"
    assert "Retry-After" in failed.value.message


def test_other_statuses_need_no_retry_after() -> None:
    for status in (200, 400, 503):
        rate_limit_retry_after(_ex(status, {}), RULES, RunState())


def _settings(fake: FakeAntimetal, **kwargs: object) -> ContractSettings:
    return ContractSettings(
        spec=fake.spec,
        base_url=kwargs.pop("base_url", fake.base_url),  # type: ignore[arg-type]
        api_key=KEY,
        seed=1,
        max_examples=5,
        clock=fake.clock,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("planted", [True, False])
def test_the_rate_limited_fake_without_retry_after_is_caught(planted: bool) -> None:
    """The fake's rate limit (one request a minute) answers the second request 429; planted,
    without the header: caught by exactly ``rate_limit_retry_after``; honest, nothing fails."""
    fake = (
        FaultyFake(no_retry_after, spec=vendored_spec(), seed=1, api_keys=[KEY])
        if planted
        else FakeAntimetal(api_keys=[KEY], seed=1)
    )
    fake.set_rate_limit(1, 60)
    with ContractRunner(_settings(fake, transport=fake.transport)) as runner:
        results = [runner.run("examples", op) for op in ("createIssue", "listIssues")]
    statuses = [r.status for r in fake.requests]
    assert 429 in statuses
    found = {f.check for result in results for f in result.failures}
    shown = "".join(format_failures("examples", r.failures, runner.secrets) for r in results)
    assert found == ({"rate_limit_retry_after"} if planted else set()), shown


def test_a_429_sent_again_over_the_network_is_still_judged() -> None:
    """Over the network the runner pauses on a 429 and sends the request again: the 429 that
    was retried is judged too (its header is what the pause was for)."""
    fake = FaultyFake(no_retry_after, spec=vendored_spec(), seed=1, api_keys=[KEY])
    with FakeServer(fake) as server:
        fake.fail_next(1, status=429, retry_after=1)
        with ContractRunner(_settings(fake, base_url=server.url, concurrency=1)) as runner:
            result = runner.run("examples", "listIssues")
    assert [r.status for r in fake.requests][:2] == [429, 200]  # paused, sent again, answered
    assert {f.check for f in result.failures} == {"rate_limit_retry_after"}
