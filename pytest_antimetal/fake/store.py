"""What the fake keeps: issues (per organisation, with their investigation runs), recorded
requests and per-organisation numbering, within a byte cap.

Thread-safe on its own lock. Every kept entry is counted in bytes (its payload
plus a fixed allowance for the Python objects behind it); past
``max_stored_bytes`` or ``max_recorded`` the oldest entries, of either kind,
are dropped. Numbering never depends on what is kept.

Each organisation's issues sit in a list by creation position with an index
from uuid to record: a page of ``GET /issues`` starts at its cursor's position
and walks ``limit`` items (plus the tombstones of deleted ones), never the
list before it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_MAX_STORED_BYTES",
    "IssueRecord",
    "Page",
    "RecordedRequest",
    "Run",
    "Store",
]

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


class Run:
    """One investigation run of an issue (an entry of ``versions``)."""

    __slots__ = ("description", "due", "results", "status", "uuid", "version")

    def __init__(self, uuid: str, version: int, due: float | None) -> None:
        self.uuid = uuid
        self.version = version
        self.status = "PENDING"
        self.due = due
        """Clock time (POSIX seconds) it completes at; ``None``: only when told to."""
        self.results: dict[str, Any] | None = None
        """Results set by a test; ``None``: generated from the seed when asked for."""
        self.description: str | None = None


class IssueRecord:
    """One kept issue: its fields (``data``), its runs, where it sits in its organisation."""

    __slots__ = ("data", "deleted", "organization", "position", "runs", "summary")

    def __init__(self, organization: str, position: int, data: dict[str, Any]) -> None:
        self.organization = organization
        self.position = position
        self.data = data
        self.runs: list[Run] = []
        self.deleted = False
        self.summary: bytes | None = None
        """Its list entry's JSON, kept once built (``None`` again whenever ``data`` changes):
        a page then touches one object per issue."""

    @property
    def uuid(self) -> str:
        return str(self.data.get("uuid"))


@dataclass
class Page:
    """One page of a list, in list order (newest first)."""

    items: list[IssueRecord]
    has_more: bool
    """More matching items in the direction of travel."""
    more_after: bool
    """More matching items after the page's last one (older)."""
    more_before: bool
    """More matching items before the page's first one (newer)."""


class _Organization:
    __slots__ = ("base", "by_id", "by_number", "head", "order")

    def __init__(self) -> None:
        self.order: list[IssueRecord | None] = []  # by position - base; None once trimmed
        self.base = 0
        self.head = 0  # index of the first slot not trimmed
        self.by_id: dict[str, IssueRecord] = {}  # deleted ones too: their cursors still work
        self.by_number: dict[int, IssueRecord] = {}

    def trim_front(self, record: IssueRecord) -> None:
        self.by_id.pop(record.uuid, None)
        number = record.data.get("number")
        if isinstance(number, int) and self.by_number.get(number) is record:
            del self.by_number[number]
        index = record.position - self.base
        if 0 <= index < len(self.order):
            self.order[index] = None
        while self.head < len(self.order) and self.order[self.head] is None:
            self.head += 1
        if self.head > 64 and self.head * 2 > len(self.order):
            del self.order[: self.head]
            self.base += self.head
            self.head = 0


class Store:
    """Issues and recorded requests, oldest first, under *max_stored_bytes* / *max_recorded*.

    ``None`` for either: no such cap.
    """

    def __init__(self, *, max_stored_bytes: int | None, max_recorded: int | None) -> None:
        self.max_stored_bytes = max_stored_bytes
        self.max_recorded = max_recorded
        self.lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self.issues: deque[IssueRecord] = deque()
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
        self._organizations: dict[str, _Organization] = {}

    def clear(self) -> None:
        """Forget everything; numbering restarts."""
        with self.lock:
            self._clear()

    # -- issues ----------------------------------------------------------------------------

    def create_issue(
        self, organization: str, build: Callable[[int], tuple[IssueRecord, bytes]]
    ) -> tuple[IssueRecord, bytes]:
        """Number a new issue of *organization* and keep what ``build(number)`` makes of it.

        *build* returns the record and its wire form (counted); it runs under the
        lock, so numbers and what they are built with (the clock) stay in order.
        """
        with self.lock:
            number = self._numbers.get(organization, 0) + 1
            self._numbers[organization] = number
            record, payload = build(number)
            org = self._organizations.get(organization)
            if org is None:
                org = self._organizations[organization] = _Organization()
            record.organization = organization
            record.position = org.base + len(org.order)
            org.order.append(record)
            org.by_id[record.uuid] = record
            org.by_number[number] = record
            size = ISSUE_OVERHEAD + len(payload)
            self.issues.append(record)
            self._issue_sizes.append(size)
            self._issue_ages.append(self._recorded)
            self.stored += size
            if self._over_caps():
                self._trim()
        return record, payload

    def get(self, organization: str, uuid: str) -> IssueRecord | None:
        """The organisation's live issue *uuid*, if kept and not deleted."""
        org = self._organizations.get(organization)
        record = None if org is None else org.by_id.get(uuid)
        return None if record is None or record.deleted else record

    def find(self, uuid: str) -> IssueRecord | None:
        """The live issue *uuid* of whichever organisation holds it (for tests' controls)."""
        with self.lock:
            for org in self._organizations.values():
                record = org.by_id.get(uuid)
                if record is not None and not record.deleted:
                    return record
        return None

    def get_by_number(self, organization: str, number: int) -> IssueRecord | None:
        """The organisation's live issue numbered *number*, if kept and not deleted."""
        org = self._organizations.get(organization)
        record = None if org is None else org.by_number.get(number)
        return None if record is None or record.deleted else record

    def delete(self, record: IssueRecord) -> None:
        """Delete *record*: gone from lookups and lists; its cursor still pages."""
        with self.lock:
            record.deleted = True
            org = self._organizations.get(record.organization)
            number = record.data.get("number")
            if org is not None and isinstance(number, int) and org.by_number.get(number) is record:
                del org.by_number[number]

    def count(self, extra: int) -> None:
        """Count *extra* bytes kept on behalf of an issue (results a test set)."""
        with self.lock:
            if self._issue_sizes:
                self._issue_sizes[-1] += extra
                self.stored += extra
                if self._over_caps():
                    self._trim()

    def is_cursor(self, organization: str, uuid: str) -> bool:
        """Whether *uuid* names an issue a page can start at (kept, deleted or not)."""
        org = self._organizations.get(organization)
        return org is not None and uuid in org.by_id

    def page(
        self,
        organization: str,
        limit: int,
        *,
        starting_after: str | None = None,
        ending_before: str | None = None,
        match: Callable[[IssueRecord], bool] | None = None,
    ) -> Page:
        """Up to *limit* live issues newest first, after and/or before cursors (uuids).

        Both cursors: the issues between them. A cursor this organisation never
        had (or no longer keeps) has nothing after or before it: an empty page.
        Costs O(limit) plus the deleted or filtered-out items walked past.
        """
        with self.lock:
            org = self._organizations.get(organization)
            if org is None:
                return Page([], False, False, False)
            after = None if starting_after is None else org.by_id.get(starting_after)
            before = None if ending_before is None else org.by_id.get(ending_before)
            if (starting_after is not None and after is None) or (
                ending_before is not None and before is None
            ):
                return Page([], False, False, False)
            order = org.order
            # Indexes a page may use: [low, high), list order runs from high - 1 down to low.
            low = org.head
            high = len(order)
            if after is not None:
                high = min(high, after.position - org.base)
            if before is not None:
                low = max(low, before.position - org.base + 1)

            def ok(item: IssueRecord | None) -> bool:
                return item is not None and not item.deleted and (match is None or match(item))

            def walk(index: int, step: int, lo: int, hi: int) -> int:
                """The index of the first match from *index* on in *step* direction, or -1."""
                while lo <= index < hi:
                    if ok(order[index]):
                        return index
                    index += step
                return -1

            items: list[IssueRecord] = []
            whole = org.head, len(order)
            if before is not None and after is None:
                # The `limit` issues nearest the cursor, newer than it, in list order.
                index = low
                while len(items) < limit:
                    index = walk(index, 1, low, high)
                    if index < 0:
                        break
                    items.append(order[index])  # type: ignore[arg-type]
                    index += 1
                more_before = len(items) == limit and walk(index, 1, low, high) >= 0
                items.reverse()
                more_after = walk(low - 1, -1, *whole) >= 0
                return Page(items, more_before, more_after, more_before)
            index = high - 1
            while len(items) < limit:
                index = walk(index, -1, low, high)
                if index < 0:
                    break
                items.append(order[index])  # type: ignore[arg-type]
                index -= 1
            more_after = len(items) == limit and walk(index, -1, low, high) >= 0
            more_before = after is not None and walk(high, 1, *whole) >= 0
            return Page(items, more_after, more_after, more_before)

    # -- requests --------------------------------------------------------------------------

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
                record = issues.popleft()
                org = self._organizations.get(record.organization)
                if org is not None:
                    org.trim_front(record)
                issue_ages.popleft()
                self.stored -= issue_sizes.popleft()
            else:
                requests.popleft()
                self.stored -= request_sizes.popleft()
