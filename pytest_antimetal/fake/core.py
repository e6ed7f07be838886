"""The fake's one core: state, routing and responses for ``POST /issues``.

:meth:`FakeAntimetal.handle` turns (method, URL, headers, body) into a
:class:`FakeResponse`; the httpx transport, the ASGI app and the CLI are thin
adapters over it. Validation, statuses and bodies derive from the spec.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pytest_antimetal.content_coding import ContentCodingError, decode_content
from pytest_antimetal.secrets import APIKey, bearer_token, redacted_headers
from pytest_antimetal.spec.facts import documented_default
from pytest_antimetal.spec.formats import format_instant, normalise_timestamp
from pytest_antimetal.spec.minimal import minimal_value
from pytest_antimetal.spec.validation import RequestValidator

if TYPE_CHECKING:
    from pytest_antimetal.fake.asgi import ASGIApp
    from pytest_antimetal.fake.transport import FakeTransport
    from pytest_antimetal.spec import Spec

__all__ = [
    "DEFAULT_FAKE_API_KEY",
    "DEFAULT_MAX_STORED_BYTES",
    "MAX_JSON_DEPTH",
    "FakeAntimetal",
    "FakeResponse",
    "RecordedRequest",
]

logger = logging.getLogger("pytest_antimetal.fake")

DEFAULT_FAKE_API_KEY = "am-fake-key-0000000000000000"
"""The key a default :class:`FakeAntimetal` accepts (not a secret: it only opens the fake)."""

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays/objects the fake parses; deeper bodies get a 400."""

DEFAULT_MAX_STORED_BYTES = 64 * 1024 * 1024
"""What a fake keeps (recorded requests and issues) by default, in bytes of its own accounting."""

# The Python objects behind one entry beyond its counted bytes (measured with
# tracemalloc: a small recorded request, a small issue), so that many small
# entries count too.
_REQUEST_OVERHEAD = 1024
_ISSUE_OVERHEAD = 1024

_IMPLEMENTED = {("POST", "/issues")}
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Response fields only the server can know: generated on every create.
_GENERATED = ("uuid", "number", "createdAt", "updatedAt", "latestVersion")
_OMIT: Any = object()
# How the 201 body fills one property (see FakeAntimetal._issue_plan).
_UUID, _NUMBER, _NOW, _CONST, _MINIMAL, _ECHO = range(6)
# What an echoed property becomes when the request leaves it out.
_ABSENT_DEFAULT, _ABSENT_NOW, _ABSENT_MINIMAL, _ABSENT_SKIP = range(4)
_ERROR_TYPES = {401: "authentication_error", 403: "authentication_error"}


@dataclass(frozen=True)
class FakeResponse:
    """What the core answers: status, headers (lower-case names) and a JSON body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as it answered it.

    ``headers`` has lower-case names, credentials masked by
    :func:`pytest_antimetal.secrets.redacted_headers` (``Authorization: Bearer
    [REDACTED]``, cookies ``[REDACTED]``); ``json`` is the
    parsed body when it was valid JSON.
    """

    method: str
    path: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    json: Any | None = field(repr=False)
    status: int
    request_id: str


@dataclass
class _Key:
    organization: str
    forbidden: bool


@dataclass
class _Fault:
    remaining: int
    status: int
    retry_after: float | None


class _BodyError(Exception):
    """A body the fake refuses before schema validation (always a 400)."""


def _reject_constant(name: str) -> Any:
    raise _BodyError(f"invalid JSON: {name} is not a valid JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _BodyError(f"invalid JSON: number {text[:40]} is out of range")
    return value


def _too_deep(value: Any, limit: int) -> bool:
    """Whether parsed *value* nests arrays/objects deeper than *limit* (the top counts as 1).

    Iterative and linear in the number of nodes, stopping at the first node too
    deep. (Very deep input never gets here: the parser raises RecursionError.)
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


# Built once: json.loads/dumps with options construct a new codec on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _dumps(payload: Any) -> bytes:
    return _ENCODER.encode(payload).encode()


def _path_of(url_or_path: str) -> str:
    # A full URL (from a client) still carries its query and percent-escapes;
    # a bare path (from an adapter) is already decoded and must not be
    # re-split, or "/issues%3Fx" would route as "/issues".
    if "://" in url_or_path:
        try:
            return unquote(urlsplit(url_or_path).path) or "/"
        except ValueError:  # e.g. a broken IPv6 host: no route will match it
            return url_or_path
    return url_or_path or "/"


def _media_matches(media: str, declared: str) -> bool:
    kind, _, sub = declared.partition("/")
    if declared == "*/*":
        return True
    if sub == "*":
        return media.partition("/")[0] == kind
    return media == declared


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _check_content_type(value: str | None, declared: tuple[str, ...]) -> str:
    """The declared media type *value* matches (a 400 when none does)."""
    expected = " or ".join(declared)
    if value is None:
        raise _BodyError(f"missing Content-Type header (expected {expected})")
    media, *params = value.split(";")
    media = media.strip().lower()
    match = next((d for d in declared if _media_matches(media, d)), None)
    # The fake parses JSON only: a wildcard admits JSON media types alone.
    if match is None or ("*" in match and not _is_json(media)):
        raise _BodyError(f"unsupported Content-Type {media[:60]!r} (expected {expected})")
    for param in params:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                raise _BodyError(f"unsupported charset {charset[:40]!r} (expected utf-8)")
    return match


def _inflate(body: bytes, header: str | None, limit: int) -> bytes:
    """*body* with its ``Content-Encoding`` undone, within *limit* (see ``content_coding``)."""
    try:
        return decode_content(body, header, limit=limit, what="request body")
    except ContentCodingError as exc:
        raise _BodyError(str(exc)) from None


class FakeAntimetal:
    """An embedded fake of Antimetal's ``POST /issues``, driven by the spec.

    *max_stored_bytes* caps what the fake keeps, :attr:`requests` and
    :attr:`issues` together, by :attr:`stored_bytes`: past it the oldest
    entries (either kind) are dropped; numbering and uniqueness are unaffected.
    ``None`` keeps everything. *max_recorded* also caps :attr:`requests` to the
    latest N; ``None`` (the default) counts bytes only.

    A plain object, usable without pytest: inspect :attr:`issues` and
    :attr:`requests`, inject faults with :meth:`fail_next`, add
    :attr:`latency`, set a rate limit, and :meth:`reset`. Thread-safe: the
    loopback server and in-process clients may share one fake.
    """

    def __init__(
        self,
        *,
        spec: Spec | None = None,
        api_keys: Iterable[str | APIKey] | None = None,
        forbidden_keys: Iterable[str | APIKey] = (),
        seed: int | None = None,
        clock: Callable[[], datetime] | None = None,
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
        self.max_body_bytes = max_body_bytes
        # A long-running server (the CLI) keeps only the latest requests.
        self.max_recorded = max_recorded
        self.max_stored_bytes = max_stored_bytes
        self.latency: float = 0.0
        self._clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        operation = spec.operation("post", "/issues")
        request_body = operation.request_body or {}
        self._body_required = bool(request_body.get("required", False))
        content = request_body.get("content") or {}
        # Only media types the fake can parse (JSON); the spec's own casing is kept out.
        declared = [str(m).lower() for m in content]
        media_types = tuple(m for m in declared if "*" in m or _is_json(m))
        self._media_types = media_types or ("application/json",)
        self._validators = {
            str(media).lower(): RequestValidator(operation.request_schema(media))
            for media in content
            if str(media).lower() in self._media_types
        }
        fallback = self._validators.get("application/json")
        self._validator = fallback or RequestValidator(operation.request_schema())
        self._success = operation.success_status
        self._response_schema: dict[str, Any] = operation.response_schema(self._success) or {}
        self._request_properties: dict[str, Any] = dict(
            (operation.request_schema(self._media_types[0]) or {}).get("properties") or {}
        )
        self._defaults: dict[str, Any] = {}  # documented defaults by property, read once
        self._plan: tuple[tuple[str, int, Mapping[str, Any], Any], ...] | None = None
        self._allow = ", ".join(
            m for m in spec.methods_for("/issues") if (m, "/issues") in _IMPLEMENTED
        )
        prefixes = {""}
        for server in spec.servers:
            prefixes.add(urlsplit(server).path.rstrip("/"))
        self._routes = frozenset(f"{prefix}/issues" for prefix in prefixes)
        servers = spec.servers
        self.base_url: str = servers[0].rstrip("/") if servers else "https://antimetal.fake"
        """The spec's first server URL: what an in-process client should use."""
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] = {}
        for key in (DEFAULT_FAKE_API_KEY,) if api_keys is None else api_keys:
            self.add_key(key)
        for key in forbidden_keys:
            self.add_key(key, forbidden=True)
        self._transport: FakeTransport | None = None
        self._asgi: ASGIApp | None = None
        self._reset_state()

    def __repr__(self) -> str:
        return f"FakeAntimetal(issues={len(self._issues)}, requests={len(self._requests)})"

    # -- control ---------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._issues: deque[dict[str, Any]] = deque()
        self._requests: deque[RecordedRequest] = deque()
        # Counted bytes of each kept request / issue, oldest first (ints: nothing for the GC).
        self._request_sizes: deque[int] = deque()
        self._issue_sizes: deque[int] = deque()
        # Per kept issue, how many requests had been recorded before it: it is older
        # than the oldest kept request when not above that request's position.
        self._issue_ages: deque[int] = deque()
        self._recorded = 0  # requests ever recorded (since reset)
        self._stored = 0
        self._numbers: dict[str, int] = {}
        self._faults: deque[_Fault] = deque()
        self._rate_limit: tuple[int, float] | None = None
        self._windows: dict[str, deque[float]] = {}
        self.latency = 0.0
        if self.seed is None:
            self._uuid_rng: random.Random | None = None
            self._request_rng: random.Random | None = None
        else:
            self._uuid_rng = random.Random(f"antimetal-fake:{self.seed}:uuid")
            self._request_rng = random.Random(f"antimetal-fake:{self.seed}:request")

    def reset(self) -> None:
        """Forget issues, requests, faults, latency and the rate limit.

        Keys and the seed stay; numbering and seeded sequences restart.
        """
        with self._lock:
            self._reset_state()

    def add_key(
        self, key: str | APIKey, *, organization: str = "default", forbidden: bool = False
    ) -> None:
        """Accept *key*; a *forbidden* key authenticates but may not create issues (403)."""
        if isinstance(key, str):
            key = APIKey(key)  # rebound at once: no argument of a raising frame holds it bare
        if not isinstance(key, APIKey) or key.problem() is not None:
            raise ValueError(
                "an API key must be a non-empty bearer token (letters, digits, -._~+/)"
            )
        with self._lock:
            self._keys[key.get_secret_value()] = _Key(
                organization=organization, forbidden=forbidden
            )

    @property
    def api_key(self) -> str:
        """The first key that may create issues (what a client should send)."""
        with self._lock:
            for key, info in self._keys.items():
                if not info.forbidden:
                    return key
        raise LookupError("this fake has no key that may create issues")

    def fail_next(self, n: int = 1, *, status: int = 500, retry_after: float | None = None) -> None:
        """Answer the next *n* requests with *status* and an ``api_error`` body.

        *retry_after* (seconds) adds ``Retry-After``; a 429 always carries one.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if not 400 <= status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")
        with self._lock:
            if n:
                self._faults.append(_Fault(n, status, retry_after))

    def set_rate_limit(self, limit: int | None, per: float = 1.0) -> None:
        """Allow *limit* requests per key per *per* seconds (by the clock); ``None``: off."""
        if limit is not None and (limit < 1 or per <= 0):
            raise ValueError("limit must be >= 1 and per > 0")
        with self._lock:
            self._rate_limit = None if limit is None else (limit, float(per))
            self._windows.clear()

    # -- inspection ------------------------------------------------------------------------

    @property
    def issues(self) -> list[dict[str, Any]]:
        """The ``201`` bodies, in creation order (copies)."""
        with self._lock:
            return [dict(issue) for issue in self._issues]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order, ``Authorization`` redacted.

        The latest ones only, once :attr:`stored_bytes` reached ``max_stored_bytes``
        (or their number ``max_recorded``).
        """
        with self._lock:
            return list(self._requests)

    @property
    def stored_bytes(self) -> int:
        """What the kept requests and issues count against ``max_stored_bytes``.

        Their bodies (a parsed JSON body once more), header names and values,
        path, and a fixed allowance per entry for the Python objects behind it.
        """
        with self._lock:
            return self._stored

    def error_response(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> FakeResponse:
        """An ``ErrorResponseDto`` answer with a new request id, for a request refused
        before :meth:`handle` (the loopback server's limits). Nothing is recorded."""
        with self._lock:
            request_id = self._new_request_id()
        kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        return self._error(status, kind, message, request_id, headers=headers)

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

    def _new_request_id(self) -> str:
        if self._request_rng is None:
            return "req_" + os.urandom(12).hex()
        return f"req_{self._request_rng.getrandbits(96):024x}"

    def _new_uuid(self) -> str:
        if self._uuid_rng is None:
            raw = os.urandom(16).hex()
        else:
            raw = f"{self._uuid_rng.getrandbits(128):032x}"
        # RFC 4122 version 4: version nibble 4, variant bits 10xx.
        variant = "89ab"[int(raw[16], 16) & 3]
        return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-{variant}{raw[17:20]}-{raw[20:]}"

    def handle(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        """Answer one request. Never raises: an unexpected error becomes a JSON 500.

        *url_or_path* is a full URL (its path is taken and percent-decoded) or a
        bare, already-decoded path, routed as is: no query or fragment split.
        """
        with self._lock:
            request_id = self._new_request_id()
            fault = self._take_fault()
        path = url_or_path
        lowered: dict[str, str] = {}
        parsed: Any = None
        parsed_size = 0
        try:
            method = method.upper()
            path = _path_of(url_or_path)
            lowered = {str(k).lower(): str(v) for k, v in headers.items()}
            if fault is not None:
                response = self._fault_response(fault, request_id)
            else:
                response, parsed, parsed_size = self._answer(
                    method, path, lowered, body, request_id
                )
        except Exception:
            # A bug in the fake must still answer JSON, never drop the connection.
            logger.exception("pytest-antimetal fake: unexpected error (request %s)", request_id)
            response = self._error(500, "api_error", "internal error in the fake", request_id)
        recorded = redacted_headers(lowered)  # credentials masked (secrets.CREDENTIAL_HEADERS)
        raw = body if isinstance(body, bytes) else bytes(body)
        size = _REQUEST_OVERHEAD + len(path) + len(raw) + parsed_size
        size += sum(map(len, lowered)) + sum(map(len, lowered.values()))
        record = RecordedRequest(method, path, recorded, raw, parsed, response.status, request_id)
        with self._lock:
            self._requests.append(record)
            self._request_sizes.append(size)
            self._recorded += 1
            self._stored += size
            if self._over_caps():
                self._trim()
        return response

    def _over_caps(self) -> bool:
        cap, most = self.max_stored_bytes, self.max_recorded
        return (cap is not None and self._stored > cap) or (
            most is not None and len(self._requests) > most
        )

    def _trim(self) -> None:
        """Drop the oldest kept entries until within ``max_recorded`` and ``max_stored_bytes``.

        Called under the lock. Numbers and uuids never depend on what is kept.
        """
        requests, request_sizes = self._requests, self._request_sizes
        if self.max_recorded is not None:
            while len(requests) > self.max_recorded:
                requests.popleft()
                self._stored -= request_sizes.popleft()
        cap = self.max_stored_bytes
        if cap is None:
            return
        issues, issue_sizes, issue_ages = self._issues, self._issue_sizes, self._issue_ages
        while self._stored > cap and (requests or issues):
            oldest_request = self._recorded - len(requests)
            if issues and (not requests or issue_ages[0] <= oldest_request):
                issues.popleft()
                issue_ages.popleft()
                self._stored -= issue_sizes.popleft()
            else:
                requests.popleft()
                self._stored -= request_sizes.popleft()

    def _fault_response(self, fault: _Fault, request_id: str) -> FakeResponse:
        extra: dict[str, str] = {}
        if fault.retry_after is not None or fault.status == 429:
            extra["retry-after"] = str(max(1, math.ceil(fault.retry_after or 1)))
        if fault.status == 401:
            extra["www-authenticate"] = "Bearer"
        kind = _ERROR_TYPES.get(fault.status, "api_error")
        message = f"injected fault: HTTP {fault.status}"
        return self._error(fault.status, kind, message, request_id, headers=extra)

    def _error(
        self,
        status: int,
        kind: str,
        message: str,
        request_id: str,
        *,
        details: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FakeResponse:
        payload: dict[str, Any] = {"type": kind, "message": message, "request_id": request_id}
        if details:
            payload["details"] = dict(details)
        out = {"content-type": "application/json", "x-request-id": request_id}
        if headers:
            out.update(headers)
        return FakeResponse(status, out, _dumps(payload))

    def _take_fault(self) -> _Fault | None:
        if not self._faults:
            return None
        fault = self._faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            self._faults.popleft()
        return fault

    def _rate_limited(self, key: str) -> int | None:
        """Seconds to wait when *key* is over the limit, else ``None`` (and count it)."""
        if self._rate_limit is None:
            return None
        limit, per = self._rate_limit
        now = self._clock().timestamp()
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - per:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + per - now))
        window.append(now)
        return None

    def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, request_id: str
    ) -> tuple[FakeResponse, Any, int]:
        """The answer, the parsed body (``None`` if none) and the parsed body's decoded size."""
        if path not in self._routes:
            return (
                self._error(404, "invalid_request_error", f"no route for {path[:200]}", request_id),
                None,
                0,
            )
        if method != "POST":
            allow = {"allow": self._allow}
            message = f"method {method[:20]} not allowed on /issues (allowed: {self._allow})"
            return (
                self._error(405, "invalid_request_error", message, request_id, headers=allow),
                None,
                0,
            )

        key_or_error = self._authenticate(headers, request_id)
        if isinstance(key_or_error, FakeResponse):
            return key_or_error, None, 0
        key, organization = key_or_error

        wait = None
        if self._rate_limit is not None:
            with self._lock:
                wait = self._rate_limited(key)
        if wait is not None:
            message = f"rate limit exceeded; retry after {wait} s"
            return (
                self._error(
                    429, "api_error", message, request_id, headers={"retry-after": str(wait)}
                ),
                None,
                0,
            )

        try:
            data, media, size = self._parse_body(headers, body)
        except _BodyError as exc:
            return self._error(400, "invalid_request_error", str(exc), request_id), None, 0

        validator = self._validators.get(media, self._validator)
        try:
            valid = data is None or validator.is_valid(data)
            details = {} if valid else validator.errors(data)
        except (ValueError, OverflowError, TypeError) as exc:
            message = f"the body holds a value that cannot be validated ({type(exc).__name__})"
            return self._error(400, "invalid_request_error", message, request_id), data, size
        if details:
            message = "invalid request body: " + ", ".join(sorted(details))
            error = self._error(400, "invalid_request_error", message, request_id, details=details)
            return error, data, size
        return self._create(data or {}, organization, request_id), data, size

    def _authenticate(
        self, headers: dict[str, str], request_id: str
    ) -> tuple[str, str] | FakeResponse:
        challenge = {"www-authenticate": "Bearer"}
        value = headers.get("authorization")
        if value is None:
            message = "missing Authorization header (expected 'Bearer <API key>')"
            return self._error(401, "authentication_error", message, request_id, headers=challenge)
        key = bearer_token(value, strict=True)
        if key is None:
            message = "malformed Authorization header (expected 'Bearer <API key>')"
            return self._error(401, "authentication_error", message, request_id, headers=challenge)
        info = self._keys.get(key)
        if info is None:
            return self._error(
                401, "authentication_error", "invalid API key", request_id, headers=challenge
            )
        if info.forbidden:
            message = "this API key is not allowed to create issues"
            return self._error(403, "authentication_error", message, request_id)
        return key, info.organization

    def _parse_body(self, headers: dict[str, str], body: bytes) -> tuple[Any, str, int]:
        """The parsed body (``None`` when absent and optional), its media type and decoded size."""
        limit = self.max_body_bytes
        if len(body) > limit:
            raise _BodyError(f"request body too large (limit {limit} bytes)")
        if not body:
            if self._body_required:
                raise _BodyError("a JSON request body is required")
            return None, "", 0
        media = _check_content_type(headers.get("content-type"), self._media_types)
        body = _inflate(body, headers.get("content-encoding"), limit)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _BodyError("request body is not valid UTF-8") from None
        try:
            data = _DECODER.decode(text)
        except _BodyError:
            raise
        except json.JSONDecodeError as exc:
            raise _BodyError(
                f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise _BodyError(f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError:
            raise _BodyError("invalid JSON: a number literal is too large") from None
        # Before anything recursive (the surrogate scan, the validator) walks it.
        if _too_deep(data, MAX_JSON_DEPTH):
            raise _BodyError(f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")
        if not isinstance(data, dict):
            raise _BodyError(f"request body must be a JSON object, not {type(data).__name__}")
        if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(data):
            raise _BodyError("invalid JSON: unpaired UTF-16 surrogate escape in a string")
        return data, media, len(body)

    def _create(self, data: dict[str, Any], organization: str, request_id: str) -> FakeResponse:
        with self._lock:
            now = self.now()
            number = self._numbers.get(organization, 0) + 1
            self._numbers[organization] = number
            issue = self._issue(data, number, now)
            payload = _dumps(issue)
            size = _ISSUE_OVERHEAD + len(payload)
            self._issues.append(issue)
            self._issue_sizes.append(size)
            self._issue_ages.append(self._recorded)
            self._stored += size
            if self._over_caps():
                self._trim()
        headers = {"content-type": "application/json", "x-request-id": request_id}
        return FakeResponse(self._success, headers, payload)

    def _issue(self, data: dict[str, Any], number: int, now: str) -> dict[str, Any]:
        """The 201 body, property by property from the spec's response schema."""
        plan = self._plan
        if plan is None:
            plan = self._plan = self._issue_plan()
        if not plan:
            return self._undocumented_issue(data, number, now)
        issue: dict[str, Any] = {}
        for name, code, node, extra in plan:
            if code == _ECHO:
                value = data.get(name)
                is_datetime, nullable, default, absent = extra
                if value is None:
                    if nullable and name in data:
                        issue[name] = None
                    elif absent == _ABSENT_DEFAULT:
                        issue[name] = default
                    elif absent == _ABSENT_NOW:
                        issue[name] = now
                    elif absent == _ABSENT_MINIMAL:
                        issue[name] = self._minimal(node, now)
                elif is_datetime and isinstance(value, str):
                    normalised = normalise_timestamp(value)
                    issue[name] = value if normalised is None else normalised
                else:
                    issue[name] = value
            elif code == _UUID:
                issue[name] = self._new_uuid()
            elif code == _NUMBER:
                issue[name] = number
            elif code == _NOW:
                issue[name] = now
            elif code == _CONST:
                issue[name] = extra
            else:
                issue[name] = self._minimal(node, now)
        return issue

    def _issue_plan(self) -> tuple[tuple[str, int, Mapping[str, Any], Any], ...]:
        """How each property of the documented 201 body is filled, read from the spec once.

        Empty when the spec documents no properties (see :meth:`_undocumented_issue`).
        The same rules as :meth:`_issue_value`, decided ahead of the requests.
        """
        schema = self._response_schema
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return ()
        required = set(schema.get("required") or ())
        plan: list[tuple[str, int, Mapping[str, Any], Any]] = []
        for name, raw_node in properties.items():
            node: Mapping[str, Any] = raw_node if isinstance(raw_node, Mapping) else {}
            is_required = name in required
            if name == "uuid":
                plan.append((name, _UUID, node, None))
            elif name == "number":
                plan.append((name, _NUMBER, node, None))
            elif name in ("createdAt", "updatedAt"):
                plan.append((name, _NOW, node, None))
            elif name == "latestVersion":
                plan.append((name, _CONST, node, 1))
            elif name not in self._request_properties:
                if name == "status" or is_required:
                    plan.append((name, _MINIMAL, node, None))
            else:
                request_node = self._request_properties[name]
                if not isinstance(request_node, Mapping):
                    request_node = {}
                is_datetime = "date-time" in (request_node.get("format"), node.get("format"))
                found = documented_default(request_node)
                default = found if found is not None else documented_default(node)
                if default is not None:
                    absent = _ABSENT_DEFAULT
                elif is_datetime and (is_required or name == "triggeredAt"):
                    absent = _ABSENT_NOW
                else:
                    absent = _ABSENT_MINIMAL if is_required else _ABSENT_SKIP
                nullable = node.get("nullable") is True
                plan.append((name, _ECHO, node, (is_datetime, nullable, default, absent)))
        return tuple(plan)

    def _undocumented_issue(self, data: dict[str, Any], number: int, now: str) -> dict[str, Any]:
        """A 201 body for a spec that documents none: the generated fields plus what was sent."""
        schema = self._response_schema
        properties: dict[str, Any] = {name: {} for name in (*_GENERATED, "triggeredAt", *data)}
        required = set(schema.get("required") or ())
        issue: dict[str, Any] = {}
        for name, raw_node in properties.items():
            node: Mapping[str, Any] = raw_node if isinstance(raw_node, Mapping) else {}
            value = self._issue_value(
                name, node, data=data, number=number, now=now, required=name in required
            )
            if value is _OMIT:
                if name not in required:
                    continue
                value = self._minimal(node, now)
            issue[name] = value
        return issue

    def _issue_value(
        self,
        name: str,
        node: Mapping[str, Any],
        *,
        data: Mapping[str, Any],
        number: int,
        now: str,
        required: bool,
    ) -> Any:
        """One response property's value, or ``_OMIT`` when the fake has none to give."""
        if name == "uuid":
            return self._new_uuid()
        if name == "number":
            return number
        if name in ("createdAt", "updatedAt"):
            return now
        if name == "latestVersion":
            return 1
        if name == "status" and name not in self._request_properties:
            return self._minimal(node, now)
        if name not in self._request_properties:
            return _OMIT
        request_node = self._request_properties[name]
        if not isinstance(request_node, Mapping):
            request_node = {}
        value = data.get(name)
        is_datetime = "date-time" in (request_node.get("format"), node.get("format"))
        if value is None:
            if name in data and node.get("nullable") is True:
                return None
            if name not in self._defaults:  # the spec does not change: read it once
                found = documented_default(request_node)
                self._defaults[name] = found if found is not None else documented_default(node)
            default = self._defaults[name]
            if default is not None:
                return default
            # triggeredAt "defaults to current time": an absent instant means now.
            if is_datetime and (required or name == "triggeredAt"):
                return now
            return _OMIT
        if is_datetime and isinstance(value, str):
            normalised = normalise_timestamp(value)
            return value if normalised is None else normalised
        return value

    def _minimal(self, node: Mapping[str, Any], now: str) -> Any:
        """A small value valid against *node*, for a required field the fake cannot know."""
        return minimal_value(node, now=now, new_uuid=self._new_uuid)
