"""The fake as a server on loopback: header limits, connection limits and timeouts,
pipelining with a half-close (issue 10, items 16-18)."""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from tests.helpers.fake import VALID_BODY, exchange, parse_responses, raw_post, validated

_BODY = json.dumps(VALID_BODY).encode()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeAntimetal()) as running:
        yield running


def _refused(data: bytes, status: int) -> dict[str, Any]:
    replies = parse_responses(data)
    assert [r.status_code for r in replies] == [status], data[:300]
    assert replies[0].headers["connection"] == "close"
    body: dict[str, Any] = validated(replies[0])
    assert body["type"] == "invalid_request_error"
    return body


def _still_serving(server: FakeServer) -> None:
    replies = parse_responses(
        exchange(server.port, raw_post(server.fake.api_key, _BODY), half_close=True)
    )
    assert [r.status_code for r in replies] == [201]


# -- item 16: header size and count ---------------------------------------------------------


def test_one_huge_header_is_431(server: FakeServer) -> None:
    huge = "X-Big: " + "a" * (16 << 20) + "\r\n"  # 16 MiB in one header line
    body = _refused(exchange(server.port, raw_post(server.fake.api_key, _BODY, extra=huge)), 431)
    assert "65536 bytes" in body["message"]
    assert server.fake.issues == []
    assert server.fake.requests == []  # refused before the fake: nothing recorded
    _still_serving(server)


def test_a_hundred_thousand_headers_are_431(server: FakeServer) -> None:
    many = "".join(f"X-H{i}: v\r\n" for i in range(100_000))
    body = _refused(exchange(server.port, raw_post(server.fake.api_key, _BODY, extra=many)), 431)
    assert "too many header fields (limit 100)" in body["message"]
    assert server.fake.issues == []
    _still_serving(server)


def test_header_count_limit_is_exactly_100(server: FakeServer) -> None:
    key = server.fake.api_key
    # raw_post sends 4 fields (Host, Authorization, Content-Type, Content-Length).
    at_limit = raw_post(key, _BODY, extra="".join(f"X-H{i}: v\r\n" for i in range(96)))
    over = raw_post(key, _BODY, extra="".join(f"X-H{i}: v\r\n" for i in range(97)))
    assert [
        r.status_code for r in parse_responses(exchange(server.port, at_limit, half_close=True))
    ] == [201]
    _refused(exchange(server.port, over), 431)


def _head_of_size(key: str, size: int) -> bytes:
    """A request whose request line and header lines (CRLFs included) are *size* bytes."""
    base = raw_post(key, _BODY, extra="X-Pad: \r\n")
    head_len = base.index(b"\r\n\r\n") + 2  # up to the last header line's CRLF
    return raw_post(key, _BODY, extra="X-Pad: " + "p" * (size - head_len) + "\r\n")


def test_header_bytes_limit_is_exactly_64_kib(server: FakeServer) -> None:
    key = server.fake.api_key
    at_limit = _head_of_size(key, 65_536)
    assert at_limit.index(b"\r\n\r\n") + 2 == 65_536
    replies = parse_responses(exchange(server.port, at_limit, half_close=True))
    assert [r.status_code for r in replies] == [201]
    _refused(exchange(server.port, _head_of_size(key, 65_537)), 431)
    # The request line counts in the head: a line under the limit with headers past it is 431.
    long_target = "/issues?" + "q" * 60_000
    _refused(
        exchange(
            server.port, raw_post(key, _BODY, target=long_target, extra=f"X-Pad: {'p' * 6_000}\r\n")
        ),
        431,
    )


def test_a_request_line_over_the_limit_on_its_own_is_400(server: FakeServer) -> None:
    # Every operation with parameters documents 400 (the document has no 414 or 431), so a
    # fuzzer's over-long `GET /artifacts?id=...` gets an answer it expects; refused as it
    # arrives (one read past the limit), or once the line ends (a line just over it).
    key = server.fake.api_key
    for size in (70_000, 1_000_000):
        target = "/artifacts?" + "&".join(["id=" + "a" * 60] * (size // 64))
        body = _refused(exchange(server.port, raw_post(key, _BODY, target=target)), 400)
        assert body["message"] == "request line too long (limit 65536 bytes)"
    line = raw_post(key, _BODY, target="/artifacts?id=a").index(b"\r\n") + 2
    just_over = "/artifacts?id=a" + "a" * (65_537 - line)
    _refused(exchange(server.port, raw_post(key, _BODY, target=just_over)), 400)
    assert server.fake.issues == []
    _still_serving(server)


# -- item 18: pipelining and half-close -------------------------------------------------------


def _titled(key: str, n: int) -> list[bytes]:
    return [raw_post(key, json.dumps({**VALID_BODY, "title": f"t{i}"}).encode()) for i in range(n)]


def test_pipelined_requests_then_half_close_are_all_answered(server: FakeServer) -> None:
    requests = _titled(server.fake.api_key, 20)
    replies = parse_responses(exchange(server.port, b"".join(requests), half_close=True))
    assert [r.status_code for r in replies] == [201] * 20
    assert [validated(r)["title"] for r in replies] == [f"t{i}" for i in range(20)]
    assert [i["number"] for i in server.fake.issues] == list(range(1, 21))


def test_a_request_cut_short_by_half_close_creates_nothing(server: FakeServer) -> None:
    requests = _titled(server.fake.api_key, 4)
    cut = requests[3][:-5]  # the last body is 5 bytes short of its Content-Length
    replies = parse_responses(exchange(server.port, b"".join(requests[:3]) + cut, half_close=True))
    assert [validated(r)["title"] for r in replies] == ["t0", "t1", "t2"]
    assert [i["title"] for i in server.fake.issues] == ["t0", "t1", "t2"]
    assert len(server.fake.requests) == 3
    # Alone, a cut-short request gets no answer, creates nothing, and the connection closes.
    assert exchange(server.port, cut, half_close=True) == b""
    assert len(server.fake.issues) == 3


# -- item 17: connections and timeouts --------------------------------------------------------


def _closed_by_server(socks: list[socket.socket], timeout: float = 10.0) -> bool:
    """Whether every socket in *socks* sees the server's close within *timeout* in all."""
    pending = list(socks)
    while pending:
        ready, _, _ = select.select(pending, [], [], timeout)
        if not ready:
            return False
        for sock in ready:
            try:
                if sock.recv(4096):
                    return False  # an answer where a plain close was expected
            except ConnectionResetError:
                pass
            pending.remove(sock)
    return True


def test_idle_connections_over_the_limit_never_lock_out_a_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pytest_antimetal.fake import ServerLimits

    caplog.set_level(logging.DEBUG)
    with FakeServer(limits=ServerLimits(max_connections=50)) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(60)]
        try:
            headers = {"Authorization": f"Bearer {server.fake.api_key}"}
            response = httpx.post(
                server.url + "/issues", json=VALID_BODY, headers=headers, timeout=5
            )
            assert response.status_code == 201
            validated(response)
            # 50 at most: the 11 that waited longest were closed for the 10 idle and the client.
            assert _closed_by_server(idle[:11])
        finally:
            for sock in idle:
                sock.close()
    limit_records = [r for r in caplog.records if "connections open" in r.getMessage()]
    assert len(limit_records) == 1  # logged once, not per connection
    assert sum(len(r.getMessage()) for r in caplog.records) < 2_000


def test_a_request_not_sent_in_full_in_time_is_408_and_an_idle_connection_closes() -> None:
    from pytest_antimetal.fake import ServerLimits

    with FakeServer(limits=ServerLimits(request_timeout=0.5)) as server:
        with (
            socket.create_connection(("127.0.0.1", server.port)) as slow,
            socket.create_connection(("127.0.0.1", server.port)) as idle,
        ):
            slow.sendall(b"POST /issues HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.settimeout(10)
            received = b""
            while chunk := slow.recv(65536):
                received += chunk
            body = _refused(received, 408)
            assert "within 0.5 s" in body["message"]
            assert _closed_by_server([idle])
        assert server.fake.requests == []


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_NOFILE and /proc: Linux")
def test_cli_under_a_low_open_file_limit_keeps_serving_and_logs_little() -> None:
    """The issue's slowloris run, scaled down: 400 idle connections against a process
    limited to 256 open files (the fake allows 128 connections by default there)."""
    wrapper = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)); "
        "from pytest_antimetal.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", wrapper, "fake", "--api-key", "limit-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "ANTIMETAL_API_KEY"},
    )
    idle: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        port = int(url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(400)]
        headers = {"Authorization": "Bearer limit-key"}
        response = httpx.post(url + "/issues", json=VALID_BODY, headers=headers, timeout=10)
        assert response.status_code == 201
    finally:
        for sock in idle:
            sock.close()
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    assert len(err) < 2_000, err[:2_000]
