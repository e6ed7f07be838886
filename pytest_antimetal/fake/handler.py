"""What the fake's adapters need from it: request in, response out.

The httpx transport, the ASGI app and the loopback server's connection guard
depend on this protocol alone, never on :class:`~pytest_antimetal.fake.core.FakeAntimetal`
(as an httpx transport knows only the app it wraps). Anything with these
members can be served: a subclass wrapping ``handle``, a planted-fault variant,
a future stateful fake.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["FakeResponse", "Handler"]


@dataclass(frozen=True)
class FakeResponse:
    """What the core answers: status, headers (lower-case names) and a body (JSON or
    Server-Sent Events); *delay*: seconds an adapter waits before sending it (an
    operation's latency)."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


class Handler(Protocol):
    """The fake as its adapters see it."""

    max_body_bytes: int
    """Largest body :meth:`handle` accepts (an adapter keeps one byte more, so it can tell)."""

    latency: float
    """Seconds an adapter waits before each answer (its own kind of sleep: sync or async)."""

    def handle(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        """Answer one request; never raises (an unexpected error is a JSON 500).

        *url_or_path* is a bare decoded path, or a full URL when the request has a
        query string (its path is then percent-decoded).
        """
        ...

    def error_response(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> FakeResponse:
        """An ``ErrorResponseDto`` for a request refused before :meth:`handle`."""
        ...
