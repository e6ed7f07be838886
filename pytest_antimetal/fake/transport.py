"""An httpx transport over the fake, for sync and async clients alike."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import httpx

if TYPE_CHECKING:
    from pytest_antimetal.fake.handler import Handler

__all__ = ["FakeTransport"]

# Module attributes so a test can swap in a recording sleep.
_sleep = time.sleep
_async_sleep = anyio.sleep  # asyncio or trio, whichever loop the client runs on

# Where a response carries its operation's latency from the handler to the sleep.
_DELAY = "pytest_antimetal.delay"


class FakeTransport(httpx.MockTransport):
    """``httpx.MockTransport`` over a :class:`~pytest_antimetal.fake.handler.Handler` (the fake).

    A ``MockTransport`` subclass on purpose: vcrpy patches ``MockTransport``'s
    methods, so cassettes record traffic to the fake. Latency is added around
    the inherited calls (``time.sleep`` for sync clients, ``anyio.sleep`` for
    async ones) so an async test never blocks its event loop.
    """

    def __init__(self, fake: Handler) -> None:
        self.fake = fake
        super().__init__(self._respond)

    def _respond(self, request: httpx.Request) -> httpx.Response:
        # MockTransport has read the body (sync or async) before calling us.
        # The decoded path alone, as an ASGI server passes it: "/issues%3Fx" stays
        # "/issues?x" (no route), never "/issues" plus a query.
        # With a query, the whole URL: the core takes its (decoded) path and its query.
        target = str(request.url) if request.url.query else request.url.path
        answer = self.fake.handle(request.method, target, request.headers, request.content)
        extensions = {_DELAY: answer.delay} if answer.delay > 0 else {}
        return httpx.Response(
            answer.status, headers=answer.headers, content=answer.body, extensions=extensions
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        delay = self.fake.latency
        if delay > 0:
            _sleep(delay)
        response = super().handle_request(request)
        operation_delay = response.extensions.get(_DELAY, 0.0)
        if operation_delay > 0:
            _sleep(operation_delay)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        delay = self.fake.latency
        if delay > 0:
            await _async_sleep(delay)
        response = await super().handle_async_request(request)
        operation_delay = response.extensions.get(_DELAY, 0.0)
        if operation_delay > 0:
            await _async_sleep(operation_delay)
        return response
