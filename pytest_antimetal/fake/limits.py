"""What one client may take of a loopback fake: the server's limits, as plain data.

Its own module so the server and its connection protocol both read it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BACKLOG", "MAX_CONNECTIONS", "ServerLimits"]

BACKLOG = 2048
"""The kernel's listen queue for a fake's socket (and asyncio's accept burst at most)."""

MAX_CONNECTIONS = 1000
"""Open connections a server allows by default (or half the open-file limit, if lower)."""


@dataclass(frozen=True)
class ServerLimits:
    """What one client may take of a loopback fake (see the README's "The fake").

    Past *max_header_bytes* (request line and header lines) or *max_headers*
    header fields a request gets ``431``; one not read in full within
    *request_timeout* seconds of the connection opening or of the previous
    answer gets ``408`` (an idle connection is closed). Past *max_connections*
    (``None``: :data:`MAX_CONNECTIONS`, or half the process' open-file limit if
    lower) the connection waiting longest on its client is closed.
    """

    max_header_bytes: int = 65_536
    max_headers: int = 100
    max_connections: int | None = None
    request_timeout: float = 10.0

    def __post_init__(self) -> None:
        for name in ("max_header_bytes", "max_headers", "max_connections"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive int")
        if not 0 < self.request_timeout < float("inf"):
            raise ValueError("request_timeout must be a positive number of seconds")

    def resolved(self) -> tuple[int, int]:
        """``(max_connections, accept burst)`` for this process.

        asyncio accepts up to *burst* connections in one go before any of them
        is seen, and a closed one frees its descriptor a loop turn later: both
        bursts must fit in the descriptors the connections leave spare, or
        ``accept()`` fails (and asyncio floods the log).
        """
        soft = _open_file_limit()
        connections = self.max_connections
        if connections is None:
            # Half: the rest of the process (a whole pytest run) needs descriptors too.
            connections = MAX_CONNECTIONS if soft is None else min(MAX_CONNECTIONS, soft // 2)
        if soft is None:
            return connections, BACKLOG
        return connections, max(8, min(BACKLOG, (soft - connections) // 4))


def _open_file_limit() -> int | None:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # no such limit (Windows)
        return None
    return None if soft == resource.RLIM_INFINITY or soft < 16 else soft
