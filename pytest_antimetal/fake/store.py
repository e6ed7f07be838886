"""What the fake keeps: created issues, recorded requests and per-organisation numbering,
within a byte cap.

Thread-safe on its own lock. Every kept entry is counted in bytes (its payload
plus a fixed allowance for the Python objects behind it); past
``max_stored_bytes`` or ``max_recorded`` the oldest entries, of either kind,
are dropped. Numbering never depends on what is kept.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_MAX_STORED_BYTES", "RecordedRequest", "Store"]

DEFAULT_MAX_STORED_BYTES = 64 * 1024 * 1024
"""What a fake keeps (recorded requests and issues) by default, in bytes of its own accounting."""

# The Python objects behind one entry beyond its counted bytes (measured with
# tracemalloc: a small recorded request, a small issue), so that many small
# entries count too.
REQUEST_OVERHEAD = 1024
ISSUE_OVERHEAD = 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as it answered it.

    ``headers`` has lower-case names, credentials masked by
    :func:`pytest_antimetal.secrets.redacted_headers` (``Authorization: Bearer
    [REDACTED]``, cookies ``[REDACTED]``); ``json`` is the
    parsed body when it was valid JSON.
    """

    method: str
    path: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    json: Any | None = field(repr=False)
    status: int
    request_id: str


class Store:
    """Issues and recorded requests, oldest first, under *max_stored_bytes* / *max_recorded*.

    ``None`` for either: no such cap.
    """

    def __init__(self, *, max_stored_bytes: int | None, max_recorded: int | None) -> None:
        self.max_stored_bytes = max_stored_bytes
        self.max_recorded = max_recorded
        self.lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.issues: deque[dict[str, Any]] = deque()
        self.requests: deque[RecordedRequest] = deque()
        # Counted bytes of each kept request / issue, oldest first (ints: nothing for the GC).
        self._request_sizes: deque[int] = deque()
        self._issue_sizes: deque[int] = deque()
        # Per kept issue, how many requests had been recorded before it: it is older
        # than the oldest kept request when not above that request's position.
        self._issue_ages: deque[int] = deque()
        self._recorded = 0  # requests ever recorded (since the last clear)
        self.stored = 0
        """Counted bytes of everything kept."""
        self._numbers: dict[str, int] = {}

    def clear(self) -> None:
        """Forget everything; numbering restarts."""
        with self.lock:
            self._clear()

    def create_issue(
        self, organization: str, build: Callable[[int], tuple[dict[str, Any], bytes]]
    ) -> bytes:
        """Number a new issue of *organization* and keep what ``build(number)`` makes of it.

        *build* returns the issue and its wire form (counted); it runs under the
        lock, so numbers and what they are built with (the clock) stay in order.
        Returns the wire form.
        """
        with self.lock:
            number = self._numbers.get(organization, 0) + 1
            self._numbers[organization] = number
            issue, payload = build(number)
            size = ISSUE_OVERHEAD + len(payload)
            self.issues.append(issue)
            self._issue_sizes.append(size)
            self._issue_ages.append(self._recorded)
            self.stored += size
            if self._over_caps():
                self._trim()
        return payload

    def record(self, request: RecordedRequest, size: int) -> None:
        """Keep *request*, counted as *size* bytes besides the per-entry allowance."""
        size += REQUEST_OVERHEAD
        with self.lock:
            self.requests.append(request)
            self._request_sizes.append(size)
            self._recorded += 1
            self.stored += size
            if self._over_caps():
                self._trim()

    def _over_caps(self) -> bool:
        cap, most = self.max_stored_bytes, self.max_recorded
        return (cap is not None and self.stored > cap) or (
            most is not None and len(self.requests) > most
        )

    def _trim(self) -> None:
        """Drop the oldest kept entries until within ``max_recorded`` and ``max_stored_bytes``.

        Called under the lock. Numbers and uuids never depend on what is kept.
        """
        requests, request_sizes = self.requests, self._request_sizes
        if self.max_recorded is not None:
            while len(requests) > self.max_recorded:
                requests.popleft()
                self.stored -= request_sizes.popleft()
        cap = self.max_stored_bytes
        if cap is None:
            return
        issues, issue_sizes, issue_ages = self.issues, self._issue_sizes, self._issue_ages
        while self.stored > cap and (requests or issues):
            oldest_request = self._recorded - len(requests)
            if issues and (not requests or issue_ages[0] <= oldest_request):
                issues.popleft()
                issue_ages.popleft()
                self.stored -= issue_sizes.popleft()
            else:
                requests.popleft()
                self.stored -= request_sizes.popleft()
