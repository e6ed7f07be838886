"""Sync and async clients for Antimetal's external API (``POST /issues``).

Usable without pytest::

    from pytest_antimetal.client import AntimetalClient

    with AntimetalClient() as client:  # key from ANTIMETAL_API_KEY
        issue = client.issues.create(title="Disk full", description="...", environment="prod")

Behaviour derives from the :class:`~pytest_antimetal.spec.Spec` (vendored by
default): the default base URL is its first server, ``Antimetal-Version`` is
pinned to its ``info.version``, and a 2xx body is checked against its response
schema. See :mod:`pytest_antimetal._retry` for the retry rules.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import httpx

from pytest_antimetal._retry import RetryDecision, RetryPolicy
from pytest_antimetal.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    MissingAPIKeyError,
    make_status_error,
    snippet,
)
from pytest_antimetal.models import Issue, format_timestamp
from pytest_antimetal.secrets import (
    API_KEY_ENV,
    APIKey,
    api_key_from_env,
    bearer,
    bearer_token,
    key_error_message,
    mask_secret,
    redact,
    redacted_headers,
)
from pytest_antimetal.target import BASE_URL_ENV, base_url_problem

if TYPE_CHECKING:
    from pytest_antimetal.spec import Operation, Spec

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "APIKey",
    "AntimetalClient",
    "AsyncAntimetalClient",
    "AsyncIssues",
    "Issue",
    "Issues",
    "RetryPolicy",
    "mask_secret",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
_ISSUES_PATH = "/issues"

_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)

logger = logging.getLogger("pytest_antimetal")


def _package_version() -> str:
    from pytest_antimetal import __version__

    return __version__


def _as_key(api_key: str | APIKey | None) -> APIKey | None:
    """A key given by a user, wrapped at once (``None``: read ``ANTIMETAL_API_KEY``)."""
    if api_key is None:
        return api_key_from_env()
    return api_key if isinstance(api_key, APIKey) else APIKey(api_key)


class _BaseClient(Generic[_HttpT]):
    """Configuration, request building, retry steps and response parsing of both clients.

    The subclasses add only what differs between sync and async: the httpx
    client they build, the send loop (``await`` or not) and closing.
    """

    _http: _HttpT
    _http_owned: bool

    def __init__(
        self,
        *,
        api_key: str | APIKey | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        http_client: _HttpT | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        retry_post_on_server_error: bool | None,
        retry_policy: RetryPolicy | None,
        spec: Spec | None,
    ) -> None:
        __tracebackhide__ = True  # a configuration error points at the caller's line
        # Rebound before anything can raise: no frame's argument or local holds the bare key,
        # even under --full-trace (where __tracebackhide__ does not apply).
        api_key = _as_key(api_key)
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        if spec is None:
            from pytest_antimetal.spec import vendored_spec

            spec = vendored_spec()
        self.spec: Spec = spec
        if not api_key:
            raise MissingAPIKeyError(
                f"no API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
            )
        message = key_error_message(api_key, f"api_key (or {API_KEY_ENV})")
        if message is not None:
            raise ValueError(message)
        self._api_key: APIKey = api_key
        url = base_url or os.environ.get(BASE_URL_ENV) or (spec.servers[0] if spec.servers else "")
        if not url:
            raise ValueError(
                f"no base URL: pass base_url=..., set {BASE_URL_ENV}, or use a spec with servers"
            )
        problem = base_url_problem(url)
        if problem is not None:  # told, never quoted: a query or userinfo may hold a secret
            raise ValueError(f"base_url {problem}")
        self.base_url: str = url.rstrip("/")
        policy = retry_policy or RetryPolicy()
        overrides: dict[str, Any] = {}
        if max_retries is not None:
            overrides["max_retries"] = max_retries
        if retry_post_on_server_error is not None:
            overrides["retry_post_on_server_error"] = retry_post_on_server_error
        if overrides:
            from dataclasses import replace

            policy = replace(policy, **overrides)
        self.retry_policy: RetryPolicy = policy
        self._operation: Operation | None = None
        self._operation_loaded = False
        self.timeout: httpx.Timeout = _resolve_timeout(timeout, http_client)
        self._http_owned = http_client is None
        self._transport = transport  # as given: with_options copies build on it
        self._http = self._make_http(transport) if http_client is None else http_client

    def _make_http(self, transport: Any) -> _HttpT:
        """An httpx client with this client's base URL, headers and timeout on *transport*."""
        raise NotImplementedError

    @property
    def http(self) -> _HttpT:
        """The underlying httpx client (``httpx.Client`` or ``httpx.AsyncClient``) for raw requests.

        When this client built it, its ``base_url`` and default headers
        (``Authorization`` included) are this client's, on copies from
        :meth:`with_options` too: ``client.http.post("/issues", json=...)``.
        An ``http_client`` passed in is returned as is.
        """
        return self._http

    def with_options(
        self,
        *,
        api_key: str | APIKey | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        retry_post_on_server_error: bool | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> Self:
        """A copy with some options changed.

        The copy gets its own httpx client with its base URL, key and timeout,
        on the same ``transport`` when one was given (closing the copy leaves a
        given transport open). A copy of a client given ``http_client`` uses that client.
        """
        __tracebackhide__ = True  # a configuration error points at the caller's line
        api_key = _as_key(api_key) if api_key is not None else None  # no bare key in this frame
        copy = type(self)(
            api_key=api_key or self._api_key,
            base_url=base_url or self.base_url,
            timeout=timeout if timeout is not None else self.timeout,
            max_retries=max_retries,
            http_client=self._http,
            transport=None,
            retry_post_on_server_error=retry_post_on_server_error,
            retry_policy=retry_policy or self.retry_policy,
            spec=self.spec,
        )
        if self._http_owned:
            copy._transport = self._transport
            copy._http = copy._make_http(self._transport)
            # A transport given to the original is shared: only the original closes it.
            copy._http_owned = self._transport is None
        return copy

    @property
    def api_key(self) -> APIKey:
        """The API key in use, masked when printed (``.get_secret_value()`` reads it)."""
        return self._api_key

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    @property
    def api_version(self) -> str:
        """The ``Antimetal-Version`` sent: the spec's ``info.version``."""
        return self.spec.version

    def default_headers(self) -> dict[str, str]:
        """Headers sent with every request (includes the key: do not log)."""
        return {
            "Authorization": bearer(self._api_key),
            "Antimetal-Version": self.api_version,
            "User-Agent": f"pytest-antimetal/{_package_version()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"api_key={str(self._api_key)!r}, max_retries={self.max_retries})"
        )

    __str__ = __repr__

    def _secrets(self, request: httpx.Request | None) -> list[APIKey]:
        """What errors must not show: the key, and the bearer token *request* really sent.

        Wrapped too, so a frame that holds the list shows masked keys only.
        """
        found = [self._api_key]
        if request is not None:
            found += _sent_token(request)
        return found

    def _create_operation(self) -> Operation | None:
        if not self._operation_loaded:
            from pytest_antimetal.spec import SpecError

            try:
                self._operation = self.spec.operation("post", _ISSUES_PATH)
            except SpecError:
                self._operation = None
            self._operation_loaded = True
        return self._operation

    def _create_request(
        self,
        *,
        title: str,
        description: str,
        environment: str,
        severity: str | None,
        triggered_at: str | datetime | None,
        context: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None,
        extra_body: Mapping[str, Any] | None,
        timeout: float | httpx.Timeout | None,
    ) -> httpx.Request:
        """The ``POST /issues`` request of ``issues.create`` (sync and async alike)."""
        body: dict[str, Any] = {
            "title": title,
            "description": description,
            "environment": environment,
        }
        if severity is not None:
            body["severity"] = severity
        if triggered_at is not None:
            body["triggeredAt"] = format_timestamp(triggered_at)
        if context is not None:
            body["context"] = dict(context)
        if extra_body:
            body.update(extra_body)
        try:
            content = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"request body is not JSON-serialisable: {exc}") from None
        return self._http.build_request(
            "POST",
            self.base_url + _ISSUES_PATH,
            content=content,
            headers={**self.default_headers(), **(extra_headers or {})},
            timeout=self.timeout if timeout is None else timeout,
        )

    def _log_request(self, request: httpx.Request, retries_taken: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "Request: %s %s (attempt %d) headers=%s",
                request.method,
                request.url,
                retries_taken + 1,
                redacted_headers(request.headers, self._secrets(request)),
            )

    def _next_step(
        self,
        request: httpx.Request,
        outcome: httpx.Response | httpx.TransportError,
        retries: int,
        started: float,
    ) -> httpx.Response | RetryDecision:
        """After one attempt: the response to return, or how long to wait before the next.

        Raises the client's error when the policy gives up. Shared by both send
        loops, which differ only in how they send, close and sleep.
        """
        policy = self.retry_policy
        if isinstance(outcome, httpx.TransportError):
            decision = policy.for_exception(request.method, outcome, retries)
            if not decision.retry:
                error = self._connection_error(outcome, request, retries + 1)
                # httpx's message may quote a header; then its traceback is not chained in
                # (and the message is no local of this frame).
                clean = redact(str(outcome), self._secrets(request)) == str(outcome)
                raise error from (outcome if clean else None)
        else:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "Response: %s %s -> %d (request_id=%s, %.3fs)",
                    request.method,
                    request.url,
                    outcome.status_code,
                    outcome.headers.get("x-request-id"),
                    time.monotonic() - started,
                )
            if outcome.is_success:
                return outcome
            decision = policy.for_response(request.method, outcome, retries)
            if not decision.retry:
                raise make_status_error(
                    outcome,
                    now=policy.now(),
                    attempts=retries + 1,
                    note=decision.note,
                    secrets=self._secrets(request),
                )
        logger.info(
            "Retrying %s %s in %.2fs (retry %d of %d): %s",
            request.method,
            request.url,
            decision.delay,
            retries + 1,
            policy.max_retries,
            decision.reason,
        )
        return decision

    def _connection_error(
        self, exc: httpx.TransportError, request: httpx.Request, attempts: int
    ) -> APIConnectionError:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        where = f"{request.method} {request.url}"
        secrets = self._secrets(request)
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"Request timed out: {where} ({detail})",
                request=request,
                attempts=attempts,
                secrets=secrets,
            )
        return APIConnectionError(
            f"Connection error: {where} ({detail})",
            request=request,
            attempts=attempts,
            secrets=secrets,
        )

    def _parse_issue(self, response: httpx.Response) -> Issue:
        secrets = self._secrets(response.request)
        try:
            body = response.json()
        except ValueError:
            raise APIResponseValidationError(
                f"response body is not JSON: {snippet(response.text, secrets)}",
                response=response,
                secrets=secrets,
            ) from None
        operation = self._create_operation()
        schema = operation.response_schema(operation.success_status) if operation else None
        try:
            # {} rather than None: a spec without a response schema checks nothing.
            return Issue.from_json(
                body, request_id=response.headers.get("x-request-id"), schema=schema or {}
            )
        except ValueError as exc:
            raise APIResponseValidationError(
                f"response does not match CreateIssueResponseDto: {exc}",
                response=response,
                secrets=secrets,
            ) from None


def _sent_token(request: httpx.Request) -> list[APIKey]:
    """The bearer token *request* carries, wrapped (this frame never raises)."""
    token = bearer_token(request.headers.get("authorization", ""))
    return [APIKey(token)] if token else []


def _resolve_timeout(
    timeout: float | httpx.Timeout | None, http_client: httpx.Client | httpx.AsyncClient | None
) -> httpx.Timeout:
    if timeout is not None:
        return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    if http_client is not None:
        return http_client.timeout
    return DEFAULT_TIMEOUT


_ClientT = TypeVar("_ClientT", bound="_BaseClient[Any]")


class _Resource(Generic[_ClientT]):
    def __init__(self, client: _ClientT) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"


class Issues(_Resource["AntimetalClient"]):
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
        request = client._create_request(
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
        return client._parse_issue(client._send(request))


class AsyncIssues(_Resource["AsyncAntimetalClient"]):
    """``client.issues`` of :class:`AsyncAntimetalClient`."""

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
        request = client._create_request(
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
        return client._parse_issue(await client._send(request))


class AntimetalClient(_BaseClient[httpx.Client]):
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
    ) -> None:
        __tracebackhide__ = True  # a configuration error points at the caller's line
        api_key = _as_key(api_key)  # before anything can raise: see _BaseClient.__init__
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
        )
        self.issues = Issues(self)

    def _make_http(self, transport: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers=self.default_headers(),
            timeout=self.timeout,
            transport=transport,
        )

    def _send(self, request: httpx.Request) -> httpx.Response:
        retries = 0
        while True:
            self._log_request(request, retries)
            started = time.monotonic()
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = self._http.send(request)
            except httpx.TransportError as exc:
                outcome = exc
            step = self._next_step(request, outcome, retries, started)
            if isinstance(step, httpx.Response):
                return step
            if isinstance(outcome, httpx.Response):
                outcome.close()
            self.retry_policy.sleep(step.delay)
            retries += 1

    def close(self) -> None:
        """Close the connection pool (unless ``http_client`` was passed in)."""
        if self._http_owned:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAntimetalClient(_BaseClient[httpx.AsyncClient]):
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
    ) -> None:
        __tracebackhide__ = True  # a configuration error points at the caller's line
        api_key = _as_key(api_key)  # before anything can raise: see _BaseClient.__init__
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
        )
        self.issues = AsyncIssues(self)

    def _make_http(self, transport: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=self.default_headers(),
            timeout=self.timeout,
            transport=transport,
        )

    async def _send(self, request: httpx.Request) -> httpx.Response:
        retries = 0
        while True:
            self._log_request(request, retries)
            started = time.monotonic()
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = await self._http.send(request)
            except httpx.TransportError as exc:
                outcome = exc
            step = self._next_step(request, outcome, retries, started)
            if isinstance(step, httpx.Response):
                return step
            if isinstance(outcome, httpx.Response):
                await outcome.aclose()
            await self.retry_policy.async_sleep(step.delay)
            retries += 1

    async def aclose(self) -> None:
        """Close the connection pool (unless ``http_client`` was passed in)."""
        if self._http_owned:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
