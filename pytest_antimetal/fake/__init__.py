"""An embedded fake of Antimetal's external API (``POST /issues``), driven by the spec.

One core (:class:`FakeAntimetal`), three ways in: an httpx transport
(:attr:`FakeAntimetal.transport`), a loopback HTTP server (:class:`FakeServer`)
and ``antimetal-contract fake``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_antimetal.fake.core import (
    DEFAULT_FAKE_API_KEY,
    DEFAULT_MAX_STORED_BYTES,
    MAX_JSON_DEPTH,
    FakeAntimetal,
    FakeResponse,
    RecordedRequest,
)
from pytest_antimetal.fake.server import FakeServer, ServerLimits

if TYPE_CHECKING:
    from pytest_antimetal.fake.transport import FakeTransport

__all__ = [
    "DEFAULT_FAKE_API_KEY",
    "DEFAULT_MAX_STORED_BYTES",
    "MAX_JSON_DEPTH",
    "FakeAntimetal",
    "FakeResponse",
    "FakeServer",
    "FakeTransport",
    "RecordedRequest",
    "ServerLimits",
]


def __getattr__(name: str) -> Any:
    # httpx is imported only when the transport is wanted (the CLI never needs it).
    if name == "FakeTransport":
        from pytest_antimetal.fake.transport import FakeTransport

        return FakeTransport
    raise AttributeError(f"module 'pytest_antimetal.fake' has no attribute {name!r}")
