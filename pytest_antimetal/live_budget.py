"""A run's cap on requests that can create on a live target (``--antimetal-live-budget``).

Two kinds of budget, one interface (:class:`Budget`): :class:`LiveBudget` counts in one
process; :class:`SharedBudget` is a pool on disk that every process of a run takes from.

Under ``pytest -n`` the tests and the contract suite's parts run in several xdist workers,
and where they land depends on the scheduler (``--dist loadfile`` puts a file's tests on one
worker; a crashed worker is replaced by a new one). Splitting the cap in advance would either
waste it or, with replacements, exceed it; so the workers take from one pool, in a directory
the xdist controller makes for the run.

A claim of *n* units is all-or-nothing. The pool is a chain of steps: the file ``from-K``
says that a claim took the units after the first *K* (its content is how many). Whoever
creates ``from-K`` first owns that step: it is hard-linked from a complete temporary file,
which is atomic and fails if the name exists, so no reader ever sees a half-written step and
no two claims take the same units, across processes and threads alike. Nothing is locked
between processes, so a process that dies mid-claim leaves nothing held.

On top of them: :func:`run_budget`, this process's take of the run's budget (the contract
suite and the issue factory share it), and :class:`CreateBudget`, what the issue factory and
the fixture clients count their creates with (:class:`LiveBudgetExceeded` past the cap).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pytest


__all__ = [
    "DEFAULT_LIVE_BUDGET",
    "POOL_KEY",
    "SAFE_METHODS",
    "Budget",
    "CreateBudget",
    "LiveBudget",
    "LiveBudgetExceeded",
    "SharedBudget",
    "can_create",
    "run_budget",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""RFC 9110's safe methods: requests that change nothing on a server that honours them. Every
other method can create or change (QUERY's draft too: a live server may not know it), so it
takes from the budget, and a read-only run holds it back. The one list: the contract suite,
its live-target rules and the fixture clients' guard all read it here."""


def can_create(method: str) -> bool:
    """Whether a request can create (or change) something: every method but the safe ones."""
    return method.upper() not in SAFE_METHODS


DEFAULT_LIVE_BUDGET = 5
"""The run's cap when ``--antimetal-live-budget`` does not say: the contract suite's and the
issue factory's (they share it)."""

POOL_KEY = "antimetal_live_budget_dir"
"""The key of ``workerinput`` under which the xdist controller hands its workers the pool."""

_STEP = "from-{}"
_MAX_STEP_BYTES = 32  # a step holds a count; anything longer is not ours


@cache
def _run_budget_key() -> pytest.StashKey[Budget]:
    # pytest is imported only when a run asks: the issue factory and the fixture clients'
    # guard import this module outside pytest too.
    import pytest

    return pytest.StashKey["Budget"]()


"""This process's take on the run's live budget (:func:`run_budget`)."""


def _checked(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"a budget claim must be an int >= 0, got {n!r}")
    return n


class Budget(Protocol):
    """What the issue factory and the contract suite take from."""

    size: int

    @property
    def taken(self) -> int:
        """Units taken so far (by every process that shares the budget)."""
        ...

    def claim(self, n: int = 1) -> bool:
        """Take *n* units, or none and ``False`` when fewer than *n* are left."""
        ...


class LiveBudget:
    """At most *size* units, taken by the threads of one process."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a live budget must be >= 0, got {size}")
        self.size = size
        self._taken = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LiveBudget(size={self.size}, taken={self._taken})"

    @property
    def taken(self) -> int:
        """Units taken so far."""
        return self._taken

    def claim(self, n: int = 1) -> bool:
        """Take *n* units, or none and ``False`` when fewer than *n* are left."""
        _checked(n)
        with self._lock:  # check and take at once
            if self._taken + n > self.size:
                return False
            self._taken += n
            return True


class SharedBudget:
    """At most *size* units, taken by any process (and thread) that can see *directory*."""

    def __init__(self, directory: Path, size: int) -> None:
        if size < 0:
            raise ValueError(f"a live budget must be >= 0, got {size}")
        self.directory = directory
        self.size = size
        self._known = 0
        """Units this object knows to be taken: the chain up to there never changes."""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SharedBudget({str(self.directory)!r}, size={self.size})"

    @classmethod
    def create(cls, size: int) -> SharedBudget:
        """A new, empty pool in a private temporary directory."""
        return cls(Path(tempfile.mkdtemp(prefix="pytest-antimetal-budget-")), size)

    def _follow(self) -> int:
        """Units taken so far, from the last known step on (raises ``OSError``/``ValueError``
        when the pool is unreadable)."""
        while True:
            try:
                with open(self.directory / _STEP.format(self._known), "rb") as step:
                    n = int(step.read(_MAX_STEP_BYTES))
            except FileNotFoundError:
                return self._known
            if n <= 0:
                raise ValueError(f"{self.directory}: a step of {n} unit(s) is not ours")
            self._known += n

    def _take_step(self, at: int, n: int) -> bool:
        """Create ``from-<at>`` holding *n*; ``False`` when another claim created it first."""
        fd, temporary = tempfile.mkstemp(prefix=".step-", dir=self.directory)
        try:
            with os.fdopen(fd, "w") as step:
                step.write(str(n))
            try:
                os.link(temporary, self.directory / _STEP.format(at))
            except FileExistsError:
                return False
            return True
        finally:
            os.unlink(temporary)

    @property
    def taken(self) -> int:
        """Units taken so far by every process of the run (``size`` when the pool is gone)."""
        with self._lock:
            try:
                return self._follow()
            except (OSError, ValueError):
                return self.size

    def claim(self, n: int = 1) -> bool:
        """Take *n* units, or none and ``False`` when fewer than *n* are left (or the pool is
        gone, or out of sight: an xdist worker on another host; spending nothing is the safe
        answer)."""
        if _checked(n) == 0:
            return True
        with self._lock:  # one claim at a time per object; other objects race on the files
            try:
                while True:
                    taken = self._follow()
                    if taken + n > self.size:
                        return False
                    if self._take_step(taken, n):
                        self._known = taken + n
                        return True
                    # Another claim took this step first: follow it, and try after it.
            except (OSError, ValueError):
                return False

    def remove(self) -> None:
        """Delete the pool (the process that created it, at the end of the run)."""
        shutil.rmtree(self.directory, ignore_errors=True)


def run_budget(config: pytest.Config, size: int) -> Budget:
    """The run's live budget as this process takes from it, shared by the issue factory and
    the contract suite: on an xdist worker the pool its controller made for the run (see
    :func:`pytest_antimetal.fixtures.live_budget_pool`), else this process's own count. Made
    once per process; *size* is the cap (``--antimetal-live-budget``) as the first caller read
    it."""
    budget = config.stash.get(_run_budget_key(), None)
    if budget is None:
        pool = (getattr(config, "workerinput", None) or {}).get(POOL_KEY)
        budget = LiveBudget(size) if pool is None else SharedBudget(Path(str(pool)), size)
        config.stash[_run_budget_key()] = budget
    return budget


class LiveBudgetExceeded(RuntimeError):
    """Creating would take more issues than the run's live budget allows (nothing was sent)."""


class CreateBudget:
    """How many issues may still be created: one shared count for every factory of a run.

    A live target is someone's production, and every issue created there starts a
    real investigation: the ``antimetal_issue_factory`` fixture gives all tests of a
    run one budget (``--antimetal-live-budget``, default 5) against a non-loopback
    server. :meth:`take` is all-or-nothing.

    With a *pool* (a :class:`~pytest_antimetal.live_budget.Budget`: under ``pytest -n`` the
    run's pool that every xdist worker takes from, shared with the contract suite), creates
    are taken from it; without one, this object counts them alone.
    """

    def __init__(
        self, limit: int, *, where: str = "the target", pool: Budget | None = None
    ) -> None:
        if limit < 0:
            raise ValueError(f"a create budget must be >= 0, got {limit}")
        self.limit = limit
        self.spent = 0
        """Issues counted through this object (the pool counts every process's)."""
        self.where = where
        self.pool = pool
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CreateBudget(limit={self.limit}, spent={self.spent})"

    @property
    def remaining(self) -> int:
        """Issues that may still be created (by the whole run, with a pool)."""
        if self.pool is not None:
            return max(0, min(self.limit, self.pool.size) - self.pool.taken)
        return self.limit - self.spent

    def take(self, n: int) -> None:
        """Count *n* creations, or raise :class:`LiveBudgetExceeded` and count none."""
        with self._lock:  # check and count at once, whatever the threads
            if self.pool is not None:
                taken = n <= self.limit and self.pool.claim(n)
            else:
                taken = n <= self.remaining
            if not taken:
                spent = (
                    f"{self.spent} created"
                    if self.pool is None
                    else f"{self.pool.taken} taken by the run, {self.spent} by this process"
                )
                raise LiveBudgetExceeded(
                    f"live budget: creating {n} more issue(s) on {self.where} would exceed the "
                    f"run's cap of {self.limit} ({spent}); raise it with "
                    "--antimetal-live-budget N"
                )
            self.spent += n
