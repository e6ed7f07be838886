"""Shared helpers for the fake's tests: every response is checked against the spec."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeResponse
from pytest_antimetal.spec import vendored_spec

# jsonschema ships no date-time checker without extra packages: an independent
# RFC 3339 check, so the helper does not trust the fake's own validator.
_RFC3339 = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)\Z",
    re.ASCII,
)

VALID_BODY: dict[str, Any] = {
    "title": "Checkout 500s",
    "description": "spike",
    "environment": "prod",
}


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Any: ...
    @property
    def content(self) -> bytes: ...


def _validator(status: int) -> Any:
    import jsonschema

    operation = vendored_spec().operation("post", "/issues")
    schema = operation.response_schema(status) or vendored_spec().schema("ErrorResponseDto")
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(
        lambda value: not isinstance(value, str) or bool(_RFC3339.match(value))
    )
    return jsonschema.Draft4Validator(schema, format_checker=checker)


_CACHE: dict[int, Any] = {}


def validated(response: _Response | FakeResponse) -> Any:
    """Assert *response* is what the spec documents for its status; return its JSON body.

    Undocumented statuses (404, 405, 503) must still be an ``ErrorResponseDto``.
    Every answer is JSON with ``X-Request-Id`` equal to the body's ``request_id``
    (errors) and a ``Retry-After`` of whole seconds >= 1 on a 429.
    """
    if isinstance(response, FakeResponse):
        status, headers, content = response.status, response.headers, response.body
    else:
        status, headers, content = response.status_code, response.headers, response.content
    assert headers["content-type"].startswith("application/json")
    body = json.loads(content)
    if status not in _CACHE:
        _CACHE[status] = _validator(status)
    errors = [e.message for e in _CACHE[status].iter_errors(body)]
    assert not errors, f"HTTP {status} body does not match the spec: {errors} in {body}"
    request_id = headers["x-request-id"]
    assert request_id
    if status >= 400:
        assert body["request_id"] == request_id
    else:
        assert set(body) >= {"uuid", "number", "createdAt"}
    if status == 429:
        assert int(headers["retry-after"]) >= 1
    if status == 401:
        assert headers["www-authenticate"] == "Bearer"
    if status == 405:
        assert headers["allow"] == "POST"
    return body


def validate_every_response(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Route every answer of every :class:`FakeAntimetal` through :func:`validated`.

    Returns the list of statuses seen, so a test module can assert it was used.
    """
    seen: list[int] = []
    original = FakeAntimetal.handle

    def checked(self: FakeAntimetal, *args: Any, **kwargs: Any) -> FakeResponse:
        answer = original(self, *args, **kwargs)
        validated(answer)
        seen.append(answer.status)
        return answer

    monkeypatch.setattr(FakeAntimetal, "handle", checked)
    return seen


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 17, 9, 30, 0, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RawResponse:
    """One HTTP/1.1 response parsed from raw bytes (enough for :func:`validated`)."""

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def __repr__(self) -> str:
        return f"RawResponse({self.status_code}, {self.content[:200]!r})"


def parse_responses(data: bytes) -> list[RawResponse]:
    """Every complete response in *data*, in order (each must carry ``Content-Length``)."""
    out: list[RawResponse] = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        out.append(RawResponse(int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return out


def exchange(port: int, data: bytes, *, half_close: bool = False, timeout: float = 10.0) -> bytes:
    """Send *data* on a new loopback connection and read until the server closes it.

    *half_close* shuts the sending side once *data* is out. *timeout* bounds each
    wait: a server that never closes fails the test rather than hanging it.
    """
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-send: whatever the server answered is still readable
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def raw_post(key: str, body: bytes, *, extra: str = "", target: str = "/issues") -> bytes:
    """A canonical ``POST`` (``Name: value`` lines, CRLF) with *extra* header lines added."""
    head = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode("latin-1") + body
