"""The fake's clock: a time source tests can move forward.

Every instant the fake writes (``createdAt``, ``updatedAt``), its rate-limit
windows and its simulated investigations read :class:`FakeClock`. It follows
the wall clock (or the callable a test passes) plus whatever
:meth:`FakeClock.advance` added; :meth:`FakeClock.frozen` and
:meth:`FakeClock.seeded` stand still until advanced, so with a seeded fake
every timestamp is a function of the seed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["FakeClock", "seeded_epoch"]


def seeded_epoch(seed: int) -> datetime:
    """The instant a seeded fake's clock starts at: 2026-01-01 plus *seed* minutes (mod a year)."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=seed % 525_600)


class FakeClock:
    """A callable returning the fake's current instant (aware, UTC); :meth:`advance` moves it.

    *base* is the underlying time source (default: the wall clock); the clock
    answers ``base() + offset``.
    """

    def __init__(self, base: Callable[[], datetime] | None = None) -> None:
        self._base: Callable[[], datetime] = base or (lambda: datetime.now(UTC))
        self._offset = timedelta()
        self._lock = threading.Lock()

    @classmethod
    def frozen(cls, start: datetime) -> FakeClock:
        """A clock standing at *start* until advanced."""
        return cls(lambda: start)

    @classmethod
    def seeded(cls, seed: int) -> FakeClock:
        """A clock standing at an instant derived from *seed* (:func:`seeded_epoch`)."""
        return cls.frozen(seeded_epoch(seed))

    def __call__(self) -> datetime:
        return self._base() + self._offset

    def timestamp(self) -> float:
        """The current instant as POSIX seconds."""
        return self().timestamp()

    def advance(self, seconds: float) -> None:
        """Move the clock *seconds* forward (investigations due by then complete)."""
        if not seconds >= 0:
            raise ValueError("a clock only moves forward: seconds must be >= 0")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
