"""Faults a test injects: the next answers, of one operation or of any, replaced by an error.

:meth:`FakeAntimetal.fail_next <pytest_antimetal.fake.core.FakeAntimetal.fail_next>`
queues them; the core takes the first that applies before it routes further.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_antimetal.fake.served import OperationKey

__all__ = ["Fault", "Faults"]


@dataclass
class Fault:
    """*remaining* more answers with *status* (and ``Retry-After`` *retry_after*), for
    *operation*'s requests or, ``None``, for any."""

    remaining: int
    status: int
    retry_after: float | None
    operation: OperationKey | None = None


class Faults:
    """The pending faults, oldest first; usable from any thread."""

    def __init__(self) -> None:
        self._pending: deque[Fault] = deque()
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue *fault* behind those pending."""
        with self._lock:
            self._pending.append(fault)

    def clear(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._pending.clear()

    def take(self, key: OperationKey | None) -> Fault | None:
        """The first pending fault for *key*'s operation (or for any), counted down."""
        if not self._pending:
            return None
        with self._lock:
            for fault in self._pending:
                if fault.operation is None or fault.operation == key:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._pending.remove(fault)
                    return fault
        return None
