"""The runner sending a part's requests side by side: same requests, same verdicts, in order.

Targets are loopback servers (the fake served by ``FakeServer``, or a small proxy in front of
the fake's transport that holds requests until several are in flight at once). Overlap is
shown by what the server saw at the same time, never by timing a run.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from pytest_antimetal.contract.dispatch import DEFAULT_CONCURRENCY, Pacer
from pytest_antimetal.contract.report import format_failures
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import make_fake

KEY = "amk-concurrency-test-key-0123456789"
HOLD = 1.0  # how long the proxy holds a request waiting for company (the tail of a part)


def _settings(fake: FakeAntimetal, url: str, **overrides: Any) -> ContractSettings:
    return ContractSettings(
        spec=fake.spec,
        base_url=url,
        api_key=KEY,
        seed=overrides.pop("seed", 1),
        max_examples=overrides.pop("max_examples", 10),
        replay=lambda part: f"pytest --antimetal-contract -k {part}",
        clock=fake.clock,
        **overrides,
    )


def _wire(fake: FakeAntimetal) -> Counter[tuple[str, str, str, str]]:
    """What reached the fake, as a multiset: method, path, headers (no key, no port), body."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for r in fake.requests:
        headers = sorted((k, v) for k, v in r.headers.items() if k not in ("authorization", "host"))
        seen[(r.method, r.path, repr(headers), hashlib.sha256(r.body).hexdigest())] += 1
    return seen


def _run_over_loopback(
    fake: FakeAntimetal, parts: tuple[str, ...], **overrides: Any
) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """(part, check, case) of every failure in order, and the run's counts."""
    with FakeServer(fake) as server, ContractRunner(_settings(fake, server.url, **overrides)) as r:
        failures = []
        for part in parts:
            result = r.run(part)
            failures += [(part, f.check, f.case) for f in result.failures]
        counts = {"requests": r.stats.requests, "checks": r.stats.checks}
    return failures, counts


PARTS = ("examples", "edge-cases", "malformed", "fuzz-negative-1")


def test_side_by_side_sends_the_same_requests_and_judges_them_the_same() -> None:
    one, eight = FakeAntimetal(api_keys=[KEY], seed=5), FakeAntimetal(api_keys=[KEY], seed=5)
    failures_one, counts_one = _run_over_loopback(one, PARTS, concurrency=1)
    failures_eight, counts_eight = _run_over_loopback(eight, PARTS, concurrency=8)
    assert failures_one == failures_eight == []
    assert counts_one == counts_eight
    assert _wire(one) == _wire(eight)
    assert sum(_wire(one).values()) == counts_one["requests"] > 60


@pytest.mark.parametrize(
    ("fault", "part"),
    [("title-echo", "examples"), ("astral-500", "edge-cases"), ("reuse-number", "edge-cases")],
)
def test_failures_come_in_the_parts_order_whatever_the_concurrency(fault: str, part: str) -> None:
    runs = []
    for concurrency in (1, 8):
        fake = make_fake(fault)(vendored_spec(), 1, KEY)
        runs.append(_run_over_loopback(fake, (part,), concurrency=concurrency))
    (failures_one, counts_one), (failures_eight, counts_eight) = runs
    assert failures_one, f"{fault} was not caught"
    assert failures_eight == failures_one
    assert counts_eight == counts_one


class _Proxy(BaseHTTPRequestHandler):
    """Answers through a fake's transport; each request waits (up to HOLD) until *company*
    requests are in the server at once, and records the most it saw together. The first
    *limited* requests get a 429 whose body is no ErrorResponseDto."""

    fake: FakeAntimetal
    company: int
    limited: list[int]
    state: threading.Condition
    in_flight: list[int]  # [now, most]

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.state:
            self.in_flight[0] += 1
            self.in_flight[1] = max(self.in_flight[1], self.in_flight[0])
            self.state.notify_all()
            self.state.wait_for(lambda: self.in_flight[0] >= self.company, timeout=HOLD)
            limited = self.limited[0] > 0
            self.limited[0] -= 1 if limited else 0
        try:
            if limited:
                status, headers, content = 429, {"Retry-After": "3"}, b"{}"
                headers["Content-Type"] = "application/json"
            else:
                with httpx.Client(transport=self.fake.transport) as client:
                    answer = client.request(
                        self.command,
                        self.fake.base_url + self.path,
                        headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                        content=body,
                    )
                status, content = answer.status_code, answer.content
                skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
                headers = {k: v for k, v in answer.headers.items() if k.lower() not in skip}
        finally:
            # Out of flight before the answer leaves: once the client has it, it may send its
            # next request before this thread would get to count this one out.
            with self.state:
                self.in_flight[0] -= 1
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class Proxy:
    def __init__(self, fake: FakeAntimetal, *, company: int, limited: int = 0) -> None:
        attrs = {
            "fake": fake,
            "company": company,
            "limited": [limited],
            "state": threading.Condition(),
            "in_flight": [0, 0],
        }
        self.handler: Any = type("Bound", (_Proxy,), attrs)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def most_in_flight(self) -> int:
        return int(self.handler.in_flight[1])

    def __enter__(self) -> Proxy:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake() -> FakeAntimetal:
    return FakeAntimetal(api_keys=[KEY], seed=2)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_part_keeps_concurrency_requests_in_flight_and_no_more(
    fake: FakeAntimetal, concurrency: int
) -> None:
    # Each request waits for `concurrency` in the server at once (up to HOLD: the tail).
    with Proxy(fake, company=concurrency) as proxy:
        settings = _settings(fake, proxy.url, concurrency=concurrency)
        with ContractRunner(settings) as runner:
            result = runner.run("malformed")
    assert result.passed, format_failures("malformed", result.failures)
    assert result.stats.requests >= 8
    assert proxy.most_in_flight == concurrency


def test_a_network_target_defaults_to_eight_and_the_embedded_fake_to_one(
    fake: FakeAntimetal,
) -> None:
    network = _settings(fake, "http://127.0.0.1:9")
    in_process = _settings(fake, fake.base_url, transport=fake.transport)
    assert network.senders == DEFAULT_CONCURRENCY == 8
    assert in_process.senders == 1
    assert _settings(fake, fake.base_url, transport=fake.transport, concurrency=3).senders == 3


def test_the_live_budget_buys_the_same_requests_side_by_side() -> None:
    # Capped: the auth probes after the first accepted request take from the budget before
    # anything drawn after it, as they do one request at a time.
    wires = []
    for concurrency in (1, 8):
        fake = FakeAntimetal(api_keys=[KEY], seed=4)
        with (
            FakeServer(fake) as server,
            ContractRunner(
                _settings(fake, server.url, live_budget=4, tag="t", concurrency=concurrency)
            ) as runner,
        ):
            for part in ("edge-cases", "malformed"):
                runner.run(part)
        assert runner.sender.creating_sent == runner.stats.budget_used == 4
        assert [r.status for r in fake.requests].count(401) == 2  # the probes got their share
        wires.append(_wire(fake))
    assert wires[0] == wires[1]
    assert sum(wires[0].values()) == 4


def test_a_429_is_judged_then_sent_again_and_holds_the_run(fake: FakeAntimetal) -> None:
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:  # no real waiting: the pacer's clock moves instead
        waits.append(seconds)
        now[0] += seconds

    with Proxy(fake, company=1, limited=2) as proxy:
        settings = _settings(fake, proxy.url, concurrency=4)
        with ContractRunner(settings) as runner:
            runner.sender.pacer = Pacer(None, clock=lambda: now[0], sleep=sleep)
            result = runner.run("examples")
    checks = Counter(f.check for f in result.failures)
    # The two 429s were answers to judge: their body is no ErrorResponseDto...
    assert checks == Counter({"error_response_shape": 2}), format_failures("x", result.failures)
    assert all("429" in f.message for f in result.failures)
    # ...but not verdicts on valid inputs: each was sent again and accepted.
    assert result.stats.requests == len(fake.requests) + 2
    assert runner.sender.retried == 2
    assert 3.0 in waits and max(waits) == 3.0  # the Retry-After, for every sender held
    assert "429" in {s for _, s in _statuses(result)}


def _statuses(result: Any) -> Iterator[tuple[str, str]]:
    for operation, log in result.coverage.statuses.items():
        for status in log:
            yield operation, str(status)


# -- the options -------------------------------------------------------------------------


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project; no key or base URL leaks in from the environment."""
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--antimetal-concurrency=0"], "", "--antimetal-concurrency: must be positive, got 0"),
        (["--antimetal-concurrency=-3"], "", "--antimetal-concurrency: must be positive"),
        (["--antimetal-concurrency=many"], "", "invalid int value: 'many'"),
        ([], "antimetal_concurrency = many", "ini antimetal_concurrency: expected a number"),
        ([], "antimetal_concurrency = 0", "ini antimetal_concurrency: must be positive"),
        (["--antimetal-rate=0"], "", "--antimetal-rate: must be positive, got 0"),
        (["--antimetal-rate=-1.5"], "", "--antimetal-rate: must be positive"),
        (["--antimetal-rate=nan"], "", "--antimetal-rate: must be a finite number"),
        (["--antimetal-rate=fast"], "", "invalid float value: 'fast'"),
        ([], "antimetal_rate = fast", "ini antimetal_rate: expected a number"),
    ],
)
def test_a_bad_concurrency_or_rate_is_one_usage_line(
    project: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    if ini:
        project.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}\n")
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert message in err
    assert "Traceback" not in err


def test_the_options_reach_the_run(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fake: FakeAntimetal
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", KEY)
    with Proxy(fake, company=3) as proxy:
        result = project.runpytest(
            "-p",
            "antimetal",
            "--antimetal-contract",
            "-k",
            "malformed",
            "--antimetal-operations=createIssue",
            f"--antimetal-base-url={proxy.url}",
            "--antimetal-concurrency=3",
            "--antimetal-rate=1000",
        )
    result.assert_outcomes(passed=1)
    assert proxy.most_in_flight == 3


RATE_PROBE = """
from pathlib import Path

def pytest_collection_finish(session):
    plugin = session.config.pluginmanager.get_plugin("antimetal-contract")
    worker = getattr(session.config, "workerinput", {}).get("workerid", "controller")
    Path(__file__).with_name(f"rate-{worker}.txt").write_text(repr(plugin.rate))
"""


def test_under_xdist_each_worker_keeps_to_its_share_of_the_rate(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(RATE_PROBE)
    result = project.runpytest_subprocess(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-k",
        "examples",
        "--antimetal-operations=createIssue",
        "-n",
        "2",
        "--antimetal-rate=10",
    )
    result.assert_outcomes(passed=1)
    rates = {p.name: p.read_text() for p in project.path.glob("rate-*.txt")}
    assert rates == {"rate-gw0.txt": "5.0", "rate-gw1.txt": "5.0"}  # 10 a second in all
