"""What this run created on a server that is not the embedded fake.

Every issue a test creates through ``antimetal_client`` / ``antimetal_async_client``
(directly or through ``antimetal_issue_factory``) is noted by a thin transport
around the real one, so the end-of-run summary lists all of them, whichever
helper made them. A transport, not a client hook: it sees exactly what went
over the wire (a retried POST that created twice is listed twice), and vcrpy
still records and replays the inner transport it wraps.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["AsyncCreationLog", "CreationLog", "created_issue"]

Note = Callable[[dict[str, Any]], None]


def created_issue(request: httpx.Request, response: httpx.Response) -> dict[str, Any] | None:
    """``{"number", "uuid", "title"}`` when *response* answers a create, else ``None``."""
    if request.method != "POST" or not request.url.path.rstrip("/").endswith("/issues"):
        return None
    if not 200 <= response.status_code < 300:
        return None
    try:
        answer = json.loads(response.content)
        sent = json.loads(request.content) if request.content else {}
    except ValueError:
        answer, sent = {}, {}
    answer = answer if isinstance(answer, dict) else {}
    sent = sent if isinstance(sent, dict) else {}
    return {
        "number": answer.get("number") if isinstance(answer.get("number"), int) else None,
        "uuid": str(answer.get("uuid", "?")),
        "title": str(sent.get("title", "?")),
    }


class CreationLog(httpx.BaseTransport):
    """Pass requests to *inner*; call *note* for each issue a response says was created."""

    def __init__(self, inner: httpx.BaseTransport, note: Note) -> None:
        self._inner = inner
        self._note = note

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method == "POST":
            response.read()
            issue = created_issue(request, response)
            if issue is not None:
                self._note(issue)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncCreationLog(httpx.AsyncBaseTransport):
    """The async twin of :class:`CreationLog`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, note: Note) -> None:
        self._inner = inner
        self._note = note

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method == "POST":
            await response.aread()
            issue = created_issue(request, response)
            if issue is not None:
                self._note(issue)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
