"""The async client, and its parity with the sync one (surface and behaviour)."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient, AsyncIssues, Issues
from pytest_antimetal.errors import (
    AntimetalError,
    APIConnectionError,
    APIResponseValidationError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    MissingAPIKeyError,
    RateLimitError,
)

CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e-ZQXW"
CANARY_CORE = "7f3a9c1e5b2d4f6a8c0e"


def issue_json() -> dict[str, Any]:
    stamp = "2026-03-17T10:00:00.000Z"
    return {
        "uuid": "u-1",
        "number": 3,
        "status": "investigating",
        "title": "t",
        "description": "d",
        "environment": "e",
        "severity": "high",
        "createdAt": stamp,
        "updatedAt": stamp,
        "triggeredAt": stamp,
        "latestVersion": 1,
    }


def ok() -> httpx.Response:
    return httpx.Response(201, json=issue_json(), headers={"X-Request-Id": "req_ok"})


def err(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {
        "type": "invalid_request_error" if status == 400 else "api_error",
        "message": "nope",
        "request_id": f"req_{status}",
        "details": {"title": "required"} if status == 400 else {},
    }
    return httpx.Response(status, json=body, headers=headers or {})


Answer = Callable[[], httpx.Response] | Exception


class Script:
    """Answers in order (the last repeats) and records what was sent."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict[str, str], Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers[min(len(self.sent), len(self.answers) - 1)]
        headers = {k: v for k, v in request.headers.items() if k != "content-length"}
        self.sent.append((request.method, str(request.url), headers, json.loads(request.content)))
        if isinstance(answer, Exception):
            raise answer
        return answer()


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


def policy(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.sleep, async_sleep=sleeps.async_sleep, random=lambda: 0.0)


ARGS: dict[str, Any] = {
    "title": "t",
    "description": "d",
    "environment": "e",
    "severity": "high",
    "context": {"tags": ["x"]},
}


# --- async behaviour -----------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_create() -> None:
    script = Script(ok)
    sleeps = Sleeps()
    async with AsyncAntimetalClient(
        api_key=CANARY, transport=httpx.MockTransport(script), retry_policy=policy(sleeps)
    ) as client:
        issue = await client.issues.create(**ARGS)
        assert not client.http.is_closed
    assert client.http.is_closed
    assert issue.number == 3
    assert issue.request_id == "req_ok"
    method, url, headers, body = script.sent[0]
    assert (method, url) == ("POST", "https://bff.antimetal.com/api/v2/issues")
    assert headers["authorization"] == f"Bearer {CANARY}"
    assert headers["antimetal-version"] == "2026-03-17"
    assert body == ARGS


@pytest.mark.asyncio
async def test_async_missing_key() -> None:
    with pytest.raises(MissingAPIKeyError, match="ANTIMETAL_API_KEY"):
        AsyncAntimetalClient()


@pytest.mark.asyncio
async def test_async_retries_use_async_sleep() -> None:
    sleeps = Sleeps()
    script = Script(lambda: err(429, {"Retry-After": "4"}), httpx.ConnectError("refused"), ok)
    client = AsyncAntimetalClient(
        api_key="k", transport=httpx.MockTransport(script), retry_policy=policy(sleeps)
    )
    issue = await client.issues.create(**ARGS)
    assert issue.uuid == "u-1"
    assert sleeps.calls == [4.0, 0.75]
    await client.aclose()


@pytest.mark.asyncio
async def test_async_no_post_retry_after_500() -> None:
    sleeps = Sleeps()
    script = Script(lambda: err(500), ok)
    client = AsyncAntimetalClient(
        api_key="k", transport=httpx.MockTransport(script), retry_policy=policy(sleeps)
    )
    with pytest.raises(InternalServerError):
        await client.issues.create(**ARGS)
    assert len(script.sent) == 1
    assert sleeps.calls == []


@pytest.mark.asyncio
async def test_async_user_http_client_not_closed() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(Script(ok)))
    async with AsyncAntimetalClient(api_key="k", http_client=http) as client:
        assert client.http is http
        await client.issues.create(**ARGS)
    assert not http.is_closed
    await http.aclose()


@pytest.mark.asyncio
async def test_async_against_the_fake() -> None:
    fake_module = pytest.importorskip("pytest_antimetal.fake")
    fake = fake_module.FakeAntimetal()
    sleeps = Sleeps()
    fake.fail_next(1, status=429, retry_after=1)
    async with AsyncAntimetalClient(
        api_key=fake.api_key, transport=fake.transport, retry_policy=policy(sleeps)
    ) as client:
        issue = await client.issues.create(title="t", description="d", environment="e")
        with pytest.raises(AuthenticationError):
            await client.with_options(api_key="wrong-key").issues.create(**ARGS)
    assert sleeps.calls == [1.0]
    assert fake.issues[0]["uuid"] == issue.uuid
    assert issue.severity == "medium"


@pytest.mark.asyncio
async def test_async_with_options_http_sends_the_new_key_to_the_new_base_url() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["Authorization"]))
        return ok()

    async with AsyncAntimetalClient(
        api_key=CANARY, base_url="https://a.example/api", transport=httpx.MockTransport(handler)
    ) as client:
        other = client.with_options(api_key="new-key-0123456789", base_url="https://b.example/api")
        assert isinstance(other, AsyncAntimetalClient)
        await other.http.post("/issues", json={})
        await other.issues.create(**ARGS)
        await other.aclose()  # leaves the shared pool open
        await client.http.post("/issues", json={})
    assert seen == [
        ("https://b.example/api/issues", "Bearer new-key-0123456789"),
        ("https://b.example/api/issues", "Bearer new-key-0123456789"),
        ("https://a.example/api/issues", f"Bearer {CANARY}"),
    ]


@pytest.mark.asyncio
async def test_async_key_echoed_by_the_server_is_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers["Authorization"]
        body = {"type": "authentication_error", "message": f"unknown {auth}", "request_id": "r"}
        return httpx.Response(401, json={**body, "details": {"header": auth}})

    client = AsyncAntimetalClient(
        api_key=CANARY, transport=httpx.MockTransport(handler), max_retries=0
    )
    with pytest.raises(AuthenticationError) as info:
        await client.issues.create(**ARGS)
    assert CANARY_CORE not in str(info.value)
    assert info.value.details == {"header": "Bearer [REDACTED]"}
    assert CANARY in info.value.body["message"]


@pytest.mark.asyncio
async def test_async_canary_absent(caplog: pytest.LogCaptureFixture) -> None:
    import traceback

    caplog.set_level(logging.DEBUG, logger="pytest_antimetal")
    client = AsyncAntimetalClient(
        api_key=CANARY, transport=httpx.MockTransport(Script(lambda: err(401))), max_retries=0
    )
    with pytest.raises(AuthenticationError) as info:
        await client.issues.create(**ARGS)
    text = "".join(traceback.format_exception(info.value)) + repr(client) + str(client)
    assert CANARY_CORE not in text
    assert CANARY_CORE not in caplog.text
    assert "…ZQXW" in repr(client)


# --- parity --------------------------------------------------------------------------

_ASYNC_NAMES = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}


def _public(cls: type) -> set[str]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    names |= {n for n in ("__enter__", "__exit__", "__aenter__", "__aexit__") if hasattr(cls, n)}
    return names


def _params(func: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


def test_public_surfaces_match() -> None:
    sync_names = {_ASYNC_NAMES.get(n, n) for n in _public(AntimetalClient)}
    assert sync_names == _public(AsyncAntimetalClient)
    assert _public(Issues) == _public(AsyncIssues)
    instance_attrs = {"issues", "base_url", "retry_policy", "spec", "timeout"}
    for cls in (AntimetalClient, AsyncAntimetalClient):
        client = cls(api_key="k")
        assert instance_attrs <= set(vars(client)) | set(dir(client))


@pytest.mark.parametrize("name", ["__init__", "with_options"])
def test_client_signatures_match(name: str) -> None:
    assert _params(getattr(AntimetalClient, name)) == _params(getattr(AsyncAntimetalClient, name))


def test_signature_annotations_differ_only_in_httpx_types() -> None:
    sync = inspect.signature(AntimetalClient.__init__).parameters
    async_ = inspect.signature(AsyncAntimetalClient.__init__).parameters
    differing = {n for n in sync if sync[n].annotation != async_[n].annotation}
    assert differing == {"http_client", "transport"}


def test_create_signatures_are_identical() -> None:
    assert inspect.signature(Issues.create) == inspect.signature(AsyncIssues.create)
    assert inspect.iscoroutinefunction(AsyncIssues.create)
    assert not inspect.iscoroutinefunction(Issues.create)
    assert inspect.iscoroutinefunction(AsyncAntimetalClient.aclose)


SCENARIOS: list[tuple[str, list[Answer]]] = [
    ("created", [ok]),
    ("bad request", [lambda: err(400)]),
    ("rate limited then ok", [lambda: err(429, {"Retry-After": "2"}), ok]),
    ("rate limited forever", [lambda: err(429)]),
    ("rate limit beyond cap", [lambda: err(429, {"Retry-After": "999"})]),
    ("500 not retried", [lambda: err(500), ok]),
    ("connect error retried", [httpx.ConnectError("refused"), ok]),
    ("read timeout not retried", [httpx.ReadTimeout("slow"), ok]),
    ("html error", [lambda: httpx.Response(502, text="<html>bad gateway</html>")]),
    ("off-spec 201", [lambda: httpx.Response(201, json={"uuid": 1})]),
]


def _outcome(result: Any) -> Any:
    if isinstance(result, AntimetalError):
        return (type(result), str(result))
    return result


@pytest.mark.parametrize(("label", "answers"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
@pytest.mark.asyncio
async def test_same_behaviour_on_the_same_handler(label: str, answers: list[Answer]) -> None:
    sync_script, async_script = Script(*answers), Script(*answers)
    sync_sleeps, async_sleeps = Sleeps(), Sleeps()
    sync_client = AntimetalClient(
        api_key="k", transport=httpx.MockTransport(sync_script), retry_policy=policy(sync_sleeps)
    )
    async_client = AsyncAntimetalClient(
        api_key="k", transport=httpx.MockTransport(async_script), retry_policy=policy(async_sleeps)
    )
    sync_result: Any
    async_result: Any
    try:
        sync_result = sync_client.issues.create(**ARGS)
    except AntimetalError as exc:
        sync_result = exc
    try:
        async_result = await async_client.issues.create(**ARGS)
    except AntimetalError as exc:
        async_result = exc
    assert _outcome(sync_result) == _outcome(async_result)
    assert sync_script.sent == async_script.sent
    assert sync_sleeps.calls == async_sleeps.calls
    expected_types = {
        "created": type(None),
        "bad request": BadRequestError,
        "rate limited forever": RateLimitError,
        "500 not retried": InternalServerError,
        "read timeout not retried": APIConnectionError,
        "off-spec 201": APIResponseValidationError,
    }
    if label in expected_types and label != "created":
        assert isinstance(sync_result, expected_types[label])
    sync_client.close()
    await async_client.aclose()


@pytest.mark.anyio
async def test_async_client_under_anyio() -> None:
    sleeps = Sleeps()
    script = Script(lambda: err(429, {"Retry-After": "1"}), ok)
    async with AsyncAntimetalClient(
        api_key="k", transport=httpx.MockTransport(script), retry_policy=policy(sleeps)
    ) as client:
        issue = await client.issues.create(**ARGS)
    assert (issue.number, sleeps.calls) == (3, [1.0])
