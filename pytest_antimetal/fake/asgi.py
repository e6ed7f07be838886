"""An ASGI 3 application over a handler (the fake), served by uvicorn on loopback."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

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
            answer = fake.handle(scope["method"], scope["path"], headers, body)
            status = answer.status
            payload = answer.body
            out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        except Exception:
            logger.exception("pytest-antimetal fake: unexpected error in the ASGI adapter")
            status = 500
            payload, out = _fallback()
        out.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": payload})
