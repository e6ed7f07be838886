"""Sync and async clients for Antimetal's external API (all nine operations).

Usable without pytest::

    from pytest_antimetal.client import AntimetalClient

    with AntimetalClient() as client:  # key from ANTIMETAL_API_KEY
        issue = client.issues.create(title="Disk full", description="...", environment="prod")
        results = client.issues.wait_for_results(issue.uuid, timeout=600)
        artifacts = client.artifacts.retrieve(results.evidence_document_ids)

Behaviour derives from the :class:`~pytest_antimetal.spec.Spec` (vendored by
default): the default base URL is its first server, ``Antimetal-Version`` is
pinned to its ``info.version``, and a 2xx body is checked against its response
schema. See :mod:`pytest_antimetal._retry` for the retry rules, and
:mod:`pytest_antimetal.resources` for the resources (one module each).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from pytest_antimetal._base_client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AsyncAPIClient,
    SyncAPIClient,
)
from pytest_antimetal._options import as_key
from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.models import Issue
from pytest_antimetal.resources import (
    Artifacts,
    AsyncArtifacts,
    AsyncIssues,
    AsyncQuery,
    Issues,
    Query,
)
from pytest_antimetal.secrets import API_KEY_ENV, APIKey, mask_secret
from pytest_antimetal.target import BASE_URL_ENV

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIKey",
    "AntimetalClient",
    "Artifacts",
    "AsyncAntimetalClient",
    "AsyncArtifacts",
    "AsyncIssues",
    "AsyncQuery",
    "Issue",
    "Issues",
    "Query",
    "RetryPolicy",
    "mask_secret",
]


class AntimetalClient(SyncAPIClient):
    """Synchronous client.

    Keyword-only configuration, each with a fallback:

    * ``api_key``: else ``ANTIMETAL_API_KEY``; neither -> :class:`MissingAPIKeyError`.
    * ``base_url``: else ``ANTIMETAL_BASE_URL``, else the spec's first server.
    * ``timeout``: seconds or an ``httpx.Timeout``; default 30 s (10 s to connect),
      or the ``http_client``'s own.
    * ``max_retries``: default 2 (3 attempts); overrides ``retry_policy.max_retries``.
    * ``http_client``: an ``httpx.Client`` used as is (not closed by :meth:`close`),
      or ``transport``: an httpx transport (e.g. ``FakeAntimetal().transport``).
    * ``retry_post_on_server_error``: also retry ``POST`` after a 5xx or a
      timeout. Off by default: the API has no idempotency key, so a retried
      create can duplicate an issue.
    * ``retry_policy``: a :class:`RetryPolicy` (inject ``sleep``/``random``/``now`` in tests).
    * ``spec``: the :class:`Spec` to follow (default: the vendored one).
    * ``api_version``: the ``Antimetal-Version`` to send (default: the spec's ``info.version``).

    Resources: ``issues`` (create, list, retrieve, retrieve_by_number, update, delete,
    results, wait_for_results), ``artifacts`` (retrieve) and ``query`` (create, stream).

    Error messages never show the key, even when a server or proxy echoes it.
    """

    # The signature is spelled out (not inherited) so that help() and type checkers show
    # the sync httpx types; the body is _BaseClient.__init__.
    def __init__(
        self,
        *,
        api_key: str | APIKey | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_post_on_server_error: bool | None = None,
        retry_policy: RetryPolicy | None = None,
        spec: Spec | None = None,
        api_version: str | None = None,
    ) -> None:
        __tracebackhide__ = True  # a configuration error points at the caller's line
        api_key = as_key(api_key)  # before anything can raise: see _BaseClient.__init__
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
            retry_post_on_server_error=retry_post_on_server_error,
            retry_policy=retry_policy,
            spec=spec,
            api_version=api_version,
        )
        self.issues = Issues(self)
        self.artifacts = Artifacts(self)
        self.query = Query(self)


class AsyncAntimetalClient(AsyncAPIClient):
    """Asynchronous client: the same configuration and surface as
    :class:`AntimetalClient`, with ``await`` and ``async with``/``aclose()``."""

    # Spelled out for the async httpx types; the body is _BaseClient.__init__.
    def __init__(
        self,
        *,
        api_key: str | APIKey | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_post_on_server_error: bool | None = None,
        retry_policy: RetryPolicy | None = None,
        spec: Spec | None = None,
        api_version: str | None = None,
    ) -> None:
        __tracebackhide__ = True  # a configuration error points at the caller's line
        api_key = as_key(api_key)  # before anything can raise: see _BaseClient.__init__
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            transport=transport,
            retry_post_on_server_error=retry_post_on_server_error,
            retry_policy=retry_policy,
            spec=spec,
            api_version=api_version,
        )
        self.issues = AsyncIssues(self)
        self.artifacts = AsyncArtifacts(self)
        self.query = AsyncQuery(self)
