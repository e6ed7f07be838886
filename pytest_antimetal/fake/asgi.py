"""An ASGI 3 application over a handler (the fake), served by uvicorn on loopback."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from pytest_antimetal.fake.handler import Handler

__all__ = ["ASGIApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("pytest_antimetal.fake")


def _fallback() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    request_id = ("req_" + secrets.token_hex(12)).encode()
    body = b'{"type":"api_error","message":"internal error in the fake","request_id":"%s"}'
    headers = [(b"content-type", b"application/json"), (b"x-request-id", request_id)]
    return body % request_id, headers


def _target(scope: Scope) -> str:
    """The decoded path as is; with a query string, a URL the core splits again."""
    path: str = scope["path"]
    query: bytes = scope.get("query_string") or b""
    if not query:
        return path
    try:
        return "http://fake" + quote(path, safe="/") + "?" + query.decode("latin-1")
    except UnicodeEncodeError:  # a path that is no text: route it without its query
        return path


class ASGIApp:
    """Serves a fake (its :class:`.handler.Handler` side) over ASGI: always JSON, never drops."""

    def __init__(self, fake: Handler) -> None:
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        fake = self.fake
        try:
            # Keep one byte past the limit so the core sees the body is too big,
            # but drain the rest so a keep-alive connection stays usable.
            keep = fake.max_body_bytes + 1
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk: bytes = message.get("body", b"")
                if size < keep:
                    chunks.append(chunk[: keep - size])
                size += len(chunk)
                more = message.get("more_body", False)
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            headers: dict[str, str] = {}
            for raw_name, raw_value in scope["headers"]:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            if fake.latency > 0:
                import anyio

                await anyio.sleep(fake.latency)
            # scope["path"] is already percent-decoded and has no query: passed as is.
            # Handled on the event loop: every step of the core is linear in the body
            # (a thread hop per request would cost two thirds of the throughput).
            target = _target(scope)
            answer = fake.handle(scope["method"], target, headers, body)
            if answer.delay > 0:
                import anyio

                await anyio.sleep(answer.delay)
            status = answer.status
            payload = answer.body
            out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        except Exception:
            logger.exception("pytest-antimetal fake: unexpected error in the ASGI adapter")
            status = 500
            payload, out = _fallback()
        if (b"content-type", b"text/event-stream") in out:
            # Server-Sent Events go out as they are: one event a body chunk (chunked).
            await send({"type": "http.response.start", "status": status, "headers": out})
            events = payload.split(b"\n\n")[:-1]
            for event in events:
                await send(
                    {"type": "http.response.body", "body": event + b"\n\n", "more_body": True}
                )
            await send({"type": "http.response.body", "body": b""})
            return
        out.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": payload})
