"""The in-process transport: sync and async httpx clients, added latency."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeResponse, FakeTransport, Handler
from pytest_antimetal.fake import transport as transport_module
from pytest_antimetal.fake.asgi import ASGIApp
from tests.helpers.fake import VALID_BODY, validate_every_response, validated


@pytest.fixture(autouse=True)
def _every_response_matches_the_spec(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    seen = validate_every_response(monkeypatch)
    yield
    assert all(100 <= status < 600 for status in seen)


def test_transport_is_a_mock_transport() -> None:
    fake = FakeAntimetal()
    assert isinstance(fake.transport, httpx.MockTransport)
    assert isinstance(fake.transport, FakeTransport)
    assert fake.transport is fake.transport


class _Recorder:
    """A handler that is no FakeAntimetal: the adapters need the small protocol only."""

    max_body_bytes = 4
    latency = 0.0

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []

    def handle(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        self.seen.append((method, url_or_path, body))
        return FakeResponse(202, {"content-type": "application/json"}, b'{"seen":true}')

    def error_response(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> FakeResponse:
        return FakeResponse(status, {"content-type": "application/json"}, b"{}")


def test_transport_serves_any_handler() -> None:
    handler: Handler = _Recorder()
    with httpx.Client(transport=FakeTransport(handler), base_url="https://x.test") as c:
        response = c.post("/any%3Fthing", content=b"hello")
    assert (response.status_code, response.json()) == (202, {"seen": True})
    assert handler.seen == [("POST", "/any?thing", b"hello")]  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_asgi_app_serves_any_handler_within_its_body_limit() -> None:
    handler = _Recorder()
    transport = httpx.ASGITransport(app=ASGIApp(handler))
    async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as c:
        response = await c.post("/issues", content=b"0123456789")
    assert (response.status_code, response.json()) == (202, {"seen": True})
    # One byte past the handler's own limit reaches it, so it can tell the body is too big.
    assert handler.seen == [("POST", "/issues", b"01234")]


def test_sync_client() -> None:
    fake = FakeAntimetal()
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as c:
        numbers = [validated(c.post("/issues", json=VALID_BODY))["number"] for _ in range(3)]
    assert numbers == [1, 2, 3]


@pytest.mark.asyncio
async def test_async_client_shares_state_with_sync() -> None:
    fake = FakeAntimetal()
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(
        transport=fake.transport, base_url=fake.base_url, headers=headers
    ) as c:
        first = await c.post("/issues", json=VALID_BODY)
        bad = await c.post("/issues", content=b"{", headers={"Content-Type": "application/json"})
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as c:
        second = c.post("/issues", json=VALID_BODY)
    assert validated(first)["number"] == 1
    assert validated(bad)["type"] == "invalid_request_error"
    assert bad.status_code == 400
    assert validated(second)["number"] == 2


@pytest.mark.asyncio
async def test_async_latency_uses_async_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    def forbidden_sleep(seconds: float) -> None:
        raise AssertionError("an async client must not block the loop")

    monkeypatch.setattr(transport_module, "_async_sleep", fake_sleep)
    monkeypatch.setattr(transport_module, "_sleep", forbidden_sleep)
    fake = FakeAntimetal()
    fake.latency = 0.25
    async with httpx.AsyncClient(transport=fake.transport, base_url=fake.base_url) as c:
        response = await c.post("/issues", json=VALID_BODY)
    assert response.status_code == 401
    assert slept == [0.25]


def test_sync_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(transport_module, "_sleep", slept.append)
    fake = FakeAntimetal()
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        c.post("/issues", json=VALID_BODY)
        fake.latency = 0.5
        c.post("/issues", json=VALID_BODY)
    assert slept == [0.5]


@pytest.mark.asyncio
async def test_async_latency_lower_bound() -> None:
    fake = FakeAntimetal()
    fake.latency = 0.05
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(
        transport=fake.transport, base_url=fake.base_url, headers=headers
    ) as c:
        started = time.perf_counter()
        response = await c.post("/issues", json=VALID_BODY)
        elapsed = time.perf_counter() - started
    assert response.status_code == 201
    assert elapsed >= 0.05
