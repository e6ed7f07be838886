"""Read a document to diff from a path or an http(s) URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_antimetal.spec import Spec, SpecError, parse_document, read_text

__all__ = ["Loaded", "fetch_text", "is_url", "load_source"]

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Loaded:
    """A parsed document and the exact text it came from."""

    spec: Spec
    text: str


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def fetch_text(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """GET *url* and return its body as text; :class:`SpecError` (one line) on any failure."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, headers={"Accept": "application/json, application/yaml, text/yaml, */*"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read()
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        raise SpecError(f"{url}: cannot fetch (HTTP {exc.code} {exc.reason})") from None
    except urllib.error.URLError as exc:
        raise SpecError(f"{url}: cannot fetch ({exc.reason})") from None
    except (OSError, ValueError) as exc:
        raise SpecError(f"{url}: cannot fetch ({exc or type(exc).__name__})") from None
    try:
        return body.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise SpecError(f"{url}: response is not {charset} text") from None


def load_source(source: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> Loaded:
    """Load the OpenAPI document at *source* (a path or an http(s) URL)."""
    name = str(source)
    text = fetch_text(name, timeout=timeout) if is_url(name) else read_text(source)
    return Loaded(Spec(parse_document(text, source=name), source=name), text)
