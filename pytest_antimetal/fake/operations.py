"""The fake's operations, one handler each: what happens once a request is routed and admitted.

:class:`~pytest_antimetal.fake.core.FakeAntimetal` routes, authenticates,
rate-limits and records; an operation reads its request (``requests``),
changes what the fake keeps (``store``) and builds its answer (``responses``).
Today there is one, ``POST /issues``; each further operation is a class here
with the same call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pytest_antimetal.fake.handler import FakeResponse
from pytest_antimetal.fake.requests import BodyError, BodyReader
from pytest_antimetal.fake.responses import IssuePlan, dumps, error

if TYPE_CHECKING:
    from pytest_antimetal.fake.store import Store
    from pytest_antimetal.spec import Operation

__all__ = ["CreateIssue", "OperationHandler", "Outcome"]

Outcome = tuple[FakeResponse, Any, int]
"""An operation's answer, the parsed request body (``None`` if none) and its decoded size."""


class OperationHandler(Protocol):
    """What the core calls once a request is routed to an operation, authenticated and admitted."""

    def __call__(
        self,
        organization: str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
        limit: int,
    ) -> Outcome:
        """Answer for the key's *organization*; *headers* lower-case; *limit*: body bytes."""
        ...


class CreateIssue:
    """``POST /issues``: validate the body, number the issue, answer the documented ``201``."""

    def __init__(
        self,
        operation: Operation,
        store: Store,
        *,
        now: Callable[[], str],
        new_uuid: Callable[[], str],
    ) -> None:
        self.reader = BodyReader(operation)
        self.success = operation.success_status
        self.plan = IssuePlan(operation.response_schema(self.success) or {}, self.reader.properties)
        self._store = store
        self._now = now
        self._new_uuid = new_uuid

    def __call__(
        self,
        organization: str,
        headers: Mapping[str, str],
        body: bytes,
        request_id: str,
        limit: int,
    ) -> Outcome:
        """Answer one admitted request of *organization* (*headers* with lower-case names)."""
        try:
            data, media, size = self.reader.read(headers, body, limit)
        except BodyError as exc:
            return error(400, "invalid_request_error", str(exc), request_id), None, 0
        try:
            details = self.reader.errors(data, media)
        except (ValueError, OverflowError, TypeError) as exc:
            message = f"the body holds a value that cannot be validated ({type(exc).__name__})"
            return error(400, "invalid_request_error", message, request_id), data, size
        if details:
            message = "invalid request body: " + ", ".join(sorted(details))
            return (
                error(400, "invalid_request_error", message, request_id, details=details),
                data,
                size,
            )
        fields = data or {}

        def build(number: int) -> tuple[dict[str, Any], bytes]:
            issue = self.plan.build(fields, number, self._now(), self._new_uuid)
            return issue, dumps(issue)

        payload = self._store.create_issue(organization, build)
        headers_out = {"content-type": "application/json", "x-request-id": request_id}
        return FakeResponse(self.success, headers_out, payload), data, size
