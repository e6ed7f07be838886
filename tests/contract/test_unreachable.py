"""An unreachable target is one failure, fast, and the rest of the run is skipped."""

from __future__ import annotations

import re
import socket
import time
from typing import Any

import httpx
import pytest

from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal

KEY = "amk-unreachable-test-0123456789"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed when the block ends: nothing listens


def test_closed_port_is_one_failure_in_two_seconds(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", KEY)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_operations = createIssue\n"
    )
    url = f"http://127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    result = pytester.runpytest(
        "-p", "antimetal", "--antimetal-contract", f"--antimetal-base-url={url}", "-rs"
    )
    elapsed = time.monotonic() - start
    result.assert_outcomes(failed=1, skipped=7)
    out = "\n".join(result.outlines)
    assert elapsed <= 2.0, elapsed
    assert f"cannot connect to {url}: ConnectionRefusedError" in out
    assert "requests sent: 0" in out
    assert re.search(rf"SKIPPED \[7\] .*: target unreachable \({re.escape(url)}: Conn", out)
    assert "0 request(s) sent" in out  # the failed part's progress line; none for skipped ones
    assert "coverage:" not in out
    assert "no_response" not in out
    assert KEY not in out


class _DiesAfter(httpx.BaseTransport):
    """The fake's transport, refusing connections after the first *n* requests."""

    def __init__(self, fake: FakeAntimetal, n: int) -> None:
        self.inner, self.left, self.refused = fake.transport, n, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left <= 0:
            self.refused += 1
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        self.left -= 1
        return self.inner.handle_request(request)


def _runner(transport: Any) -> ContractRunner:
    fake = FakeAntimetal(api_keys=[KEY])
    settings = ContractSettings(
        spec=fake.spec,
        base_url="http://127.0.0.1:9",
        api_key=KEY,
        transport=transport(fake),
        max_examples=5,
    )
    return ContractRunner(settings)


def test_a_server_gone_mid_run_stops_the_part_and_is_not_counted_as_sent() -> None:
    box: dict[str, _DiesAfter] = {}

    def transport(fake: FakeAntimetal) -> _DiesAfter:
        box["t"] = _DiesAfter(fake, 10)
        return box["t"]

    with _runner(transport) as runner:
        first = runner.run("coverage")
        later = runner.run("edge-cases")
    assert first.stats.requests == 10  # answered; the refused ones were never sent
    assert box["t"].refused == 3  # three in a row after answers: it is gone
    assert "ConnectError" in first.unreachable and not first.passed
    assert later.unreachable == first.unreachable and later.stats.requests == 0
    assert box["t"].refused == 3  # the later part sent nothing
    assert "no_response" not in first.stats.failures or first.stats.failures["no_response"] == 2
