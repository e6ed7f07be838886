"""What the fixture clients may send to a live target: the run's budget and its own issues.

Against a live, non-loopback server (where ``--antimetal-live-budget`` applies), the
``antimetal_client`` / ``antimetal_async_client`` fixtures send through a
:class:`GuardedTransport` around the real transport (like respx's, nothing is patched):

* every attempt of a request that is not safe (``POST``, ``PUT``, ``PATCH``, ``DELETE``)
  takes one unit of the run's budget before it is sent, retries included (a retried
  ``POST`` can create again); when the budget is spent nothing is sent and
  :class:`~pytest_antimetal.live_budget.LiveBudgetExceeded` is raised;
* a change or delete under ``/issues/{id}`` of an issue this process of the run did not
  create is refused before it is sent (:class:`ForeignIssueError`); reads are not limited;
* a ``DELETE`` of an issue the run created takes nothing: it cannot create, and refusing a
  clean-up would leave the issue on someone's production.

The issue factory takes its creates from the same budget up front (all-or-nothing for
``create_many``); :class:`GuardedBudget` remembers those units, so the factory's own
``POST /issues`` requests are not counted twice.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import httpx

from pytest_antimetal.live_budget import SAFE_METHODS, CreateBudget, LiveBudgetExceeded

if TYPE_CHECKING:
    from pytest_antimetal.live_budget import Budget

__all__ = [
    "AsyncGuardedTransport",
    "ForeignIssueError",
    "GuardedBudget",
    "GuardedTransport",
    "LiveGuard",
]

_ISSUE_PATH = re.compile(r"^/issues/(?P<id>[^/]+)(?:/.*)?$")


class ForeignIssueError(RuntimeError):
    """A change or delete of an issue this run did not create, refused (nothing was sent)."""


class GuardedBudget(CreateBudget):
    """The run's :class:`~pytest_antimetal.live_budget.CreateBudget` (this process's take of it),
    also charged by the fixture clients' requests.

    Units the issue factory takes with :meth:`take` pay for its next ``POST /issues``
    requests in advance; :meth:`charge` uses them before taking new ones.
    """

    def __init__(self, limit: int, *, where: str = "the target", pool: Budget | None = None):
        super().__init__(limit, where=where, pool=pool)
        self._prepaid = 0
        self._prepaid_lock = threading.Lock()

    def take(self, n: int) -> None:
        """Count *n* creations (raise :class:`LiveBudgetExceeded` and count none), paid ahead
        for the next *n* ``POST /issues``."""
        super().take(n)
        with self._prepaid_lock:
            self._prepaid += n

    def charge(self, request: httpx.Request, creates: bool) -> None:
        """Count one attempt of *request* (*creates*: a ``POST /issues``, which units the
        factory took may pay for), or raise :class:`LiveBudgetExceeded` and send nothing."""
        if creates:
            with self._prepaid_lock:
                if self._prepaid > 0:
                    self._prepaid -= 1
                    return
        try:
            super().take(1)
        except LiveBudgetExceeded:
            taken = (
                f"{self.spent} taken"
                if self.pool is None
                else f"{self.pool.taken} taken by the run, {self.spent} by this process"
            )
            raise LiveBudgetExceeded(
                f"live budget: {request.method} {request.url.path} on {self.where} would exceed "
                f"the run's cap of {self.limit} request(s) that can create ({taken}); nothing "
                "was sent; raise it with --antimetal-live-budget N"
            ) from None


class LiveGuard:
    """Decides, before it is sent, whether a fixture client's request may go to the live target.

    *created* returns the issues this run created (``{"number", "uuid", ...}`` each, as the
    end-of-run summary lists them); *base_path* is the path of the target's base URL.
    """

    def __init__(
        self,
        budget: GuardedBudget,
        created: Callable[[], Iterable[dict[str, Any]]],
        *,
        base_path: str = "",
    ) -> None:
        self.budget = budget
        self._created = created
        self._base_path = base_path.rstrip("/")

    def _issue_id(self, request: httpx.Request) -> str | None:
        """The ``{id}`` of ``/issues/{id}`` (or a path below it) *request* goes to, else None."""
        path = request.url.path
        if self._base_path and path.startswith(self._base_path + "/"):
            path = path[len(self._base_path) :]
        match = _ISSUE_PATH.match(path)
        return match["id"] if match else None

    def _ours(self, issue_id: str) -> bool:
        for issue in self._created():
            if issue_id == issue.get("uuid") or (
                issue.get("number") is not None and issue_id == str(issue["number"])
            ):
                return True
        return False

    def admit(self, request: httpx.Request) -> None:
        """Return when *request* may be sent (its unit taken); else raise
        :class:`ForeignIssueError` or :class:`LiveBudgetExceeded`."""
        method = request.method.upper()
        if method in SAFE_METHODS:
            return
        issue_id = self._issue_id(request)
        if issue_id is not None:
            if not self._ours(issue_id):
                raise ForeignIssueError(
                    f"live target: {method} {request.url.path} refused: issue {issue_id!r} was "
                    f"not created by this run on {self.budget.where}; pytest-antimetal changes "
                    "and deletes only issues the run created (reading any issue is fine)"
                )
            if method == "DELETE":
                return  # clean-up of the run's own issue: it creates nothing
        path = request.url.path.rstrip("/")
        creates = method == "POST" and path.endswith("/issues")
        self.budget.charge(request, creates)


class GuardedTransport(httpx.BaseTransport):
    """Pass to *inner* only what *guard* admits."""

    def __init__(self, inner: httpx.BaseTransport, guard: LiveGuard) -> None:
        self._inner = inner
        self._guard = guard

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._guard.admit(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class AsyncGuardedTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`GuardedTransport`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, guard: LiveGuard) -> None:
        self._inner = inner
        self._guard = guard

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._guard.admit(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
