"""Read a document to diff from a path or an http(s) URL; where the vendor publishes it.

:data:`DEFAULT_DRIFT_SOURCE` is read by the pytest entry point on every run (the
default of ini ``antimetal_drift_source``) and by ``antimetal-contract pull``: this
module imports only the standard library at import time, the spec layer when a
document is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = [
    "DEFAULT_DRIFT_SOURCE",
    "Loaded",
    "check_url",
    "fetch_text",
    "is_url",
    "load_source",
]

DEFAULT_DRIFT_SOURCE = "https://docs.antimetal.com/assets/openapi.mintlify.json"
"""Where the vendor publishes its current OpenAPI document."""
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Loaded:
    """A parsed document and the exact text it came from."""

    spec: Spec
    text: str


def is_url(source: str) -> bool:
    """True for an ``http://`` or ``https://`` source (the scheme in any case)."""
    return source[:8].lower().startswith(("http://", "https://"))


def check_url(url: str) -> None:
    """:class:`SpecError` (one line) unless *url* is a well-formed http(s) URL.

    Checked before urllib sees it: urllib and http.client report a bad URL
    with exceptions (``ValueError``, ``InvalidURL``) that are neither
    network errors nor one-line messages.
    """
    from pytest_antimetal.spec import SpecError

    bad = next((c for c in url if ord(c) <= 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise SpecError(f"{url}: not a valid URL (contains {bad!r})")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a non-numeric or out-of-range port
    except ValueError as exc:
        raise SpecError(f"{url}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise SpecError(f"{url}: not a valid URL (scheme must be http or https)")
    if not parts.hostname:
        raise SpecError(f"{url}: not a valid URL (no host)")


def fetch_text(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """GET *url* and return its body as text; :class:`SpecError` (one line) on any failure.

    At most ``DEFAULT_LIMITS.max_bytes`` are read: a larger body is refused.
    """
    import http.client
    import urllib.error
    import urllib.request

    from pytest_antimetal.spec import DEFAULT_LIMITS, SpecError

    check_url(url)
    try:
        request = urllib.request.Request(
            url, headers={"Accept": "application/json, application/yaml, text/yaml, */*"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            # One byte past the limit tells an oversized document without holding it.
            body: bytes = response.read(DEFAULT_LIMITS.max_bytes + 1)
            if len(body) <= DEFAULT_LIMITS.max_bytes and response.length:
                # read(amt) returns a truncated body where read() raises: raise it too.
                raise http.client.IncompleteRead(body, response.length)
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        raise SpecError(f"{url}: cannot fetch (HTTP {exc.code} {exc.reason})") from None
    except urllib.error.URLError as exc:
        raise SpecError(f"{url}: cannot fetch ({exc.reason})") from None
    # InvalidURL and IncompleteRead are HTTPExceptions, not OSErrors.
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise SpecError(f"{url}: cannot fetch ({exc or type(exc).__name__})") from None
    if len(body) > DEFAULT_LIMITS.max_bytes:
        raise SpecError(f"{url}: over the {DEFAULT_LIMITS.max_bytes:,}-byte limit for a document")
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise SpecError(f"{url}: response is not {charset} text") from None


def load_source(source: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> Loaded:
    """Load the OpenAPI document at *source* (a path or an http(s) URL).

    Read and parsed within :data:`~pytest_antimetal.spec.DEFAULT_LIMITS` (size,
    nesting, YAML aliases), like every document the package reads.
    """
    from pytest_antimetal.spec import Spec, parse_document, read_text

    name = str(source)
    text = fetch_text(name, timeout=timeout) if is_url(name) else read_text(source)
    return Loaded(Spec(parse_document(text, source=name), source=name), text)
