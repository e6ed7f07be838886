"""What one part of the contract suite found: :class:`PartResult`.

Failures (the first few per check, and every one grouped by root cause), statistics, notes,
coverage, and why the target could not be reached; the runner fills it, the pytest items
and the reports read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pytest_antimetal.contract.coverage import CoverageLog
from pytest_antimetal.contract.entries import Entry
from pytest_antimetal.contract.grouping import EntryBook
from pytest_antimetal.contract.report import Failure, RunStats

__all__ = ["PartResult"]


@dataclass
class PartResult:
    """What one part of the suite found."""

    part: str
    failures: list[Failure] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    notes: list[str] = field(default_factory=list)
    book: EntryBook = field(default_factory=EntryBook)
    """Every failure, grouped by root cause (``failures`` keeps the first few per check)."""

    unreachable: str = ""
    """Why the target could not be connected to (the part stopped; nothing was sent)."""

    coverage: CoverageLog = field(default_factory=CoverageLog)
    """What the part's requests exercised of the document, and the statuses they got."""

    operation: str = ""
    """The ``operationId`` the part ran against."""

    @property
    def item(self) -> str:
        """``"listIssues::fuzz-negative-1"``: the item's name under ``antimetal-contract``."""
        return f"{self.operation}::{self.part}" if self.operation else self.part

    @property
    def entries(self) -> list[Entry]:
        return self.book.entries()

    @property
    def passed(self) -> bool:
        return not self.failures and not self.unreachable
