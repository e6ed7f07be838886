"""The fake's rate limit: at most N requests per key in a sliding window of the fake clock."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime

__all__ = ["RateLimit"]


class RateLimit:
    """Off until :meth:`set`; then :meth:`wait` counts each key's requests."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._limit: tuple[int, float] | None = None
        self._windows: dict[str, deque[float]] = {}

    def set(self, limit: int | None, per: float = 1.0) -> None:
        """Allow *limit* requests per key per *per* seconds; ``None``: off. Windows restart."""
        with self._lock:
            self._limit = None if limit is None else (limit, float(per))
            self._windows.clear()

    def wait(self, key: str) -> int | None:
        """Seconds to wait when *key* is over the limit, else ``None`` (and count it)."""
        if self._limit is None:
            return None
        with self._lock:
            if self._limit is None:
                return None
            limit, per = self._limit
            now = self._clock().timestamp()
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - per:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + per - now))
            window.append(now)
            return None
