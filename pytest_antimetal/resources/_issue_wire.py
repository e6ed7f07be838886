"""The ``/issues`` requests and answers that :class:`~pytest_antimetal.resources.issues.Issues`
and :class:`~pytest_antimetal.resources.issues.AsyncIssues` share.

Everything here is free of I/O: each helper builds a request, checks an argument
or parses an answer, so the two classes differ only in ``await``.
:class:`Waiter` is ``wait_for_results``' clock (when to poll, when to give up).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from pytest_antimetal.errors import InvestigationTimeoutError
from pytest_antimetal.models import (
    Issue,
    IssueResults,
    IssueSummary,
    check_against_schema,
    format_timestamp,
    sub_schema,
)

if TYPE_CHECKING:
    from pytest_antimetal._base_client import _BaseClient

ISSUES = "/issues"
ISSUE = "/issues/{id}"
BY_NUMBER = "/issues/by_number/{number}"
RESULTS = "/issues/{id}/results"

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_MAX_POLL_INTERVAL = 10.0
POLL_BACKOFF = 1.5

Timeout = float | httpx.Timeout | None


def create_request(
    client: _BaseClient[Any],
    *,
    title: str,
    description: str,
    environment: str,
    severity: str | None,
    triggered_at: str | datetime | None,
    context: Mapping[str, Any] | None,
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: Timeout,
) -> httpx.Request:
    body: dict[str, Any] = {"title": title, "description": description, "environment": environment}
    if severity is not None:
        body["severity"] = severity
    if triggered_at is not None:
        body["triggeredAt"] = format_timestamp(triggered_at)
    if context is not None:
        body["context"] = dict(context)
    if extra_body:
        body.update(extra_body)
    return client._build_request(
        "POST", ISSUES, body=body, extra_headers=extra_headers, timeout=timeout
    )


def issue(client: _BaseClient[Any], response: httpx.Response, method: str, path: str) -> Issue:
    schema = client._response_schema(method, path)
    what = "CreateIssueResponseDto" if method == "POST" else "IssueDto"
    request_id = response.headers.get("x-request-id")
    return client._parse(
        response, what, lambda body: Issue.from_json(body, request_id=request_id, schema=schema)
    )


def list_params(
    *,
    status: str | None,
    environment: str | None,
    search: str | None,
    limit: int | None,
    starting_after: str | None,
    ending_before: str | None,
) -> dict[str, str]:
    named = {
        "status": status,
        "environment": environment,
        "search": search,
        "limit": limit,
        "startingAfter": starting_after,
        "endingBefore": ending_before,
    }
    return {name: str(value) for name, value in named.items() if value is not None}


def page_fields(
    client: _BaseClient[Any], response: httpx.Response, params: Mapping[str, str]
) -> dict[str, Any]:
    """The keyword arguments of a page built from ``GET /issues``' answer."""
    schema = client._response_schema("GET", ISSUES)
    items = sub_schema(schema, "data", "[]")
    request_id = response.headers.get("x-request-id")

    def build(body: Any) -> dict[str, Any]:
        problems = check_against_schema(body, schema)
        if problems:
            raise ValueError("; ".join(problems))
        data = body.get("data")
        return {
            "data": [IssueSummary.from_json(item, schema=items) for item in data or []],
            "has_more": body.get("has_more") is True,
            "after": body.get("after"),
            "before": body.get("before"),
            "params": params,
            "cursor_of": uuid_of,
            "raw": dict(body),
            "request_id": request_id,
        }

    fields: dict[str, Any] = client._parse(response, "the list of IssueSummaryDto", build)
    return fields


def uuid_of(item: IssueSummary) -> str:
    return item.uuid


def issue_id(issue_id: str) -> dict[str, str | int]:
    if not isinstance(issue_id, str):
        raise TypeError(f"id must be a str (the issue's uuid), got {type(issue_id).__name__}")
    return {"id": issue_id}


def version_params(version: int | None) -> list[tuple[str, str]]:
    if version is None:
        return []
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be an int, got {type(version).__name__}")
    return [("version", str(version))]


def number(number: int) -> dict[str, str | int]:
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"number must be an int, got {type(number).__name__}")
    return {"number": number}


def results(
    client: _BaseClient[Any],
    response: httpx.Response,
    version: int | None,
    version_status: str | None = None,
) -> IssueResults:
    schema = client._response_schema("GET", RESULTS)
    request_id = response.headers.get("x-request-id")
    return client._parse(
        response,
        "IssueResultsDto",
        lambda body: IssueResults.from_json(
            body,
            schema=schema,
            request_id=request_id,
            version=version,
            version_status=version_status,
        ),
    )


class Waiter:
    """The clock of ``wait_for_results``: when to poll next, and when to give up.

    The interval starts at ``poll_interval`` and grows by half each poll up to
    ``max_poll_interval``; the last sleep is cut to the deadline, and the issue is
    polled once more at the deadline before the timeout error.
    """

    def __init__(
        self,
        client: _BaseClient[Any],
        issue_id: str,
        timeout: float,
        poll_interval: float,
        max_poll_interval: float,
    ) -> None:
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout}")
        if poll_interval <= 0 or max_poll_interval <= 0:
            raise ValueError("poll_interval and max_poll_interval must be > 0")
        self.clock = client.retry_policy.clock
        self.started = self.clock()
        self.issue_id = issue_id
        self.timeout = timeout
        self.interval = min(poll_interval, max_poll_interval)
        self.max_interval = max_poll_interval
        self.polls = 0

    def after_poll(self, issue: Issue) -> float | None:
        """``None``: the investigation is done; else seconds to sleep before the next poll.

        Raises :class:`InvestigationTimeoutError` once the deadline has passed.
        """
        self.polls += 1
        if issue.investigation_done:
            return None
        waited = self.clock() - self.started
        remaining = self.timeout - waited
        if remaining <= 0:
            latest = issue.latest
            raise InvestigationTimeoutError(
                issue_id=self.issue_id,
                timeout=self.timeout,
                waited=waited,
                polls=self.polls,
                last_status=issue.status,
                last_version=None if latest is None else latest.version,
                last_version_status=None if latest is None else latest.status,
            )
        delay = min(self.interval, remaining)
        self.interval = min(self.interval * POLL_BACKOFF, self.max_interval)
        return delay


def results_version(issue: Issue) -> tuple[int | None, str | None]:
    latest = issue.latest
    return (None, None) if latest is None else (latest.version, latest.status)


def with_version(results: IssueResults, version: int | None, status: str | None) -> IssueResults:
    from dataclasses import replace

    return replace(results, version=version, version_status=status)
