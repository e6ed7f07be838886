"""What both clients share: configuration, request building, the send loops, parsing.

:class:`SyncAPIClient` and :class:`AsyncAPIClient` differ only in how they send
(``await`` or not), close and sleep. How options resolve is
:mod:`pytest_antimetal._options`'s; what one attempt's outcome leads to,
:mod:`pytest_antimetal._attempt`'s. The resources (:mod:`pytest_antimetal.resources`)
build their requests and parse their answers with the helpers of :class:`_BaseClient`,
so the sync and async methods of a resource share everything but the send.

Every answer is checked against the run's spec: the response schema of the
operation's documented success status. An operation the run's spec lacks (an older
vendored document) is sent all the same, its answer checked for nothing beyond
being JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar
from urllib.parse import quote

import httpx

from pytest_antimetal._attempt import log_request, next_step
from pytest_antimetal._context import OnAsyncExit, OnExit
from pytest_antimetal._options import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    as_key,
    checked_key,
    package_version,
    resolve_base_url,
    resolve_policy,
    resolve_timeout,
)
from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.errors import APIResponseValidationError, snippet
from pytest_antimetal.secrets import APIKey, bearer, bearer_token

if TYPE_CHECKING:
    from pytest_antimetal.spec import Operation, Spec

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AsyncAPIClient",
    "SyncAPIClient",
]

_HttpT = TypeVar("_HttpT", httpx.Client, httpx.AsyncClient)
_ModelT = TypeVar("_ModelT")


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
        api_version: str | None = None,
    ) -> None:
        __tracebackhide__ = True  # a configuration error points at the caller's line
        # Rebound before anything can raise: no frame's argument or local holds the bare key,
        # even under --full-trace (where __tracebackhide__ does not apply).
        api_key = as_key(api_key)
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        if spec is None:
            from pytest_antimetal.spec import vendored_spec

            spec = vendored_spec()
        self.spec: Spec = spec
        self._api_key: APIKey = checked_key(api_key)
        self.base_url: str = resolve_base_url(base_url, spec)
        self.retry_policy: RetryPolicy = resolve_policy(
            retry_policy, max_retries, retry_post_on_server_error
        )
        self._api_version = api_version
        # (method, path template) -> the run's spec's operation, None when it has none.
        self._operations: dict[tuple[str, str], Operation | None] = {}
        self.timeout: httpx.Timeout = resolve_timeout(timeout, http_client)
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
        api_version: str | None = None,
    ) -> Self:
        """A copy with some options changed.

        The copy gets its own httpx client with its base URL, key and timeout,
        on the same ``transport`` when one was given (closing the copy leaves a
        given transport open). A copy of a client given ``http_client`` uses that client.
        """
        __tracebackhide__ = True  # a configuration error points at the caller's line
        api_key = as_key(api_key) if api_key is not None else None  # no bare key in this frame
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
            api_version=api_version or self._api_version,
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
        """The ``Antimetal-Version`` sent: ``api_version=``, else the spec's ``info.version``."""
        return self._api_version or self.spec.version

    def default_headers(self) -> dict[str, str]:
        """Headers sent with every request (includes the key: do not log)."""
        return {
            "Authorization": bearer(self._api_key),
            "Antimetal-Version": self.api_version,
            "User-Agent": f"pytest-antimetal/{package_version()}",
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

    # --- requests and answers, shared by every resource (sync and async) ---------------

    def _operation(self, method: str, path: str) -> Operation | None:
        """The run's spec's operation at *method* *path* (a template), cached; else ``None``."""
        key = (method.lower(), path)
        if key not in self._operations:
            from pytest_antimetal.spec import SpecError

            try:
                self._operations[key] = self.spec.operation(method, path)
            except SpecError:
                self._operations[key] = None
        return self._operations[key]

    def _response_schema(self, method: str, path: str) -> dict[str, Any]:
        """The schema of *method* *path*'s success answer in the spec; ``{}``: check nothing."""
        operation = self._operation(method, path)
        if operation is None:
            return {}
        from pytest_antimetal.spec import SpecError

        try:
            return operation.response_schema(operation.success_status) or {}
        except SpecError:
            return {}

    def _build_request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str | int] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | None = None,
        accept: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> httpx.Request:
        """One request of *method* *path* (a template such as ``/issues/{id}``).

        Path parameters are percent-encoded whole (an id holding ``/`` or ``..`` cannot
        reach another path); ``params`` may repeat a name (``id=a&id=b``).
        """
        url_path = path
        for name, value in (path_params or {}).items():
            text = str(value)
            if not text:
                raise ValueError(f"{name} must not be empty")
            url_path = url_path.replace("{" + name + "}", quote(text, safe=""))
        headers = self.default_headers()
        content: bytes | None = None
        if body is not None:
            try:
                content = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise TypeError(f"request body is not JSON-serialisable: {exc}") from None
        if accept is not None:
            headers["Accept"] = accept
        return self._http.build_request(
            method,
            self.base_url + url_path,
            params=list(params) if params else None,
            content=content,
            headers={**headers, **(extra_headers or {})},
            timeout=self.timeout if timeout is None else timeout,
        )

    def _json(self, response: httpx.Response) -> Any:
        """The answer's JSON; :class:`APIResponseValidationError` when it is not JSON."""
        try:
            return response.json()
        except ValueError:
            secrets = self._secrets(response.request)
            raise APIResponseValidationError(
                f"response body is not JSON: {snippet(response.text, secrets)}",
                response=response,
                secrets=secrets,
            ) from None

    def _parse(
        self,
        response: httpx.Response,
        what: str,
        build: Callable[[Any], _ModelT],
    ) -> _ModelT:
        """``build(body)`` of the answer's JSON; a :class:`ValueError` from it (the body
        does not match the schema) becomes :class:`APIResponseValidationError` naming *what*."""
        body = self._json(response)
        try:
            return build(body)
        except ValueError as exc:
            secrets = self._secrets(response.request)
            raise APIResponseValidationError(
                f"response does not match {what}: {exc}", response=response, secrets=secrets
            ) from None


def _sent_token(request: httpx.Request) -> list[APIKey]:
    """The bearer token *request* carries, wrapped (this frame never raises)."""
    token = bearer_token(request.headers.get("authorization", ""))
    return [APIKey(token)] if token else []


class SyncAPIClient(_BaseClient[httpx.Client], OnExit):
    """The sync send loop, closing and context management (``AntimetalClient``'s base)."""

    def _make_http(self, transport: Any) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers=self.default_headers(),
            timeout=self.timeout,
            transport=transport,
        )

    def _send(
        self, request: httpx.Request, *, idempotent: bool | None = None, stream: bool = False
    ) -> httpx.Response:
        """Send with retries; the 2xx answer, else the client's error.

        ``stream=True`` leaves a 2xx body unread (the caller closes the response).
        """
        retries = 0
        while True:
            log_request(request, retries, self._secrets)
            started = time.monotonic()
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = self._http.send(request, stream=stream)
                if stream and not outcome.is_success:
                    outcome.read()  # the error is built from the body
            except httpx.TransportError as exc:
                outcome = exc
            step = next_step(
                self.retry_policy,
                request,
                outcome,
                retries=retries,
                started=started,
                secrets=self._secrets,
                idempotent=idempotent,
            )
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

    def _on_exit(self) -> None:
        self.close()


class AsyncAPIClient(_BaseClient[httpx.AsyncClient], OnAsyncExit):
    """The async send loop, closing and context management (``AsyncAntimetalClient``'s base)."""

    def _make_http(self, transport: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=self.default_headers(),
            timeout=self.timeout,
            transport=transport,
        )

    async def _send(
        self, request: httpx.Request, *, idempotent: bool | None = None, stream: bool = False
    ) -> httpx.Response:
        """See :meth:`SyncAPIClient._send`."""
        retries = 0
        while True:
            log_request(request, retries, self._secrets)
            started = time.monotonic()
            outcome: httpx.Response | httpx.TransportError
            try:
                outcome = await self._http.send(request, stream=stream)
                if stream and not outcome.is_success:
                    await outcome.aread()
            except httpx.TransportError as exc:
                outcome = exc
            step = next_step(
                self.retry_policy,
                request,
                outcome,
                retries=retries,
                started=started,
                secrets=self._secrets,
                idempotent=idempotent,
            )
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

    async def _on_exit(self) -> None:
        await self.aclose()
