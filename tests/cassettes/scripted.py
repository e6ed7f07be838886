"""A scripted stand-in for the vendor's nine operations, for the cassette tests.

Bodies are the smallest values the vendor's full document accepts
(:func:`pytest_antimetal.spec.minimal.minimal_value`), with what a test needs
to observe filled in: a list's item titles echo the query it was sent, an
artifact per requested id, a streamed answer event by event. Served in process
(:meth:`ScriptedApi.transport`, an ``httpx.MockTransport`` VCR.py records) and
on loopback (:class:`ScriptedServer`, a thread; the stream goes out one event a
write). Every request served is counted, so a test knows a replay served none.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from pytest_antimetal.spec import Spec
from pytest_antimetal.spec.minimal import minimal_value

VENDOR = Path(__file__).resolve().parents[3] / "shared" / "vendor" / "openapi.mintlify.json"
ISSUE_ID = "3f0c6a52-9a4e-4c1b-8d2f-5e7a9b1c0d3e"
CONVERSATION = "6a1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
DELTAS = ("The checkout", " pods ran out", " of memory.")


def vendor_spec() -> Spec:
    """The vendor's full document; the calling test is skipped when it is absent."""
    import pytest

    if not VENDOR.is_file():
        pytest.skip(f"the vendor's full document is not at {VENDOR}")
    return Spec.from_path(VENDOR)


def sse(events: list[dict[str, Any]], *, line_end: str = "\n") -> list[bytes]:
    """Each event as it goes on the wire: ``data: <json>`` and a blank line."""
    return [f"data: {json.dumps(e)}{line_end}{line_end}".encode() for e in events]


def stream_events(artifact: bool = True) -> list[dict[str, Any]]:
    """The default streamed answer: text deltas, an artifact event, the final chunk."""
    events: list[dict[str, Any]] = [{"text": text} for text in DELTAS]
    if artifact:
        events.insert(1, {"artifact": {"id": "metric:datadog:mem", "tool_name": "datadog"}})
    return [*events, {"conversation_id": CONVERSATION}]


class ScriptedApi:
    """Answers the nine operations under ``/api/v2`` (authentication is not checked)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.served = 0
        self.stream_chunks: list[bytes] = sse(stream_events())
        issue = minimal_value(spec.schema("IssueDto"))
        self.issue = {**issue, "uuid": ISSUE_ID, "title": "Checkout 500s", "environment": "prod"}

    # -- answers ------------------------------------------------------------------------

    def _json(self, status: int, body: Any) -> httpx.Response:
        return httpx.Response(status, json=body)

    def _stream(self) -> httpx.Response:
        def chunks() -> Iterator[bytes]:
            yield from self.stream_chunks

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=chunks())

    def answer(
        self, method: str, path: str, query: str, body: bytes, accept: str
    ) -> httpx.Response:
        """The response to one request (path relative to ``/api/v2``)."""
        self.served += 1
        pairs = parse_qsl(query, keep_blank_values=True)
        if (method, path) == ("POST", "/issues"):
            created = minimal_value(
                self.spec.operation("post", "/issues").response_schema(201) or {}
            )
            return self._json(201, {**created, "uuid": ISSUE_ID})
        if (method, path) == ("GET", "/issues"):
            summary = minimal_value(self.spec.schema("IssueSummaryDto"))
            # The title shows which query the answer was for, in the order it came.
            title = "&".join(f"{k}={v}" for k, v in pairs) or "no query"
            item = {**summary, "uuid": ISSUE_ID, "title": title}
            return self._json(200, {"object": "list", "data": [item], "has_more": False})
        if (number := re.fullmatch(r"/issues/by_number/(\d+)", path)) and method == "GET":
            return self._json(200, {**self.issue, "number": int(number[1])})
        if (found := re.fullmatch(r"/issues/([^/]+)", path)) is not None:
            if method == "GET":
                return self._json(200, {**self.issue, "uuid": found[1]})
            if method == "PATCH":
                status = json.loads(body or b"{}").get("status", "resolved")
                return self._json(200, {**self.issue, "uuid": found[1], "status": status})
            if method == "DELETE":
                return httpx.Response(204)
        if re.fullmatch(r"/issues/[^/]+/results", path) and method == "GET":
            return self._json(200, minimal_value(self.spec.schema("IssueResultsDto")))
        if (method, path) == ("GET", "/artifacts"):
            event = minimal_value(self.spec.schema("EventArtifactDto"))
            ids = [v for k, v in pairs if k == "id"]
            return self._json(200, [{**event, "id": artifact_id} for artifact_id in ids])
        if (method, path) == ("POST", "/query"):
            request = json.loads(body or b"{}")
            if request.get("stream") and "text/event-stream" in accept:
                return self._stream()
            answer = {"conversation_id": CONVERSATION, "answer": "".join(DELTAS), "artifacts": []}
            return self._json(200, answer)
        error = {"type": "not_found_error", "message": "no such operation", "request_id": "r"}
        return self._json(404, error)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The ``httpx.MockTransport`` handler."""
        path = request.url.path.removeprefix("/api/v2")
        return self.answer(
            request.method,
            path,
            request.url.query.decode(),
            request.read(),
            request.headers.get("accept", ""),
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


class ScriptedServer:
    """:class:`ScriptedApi` on ``http://127.0.0.1:<port>/api/v2`` in a thread (a context manager)."""

    def __init__(self, api: ScriptedApi) -> None:
        self.api = api
        scripted = api

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                response = scripted.answer(
                    self.command,
                    path.removeprefix("/api/v2"),
                    query,
                    body,
                    self.headers.get("accept", ""),
                )
                if response.headers.get("content-type") == "text/event-stream":
                    # One event a write, the connection closing at the end of the stream.
                    head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    self.wfile.write(f"{head}connection: close\r\n\r\n".encode())
                    for chunk in response.iter_bytes():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    self.close_connection = True
                    return
                content = response.read()
                lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
                lines += [f"{k}: {v}" for k, v in response.headers.items() if k != "content-length"]
                lines.append(f"content-length: {len(content)}")
                # Head and body in one write (no delayed-ACK stalls).
                self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + content)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/v2"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
