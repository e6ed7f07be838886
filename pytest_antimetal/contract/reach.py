"""Whether a network target can be reached at all, asked once before any work.

A closed port or a wrong host used to give one ``no_response`` failure per request (315
over six parts, "requests sent: 315" although none connected). A TCP connection to the
target's host and port, before anything is generated or sent, answers the question in
milliseconds for a refused connection or an unknown host; nothing is sent over it.
"""

from __future__ import annotations

import socket
import urllib.request
from urllib.parse import urlsplit

__all__ = ["CONNECT_TIMEOUT", "connection_error", "is_connect_error"]

CONNECT_TIMEOUT = 5.0
"""Seconds a TCP connection may take before the target counts as unreachable (a refused
connection or an unknown host is reported at once)."""


def connection_error(base_url: str, timeout: float = CONNECT_TIMEOUT) -> str:
    """Why nothing can connect to *base_url* (``""``: a TCP connection succeeded, or a proxy
    stands between, which only a request can judge)."""
    parts = urlsplit(base_url)
    host = parts.hostname
    if not host:
        return ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ""  # httpx reports a bad port itself
    if urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
        return ""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def is_connect_error(exc: BaseException) -> bool:
    """*exc* means the request never reached a server (so it was not sent)."""
    import httpx

    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol))
