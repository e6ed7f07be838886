"""The fake's core: routing, keys, faults and limits around its operations.

:meth:`FakeAntimetal.handle` turns (method, URL, headers, body) into a
:class:`~pytest_antimetal.fake.handler.FakeResponse`. It routes, authenticates
(``keys``), rate-limits (``rate_limit``) and injects faults (``faults``) here,
with ids from ``ids``; each operation (``operations``) reads its
request (``requests``), changes what the fake keeps (``store``) and builds its
answer (``responses``). The adapters (httpx transport, ASGI app, loopback
server, CLI) depend on the small ``handler.Handler`` protocol only;
:attr:`FakeAntimetal.transport` and :attr:`FakeAntimetal.asgi_app` are
conveniences that build them on first use.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_antimetal.fake import responses
from pytest_antimetal.fake.agent import Agent
from pytest_antimetal.fake.artifacts import Artifacts
from pytest_antimetal.fake.clock import FakeClock
from pytest_antimetal.fake.faults import Fault, Faults
from pytest_antimetal.fake.handler import FakeResponse
from pytest_antimetal.fake.ids import Ids
from pytest_antimetal.fake.investigations import (
    DEFAULT_INVESTIGATION_SECONDS,
    InvestigationMode,
    Investigations,
)
from pytest_antimetal.fake.keys import DEFAULT_FAKE_API_KEY, Keys
from pytest_antimetal.fake.operations import FakeRequest, Outcome, Services
from pytest_antimetal.fake.rate_limit import RateLimit
from pytest_antimetal.fake.requests import MAX_JSON_DEPTH, split_target
from pytest_antimetal.fake.responses import error_kind
from pytest_antimetal.fake.routing import ParameterError
from pytest_antimetal.fake.served import OperationKey as _OperationKey
from pytest_antimetal.fake.served import ServedOperations
from pytest_antimetal.fake.store import DEFAULT_MAX_STORED_BYTES, RecordedRequest, Store
from pytest_antimetal.secrets import APIKey, redacted_headers
from pytest_antimetal.spec.formats import format_instant
from pytest_antimetal.spec.minimal import minimal_value

if TYPE_CHECKING:
    from pytest_antimetal.fake.asgi import ASGIApp
    from pytest_antimetal.fake.transport import FakeTransport
    from pytest_antimetal.spec import Spec

__all__ = [
    "DEFAULT_FAKE_API_KEY",
    "DEFAULT_INVESTIGATION_SECONDS",
    "DEFAULT_MAX_STORED_BYTES",
    "MAX_JSON_DEPTH",
    "FakeAntimetal",
    "FakeResponse",
    "RecordedRequest",
]

logger = logging.getLogger("pytest_antimetal.fake")


class FakeAntimetal:
    """An embedded, stateful fake of Antimetal's API, driven by the spec it is given.

    It serves every operation of its document that it implements (all nine of
    the vendor's whole document: issues, their investigations' results,
    artifacts and the agent), routed by the document's path templates under
    every server's base path, each with its path and query parameters
    validated. State is per organisation (one per API key; see
    :meth:`add_key`).

    *max_stored_bytes* caps what the fake keeps, :attr:`requests` and
    :attr:`issues` together, by :attr:`stored_bytes`: past it the oldest
    entries (either kind) are dropped; numbering and uniqueness are unaffected.
    ``None`` keeps everything. *max_recorded* also caps :attr:`requests` to the
    latest N; ``None`` (the default) counts bytes only.

    *clock* is the time source (a :class:`FakeClock` is used as is; another
    callable, or the wall clock by default, becomes its base); :attr:`clock`
    can be advanced. A *seed* makes every generated id and text a function of
    it; with a clock that stands still (``clock=FakeClock.seeded(seed)``) every
    timestamp is too. *investigation* says how a new issue's investigation ends:
    ``"instant"``, ``"manual"`` or after that many seconds of the clock
    (default :data:`DEFAULT_INVESTIGATION_SECONDS`).

    A plain object, usable without pytest: inspect :attr:`issues` and
    :attr:`requests`; drive :attr:`clock`, :attr:`investigations`,
    :attr:`artifacts` and :attr:`agent`; inject faults with :meth:`fail_next`
    (per operation if wanted), add latency (:attr:`latency`,
    :meth:`set_latency`), set a rate limit, and :meth:`reset`. Thread-safe:
    the loopback server and in-process clients may share one fake.
    """

    def __init__(
        self,
        *,
        spec: Spec | None = None,
        api_keys: Iterable[str | APIKey] | None = None,
        forbidden_keys: Iterable[str | APIKey] = (),
        seed: int | None = None,
        clock: Callable[[], datetime] | None = None,
        investigation: InvestigationMode = DEFAULT_INVESTIGATION_SECONDS,
        max_body_bytes: int = 1_048_576,
        max_recorded: int | None = None,
        max_stored_bytes: int | None = DEFAULT_MAX_STORED_BYTES,
    ) -> None:
        if spec is None:
            from pytest_antimetal.spec import vendored_spec

            spec = vendored_spec()
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if max_stored_bytes is not None and max_stored_bytes < 1:
            raise ValueError("max_stored_bytes must be positive (or None: no cap)")
        self.spec = spec
        self.seed = seed
        self._ids = Ids(seed)
        self.max_body_bytes = max_body_bytes
        # A long-running server (the CLI) keeps only the latest requests.
        self._store = Store(max_stored_bytes=max_stored_bytes, max_recorded=max_recorded)
        self.latency: float = 0.0
        # Seeded or not, the default clock is the wall clock (a seed fixes ids and texts;
        # a frozen clock, FakeClock.seeded(seed), fixes the timestamps too).
        self.clock = clock if isinstance(clock, FakeClock) else FakeClock(clock)
        self._clock: Callable[[], datetime] = self.clock
        self._faults = Faults()
        self._rate_limit = RateLimit(self.clock)
        self.investigations = Investigations(
            spec,
            self._store,
            clock=self.clock,
            new_uuid=self._new_uuid,
            seed=seed,
            mode=investigation,
        )
        """Drive investigations: ``complete``, ``fail``, ``noop``, ``rerun``, ``mode``."""
        self.artifacts = Artifacts(self.investigations, clock=self.clock, seed=seed)
        """Seed artifacts for ``GET /artifacts``: ``add``."""
        self.agent = Agent(new_uuid=self._new_uuid, seed=seed)
        """Script ``POST /query``: ``reply``."""
        services = Services(
            self._store, self.investigations, self.artifacts, self.agent, self.now, self._new_uuid
        )
        served = ServedOperations(spec, services)
        self._served = served
        self._operations = served.handlers
        self._parameters = served.parameters
        self._no_400 = served.no_400
        self._allow = served.allow
        self._router = served.router
        self._latencies: dict[_OperationKey, float] = {}
        servers = spec.servers
        self.base_url: str = servers[0].rstrip("/") if servers else "https://antimetal.fake"
        """The spec's first server URL: what an in-process client should use."""
        self._lock = threading.Lock()
        self._keys = Keys()
        for api_key in (DEFAULT_FAKE_API_KEY,) if api_keys is None else api_keys:
            self.add_key(api_key)
        for api_key in forbidden_keys:
            self.add_key(api_key, forbidden=True)
        self._transport: FakeTransport | None = None
        self._asgi: ASGIApp | None = None
        self._reset_state()

    def __repr__(self) -> str:
        store = self._store
        return f"FakeAntimetal(issues={len(store.issues)}, requests={len(store.requests)})"

    @property
    def max_stored_bytes(self) -> int | None:
        """The cap on :attr:`stored_bytes` (``None``: none)."""
        return self._store.max_stored_bytes

    @max_stored_bytes.setter
    def max_stored_bytes(self, value: int | None) -> None:
        self._store.max_stored_bytes = value

    @property
    def max_recorded(self) -> int | None:
        """The cap on how many :attr:`requests` are kept (``None``: none)."""
        return self._store.max_recorded

    @max_recorded.setter
    def max_recorded(self, value: int | None) -> None:
        self._store.max_recorded = value

    # -- control ---------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._faults.clear()
        self._rate_limit.set(None)
        self.latency = 0.0
        self._latencies.clear()
        self._ids.reset(self.seed)

    def reset(self) -> None:
        """Forget issues, requests, faults, latency, the rate limit, seeded artifacts and
        scripted agent replies.

        Keys, the seed, the clock and the investigation mode stay; numbering and
        seeded sequences restart.
        """
        with self._lock:
            self._reset_state()
        self._store.clear()
        self.investigations.clear()
        self.artifacts.clear()
        self.agent.clear()

    def add_key(
        self, key: str | APIKey, *, organization: str = "default", forbidden: bool = False
    ) -> None:
        """Accept *key*; a *forbidden* key authenticates but may not create issues (403)."""
        self._keys.add(key, organization=organization, forbidden=forbidden)

    @property
    def api_key(self) -> str:
        """The first key that may create issues (what a client should send)."""
        return self._keys.first_allowed()

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        retry_after: float | None = None,
        operation: str | None = None,
    ) -> None:
        """Answer the next *n* requests with *status* and an ``api_error`` body.

        *operation* (an ``operationId`` such as ``"getIssue"``, or ``"GET /issues/{id}"``)
        limits the fault to that operation's requests; otherwise any request takes it.
        *retry_after* (seconds) adds ``Retry-After``; a 429 always carries one.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        key = None if operation is None else self._operation_key(operation)
        if n:
            self._faults.add(Fault(n, status, retry_after, key))

    def set_latency(self, seconds: float, *, operation: str | None = None) -> None:
        """Wait *seconds* before answering *operation* (an ``operationId`` or ``"GET /path"``);
        without one, before every answer (:attr:`latency`). ``0`` removes it."""
        if not seconds >= 0:
            raise ValueError("seconds must be >= 0")
        if operation is None:
            self.latency = float(seconds)
            return
        key = self._operation_key(operation)
        with self._lock:
            if seconds:
                self._latencies[key] = float(seconds)
            else:
                self._latencies.pop(key, None)

    @property
    def operations(self) -> list[str]:
        """The operations this fake serves (``"GET /issues/{id}"``), in document order."""
        return [f"{method} {path}" for method, path in self._operations]

    def _operation_key(self, name: str) -> _OperationKey:
        return self._served.key(name)

    def set_rate_limit(self, limit: int | None, per: float = 1.0) -> None:
        """Allow *limit* requests per key per *per* seconds (by the clock); ``None``: off."""
        if limit is not None and (limit < 1 or per <= 0):
            raise ValueError("limit must be >= 1 and per > 0")
        self._rate_limit.set(limit, per)

    # -- inspection ------------------------------------------------------------------------

    @property
    def issues(self) -> list[dict[str, Any]]:
        """The kept issues, oldest first, as ``GET /issues/{id}`` shows them (copies).

        Deleted ones are left out. With a document that has no ``GET /issues/{id}``,
        each is its ``201`` body (as it is now).
        """
        self.investigations.settle()
        store = self._store
        with store.lock:
            view = self.investigations.view
            return [view(record) for record in store.issues if not record.deleted]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order, ``Authorization`` redacted.

        The latest ones only, once :attr:`stored_bytes` reached ``max_stored_bytes``
        (or their number ``max_recorded``).
        """
        store = self._store
        with store.lock:
            return list(store.requests)

    @property
    def stored_bytes(self) -> int:
        """What the kept requests and issues count against ``max_stored_bytes``.

        Their bodies (a parsed JSON body once more), header names and values,
        path, and a fixed allowance per entry for the Python objects behind it.
        """
        store = self._store
        with store.lock:
            return store.stored

    def error_response(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> FakeResponse:
        """An ``ErrorResponseDto`` answer with a new request id, for a request refused
        before :meth:`handle` (the loopback server's limits). Nothing is recorded."""
        request_id = self._ids.request_id()
        return responses.error(status, error_kind(status), message, request_id, headers=headers)

    @property
    def transport(self) -> FakeTransport:
        """An ``httpx.MockTransport`` over this fake (sync and async clients)."""
        if self._transport is None:
            from pytest_antimetal.fake.transport import FakeTransport

            self._transport = FakeTransport(self)
        return self._transport

    @property
    def asgi_app(self) -> ASGIApp:
        """An ASGI 3 application over this fake."""
        if self._asgi is None:
            from pytest_antimetal.fake.asgi import ASGIApp

            self._asgi = ASGIApp(self)
        return self._asgi

    def now(self) -> str:
        """The clock's current instant in wire form."""
        return format_instant(self._clock())

    # -- the core --------------------------------------------------------------------------

    def _new_uuid(self) -> str:
        return self._ids.uuid()

    def handle(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        """Answer one request. Never raises: an unexpected error becomes a JSON 500.

        *url_or_path* is a full URL (its path is taken and percent-decoded, its
        query read) or a bare, already-decoded path, routed as is: no query or
        fragment split.
        """
        request_id = self._ids.request_id()
        path = url_or_path
        lowered: dict[str, str] = {}
        parsed: Any = None
        parsed_size = 0
        try:
            method = method.upper()
            path, query = split_target(url_or_path)
            lowered = {str(k).lower(): str(v) for k, v in headers.items()}
            self.investigations.settle()
            response, parsed, parsed_size = self._answer(
                method, (path, query), lowered, body, request_id
            )
        except Exception:
            # A bug in the fake must still answer JSON, never drop the connection.
            logger.exception("pytest-antimetal fake: unexpected error (request %s)", request_id)
            response = responses.error(500, "api_error", "internal error in the fake", request_id)
        recorded = redacted_headers(lowered)  # credentials masked (secrets.CREDENTIAL_HEADERS)
        raw = body if isinstance(body, bytes) else bytes(body)
        size = len(path) + len(raw) + parsed_size
        size += sum(map(len, lowered)) + sum(map(len, lowered.values()))
        record = RecordedRequest(method, path, recorded, raw, parsed, response.status, request_id)
        self._store.record(record, size)
        return response

    def _answer(
        self,
        method: str,
        target: tuple[str, str],
        headers: dict[str, str],
        body: bytes,
        request_id: str,
    ) -> Outcome:
        """Route, authenticate, rate-limit and read the parameters; then the operation answers."""
        error = responses.error
        path, query = target
        routed = self._router.match(path)
        documented = None if routed is None else routed[0]
        key = None if documented is None else (method, documented)
        operation = None if key is None else self._operations.get(key)
        fault = self._faults.take(key if operation is not None else None)
        if fault is not None:
            return responses.fault(fault.status, fault.retry_after, request_id), None, 0
        if routed is None or documented is None or key is None:
            return (
                error(404, "invalid_request_error", f"no route for {path[:200]}", request_id),
                None,
                0,
            )
        if operation is None:
            allowed = self._allow[documented]
            message = f"method {method[:20]} not allowed on {documented} (allowed: {allowed})"
            headers_out = {"allow": allowed}
            return (
                error(405, "invalid_request_error", message, request_id, headers=headers_out),
                None,
                0,
            )

        key_or_error = self._keys.authenticate(headers, request_id)
        if isinstance(key_or_error, FakeResponse):
            return key_or_error, None, 0
        api_key, organization = key_or_error

        wait = self._rate_limit.wait(api_key)
        if wait is not None:
            message = f"rate limit exceeded; retry after {wait} s"
            retry = {"retry-after": str(wait)}
            return error(429, "api_error", message, request_id, headers=retry), None, 0
        try:
            path_values, query_values = self._parameters[key].read(routed[1], query)
        except ParameterError as exc:
            status = 404 if key in self._no_400 else 400
            answer = error(
                status, "invalid_request_error", str(exc), request_id, details=exc.details
            )
            return answer, None, 0
        request = FakeRequest(
            organization, headers, body, request_id, self.max_body_bytes, path_values, query_values
        )
        response, parsed, size = operation(request)
        delay = self._latencies.get(key)
        if delay:
            response = dataclasses.replace(response, delay=delay)
        return response, parsed, size

    def _minimal(self, node: Mapping[str, Any], now: str) -> Any:
        """A small value valid against *node*, for a required field the fake cannot know."""
        return minimal_value(node, now=now, new_uuid=self._new_uuid)
