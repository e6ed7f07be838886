"""Error classes and error-body parsing, without a client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_antimetal.errors import (
    AntimetalError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    make_status_error,
    parse_retry_after,
)

NOW = 1_800_000_000.0  # a fixed POSIX "now" for Retry-After dates


def response(status: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "https://x.test/issues"), **kwargs)


def test_hierarchy() -> None:
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        RateLimitError,
        InternalServerError,
    ):
        assert issubclass(cls, APIStatusError)
    assert issubclass(APIStatusError, AntimetalError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIConnectionError, AntimetalError)
    assert issubclass(APIResponseValidationError, AntimetalError)
    assert issubclass(MissingAPIKeyError, AntimetalError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, APIStatusError),
        (418, APIStatusError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
    ],
)
def test_class_by_status(status: int, cls: type[APIStatusError]) -> None:
    exc = make_status_error(response(status, json={}), now=NOW)
    assert type(exc) is cls


def test_str_is_one_line_with_details() -> None:
    body = {
        "type": "invalid_request_error",
        "message": "Validation failed",
        "request_id": "req_1",
        "details": {"title": "too long", "environment": "required", "a": "1", "b": "2"},
    }
    exc = make_status_error(response(400, json=body), now=NOW)
    assert str(exc) == (
        "400 invalid_request_error: Validation failed (request_id=req_1) "
        "details: title: too long; environment: required; a: 1; +1 more"
    )
    assert exc.message == "Validation failed"
    assert exc.details == body["details"]
    assert exc.body == body


def test_multiline_server_message_stays_one_line() -> None:
    body = {"type": "api_error", "message": "line one\nline two", "request_id": "r"}
    assert "\n" not in str(make_status_error(response(500, json=body), now=NOW))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"content": b""}, "HTTP 502 (empty body)"),
        ({"content": b"   "}, "HTTP 502 (empty body)"),
        ({"text": "<html>" + "x" * 500}, "HTTP 502 (non-JSON body: '<html>xxx"),
        ({"json": [1, 2]}, "HTTP 502 (unexpected error body: '[1,2]')"),
        ({"json": "oops"}, "HTTP 502 (unexpected error body: '\"oops\"')"),
        ({"json": {"error": "x"}}, "HTTP 502 (unexpected error body:"),
        ({"json": {"message": 42, "type": ["x"]}}, "HTTP 502 (unexpected error body:"),
        ({"content": b"\xff\xfe garbage"}, "HTTP 502 (non-JSON body:"),
    ],
)
def test_off_spec_error_bodies(kwargs: dict[str, Any], expected: str) -> None:
    exc = make_status_error(response(502, **kwargs), now=NOW)
    assert isinstance(exc, InternalServerError)
    assert exc.message.startswith(expected)
    assert exc.type is None
    assert exc.details == {}
    assert str(exc).startswith(expected)  # no repeated "502: HTTP 502"
    assert len(str(exc)) < 250
    assert "\n" not in str(exc)


def test_wrongly_typed_fields_are_dropped_not_crashing() -> None:
    body = {"type": 1, "message": "ok", "request_id": None, "details": {"x": 3, "y": "s"}}
    exc = make_status_error(response(400, json=body, headers={"X-Request-Id": "hdr_1"}), now=NOW)
    assert exc.type is None
    assert exc.message == "ok"
    assert exc.request_id == "hdr_1"  # falls back to the header
    assert exc.details == {"x": "3", "y": "s"}


def test_details_not_an_object_is_ignored() -> None:
    body = {"type": "api_error", "message": "m", "request_id": "r", "details": ["a"]}
    assert make_status_error(response(400, json=body), now=NOW).details == {}


def test_attempts_and_note_are_reported() -> None:
    body = {"type": "api_error", "message": "busy", "request_id": "r"}
    exc = make_status_error(response(429, json=body), now=NOW, attempts=3, note="why")
    assert str(exc).endswith("(why) [gave up after 3 attempts]")
    assert exc.attempts == 3
    conn = APIConnectionError("Connection error", attempts=2)
    assert str(conn) == "Connection error [gave up after 2 attempts]"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Fri, 15 Jan 2027 08:00:10 GMT", 10.0),  # NOW is 2027-01-15T08:00:00Z
        ("Fri, 15 Jan 2027 07:00:00 GMT", 0.0),  # in the past
    ],
)
def test_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected
    headers = {} if header is None else {"Retry-After": header}
    exc = make_status_error(response(429, json={}, headers=headers), now=NOW)
    assert isinstance(exc, RateLimitError)
    assert exc.retry_after == expected


def test_validation_error_message() -> None:
    exc = APIResponseValidationError("missing uuid", response=response(201))
    assert str(exc) == "HTTP 201: missing uuid"
    assert exc.status_code == 201


KEY = "amk-canary-XXXX-0123456789"


def test_secrets_are_redacted_from_every_shown_field_but_not_from_body() -> None:
    body = {
        "type": f"t-{KEY}",
        "message": f"unknown key {KEY}",
        "request_id": KEY,
        "details": {KEY: f"Bearer {KEY}", "n": [KEY]},
    }
    exc = make_status_error(response(401, json=body), now=NOW, note=f"note {KEY}", secrets=[KEY])
    assert KEY not in str(exc) + repr(exc) + exc.message + repr(exc.details)
    assert (exc.type, exc.request_id, exc.note) == ("t-[REDACTED]", "[REDACTED]", "note [REDACTED]")
    assert exc.details == {"[REDACTED]": "Bearer [REDACTED]", "n": '["[REDACTED]"]'}
    assert exc.body == body


def test_secrets_are_redacted_from_body_snippets_before_cutting() -> None:
    text = "x" * 115 + f" {KEY} and more"
    exc = make_status_error(response(503, text=text), now=NOW, secrets=[KEY])
    assert "amk-" not in str(exc)
    exc = make_status_error(response(503, text=text), now=NOW)
    assert "amk-" in str(exc)  # without the secret, the (cut) text is shown as is


def test_validation_and_connection_errors_redact() -> None:
    validation = APIResponseValidationError(f"body {KEY}", response=response(200), secrets=[KEY])
    timeout = APITimeoutError(f"slow {KEY}", secrets=[KEY])
    assert str(validation) == "HTTP 200: body [REDACTED]"
    assert str(timeout) == "slow [REDACTED]"
