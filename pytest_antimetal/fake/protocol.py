"""uvicorn's httptools protocol with the limits a server on loopback still needs.

With httptools uvicorn bounds none of these (its ``h11_max_incomplete_event_size``
applies to h11 only, ``limit_concurrency`` answers plain text only after
accepting, and its keep-alive timer starts only after a first response):

- the request line and header lines: at most ``max_header_bytes`` and
  ``max_headers`` fields, else ``431``; a request line longer than that on its
  own gets ``400`` (no operation takes a query that long, and every operation
  with parameters documents a 400 while the document has no 414 or 431: a
  fuzzer's over-long ``GET /artifacts?id=…`` gets an answer it expects);
- a request must arrive in full within ``request_timeout`` of the connection
  opening or of the previous answer, else ``408`` (an idle connection is
  closed);
- at most ``max_connections`` open connections: past it the connection that has
  waited longest on its client is closed (``503`` if it was mid-request), so a
  flood of idle connections never exhausts file descriptors nor locks out a
  real client;
- a request read in full is answered even after the client half-closes; one
  cut short is never handed to the fake, so it creates nothing.

Refusals are ``ErrorResponseDto`` bodies from the fake (not recorded in its
``requests``). Imported only when a server starts: it needs uvicorn and httptools.
"""

from __future__ import annotations

import asyncio
import http
import logging
from itertools import chain
from typing import TYPE_CHECKING, Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from pytest_antimetal.fake.handler import Handler
    from pytest_antimetal.fake.limits import ServerLimits

__all__ = ["ConnectionGuard", "GuardedProtocol"]

logger = logging.getLogger("pytest_antimetal.fake")

# How long a refused connection keeps draining what its client still sends, so
# the client's kernel does not reset the connection before it reads the answer.
_LINGER = 2.0
# The request line's fixed part besides method and target: two spaces, "HTTP/1.1", CRLF.
_REQUEST_LINE_EXTRA = 12
# Each header line besides name and value: ": " and CRLF.
_HEADER_LINE_EXTRA = 4
_ACCEPT_FAILED = "socket.accept() out of system resource"


class _Refusal(Exception):
    """Raised from a parser callback: answer *status* and stop reading the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ConnectionGuard:
    """One server's connections, in the order they began waiting on their clients."""

    def __init__(self, fake: Handler, limits: ServerLimits, max_connections: int) -> None:
        self.fake = fake
        self.limits = limits
        self.max_connections = max_connections
        self.stopped = False
        self.open: dict[GuardedProtocol, None] = {}
        self._warned: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    def warn_once(self, what: str, message: str, *args: object) -> None:
        """Log *message* the first time *what* happens on this server, never again."""
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(message, *args)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the timeout sweep; report a failing ``accept()`` once, not every second."""
        self._loop = loop
        loop.set_exception_handler(self._loop_error)
        self._schedule()

    def stop(self) -> None:
        self.stopped = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def _schedule(self) -> None:
        assert self._loop is not None
        if self.stopped:
            return
        period = max(0.05, min(1.0, self.limits.request_timeout / 4))
        self._sweeper = self._loop.call_later(period, self._sweep)

    def _sweep(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        try:
            for connection in list(self.open):
                connection.check_deadline(now)
        finally:
            self._schedule()  # one failure must not end the sweeping

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == _ACCEPT_FAILED:
            # asyncio retries every second and would log a traceback each time.
            self.warn_once(
                "accept",
                "pytest-antimetal fake: cannot accept connections (%s); retrying (logged once)",
                context.get("exception"),
            )
            return
        if self.stopped:
            # Retries asyncio scheduled on the listening socket, now closed: noise.
            logger.debug("pytest-antimetal fake: after shutdown: %s", context.get("message"))
            return
        loop.default_exception_handler(context)

    def admit(self, connection: GuardedProtocol) -> bool:
        """Count *connection* in; at the cap, close the one waiting longest on its client.

        ``False``: every other connection is busy being answered, so *connection*
        itself must go.
        """
        self.open[connection] = None
        if len(self.open) <= self.max_connections:
            return True
        stale: list[GuardedProtocol] = []
        victim = None
        for other in self.open:  # oldest first: the first idle one is the victim
            if other.closing():
                stale.append(other)
            elif other is not connection and not other.busy():
                victim = other
                break
        for other in stale:  # closed by uvicorn, not yet reported lost
            del self.open[other]
        if len(self.open) <= self.max_connections:
            return True
        self.warn_once(
            "connections",
            "pytest-antimetal fake: %d connections open (the limit): closing the one "
            "waiting longest on its client for each new one (logged once)",
            self.max_connections,
        )
        if victim is None:
            return False
        victim.evict()
        return True

    def release(self, connection: GuardedProtocol) -> None:
        self.open.pop(connection, None)


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol under one :class:`ConnectionGuard`'s limits.

    A subclass per server sets :attr:`guard`.
    """

    guard: ClassVar[ConnectionGuard]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: float | None = None
        self._in_head = False  # between the first byte of a request and its blank line
        self._partial = False  # some bytes of a request not yet read in full
        self._head_chunks = 0  # bytes of reads that fell entirely inside the current head
        # Requests read in full, not yet answered (the active one and the pipelined).
        self._unanswered = 0
        self._discarding = False  # refused: nothing more reaches the parser
        self._pending: tuple[int, str] | None = None  # a refusal waiting for earlier answers
        self._eof = False
        self._linger: asyncio.TimerHandle | None = None

    # -- connection life -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = self.loop.time() + self.guard.limits.request_timeout
        if not self.guard.admit(self):
            self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.release(self)
        if self._linger is not None:
            self._linger.cancel()
        self._deadline = None
        super().connection_lost(exc)

    def closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def busy(self) -> bool:
        """Whether a request read in full is being answered: the server's turn."""
        return self._unanswered > 0

    def _close(self) -> None:
        self.guard.release(self)
        self.transport.close()

    def evict(self) -> None:
        """Make room for a new connection (see :meth:`ConnectionGuard.admit`)."""
        if self._partial and not self._discarding:
            message = "the fake's connection limit was reached; retry"
            self._write_error(503, message, {"retry-after": "1"})
        self._close()

    def check_deadline(self, now: float) -> None:
        """Called by the guard's sweep: a request not read in full in time is refused."""
        if self._deadline is None or now < self._deadline or self.closing():
            return
        self._deadline = None
        if self._partial:
            timeout = self.guard.limits.request_timeout
            self._refuse(408, f"the request did not arrive in full within {timeout:g} s")
        else:
            self._close()  # idle: nothing to answer

    # -- refusals --------------------------------------------------------------------------

    def _write_error(self, status: int, message: str, extra: dict[str, str] | None = None) -> None:
        answer = self.guard.fake.error_response(status, message, headers=extra)
        lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}"]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        lines += [f"content-length: {len(answer.body)}", "connection: close", "", ""]
        self.transport.write("\r\n".join(lines).encode("latin-1") + answer.body)

    def _refuse(self, status: int, message: str) -> None:
        """Answer *status* after any earlier request still being answered, then close."""
        self._discarding = True
        self._deadline = None
        if self.busy():
            self._pending = (status, message)
        else:
            self._send_refusal(status, message)

    def _send_refusal(self, status: int, message: str) -> None:
        self._write_error(status, message)
        if self._eof or not self.transport.can_write_eof():
            self._close()
            return
        # Half-close, keep reading (and dropping) for a moment, then close.
        self.transport.write_eof()
        self._linger = self.loop.call_later(_LINGER, self._close)

    # -- reading ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        in_head = self._in_head
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            refusal = exc.__context__
            if isinstance(refusal, _Refusal):
                self._refuse(refusal.status, refusal.message)
                return
            message = "Invalid HTTP request received."  # what uvicorn answers
            self.logger.warning(message)
            self.send_400_response(message)
            return
        except httptools.HttpParserUpgrade:
            self.logger.warning("Unsupported upgrade request.")
        if in_head and self._in_head:
            # The parser buffers a header line until it ends: bound that memory too.
            self._head_chunks += len(data)
            limits = self.guard.limits
            if self._head_chunks > limits.max_header_bytes:
                self._refuse(*self._head_refusal())

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client half-closed: answer what was read in full, then close."""
        self._eof = True
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not cycle.response_complete:
            # The newest request was cut short: never answered, so it never reaches the fake.
            if self.pipeline and self.pipeline[0][0] is cycle:
                self.pipeline.popleft()
            cycle.disconnected = True
            cycle.message_event.set()
        return True if self.busy() else None

    def _line_size(self) -> int:
        """The request line's size as sent (method, target, version, CRLF), as far as read."""
        try:
            method = self.parser.get_method()
        except httptools.HttpParserError:  # not parsed yet
            method = b""
        return len(method) + len(self.url) + _REQUEST_LINE_EXTRA

    def _head_refusal(self) -> tuple[int, str]:
        limits = self.guard.limits
        if len(self.headers) > limits.max_headers:
            return 431, self._too_many()
        if self._line_size() > limits.max_header_bytes:
            return 400, f"request line too long (limit {limits.max_header_bytes} bytes)"
        return 431, self._too_large()

    def _too_many(self) -> str:
        return f"too many header fields (limit {self.guard.limits.max_headers})"

    def _too_large(self) -> str:
        limit = self.guard.limits.max_header_bytes
        return f"request line and header fields too large (limit {limit} bytes)"

    # -- parser callbacks (each a super() call more per request: kept to four) ------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = self._partial = True
        self._head_chunks = 0
        if self._deadline is None:
            self._deadline = self.loop.time() + self.guard.limits.request_timeout

    def on_headers_complete(self) -> None:
        # Counted once the head is parsed: a head too large to parse at all was
        # refused by data_received, one read later at most.
        self._in_head = False
        limits = self.guard.limits
        headers = self.headers
        size = self._line_size()
        size += sum(map(len, chain.from_iterable(headers))) + _HEADER_LINE_EXTRA * len(headers)
        if size > limits.max_header_bytes or len(headers) > limits.max_headers:
            raise _Refusal(*self._head_refusal())
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._partial = False
        self._deadline = None
        if not self.cycle.response_complete:
            self._unanswered += 1

    def on_response_complete(self) -> None:
        if self._unanswered:
            self._unanswered -= 1
        super().on_response_complete()
        if self._unanswered or self.transport.is_closing():
            return
        # Waiting on its client again: the youngest connection.
        waiting = self.guard.open
        if self in waiting:
            del waiting[self]
            waiting[self] = None
        if self._pending is not None:
            self._send_refusal(*self._pending)
        elif self._eof:
            self._close()
        elif self._deadline is None:
            self._deadline = self.loop.time() + self.guard.limits.request_timeout
