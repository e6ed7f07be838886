"""The loopback server: uvicorn in a background thread over the same core."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from tests.fake.documents import one_operation_spec
from tests.helpers.fake import VALID_BODY, validate_every_response, validated


@pytest.fixture(autouse=True)
def _every_response_matches_the_spec(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    seen = validate_every_response(monkeypatch)
    yield
    assert all(100 <= status < 600 for status in seen)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeAntimetal(spec=one_operation_spec(), max_body_bytes=4096)
    with FakeServer(fake) as running:
        yield running


def _client(server: FakeServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.fake.api_key}"}
    return httpx.Client(base_url=server.url, headers=headers)


def test_url_and_create(server: FakeServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.port != 0
    with _client(server) as c:
        created = c.post("/issues", json=VALID_BODY)
        prefixed = c.post("/api/v2/issues", json=VALID_BODY)
        missing = c.post("/nope", json=VALID_BODY)
        wrong = c.get("/issues")
    assert validated(created)["number"] == 1
    assert validated(prefixed)["number"] == 2
    assert missing.status_code == 404
    validated(missing)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    validated(wrong)
    assert [r.status for r in server.fake.requests] == [201, 201, 404, 405]


def test_bad_inputs_over_http(server: FakeServer) -> None:
    with _client(server) as c:
        too_big = c.post(
            "/issues",
            content=b"{" + b" " * 10_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        bad_utf8 = c.post(
            "/issues", content=b'{"title":"\xff"}', headers={"Content-Type": "application/json"}
        )
        after = c.post("/issues", json=VALID_BODY)  # same keep-alive connection still works
    assert too_big.status_code == 400
    assert "too large" in validated(too_big)["message"]
    assert bad_utf8.status_code == 400
    validated(bad_utf8)
    assert after.status_code == 201
    no_auth = httpx.post(server.url + "/issues", json=VALID_BODY)
    assert no_auth.status_code == 401
    validated(no_auth)


def test_duplicate_authorization_headers_rejected(server: FakeServer) -> None:
    key = server.fake.api_key
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        body = json.dumps(VALID_BODY).encode()
        request = (
            f"POST /issues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 401 ")


def test_asgi_adapter_never_drops(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("bug in the core")

    monkeypatch.setattr(server.fake, "handle", boom)
    with caplog.at_level(logging.ERROR, logger="pytest_antimetal.fake"):
        response = httpx.post(server.url + "/issues", json=VALID_BODY)
    assert response.status_code == 500
    assert (
        validated(response)["type"] == "api_error" if "x-request-id" in response.headers else True
    )
    assert response.json()["type"] == "api_error"
    assert response.json()["request_id"].startswith("req_")


def test_stop_and_restartable_object() -> None:
    server = FakeServer()
    with server:
        url = server.url
        assert httpx.post(url + "/issues", json=VALID_BODY).status_code == 401
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/issues", json=VALID_BODY)
    server.stop()  # idempotent


def test_port_in_use_is_an_oserror(server: FakeServer) -> None:
    with pytest.raises(OSError, match="in use"):
        FakeServer(port=server.port).start()


def test_eight_concurrent_clients_1200_issues(server: FakeServer) -> None:
    per_client = 150
    results: list[list[httpx.Response]] = [[] for _ in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(slot: int) -> None:
        try:
            with _client(server) as c:
                barrier.wait()
                for i in range(per_client):
                    results[slot].append(
                        c.post("/issues", json={**VALID_BODY, "title": f"{slot}-{i}"})
                    )
        except BaseException as exc:  # reported below: a thread has no caller
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    responses = [r for rs in results for r in rs]
    assert len(responses) == 1200
    assert {r.status_code for r in responses} == {201}
    bodies = [r.json() for r in responses]
    assert len({b["uuid"] for b in bodies}) == 1200
    assert sorted(b["number"] for b in bodies) == list(range(1, 1201))
    assert len({b["title"] for b in bodies}) == 1200
    for r in responses[::100]:
        validated(r)
    assert len(server.fake.issues) == 1200
    with _client(server) as c:
        after = c.post("/issues", json=VALID_BODY)
    assert validated(after)["number"] == 1201
