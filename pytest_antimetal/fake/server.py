"""The fake on a real loopback port: uvicorn serving the ASGI app in a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pytest_antimetal._context import OnExit
from pytest_antimetal.fake.limits import BACKLOG, MAX_CONNECTIONS, ServerLimits

if TYPE_CHECKING:
    import uvicorn

    from pytest_antimetal.fake.core import FakeAntimetal
    from pytest_antimetal.fake.handler import Handler

__all__ = [
    "MAX_CONNECTIONS",
    "FakeServer",
    "ServerLimits",
    "bind_socket",
    "make_uvicorn_server",
    "url_for",
]

_START_TIMEOUT = 30.0


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on *host*:*port* (0 = any free port).

    Bound here rather than by uvicorn so the real port is known at once and a
    busy port is an ``OSError`` the caller can turn into one clear line.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def url_for(host: str, port: int) -> str:
    """``http://HOST:PORT`` (IPv6 literals bracketed)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_uvicorn_server(
    fake: Handler,
    ready: threading.Event | None = None,
    limits: ServerLimits | None = None,
) -> uvicorn.Server:
    """A uvicorn server for *fake* over ASGI that leaves signals and logging config alone.

    *ready* is set once uvicorn has started serving (or failed to). *limits*
    bound what clients may take (default :class:`ServerLimits`).
    """
    import asyncio

    import uvicorn

    from pytest_antimetal.fake.asgi import ASGIApp
    from pytest_antimetal.fake.protocol import ConnectionGuard, GuardedProtocol

    limits = limits or ServerLimits()
    max_connections, burst = limits.resolved()
    guard = ConnectionGuard(fake, limits, max_connections)
    protocol = type("FakeHTTPProtocol", (GuardedProtocol,), {"guard": guard})

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                guard.start(asyncio.get_running_loop())
                await super().startup(sockets=sockets)
                # asyncio listened with *backlog*, its accept burst; the kernel's queue
                # may stay long (queued connections hold no descriptor of ours).
                for sock in sockets or ():
                    sock.listen(BACKLOG)
            finally:
                if ready is not None:
                    ready.set()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            guard.stop()
            await super().shutdown(sockets=sockets)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Whoever owns the process decides about signals (the CLI installs its own).
            yield

    config = uvicorn.Config(
        ASGIApp(fake),
        log_config=None,  # never reconfigure the host process' logging
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http=protocol,
        backlog=burst,  # asyncio's accept burst (startup restores the kernel's queue)
        interface="asgi3",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return _Server(config)


class FakeServer(OnExit):
    """A :class:`FakeAntimetal` served over HTTP on loopback, in a background thread.

    ``with FakeServer() as server: httpx.post(server.url + "/issues", ...)``.
    Port 0 (the default) picks a free port; :attr:`url` holds the real one.
    *limits* bound what clients may take (:class:`ServerLimits`).
    """

    def __init__(
        self,
        fake: FakeAntimetal | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: ServerLimits | None = None,
    ) -> None:
        if fake is None:
            from pytest_antimetal.fake.core import FakeAntimetal

            fake = FakeAntimetal()
        self.fake = fake
        self.host = host
        self.port = port
        self.limits = limits or ServerLimits()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"FakeServer({url_for(self.host, self.port)!r}, {state})"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the base URL a client should use."""
        return url_for(self.host, self.port)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> FakeServer:
        """Bind, start serving and return once uvicorn accepts connections."""
        if self.running:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        server = make_uvicorn_server(self.fake, ready, self.limits)
        self._server = server
        self._error = None

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # reported by start(); a thread has no caller
                self._error = exc
            finally:
                ready.set()
                sock.close()

        self._thread = threading.Thread(
            target=serve, name=f"antimetal-fake:{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(_START_TIMEOUT) or not server.started:
            self.stop()
            reason = f": {self._error!r}" if self._error else ""
            raise RuntimeError(f"the fake server on {self.url} did not start{reason}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit and wait for the thread (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def _on_exit(self) -> None:
        self.stop()
