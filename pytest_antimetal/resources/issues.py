"""``client.issues``: the ``/issues`` operations, sync (:class:`Issues`) and async
(:class:`AsyncIssues`).

The two classes have the same methods and signatures; each method builds its
request and parses its answer with the shared, I/O-free helpers of
:mod:`~pytest_antimetal.resources._issue_wire`, so they differ only in ``await``
(they stay side by side here, like every resource's pair, so the mirror is read at
a glance). Retries: ``GET`` and ``DELETE`` are retried after a 5xx or a
connection failure, and so is ``update`` (``PATCH`` of an absolute status: sending
it twice leaves the same state); ``create`` (``POST``) keeps the rule of
:mod:`pytest_antimetal._retry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

import pytest_antimetal.resources._issue_wire as wire
from pytest_antimetal.models import Issue, IssueResults, IssueSummary
from pytest_antimetal.pagination import AsyncPage, AsyncPageRequest, SyncPage
from pytest_antimetal.resources._resource import AsyncAPIResource, SyncAPIResource

__all__ = ["AsyncIssues", "Issues"]


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
        request = wire.create_request(
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
        return wire.issue(client, client._send(request), "POST", wire.ISSUES)

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
        params = wire.list_params(
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
                wire.ISSUES,
                params=list(params.items()),
                extra_headers=extra_headers,
                timeout=timeout,
            )
            return SyncPage(fetch=fetch, **wire.page_fields(client, client._send(request), params))

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
            wire.ISSUE,
            path_params=wire.issue_id(id),
            params=wire.version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.issue(client, client._send(request), "GET", wire.ISSUE)

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
            wire.BY_NUMBER,
            path_params=wire.number(number),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.issue(client, client._send(request), "GET", wire.BY_NUMBER)

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
            wire.ISSUE,
            path_params=wire.issue_id(id),
            body={"status": status},
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.issue(client, client._send(request, idempotent=True), "PATCH", wire.ISSUE)

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
            wire.ISSUE,
            path_params=wire.issue_id(id),
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
            wire.RESULTS,
            path_params=wire.issue_id(id),
            params=wire.version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.results(client, client._send(request), version)

    def wait_for_results(
        self,
        id: str,
        *,
        timeout: float = wire.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = wire.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = wire.DEFAULT_MAX_POLL_INTERVAL,
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
        waiter = wire.Waiter(self._client, id, timeout, poll_interval, max_poll_interval)
        while True:
            issue = self.retrieve(id)
            delay = waiter.after_poll(issue)
            if delay is None:
                version, status = wire.results_version(issue)
                results = self.results(id, version=version)
                return wire.with_version(results, version, status)
            self._client.retry_policy.sleep(delay)


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
        request = wire.create_request(
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
        return wire.issue(client, await client._send(request), "POST", wire.ISSUES)

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
        params = wire.list_params(
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
                wire.ISSUES,
                params=list(params.items()),
                extra_headers=extra_headers,
                timeout=timeout,
            )
            response = await client._send(request)
            return AsyncPage(fetch=fetch, **wire.page_fields(client, response, params))

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
            wire.ISSUE,
            path_params=wire.issue_id(id),
            params=wire.version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.issue(client, await client._send(request), "GET", wire.ISSUE)

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
            wire.BY_NUMBER,
            path_params=wire.number(number),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.issue(client, await client._send(request), "GET", wire.BY_NUMBER)

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
            wire.ISSUE,
            path_params=wire.issue_id(id),
            body={"status": status},
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.issue(client, await client._send(request, idempotent=True), "PATCH", wire.ISSUE)

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
            wire.ISSUE,
            path_params=wire.issue_id(id),
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
            wire.RESULTS,
            path_params=wire.issue_id(id),
            params=wire.version_params(version),
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return wire.results(client, await client._send(request), version)

    async def wait_for_results(
        self,
        id: str,
        *,
        timeout: float = wire.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = wire.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = wire.DEFAULT_MAX_POLL_INTERVAL,
    ) -> IssueResults:
        """See :meth:`Issues.wait_for_results` (sleeps with ``retry_policy.async_sleep``)."""
        waiter = wire.Waiter(self._client, id, timeout, poll_interval, max_poll_interval)
        while True:
            issue = await self.retrieve(id)
            delay = waiter.after_poll(issue)
            if delay is None:
                version, status = wire.results_version(issue)
                results = await self.results(id, version=version)
                return wire.with_version(results, version, status)
            await self._client.retry_policy.async_sleep(delay)
