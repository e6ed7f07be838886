"""An embedded, stateful fake of Antimetal's external API, driven by the spec it is given.

One core (:class:`FakeAntimetal`), three ways in: an httpx transport
(:attr:`FakeAntimetal.transport`), a loopback HTTP server (:class:`FakeServer`)
and ``antimetal-contract fake``. The ways in depend on the small
:class:`~pytest_antimetal.fake.handler.Handler` protocol only.

Where things are: ``core`` (a request's way through, latency, the controls),
``keys`` (accepted keys, 401/403), ``faults`` (injected errors), ``rate_limit``,
``ids`` (request ids and uuids, seeded), ``served`` (the operations served, by
route and by name), ``routing`` (path templates, path and query parameters),
``operations`` (one handler per API operation), ``requests`` (the body: parse,
bound, validate), ``responses`` (``ErrorResponseDto`` and the ``201`` issue
plan), ``store`` (issues per organisation, cursor pages, recorded requests,
numbering, the byte cap),
``investigations`` (runs, results, the investigation controls), ``artifacts``,
``agent`` (``POST /query``, JSON and SSE), ``clock`` (:class:`FakeClock`),
``content`` (schema-filled values when the builders are unavailable),
``handler`` (the protocol and :class:`FakeResponse`), ``limits``
(:class:`ServerLimits`); adapters ``transport``, ``asgi``, ``server``,
``protocol`` and ``cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_antimetal.fake.clock import FakeClock
from pytest_antimetal.fake.core import DEFAULT_FAKE_API_KEY, FakeAntimetal
from pytest_antimetal.fake.handler import FakeResponse, Handler
from pytest_antimetal.fake.investigations import DEFAULT_INVESTIGATION_SECONDS
from pytest_antimetal.fake.limits import ServerLimits
from pytest_antimetal.fake.requests import MAX_JSON_DEPTH
from pytest_antimetal.fake.server import FakeServer
from pytest_antimetal.fake.store import DEFAULT_MAX_STORED_BYTES, RecordedRequest

if TYPE_CHECKING:
    from pytest_antimetal.fake.transport import FakeTransport

__all__ = [
    "DEFAULT_FAKE_API_KEY",
    "DEFAULT_INVESTIGATION_SECONDS",
    "DEFAULT_MAX_STORED_BYTES",
    "MAX_JSON_DEPTH",
    "FakeAntimetal",
    "FakeClock",
    "FakeResponse",
    "FakeServer",
    "FakeTransport",
    "Handler",
    "RecordedRequest",
    "ServerLimits",
]


def __getattr__(name: str) -> Any:
    # httpx is imported only when the transport is wanted (the CLI never needs it).
    if name == "FakeTransport":
        from pytest_antimetal.fake.transport import FakeTransport

        return FakeTransport
    raise AttributeError(f"module 'pytest_antimetal.fake' has no attribute {name!r}")
