"""The dispatcher, the pacer and the sender under concurrency (no pytest plugin involved).

Overlap is proven with barriers (a send that only returns once N sends are in flight at
once), never with sleeps; time in the pacer is a fake clock that its injected sleep moves.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from pytest_antimetal.contract.dispatch import (
    DEFAULT_RETRY_WAIT,
    MAX_RETRY_AFTER,
    Dispatcher,
    Pacer,
)
from pytest_antimetal.contract.sending import Outgoing, Sender
from pytest_antimetal.fake import FakeAntimetal, FakeServer

KEY = "amk-dispatch-test-key-0123456789"
WAIT = 10.0  # a barrier's timeout: reached only when the overlap it proves is missing


class FakeTime:
    """A monotonic clock that only the pacer's sleep moves; records every sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


# -- Dispatcher ----------------------------------------------------------------------------


def test_sends_side_by_side_and_answers_in_order() -> None:
    together = threading.Barrier(4, timeout=WAIT)
    # Each send returns only once all four are in flight; then they finish in reverse order.
    done = {i: threading.Event() for i in range(4)}

    def send(i: int) -> str:
        together.wait()
        if i < 3:
            done[i + 1].wait(WAIT)
        done[i].set()
        return f"answer {i}"

    dispatcher: Dispatcher[int, str] = Dispatcher(send, concurrency=4)
    try:
        got = list(dispatcher.map(range(4)))
    finally:
        dispatcher.close()
    assert got == [(i, f"answer {i}") for i in range(4)]


def test_one_at_a_time_sends_in_the_callers_thread_without_overlap() -> None:
    threads: list[threading.Thread] = []
    dispatcher: Dispatcher[int, int] = Dispatcher(
        lambda i: threads.append(threading.current_thread()) or i, concurrency=1
    )
    drawn: list[int] = []

    def items() -> Iterator[int]:
        for i in range(3):
            drawn.append(i)
            yield i

    for i, _ in dispatcher.map(items()):
        assert drawn == list(range(i + 1))  # nothing is drawn ahead
    assert threads == [threading.main_thread()] * 3


def test_never_more_in_flight_than_the_concurrency() -> None:
    lock = threading.Lock()
    in_flight = 0
    most = 0
    group = threading.Barrier(3, timeout=WAIT)  # three at once, then the next three

    def send(i: int) -> int:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        group.wait()
        with lock:
            in_flight -= 1
        return i

    dispatcher: Dispatcher[int, int] = Dispatcher(send, concurrency=3)
    try:
        assert [i for i, _ in dispatcher.map(range(9))] == list(range(9))
    finally:
        dispatcher.close()
    assert most == 3


def test_draws_lazily_at_most_a_window_ahead() -> None:
    drawn: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10):
            drawn.append(i)
            yield i

    dispatcher: Dispatcher[int, int] = Dispatcher(lambda i: i, concurrency=3)
    try:
        for i, _ in dispatcher.map(items()):
            assert len(drawn) <= i + 3
            assert threading.current_thread() is threading.main_thread()
    finally:
        dispatcher.close()
    assert drawn == list(range(10))


def test_a_barrier_item_is_answered_before_anything_after_it_is_drawn() -> None:
    drawn: list[str] = []

    def items() -> Iterator[str]:
        for name in ("a", "b", "BARRIER", "c", "d"):
            drawn.append(name)
            yield name

    seen_when_answered: list[str] = []
    dispatcher: Dispatcher[str, str] = Dispatcher(str.upper, concurrency=8)
    try:
        for name, _ in dispatcher.map(items(), barrier=lambda n: n == "BARRIER"):
            if name == "BARRIER":
                seen_when_answered = list(drawn)
    finally:
        dispatcher.close()
    assert seen_when_answered == ["a", "b", "BARRIER"]
    assert drawn == ["a", "b", "BARRIER", "c", "d"]


def test_an_error_is_raised_at_its_turn() -> None:
    def send(i: int) -> int:
        if i == 2:
            raise RuntimeError("boom")
        return i

    dispatcher: Dispatcher[int, int] = Dispatcher(send, concurrency=4)
    got: list[int] = []

    def consume() -> None:
        for i, _ in dispatcher.map(range(5)):
            got.append(i)

    try:
        with pytest.raises(RuntimeError, match="boom"):
            consume()
    finally:
        dispatcher.close()
    assert got == [0, 1]


def test_closing_early_waits_for_what_is_in_flight() -> None:
    release = threading.Event()
    one_started = threading.Event()
    lock = threading.Lock()
    started: list[int] = []
    finished: list[int] = []

    def send(i: int) -> int:
        with lock:
            started.append(i)
        if i == 1:
            one_started.set()
        if i > 0:
            release.wait(WAIT)
        with lock:
            finished.append(i)
        return i

    dispatcher: Dispatcher[int, int] = Dispatcher(send, concurrency=3)
    answers = dispatcher.map(range(3))
    assert next(answers) == (0, 0)
    assert one_started.wait(WAIT)
    closer = threading.Thread(target=answers.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # held by the send still in flight
    release.set()
    closer.join(WAIT)
    assert not closer.is_alive()
    # Whatever had started has finished (one not yet started may have been cancelled).
    assert sorted(finished) == sorted(started) and 1 in finished
    dispatcher.close()


@pytest.mark.parametrize("bad", [0, -1])
def test_concurrency_below_one_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Dispatcher(lambda i: i, concurrency=bad)


# -- Pacer ---------------------------------------------------------------------------------


def test_rate_spaces_requests_and_never_bursts_after_idling() -> None:
    t = FakeTime()
    pacer = Pacer(4.0, clock=t.clock, sleep=t.sleep)
    start = t.now
    for _ in range(5):
        pacer.acquire()
    assert t.now - start == pytest.approx(1.0)  # the first at once, then 0.25 s apart
    t.now += 10.0  # idle: the bucket holds one token, not forty
    before = t.now
    pacer.acquire()
    pacer.acquire()
    assert t.now - before == pytest.approx(0.25)


def test_without_a_rate_acquire_never_waits() -> None:
    t = FakeTime()
    pacer = Pacer(None, clock=t.clock, sleep=t.sleep)
    for _ in range(100):
        pacer.acquire()
    assert t.slept == []


def test_a_pause_holds_every_sender_and_a_shorter_one_does_not_cut_it() -> None:
    t = FakeTime()
    pacer = Pacer(None, clock=t.clock, sleep=t.sleep)
    pacer.pause(3.0)
    pacer.pause(1.0)
    start = t.now
    pacer.acquire()
    assert t.now - start == pytest.approx(3.0)
    pacer.acquire()  # over: the next goes at once
    assert t.now - start == pytest.approx(3.0)
    assert pacer.pauses == 2


def test_a_pause_set_by_one_thread_holds_another() -> None:
    waits: list[float] = []
    proceed = threading.Event()

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        proceed.wait(WAIT)
        raise _Stop

    clock = [0.0]
    pacer = Pacer(None, clock=lambda: clock[0], sleep=sleep)
    setter = threading.Thread(target=pacer.pause, args=(2.5,))
    setter.start()
    setter.join()

    def sender() -> None:
        with contextlib.suppress(_Stop):
            pacer.acquire()

    other = threading.Thread(target=sender)
    other.start()
    proceed.set()
    other.join()
    assert waits == [2.5]


class _Stop(Exception):
    pass


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf"), 1e-300, 1e-6])
def test_a_rate_must_be_finite_and_at_least_one_request_a_day(rate: float) -> None:
    # The pacer is a plain class too (ContractSettings(rate=...) reaches it without the
    # plugin's usage check): 1e-300 overflowed its sleep in a sender thread.
    with pytest.raises(ValueError, match="rate"):
        Pacer(rate)
    assert Pacer(1 / 86_400).rate == 1 / 86_400


# -- Sender: budget, Retry-After, 429 -------------------------------------------------------


def _post(url: str) -> Outgoing:
    return Outgoing(
        "case",
        "positive",
        "POST",
        url + "/issues",
        {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        b'{"title": "t", "description": "d", "severity": "low", "environment": "dev"}',
        None,
    )


def test_the_live_budget_stays_exact_when_senders_claim_at_once() -> None:
    # The shared pool's claim meets the other claimers: without one lock around the check
    # and the count, all three pass the check before any counts, and three are taken.
    meet = threading.Barrier(3, timeout=0.5)

    def pool_claim() -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        return True

    sender = Sender(httpx.Client(), "http://127.0.0.1:9", live_budget=1, budget_claim=pool_claim)
    dispatcher: Dispatcher[int, bool] = Dispatcher(lambda i: sender.claim(), concurrency=3)
    try:
        claims = [ok for _, ok in dispatcher.map(range(3))]
    finally:
        dispatcher.close()
    assert sorted(claims) == [False, False, True]
    assert sender.creating_sent == 1


def _answer(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(429, headers=headers, request=httpx.Request("POST", "http://x/issues"))


def test_retry_after_in_seconds_as_an_http_date_capped_and_missing() -> None:
    wall = datetime(2026, 12, 2, 5, 0, tzinfo=UTC).timestamp()
    sender = Sender(httpx.Client(), "http://x", wall=lambda: wall)
    assert sender.retry_after(_answer({"Retry-After": "7"})) == 7.0
    later = format_datetime(datetime(2026, 12, 2, 5, 0, 12, tzinfo=UTC), usegmt=True)
    assert sender.retry_after(_answer({"Retry-After": later})) == pytest.approx(12.0)
    assert sender.retry_after(_answer({"Retry-After": "86400"})) == MAX_RETRY_AFTER
    assert sender.retry_after(_answer({})) == DEFAULT_RETRY_WAIT
    assert sender.retry_after(_answer({"Retry-After": "soon"})) == DEFAULT_RETRY_WAIT


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeAntimetal(api_keys=[KEY])) as running:
        yield running


def test_a_429_pauses_the_run_for_its_retry_after_and_is_sent_again(server: FakeServer) -> None:
    server.fake.fail_next(2, status=429, retry_after=4)
    t = FakeTime()
    pacer = Pacer(None, clock=t.clock, sleep=t.sleep)
    stamps = iter(datetime(2026, 1, 1, 0, 0, s, tzinfo=UTC) for s in range(10))
    with httpx.Client() as client:
        sender = Sender(
            client, server.url, pacer=pacer, retries_on_429=3, clock=lambda: next(stamps)
        )
        attempts = sender.attempts(_post(server.url))
    statuses = [a.response.status_code for a in attempts if a.response is not None]
    assert statuses == [429, 429, 201]  # every answer kept: the 429s are exchanges too
    assert all(a.response.headers["retry-after"] == "4" for a in attempts[:2] if a.response)
    assert t.slept == [4.0, 4.0]
    assert [a.sent_at.second for a in attempts] == [0, 1, 2]  # each attempt its own time
    assert sender.retried == 2 and pacer.pauses == 2
    assert len(server.fake.requests) == 3


def test_retries_of_a_creating_request_take_from_the_budget(server: FakeServer) -> None:
    server.fake.fail_next(3, status=429, retry_after=1)
    t = FakeTime()
    with httpx.Client() as client:
        sender = Sender(
            client,
            server.url,
            live_budget=2,
            pacer=Pacer(None, clock=t.clock, sleep=t.sleep),
            retries_on_429=5,
        )
        assert sender.claim()  # the caller's unit for the first attempt
        attempts = sender.attempts(_post(server.url))
    # The first and one retry fit the budget of two; the third is never sent.
    assert [a.response.status_code for a in attempts if a.response] == [429, 429]
    assert sender.creating_sent == 2
    assert len(server.fake.requests) == 2


def test_without_retries_a_429_is_answered_once_and_nothing_waits(server: FakeServer) -> None:
    server.fake.fail_next(1, status=429, retry_after=30)
    t = FakeTime()
    with httpx.Client() as client:
        sender = Sender(client, server.url, pacer=Pacer(None, clock=t.clock, sleep=t.sleep))
        attempts = sender.attempts(_post(server.url))
    assert [a.response.status_code for a in attempts if a.response] == [429]
    assert t.slept == []


class _Gate(BaseHTTPRequestHandler):
    """Answers 201 only once GATE.parties requests are in the server at the same time."""

    gate: threading.Barrier

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            self.gate.wait()
            status = 201
        except threading.BrokenBarrierError:
            status = 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(("concurrency", "expected"), [(4, 201), (1, 503)])
def test_requests_overlap_on_a_loopback_server(concurrency: int, expected: int) -> None:
    gate = threading.Barrier(4, timeout=WAIT if concurrency > 1 else 0.2)
    handler = type("Gate", (_Gate,), {"gate": gate})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with httpx.Client() as client:
            sender = Sender(client, url)
            dispatcher: Dispatcher[Outgoing, httpx.Response] = Dispatcher(
                sender.send, concurrency=concurrency
            )
            try:
                answers = [r.status_code for _, r in dispatcher.map([_post(url)] * 4)]
            finally:
                dispatcher.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert answers[0] == expected
