"""Sending a part's requests side by side: an ordered, bounded, paced map.

Against a remote API each request costs a round trip, and the suite's requests within a
part are independent (each is drawn from the spec, the seed and the budget, never from an
earlier answer). :class:`Dispatcher` sends up to *concurrency* of them at once and hands
the answers back **in the order the requests were drawn**, so the checks, the reports and
the run's state see the same order as a sequential run. The requests themselves are drawn
lazily, in this (the caller's) thread, only when a slot is free: drawing, claiming from
the live budget and judging all stay single-threaded; only the wire is shared.

:class:`Pacer` is shared by every sender of a run: a token bucket for a user's rate limit
(``--antimetal-rate``) and a pause that a ``429`` sets for everyone (``Retry-After``).

Plain Python, no pytest, no httpx: the sending function is whatever the caller passes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_RETRY_WAIT",
    "MAX_RETRY_AFTER",
    "MIN_RATE",
    "Dispatcher",
    "Pacer",
]

DEFAULT_CONCURRENCY = 8
"""Requests in flight at once against a network target (``--antimetal-concurrency``)."""

MAX_RETRY_AFTER = 60.0
"""The longest a ``429``'s ``Retry-After`` is honoured for, in seconds; a longer one is
waited for this long (a live target's hint of minutes would stall a CI job)."""

DEFAULT_RETRY_WAIT = 1.0
"""How long a ``429`` without a usable ``Retry-After`` pauses the run, in seconds."""

T = TypeVar("T")
R = TypeVar("R")


MIN_RATE = 1 / 86_400
"""The smallest ``--antimetal-rate``: one request a day. The pacer sleeps ``1/rate`` seconds in
a sender thread, and a sleep past about 292 years overflows there (``1e-300`` did, as a
traceback mid-run); a day is far from that, even split over xdist workers, and slower than
any limit a live API sets."""


class Pacer:
    """When the next request may go: a shared token bucket and a shared pause.

    *rate* is requests per second for all senders together (``None``: no limit). The
    bucket holds one token, so requests are spaced ``1/rate`` apart and a burst never
    exceeds what the limit allows in any window. :meth:`pause` (a ``429``) holds every
    sender that has not yet gone until the pause is over. *clock* (monotonic seconds)
    and *sleep* are injected so tests control time.
    """

    def __init__(
        self,
        rate: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and not (math.isfinite(rate) and rate >= MIN_RATE):
            raise ValueError(
                f"rate must be at least one request a day ({MIN_RATE:.3g} a second), got {rate}"
            )
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = 1.0
        self._filled_at = clock()
        self._paused_until = -math.inf
        self.pauses = 0
        """How many times :meth:`pause` was called (one per ``429``)."""

    def acquire(self) -> None:
        """Wait until a request may go (the pause is over and a token is free), take it."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._paused_until - now
                if wait <= 0:
                    if self.rate is None:
                        return
                    elapsed = max(0.0, now - self._filled_at)
                    self._tokens = min(1.0, self._tokens + elapsed * self.rate)
                    self._filled_at = now
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        return
                    wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every sender for *seconds* from now (a longer pause already set stands)."""
        with self._lock:
            self.pauses += 1
            until = self._clock() + max(0.0, seconds)
            self._paused_until = max(self._paused_until, until)


class Dispatcher(Generic[T, R]):
    """Maps a sending function over requests, *concurrency* at a time, answers in order.

    ``concurrency == 1`` sends in this thread, one at a time (no thread is started): the
    same calls in the same order as a plain loop. Otherwise a pool of *concurrency*
    threads (started on first use, ended by :meth:`close`) runs *send*; it must be safe
    to call from several threads at once.
    """

    def __init__(self, send: Callable[[T], R], concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.send = send
        self.concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None

    def map(
        self, items: Iterable[T], *, barrier: Callable[[T], bool] | None = None
    ) -> Iterator[tuple[T, R]]:
        """``(item, send(item))`` for each of *items*, in their order.

        *items* is read lazily, in the caller's thread, only when fewer than
        *concurrency* requests are in flight: whatever it does before yielding (drawing a
        case, taking from a budget) happens in order, at most *concurrency* items ahead of
        what the caller has been given. An item for which *barrier* is true is sent alone
        at the end of the window: nothing after it is drawn until the caller has had its
        answer (and done what that answer calls for) - for a decision that must come
        before the next item is drawn.

        Closing the iterator early waits for what is in flight and drops its answers.
        """
        if self.concurrency == 1:
            for item in items:
                yield item, self.send(item)
            return
        pool = self._executor()
        window: deque[tuple[T, Future[R]]] = deque()
        source = iter(items)
        exhausted = False
        held = False  # a barrier item is in the window
        try:
            while True:
                while not exhausted and not held and len(window) < self.concurrency:
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    window.append((item, pool.submit(self.send, item)))
                    held = barrier is not None and barrier(item)
                if not window:
                    return
                item, future = window.popleft()
                answer = future.result()
                held = held and bool(window)  # a barrier is the last item drawn
                yield item, answer
        finally:
            for _, future in window:
                future.cancel()
            for _, future in window:
                if not future.cancelled():
                    future.exception()  # wait; the answer is dropped

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="antimetal-send"
            )
        return self._pool

    def close(self) -> None:
        """End the pool's threads (after what they are sending)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
