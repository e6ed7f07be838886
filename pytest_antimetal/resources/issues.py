"""``client.issues``: the ``/issues`` operations, sync (:class:`Issues`) and async
(:class:`AsyncIssues`).

The two classes have the same methods and signatures; each method builds its
request and parses its answer with the module's shared helpers, so they differ
only in ``await``. Retries: ``GET`` and ``DELETE`` are retried after a 5xx or a
connection failure, and so is ``update`` (``PATCH`` of an absolute status: sending
it twice leaves the same state); ``create`` (``POST``) keeps the rule of
:mod:`pytest_antimetal._retry`.
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
from pytest_antimetal.pagination import AsyncPage, AsyncPageRequest, SyncPage
from pytest_antimetal.resources._resource import AsyncAPIResource, SyncAPIResource

if TYPE_CHECKING:
    from pytest_antimetal._base_client import _BaseClient

__all__ = ["AsyncIssues", "Issues"]

ISSUES = "/issues"
ISSUE = "/issues/{id}"
BY_NUMBER = "/issues/by_number/{number}"
RESULTS = "/issues/{id}/results"

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_MAX_POLL_INTERVAL = 10.0
_POLL_BACKOFF = 1.5

Timeout = float | httpx.Timeout | None


# --- requests and answers shared by Issues and AsyncIssues --------------------------


def _create_request(
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


def _issue(client: _BaseClient[Any], response: httpx.Response, method: str, path: str) -> Issue:
    schema = client._response_schema(method, path)
    what = "CreateIssueResponseDto" if method == "POST" else "IssueDto"
    request_id = response.headers.get("x-request-id")
    return client._parse(
        response, what, lambda body: Issue.from_json(body, request_id=request_id, schema=schema)
    )


def _list_params(
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


def _page_fields(
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
            "cursor_of": _uuid_of,
            "raw": dict(body),
            "request_id": request_id,
        }

    fields: dict[str, Any] = client._parse(response, "the list of IssueSummaryDto", build)
    return fields


def _uuid_of(item: IssueSummary) -> str:
    return item.uuid


def _issue_id(issue_id: str) -> dict[str, str | int]:
    if not isinstance(issue_id, str):
        raise TypeError(f"id must be a str (the issue's uuid), got {type(issue_id).__name__}")
    return {"id": issue_id}


def _version_params(version: int | None) -> list[tuple[str, str]]:
    if version is None:
        return []
    if isinstance(version, bool) or not isinstance(version, int):
        raise TypeError(f"version must be an int, got {type(version).__name__}")
    return [("version", str(version))]


def _number(number: int) -> dict[str, str | int]:
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"number must be an int, got {type(number).__name__}")
    return {"number": number}


def _results(
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


class _Waiter:
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
        self.interval = min(self.interval * _POLL_BACKOFF, self.max_interval)
        return delay


def _results_version(issue: Issue) -> tuple[int | None, str | None]:
    latest = issue.latest
    return (None, None) if latest is None else (latest.version, latest.status)


# --- the resources -------------------------------------------------------------------


class Issues(SyncAPIResource):
    """``client.issues``: the ``/issues`` operations."""

    def create(
        self,
        *,
        title: str,
        description: str,
        environment: str,
        severity: str | None = None,
        triggered_at: str | datetime | None = None,
        context: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``POST /issues``: create an issue (and start its investigation).

        ``None`` arguments are left out of the body. ``triggered_at`` may be a
        string (sent as is) or an aware datetime (sent as UTC ``...Z``);
        ``context`` is sent as given (the API's camelCase keys, e.g. ``alertUrl``).
        ``extra_body`` merges extra fields into the JSON body (for negative tests).
        """
        client = self._client
        request = _create_request(
            client,
            title=title,
            description=description,
            environment=environment,
            severity=severity,
            triggered_at=triggered_at,
            context=context,
            extra_headers=extra_headers,
            extra_body=extra_body,
            timeout=timeout,
        )
        return _issue(client, client._send(request), "POST", ISSUES)

    def list(
        self,
        *,
        status: str | None = None,
        environment: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> SyncPage[IssueSummary]:
        """``GET /issues``: the first page of issues matching the filters (``None``: any).

        Iterating the page walks every page (one request per page);
        ``.data``/``.has_more``/``.next_page()`` give page-by-page control.
        ``limit`` is the page size (the API's default 10, at most 100).
        """
        client = self._client
        params = _list_params(
            status=status,
            environment=environment,
            search=search,
            limit=limit,
            starting_after=starting_after,
            ending_before=ending_before,
        )

        def fetch(params: Mapping[str, str]) -> SyncPage[IssueSummary]:
            request = client._build_request(
                "GET",
                ISSUES,
                params=list(params.items()),
                extra_headers=extra_headers,
                timeout=timeout,
            )
            return SyncPage(fetch=fetch, **_page_fields(client, client._send(request), params))

        return fetch(params)

    def retrieve(
        self,
        id: str,
        *,
        version: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``GET /issues/{id}``: the full issue (``version``: as of that investigation run)."""
        client = self._client
        request = client._build_request(
            "GET",
            ISSUE,
            path_params=_issue_id(id),
            params=_version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _issue(client, client._send(request), "GET", ISSUE)

    def retrieve_by_number(
        self,
        number: int,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``GET /issues/by_number/{number}``: the issue with this per-organisation number."""
        client = self._client
        request = client._build_request(
            "GET",
            BY_NUMBER,
            path_params=_number(number),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _issue(client, client._send(request), "GET", BY_NUMBER)

    def update(
        self,
        id: str,
        *,
        status: str,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``PATCH /issues/{id}``: set the issue's status (retried like a ``GET``)."""
        client = self._client
        request = client._build_request(
            "PATCH",
            ISSUE,
            path_params=_issue_id(id),
            body={"status": status},
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _issue(client, client._send(request, idempotent=True), "PATCH", ISSUE)

    def delete(
        self,
        id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> None:
        """``DELETE /issues/{id}``: delete the issue (``NotFoundError`` if there is none).

        A retried delete whose first attempt did reach the server answers 404.
        """
        client = self._client
        request = client._build_request(
            "DELETE",
            ISSUE,
            path_params=_issue_id(id),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        client._send(request).close()

    def results(
        self,
        id: str,
        *,
        version: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> IssueResults:
        """``GET /issues/{id}/results``: the investigation's results (``version``: that run's)."""
        client = self._client
        request = client._build_request(
            "GET",
            RESULTS,
            path_params=_issue_id(id),
            params=_version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _results(client, client._send(request), version)

    def wait_for_results(
        self,
        id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
    ) -> IssueResults:
        """Poll the issue until its latest investigation run finishes, then its results.

        Done when the latest run (``latestVersion`` in ``versions``) is ``SUCCESS``,
        ``NOOP`` or ``ERROR`` (see :attr:`Issue.investigation_done`); the results are
        that run's, with ``version``/``version_status`` set. Polls start every
        ``poll_interval`` seconds and back off by half each time up to
        ``max_poll_interval``; after ``timeout`` seconds,
        :class:`~pytest_antimetal.errors.InvestigationTimeoutError` names the last
        status seen. Sleeps and the clock are the ``retry_policy``'s (``sleep``,
        ``clock``), so tests never wait.
        """
        waiter = _Waiter(self._client, id, timeout, poll_interval, max_poll_interval)
        while True:
            issue = self.retrieve(id)
            delay = waiter.after_poll(issue)
            if delay is None:
                version, status = _results_version(issue)
                results = self.results(id, version=version)
                return _with_version(results, version, status)
            self._client.retry_policy.sleep(delay)


def _with_version(results: IssueResults, version: int | None, status: str | None) -> IssueResults:
    from dataclasses import replace

    return replace(results, version=version, version_status=status)


class AsyncIssues(AsyncAPIResource):
    """``client.issues`` of :class:`~pytest_antimetal.client.AsyncAntimetalClient`:
    the methods of :class:`Issues`, awaited (``list`` returns a page request that is
    awaited for the first page, or walked with ``async for``)."""

    async def create(
        self,
        *,
        title: str,
        description: str,
        environment: str,
        severity: str | None = None,
        triggered_at: str | datetime | None = None,
        context: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``POST /issues``; see :meth:`Issues.create`."""
        client = self._client
        request = _create_request(
            client,
            title=title,
            description=description,
            environment=environment,
            severity=severity,
            triggered_at=triggered_at,
            context=context,
            extra_headers=extra_headers,
            extra_body=extra_body,
            timeout=timeout,
        )
        return _issue(client, await client._send(request), "POST", ISSUES)

    def list(
        self,
        *,
        status: str | None = None,
        environment: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> AsyncPageRequest[IssueSummary]:
        """``GET /issues``; see :meth:`Issues.list`. ``await`` the result for the first
        page, or ``async for`` over it for every item of every page."""
        client = self._client
        params = _list_params(
            status=status,
            environment=environment,
            search=search,
            limit=limit,
            starting_after=starting_after,
            ending_before=ending_before,
        )

        async def fetch(params: Mapping[str, str]) -> AsyncPage[IssueSummary]:
            request = client._build_request(
                "GET",
                ISSUES,
                params=list(params.items()),
                extra_headers=extra_headers,
                timeout=timeout,
            )
            response = await client._send(request)
            return AsyncPage(fetch=fetch, **_page_fields(client, response, params))

        return AsyncPageRequest(lambda: fetch(params))

    async def retrieve(
        self,
        id: str,
        *,
        version: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``GET /issues/{id}``; see :meth:`Issues.retrieve`."""
        client = self._client
        request = client._build_request(
            "GET",
            ISSUE,
            path_params=_issue_id(id),
            params=_version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _issue(client, await client._send(request), "GET", ISSUE)

    async def retrieve_by_number(
        self,
        number: int,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``GET /issues/by_number/{number}``; see :meth:`Issues.retrieve_by_number`."""
        client = self._client
        request = client._build_request(
            "GET",
            BY_NUMBER,
            path_params=_number(number),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _issue(client, await client._send(request), "GET", BY_NUMBER)

    async def update(
        self,
        id: str,
        *,
        status: str,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> Issue:
        """``PATCH /issues/{id}``; see :meth:`Issues.update`."""
        client = self._client
        request = client._build_request(
            "PATCH",
            ISSUE,
            path_params=_issue_id(id),
            body={"status": status},
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _issue(client, await client._send(request, idempotent=True), "PATCH", ISSUE)

    async def delete(
        self,
        id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> None:
        """``DELETE /issues/{id}``; see :meth:`Issues.delete`."""
        client = self._client
        request = client._build_request(
            "DELETE",
            ISSUE,
            path_params=_issue_id(id),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        await (await client._send(request)).aclose()

    async def results(
        self,
        id: str,
        *,
        version: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> IssueResults:
        """``GET /issues/{id}/results``; see :meth:`Issues.results`."""
        client = self._client
        request = client._build_request(
            "GET",
            RESULTS,
            path_params=_issue_id(id),
            params=_version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return _results(client, await client._send(request), version)

    async def wait_for_results(
        self,
        id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
    ) -> IssueResults:
        """See :meth:`Issues.wait_for_results` (sleeps with ``retry_policy.async_sleep``)."""
        waiter = _Waiter(self._client, id, timeout, poll_interval, max_poll_interval)
        while True:
            issue = await self.retrieve(id)
            delay = waiter.after_poll(issue)
            if delay is None:
                version, status = _results_version(issue)
                results = await self.results(id, version=version)
                return _with_version(results, version, status)
            await self._client.retry_policy.async_sleep(delay)
