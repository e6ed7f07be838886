"""The sync client: configuration, wire format, parsing, errors, secrets."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.client import AntimetalClient, mask_secret
from pytest_antimetal.errors import (
    AntimetalError,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from pytest_antimetal.models import Issue
from pytest_antimetal.spec import Spec, vendored_spec

CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e-ZQXW"
CANARY_CORE = "7f3a9c1e5b2d4f6a8c0e"  # must never appear anywhere printable


def issue_json(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": "0b8f2d3e-1111-4c4c-9a9a-123456789abc",
        "number": 7,
        "status": "investigating",
        "title": "Disk full",
        "description": "The disk is full",
        "environment": "production",
        "severity": "medium",
        "createdAt": "2026-03-17T10:00:00.000Z",
        "updatedAt": "2026-03-17T10:00:00.000Z",
        "triggeredAt": "2026-03-17T09:59:00.000Z",
        "latestVersion": 1,
    }
    body.update(overrides)
    return body


class Handler:
    """A MockTransport handler answering from a queue and recording requests."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.queue = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.queue.pop(0) if len(self.queue) > 1 else self.queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def created(**overrides: Any) -> httpx.Response:
    return httpx.Response(201, json=issue_json(**overrides), headers={"X-Request-Id": "req_ok"})


def error(
    status: int, type_: str = "api_error", message: str = "boom", **extra: Any
) -> httpx.Response:
    headers = extra.pop("headers", {})
    body = {"type": type_, "message": message, "request_id": f"req_{status}", **extra}
    return httpx.Response(status, json=body, headers=headers)


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Callable[..., AntimetalClient]:
    def make(handler: Handler, **kwargs: Any) -> AntimetalClient:
        kwargs.setdefault("api_key", CANARY)
        kwargs.setdefault("retry_policy", RetryPolicy(sleep=sleeps, random=lambda: 1.0))
        return AntimetalClient(transport=httpx.MockTransport(handler), **kwargs)

    return make


def create(client: AntimetalClient, **overrides: Any) -> Issue:
    args: dict[str, Any] = {"title": "Disk full", "description": "The disk is full"}
    args["environment"] = "production"
    args.update(overrides)
    return client.issues.create(**args)


# --- configuration -------------------------------------------------------------------


def test_missing_key_names_the_env_var() -> None:
    with pytest.raises(MissingAPIKeyError, match="ANTIMETAL_API_KEY") as info:
        AntimetalClient()
    assert isinstance(info.value, AntimetalError)


def test_empty_env_key_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", "")
    with pytest.raises(MissingAPIKeyError):
        AntimetalClient()


def test_env_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", "env-key")
    monkeypatch.setenv("ANTIMETAL_BASE_URL", "http://127.0.0.1:9/api/")
    client = AntimetalClient()
    assert client.api_key.get_secret_value() == "env-key"
    assert client.base_url == "http://127.0.0.1:9/api"


def test_arguments_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", "env-key")
    monkeypatch.setenv("ANTIMETAL_BASE_URL", "http://127.0.0.1:9")
    client = AntimetalClient(api_key="arg-key", base_url="http://localhost:1")
    assert client.api_key.get_secret_value() == "arg-key"
    assert client.base_url == "http://localhost:1"


def test_default_base_url_is_the_specs_first_server() -> None:
    client = AntimetalClient(api_key="k")
    assert client.base_url == vendored_spec().servers[0]
    assert str(client.http.base_url).rstrip("/") == vendored_spec().servers[0]


def test_custom_spec_drives_base_url_and_version() -> None:
    document = json.loads(json.dumps(vendored_spec().document))
    document["info"]["version"] = "2099-01-01"
    document["servers"] = [{"url": "https://example.test/v9"}]
    handler = Handler(created())
    client = AntimetalClient(
        api_key="k", spec=Spec(document), transport=httpx.MockTransport(handler)
    )
    create(client)
    assert str(handler.requests[0].url) == "https://example.test/v9/issues"
    assert handler.requests[0].headers["Antimetal-Version"] == "2099-01-01"


def test_bad_base_url_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match=r"is not an http\(s\) URL"):
        AntimetalClient(api_key="k", base_url="bff.antimetal.com")


def test_http_client_and_transport_are_exclusive() -> None:
    with httpx.Client() as http, pytest.raises(ValueError, match="not both"):
        AntimetalClient(api_key="k", http_client=http, transport=httpx.MockTransport(Handler()))


def test_timeout_and_retries_config() -> None:
    assert AntimetalClient(api_key="k").timeout.read == 30.0
    assert AntimetalClient(api_key="k", timeout=2.5).timeout == httpx.Timeout(2.5)
    assert AntimetalClient(api_key="k").max_retries == 2
    assert AntimetalClient(api_key="k", max_retries=0).max_retries == 0
    with pytest.raises(ValueError, match="max_retries"):
        AntimetalClient(api_key="k", max_retries=-1)


def test_user_http_client_is_used_as_is_and_not_closed() -> None:
    handler = Handler(created())
    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=3.0)
    with AntimetalClient(api_key=CANARY, http_client=http) as client:
        assert client.http is http
        assert client.timeout == httpx.Timeout(3.0)
        create(client)
    assert not http.is_closed
    assert handler.requests[0].headers["Authorization"] == f"Bearer {CANARY}"
    http.close()


def test_context_manager_closes_owned_client() -> None:
    with AntimetalClient(api_key="k") as client:
        assert not client.http.is_closed
    assert client.http.is_closed


def test_with_options_copies_and_shares_the_pool(
    make_client: Callable[..., AntimetalClient],
) -> None:
    handler = Handler(error(500))
    client = make_client(handler)
    other = client.with_options(max_retries=0, api_key="other-key")
    assert (other.max_retries, client.max_retries) == (0, 2)
    with pytest.raises(InternalServerError):
        create(other)
    assert handler.requests[-1].headers["Authorization"] == "Bearer other-key"
    create_count = len(handler.requests)
    with pytest.raises(InternalServerError):
        create(client)  # the same transport (the one handler) serves both
    assert len(handler.requests) > create_count
    other.close()
    assert not client.http.is_closed  # the copy does not own the pool
    with pytest.raises(InternalServerError):
        create(other)  # and still works after its own close()


def test_with_options_http_sends_the_new_key_to_the_new_base_url(
    make_client: Callable[..., AntimetalClient],
) -> None:
    handler = Handler(created())
    client = make_client(handler, base_url="https://a.example/api")
    other = client.with_options(api_key="new-key-0123456789", base_url="https://b.example/api")
    other.http.post("/issues", json={})
    client.http.post("/issues", json={})
    sent = [(str(r.url), r.headers["Authorization"]) for r in handler.requests]
    assert sent == [
        ("https://b.example/api/issues", "Bearer new-key-0123456789"),
        ("https://a.example/api/issues", f"Bearer {CANARY}"),
    ]
    assert other.http.timeout == client.http.timeout


def test_with_options_copy_keeps_the_proxy_mounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with AntimetalClient(api_key="k") as client, client.with_options(api_key="k2") as other:
        # The copy's own httpx client reads the environment's proxies like the original's.
        patterns = {p.pattern for p in client.http._mounts}
        assert "https://" in patterns
        assert {p.pattern for p in other.http._mounts} == patterns


def test_with_options_of_a_user_http_client_uses_it_as_is() -> None:
    handler = Handler(created())
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = AntimetalClient(api_key=CANARY, http_client=http)
    other = client.with_options(api_key="new-key-0123456789")
    assert other.http is http
    create(other)
    assert handler.requests[0].headers["Authorization"] == "Bearer new-key-0123456789"
    http.close()


def test_raw_requests_through_client_http(make_client: Callable[..., AntimetalClient]) -> None:
    handler = Handler(created())
    client = make_client(handler)
    response = client.http.post("/issues", json={"title": "x"})
    assert response.status_code == 201
    sent = handler.requests[0]
    assert str(sent.url) == "https://bff.antimetal.com/api/v2/issues"
    assert sent.headers["Authorization"] == f"Bearer {CANARY}"


# --- wire format -----------------------------------------------------------------------


def test_headers_sent(make_client: Callable[..., AntimetalClient]) -> None:
    from pytest_antimetal import __version__

    handler = Handler(created())
    create(make_client(handler))
    headers = handler.requests[0].headers
    assert handler.requests[0].method == "POST"
    assert headers["Authorization"] == f"Bearer {CANARY}"
    assert headers["Antimetal-Version"] == vendored_spec().version == "2026-03-17"
    assert headers["User-Agent"] == f"pytest-antimetal/{__version__}"
    assert headers["Content-Type"] == "application/json"


def test_body_omits_none_fields(make_client: Callable[..., AntimetalClient]) -> None:
    handler = Handler(created())
    create(make_client(handler))
    assert handler.bodies[0] == {
        "title": "Disk full",
        "description": "The disk is full",
        "environment": "production",
    }


def test_body_with_every_field(make_client: Callable[..., AntimetalClient]) -> None:
    handler = Handler(created())
    context = {"alertUrl": "https://sentry.example/1", "tags": ["payment"], "metadata": {"a": 1}}
    create(
        make_client(handler),
        severity="high",
        triggered_at="2026-03-17T09:59:00Z",
        context=context,
        extra_body={"unknown": True},
        extra_headers={"X-Trace": "t1"},
    )
    assert handler.bodies[0] == {
        "title": "Disk full",
        "description": "The disk is full",
        "environment": "production",
        "severity": "high",
        "triggeredAt": "2026-03-17T09:59:00Z",
        "context": context,
        "unknown": True,
    }
    assert handler.requests[0].headers["X-Trace"] == "t1"


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (datetime(2026, 3, 17, 9, 59, tzinfo=UTC), "2026-03-17T09:59:00.000Z"),
        (
            datetime(2026, 3, 17, 11, 59, 1, 250000, tzinfo=timezone(timedelta(hours=2))),
            "2026-03-17T09:59:01.250Z",
        ),
        (datetime(2026, 3, 17, 9, 59, 1, 123456, tzinfo=UTC), "2026-03-17T09:59:01.123456Z"),
    ],
)
def test_aware_datetime_is_sent_as_utc_z(
    make_client: Callable[..., AntimetalClient], value: datetime, wire: str
) -> None:
    handler = Handler(created())
    create(make_client(handler), triggered_at=value)
    assert handler.bodies[0]["triggeredAt"] == wire


def test_naive_datetime_is_rejected_before_sending(
    make_client: Callable[..., AntimetalClient],
) -> None:
    handler = Handler(created())
    with pytest.raises(ValueError, match="naive datetime"):
        create(make_client(handler), triggered_at=datetime(2026, 3, 17, 9, 59))
    assert handler.requests == []


def test_unserialisable_context_is_a_clear_type_error(
    make_client: Callable[..., AntimetalClient],
) -> None:
    with pytest.raises(TypeError, match="JSON-serialisable"):
        create(make_client(Handler(created())), context={"metadata": {"x": object()}})


# --- parsing ---------------------------------------------------------------------------


def test_issue_is_parsed(make_client: Callable[..., AntimetalClient]) -> None:
    issue = create(make_client(Handler(created(extra="new field"))))
    assert isinstance(issue, Issue)
    assert issue.uuid == "0b8f2d3e-1111-4c4c-9a9a-123456789abc"
    assert issue.number == 7
    assert issue.status == "investigating"
    assert (issue.title, issue.description, issue.environment) == (
        "Disk full",
        "The disk is full",
        "production",
    )
    assert issue.severity == "medium"
    assert issue.created_at == issue.updated_at == "2026-03-17T10:00:00.000Z"
    assert issue.triggered_at == "2026-03-17T09:59:00.000Z"
    assert issue.as_datetime("triggered_at") == datetime(2026, 3, 17, 9, 59, tzinfo=UTC)
    assert issue.latest_version == 1
    assert issue.request_id == "req_ok"
    assert issue.raw["extra"] == "new field"
    with pytest.raises(AttributeError):
        issue.title = "changed"  # type: ignore[misc]


def _spec_with_response(change: Callable[[dict[str, Any]], None]) -> Spec:
    document = json.loads(json.dumps(vendored_spec().document))
    change(document["components"]["schemas"]["CreateIssueResponseDto"])
    return Spec(document)


def test_a_field_the_spec_makes_optional_may_be_missing(
    make_client: Callable[..., AntimetalClient],
) -> None:
    spec = _spec_with_response(lambda schema: schema["required"].remove("triggeredAt"))
    body = issue_json()
    del body["triggeredAt"]
    answer = httpx.Response(201, json=body)
    issue = create(make_client(Handler(answer), spec=spec))
    assert issue.triggered_at is None
    assert issue.title == "Disk full"
    with pytest.raises(ValueError, match="triggered_at is not set"):
        issue.as_datetime("triggered_at")
    # The vendored spec still requires it: the same body is refused there.
    with pytest.raises(APIResponseValidationError, match="missing required field 'triggeredAt'"):
        create(make_client(Handler(answer)))


def test_a_field_the_spec_makes_nullable_may_be_null(
    make_client: Callable[..., AntimetalClient],
) -> None:
    spec = _spec_with_response(
        lambda schema: schema["properties"]["triggeredAt"].update(nullable=True)
    )
    answer = httpx.Response(201, json=issue_json(triggeredAt=None))
    assert create(make_client(Handler(answer), spec=spec)).triggered_at is None
    with pytest.raises(APIResponseValidationError, match="'triggeredAt' should be string"):
        create(make_client(Handler(answer)))


def test_a_field_the_spec_newly_requires_is_enforced(
    make_client: Callable[..., AntimetalClient],
) -> None:
    spec = _spec_with_response(lambda schema: schema["required"].append("environment"))
    body = issue_json()
    del body["environment"]
    with pytest.raises(APIResponseValidationError, match="missing required field 'environment'"):
        create(make_client(Handler(httpx.Response(201, json=body)), spec=spec))


def test_issue_annotations_follow_the_vendored_spec() -> None:
    """Static types cannot follow a runtime spec: this fails when the vendored one changes."""
    import dataclasses
    import typing

    from pytest_antimetal.models import _WIRE_TO_ATTR

    schema = vendored_spec().operation("post", "/issues").response_schema(201)
    assert schema is not None
    relaxed = {
        _WIRE_TO_ATTR[wire]
        for wire, prop in schema["properties"].items()
        if wire in _WIRE_TO_ATTR and (wire not in schema["required"] or prop.get("nullable"))
    }
    hints = typing.get_type_hints(Issue)
    optional = {
        f.name
        for f in dataclasses.fields(Issue)
        if f.name in _WIRE_TO_ATTR.values() and type(None) in typing.get_args(hints[f.name])
    }
    assert optional == relaxed == {"environment"}
    assert set(_WIRE_TO_ATTR) == set(schema["properties"])


def test_environment_is_optional_in_the_response(
    make_client: Callable[..., AntimetalClient],
) -> None:
    body = issue_json()
    del body["environment"]
    issue = create(make_client(Handler(httpx.Response(201, json=body))))
    assert issue.environment is None
    assert issue.request_id is None


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(201, text="<html>ok</html>"), "not JSON"),
        (httpx.Response(201, json=[issue_json()]), "expected a JSON object, got list"),
        (httpx.Response(201, json={"uuid": "u"}), "missing required field 'number'"),
        (httpx.Response(201, json=issue_json(number="7")), "'number' should be integer, got str"),
        (httpx.Response(200, json=issue_json(latestVersion=True)), "'latestVersion'"),
    ],
)
def test_off_spec_success_body_is_a_validation_error(
    make_client: Callable[..., AntimetalClient], response: httpx.Response, fragment: str
) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        create(make_client(Handler(response)))
    assert fragment in str(info.value)
    assert info.value.response is not None
    assert "\n" not in str(info.value)


# --- errors through the client -----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, APIStatusError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
    ],
)
def test_error_class_by_status(
    make_client: Callable[..., AntimetalClient], status: int, cls: type[APIStatusError]
) -> None:
    handler = Handler(
        error(status, "invalid_request_error", "Title too long", details={"title": "too long"})
    )
    with pytest.raises(cls) as info:
        create(make_client(handler, max_retries=0))
    exc = info.value
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.type == "invalid_request_error"
    assert exc.message == "Title too long"
    assert exc.request_id == f"req_{status}"
    assert exc.details == {"title": "too long"}
    assert exc.response.status_code == status


def test_non_json_error_body_keeps_the_class(make_client: Callable[..., AntimetalClient]) -> None:
    handler = Handler(httpx.Response(502, text="<html><body>Bad gateway</body></html>"))
    with pytest.raises(InternalServerError) as info:
        create(make_client(handler))
    assert "HTTP 502 (non-JSON body: '<html><body>Bad gateway" in str(info.value)
    assert len(handler.requests) == 1  # a POST is not retried after a 5xx


def _echo_json(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        auth = request.headers["Authorization"]
        token = auth.split(" ", 1)[1]
        body = {
            "type": "authentication_error",
            "message": f"unknown key {token}",
            "request_id": f"req-{token}",
            "details": {"authorization": auth, "encoded": f"k={quote(token, safe='')}"},
        }
        return httpx.Response(status, json=body)

    return answer


def _echo_text(status: int, template: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=template.format(auth=request.headers["Authorization"]))

    return answer


def _refuse_quoting_the_header(request: httpx.Request) -> httpx.Response:
    # Like h11's "Illegal header value b'...'": an httpx error that quotes the header.
    raise httpx.ConnectError(f"refused, header was {request.headers['Authorization']}")


# A key with '/' and '+' is spelled differently raw, URL-encoded and JSON-escaped.
ECHOED = "sk-canary/7f3a9c1e5b2d+4f6a8c0e-ZQXW"
ECHOED_FORMS = (ECHOED, quote(ECHOED, safe=""), "7f3a9c1e5b2d")


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (_echo_json(401), AuthenticationError),
        (_echo_text(200, "<html>hello {auth}</html>"), APIResponseValidationError),
        (
            _echo_text(500, "<html><pre>Traceback... headers: {auth}</pre></html>"),
            InternalServerError,
        ),
        # The key straddles the snippet's length limit: redacting after cutting would leak half.
        (_echo_text(502, "x" * 100 + " {auth} tail"), InternalServerError),
        (_refuse_quoting_the_header, APIConnectionError),
    ],
    ids=["401-json", "200-html", "500-html", "502-cut", "connect-error"],
)
def test_key_echoed_by_the_server_is_redacted_from_errors(
    answer: Callable[[httpx.Request], httpx.Response], cls: type[AntimetalError]
) -> None:
    client = AntimetalClient(api_key=ECHOED, transport=httpx.MockTransport(answer), max_retries=0)
    with pytest.raises(cls) as info:
        create(client)
    exc = info.value
    shown = [str(exc), repr(exc), exc.message, "".join(traceback.format_exception(exc))]
    if isinstance(exc, APIStatusError):
        shown += [repr(exc.details), str(exc.type), str(exc.request_id), str(exc.note)]
    text = "\n".join(shown)
    for form in ECHOED_FORMS:
        assert form not in text
    assert "[REDACTED]" in text
    if isinstance(exc, AuthenticationError):
        assert exc.message == "unknown key [REDACTED]"
        assert exc.details == {"authorization": "Bearer [REDACTED]", "encoded": "k=[REDACTED]"}
        assert exc.request_id == "req-[REDACTED]"
        assert exc.body["message"] == f"unknown key {ECHOED}"  # .body keeps what was sent
    if isinstance(exc, APIResponseValidationError | APIStatusError):
        assert ECHOED in exc.response.text  # and so does .response


def test_an_overriding_bearer_token_is_redacted_too() -> None:
    other_token = "tok-0123456789abcdef"
    client = AntimetalClient(
        api_key=CANARY, transport=httpx.MockTransport(_echo_json(401)), max_retries=0
    )
    with pytest.raises(AuthenticationError) as info:
        create(client, extra_headers={"Authorization": f"Bearer {other_token}"})
    assert other_token not in str(info.value)
    assert info.value.message == "unknown key [REDACTED]"


def test_connection_error(make_client: Callable[..., AntimetalClient]) -> None:
    handler = Handler(httpx.ConnectError("connection refused"))
    with pytest.raises(APIConnectionError, match="connection refused") as info:
        create(make_client(handler, max_retries=0))
    assert info.value.attempts == 1


# --- secrets ---------------------------------------------------------------------------


def test_mask_secret_shows_at_most_four_characters() -> None:
    assert mask_secret(CANARY) == "…ZQXW"
    assert mask_secret("short-key") == "…"
    assert mask_secret("") == "…"


def test_repr_and_str_mask_the_key(make_client: Callable[..., AntimetalClient]) -> None:
    client = make_client(Handler(created()))
    for text in (repr(client), str(client), repr(client.issues), repr(client.retry_policy)):
        assert CANARY_CORE not in text
    assert "api_key='…ZQXW'" in repr(client)
    assert "base_url='https://bff.antimetal.com/api/v2'" in repr(client)


def _all_text_of(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc)), str(exc), repr(exc), repr(exc.args)]
    for name in ("response", "request"):
        value = getattr(exc, name, None)
        if value is not None:
            parts.append(repr(value))
            parts.append(repr(getattr(value, "headers", "")))
    response = getattr(exc, "response", None)
    if response is not None:
        parts.append(repr(response.request))
        parts.append(repr(response.request.headers))
    return "\n".join(parts)


@pytest.mark.parametrize(
    "answer",
    [
        error(401, "authentication_error", "bad key"),
        error(429, headers={"Retry-After": "3600"}),
        httpx.Response(500, text="oops"),
        httpx.Response(201, json={"nope": 1}),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ],
)
def test_canary_key_absent_from_errors_logs_and_tracebacks(
    make_client: Callable[..., AntimetalClient],
    caplog: pytest.LogCaptureFixture,
    answer: httpx.Response | Exception,
) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_antimetal")
    client = make_client(Handler(answer), max_retries=1)
    with pytest.raises(AntimetalError) as info:
        create(client)
    assert CANARY_CORE not in _all_text_of(info.value)
    assert caplog.records, "the client logs its requests at DEBUG"
    assert CANARY_CORE not in caplog.text
    assert "Bearer [REDACTED]" in caplog.text


@pytest.mark.parametrize("answer", ["401", "connect"])
def test_canary_key_absent_from_pytest_failure_output(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", CANARY)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        f"""
        import httpx
        from pytest_antimetal.client import AntimetalClient

        def handler(request):
            if {answer!r} == "connect":
                raise httpx.ConnectError("refused")
            return httpx.Response(401, json={{"type": "authentication_error",
                                              "message": "bad key", "request_id": "r1"}})

        def test_it():
            client = AntimetalClient(transport=httpx.MockTransport(handler), max_retries=0)
            client.issues.create(title="t", description="d", environment="e")
        """
    )
    result = pytester.runpytest("-p", "no:antimetal", "--tb=long", "--showlocals")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert ("AuthenticationError" if answer == "401" else "APIConnectionError") in output
    assert "…ZQXW" in output  # the locals were shown, masked
    assert CANARY_CORE not in output


@pytest.mark.parametrize("bad", [CANARY + "\n", "sk ü-" + CANARY_CORE, "a b"])
def test_unusable_key_is_rejected_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError, match="ANTIMETAL_API_KEY") as info:
        AntimetalClient(api_key=bad)
    assert CANARY_CORE not in "".join(traceback.format_exception(info.value))


def test_importing_the_client_does_not_load_the_spec() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pytest_antimetal.client\n"
        "assert 'yaml' not in sys.modules, 'yaml'\n"
        "assert 'pytest_antimetal.spec' not in sys.modules, 'spec'\n"
        "pytest_antimetal.client.AntimetalClient(api_key='k')\n"
        "assert 'pytest_antimetal.spec' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_importable_from_client() -> None:
    from pytest_antimetal import client

    for name in client.__all__:
        assert hasattr(client, name), name


# --- real HTTP on loopback -------------------------------------------------------------------


def test_over_real_http_against_the_fake_server() -> None:
    fake_module = pytest.importorskip("pytest_antimetal.fake")
    with fake_module.FakeServer() as server:
        with AntimetalClient(api_key=server.fake.api_key, base_url=server.url) as client:
            issue = create(client, severity="low")
            with pytest.raises(BadRequestError) as info:
                create(client, title="")
        recorded = server.fake.requests
    assert issue.severity == "low"
    assert issue.request_id == recorded[0].request_id
    assert "title" in info.value.details
    assert recorded[0].headers["antimetal-version"] == "2026-03-17"


def test_refused_connection_on_loopback_is_retried_then_raised(sleeps: Sleeps) -> None:
    import socket

    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = AntimetalClient(
        api_key=CANARY,
        base_url=f"http://127.0.0.1:{port}",
        retry_policy=RetryPolicy(sleep=sleeps, random=lambda: 1.0),
    )
    with pytest.raises(APIConnectionError) as info:
        create(client)
    assert sleeps.calls == [0.5, 1.0]
    assert info.value.attempts == 3
    assert f"127.0.0.1:{port}" in str(info.value)
    assert CANARY_CORE not in "".join(traceback.format_exception(info.value))
