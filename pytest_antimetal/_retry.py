"""When and how long the client waits before trying a request again.

The policy is a plain value: tests inject ``sleep``/``async_sleep``,
``random`` and ``now`` so no test ever really waits.

Rules (``POST /issues`` has no idempotency key, so a create must never be
repeated once the server may have acted on it):

* a connection that failed before anything was sent (``ConnectError``,
  ``ConnectTimeout``, ``PoolTimeout``) is retried for every method;
* ``429`` is retried for every method (the server refused the request), after
  ``Retry-After`` when the server sends it; a ``Retry-After`` longer than
  ``max_retry_after`` (60 s by default) is not waited for: the
  :class:`~pytest_antimetal.errors.RateLimitError` is raised at once, with
  ``retry_after`` set so the caller can decide;
* ``408``, ``5xx`` and failures after the request may have been sent
  (``ReadTimeout``, ``WriteTimeout``, ``RemoteProtocolError``, ``ReadError``...)
  are retried only for idempotent methods, or for ``POST`` when
  ``retry_post_on_server_error=True`` (accepting a possible duplicate issue);
* at most ``max_retries`` retries, so ``max_retries + 1`` attempts in all.

A caller that knows better than the method passes ``idempotent=``: the client's
``issues.update`` (``PATCH /issues/{id}`` setting an absolute status: repeating it
leaves the same state) is retried like a ``GET``; any other ``PATCH`` is not.

Without ``Retry-After`` the wait is ``initial_delay * 2**n`` capped at
``max_delay``, times a jitter factor drawn from ``jitter`` (0.75-1.0).
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_antimetal.errors import parse_retry_after

if TYPE_CHECKING:
    import httpx

__all__ = ["IDEMPOTENT_METHODS", "RetryDecision", "RetryPolicy"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Statuses that mean "the server may have done the work": only safe to repeat
# for idempotent methods (or when the caller opts in for POST).
_MAYBE_PROCESSED_STATUSES = frozenset({408, 500, 502, 503, 504})


async def _anyio_sleep(seconds: float) -> None:
    # anyio (an httpx dependency) sleeps under asyncio and trio alike.
    import anyio

    await anyio.sleep(seconds)


@dataclass(frozen=True)
class RetryDecision:
    """Whether to retry; ``delay`` in seconds and a human ``reason`` for the log."""

    retry: bool
    delay: float = 0.0
    reason: str = ""
    note: str | None = None  # appended to the error when not retrying


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff policy of :class:`~pytest_antimetal.client.AntimetalClient`.

    Pass one as ``retry_policy=`` to control timing in tests::

        slept = []
        policy = RetryPolicy(sleep=slept.append, random=lambda: 0.0)
        client = AntimetalClient(api_key=..., transport=..., retry_policy=policy)
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: tuple[float, float] = (0.75, 1.0)
    retry_post_on_server_error: bool = False
    sleep: Callable[[float], object] = field(default=time.sleep, repr=False)
    async_sleep: Callable[[float], Awaitable[object]] = field(default=_anyio_sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)
    now: Callable[[], float] = field(default=time.time, repr=False)
    # Seconds from an arbitrary start: deadlines of waits such as issues.wait_for_results.
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        low, high = self.jitter
        if not 0 <= low <= high:
            raise ValueError(f"jitter must be (low, high) with 0 <= low <= high, got {self.jitter}")

    def backoff(self, retries_taken: int) -> float:
        """Jittered exponential delay before retry number ``retries_taken + 1``."""
        base = min(self.initial_delay * 2.0**retries_taken, self.max_delay)
        low, high = self.jitter
        return base * (low + (high - low) * self.random())

    def _method_may_repeat(self, method: str, idempotent: bool | None = None) -> bool:
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        return idempotent or self.retry_post_on_server_error

    def for_response(
        self,
        method: str,
        response: httpx.Response,
        retries_taken: int,
        *,
        idempotent: bool | None = None,
    ) -> RetryDecision:
        """Decide after a non-2xx *response* (*idempotent*: ``None`` judges by the method)."""
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=self.now())
            if retry_after is not None and retry_after > self.max_retry_after:
                return RetryDecision(
                    False,
                    note=f"Retry-After {retry_after:g}s exceeds the "
                    f"{self.max_retry_after:g}s cap; not retried",
                )
            return self._maybe(retries_taken, "HTTP 429 rate limited", retry_after)
        if status in _MAYBE_PROCESSED_STATUSES or status >= 500:
            if not self._method_may_repeat(method, idempotent):
                return RetryDecision(False)
            retry_after = parse_retry_after(response.headers.get("retry-after"), now=self.now())
            if retry_after is not None and retry_after > self.max_retry_after:
                retry_after = None
            return self._maybe(retries_taken, f"HTTP {status}", retry_after)
        return RetryDecision(False)

    def for_exception(
        self,
        method: str,
        exc: Exception,
        retries_taken: int,
        *,
        idempotent: bool | None = None,
    ) -> RetryDecision:
        """Decide after a transport error (an ``httpx.TransportError``)."""
        import httpx

        name = type(exc).__name__
        not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        if not_sent or self._method_may_repeat(method, idempotent):
            return self._maybe(retries_taken, name, None)
        return RetryDecision(False)

    def _maybe(self, retries_taken: int, reason: str, retry_after: float | None) -> RetryDecision:
        if retries_taken >= self.max_retries:
            return RetryDecision(False)
        delay = retry_after if retry_after is not None else self.backoff(retries_taken)
        return RetryDecision(True, delay=delay, reason=reason)
