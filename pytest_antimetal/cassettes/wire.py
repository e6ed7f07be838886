"""Reading what vcrpy records: header values as text, bodies as bytes, decoded and bounded.

Shared by the scrubber, the guard, the matcher and the check of
:mod:`pytest_antimetal.cassettes`; standard library only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pytest_antimetal.content_coding import MAX_CODINGS, ContentCodingError, decode_content

__all__ = [
    "MAX_DECODED_BYTES",
    "as_text",
    "body_bytes",
    "decode_body",
    "header_value",
    "header_values",
]

MAX_DECODED_BYTES = 16 * 1024 * 1024
"""Largest body the guard and the check decode (per ``Content-Encoding`` layer): 16 MiB."""
_GZIP_MAGIC = b"\x1f\x8b"


def as_text(value: Any) -> str | None:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    if isinstance(value, str):
        return value
    return None


def body_bytes(body: Any) -> bytes | None:
    """A vcr request body or response ``body.string`` as bytes."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "getvalue"):
        return bytes(body.getvalue())
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, list | tuple):
        return b"".join(p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in body)
    return None


def decode_body(data: bytes, encoding: str) -> bytes:
    """*data* with every ``Content-Encoding`` layer undone, bounded; then any gzip layer
    the header does not declare (a body can lie). Raises :class:`ContentCodingError`."""
    plain = decode_content(data, encoding, limit=MAX_DECODED_BYTES)
    layers = len(encoding.split(",")) if encoding else 0
    while plain[:2] == _GZIP_MAGIC and layers < MAX_CODINGS:
        try:
            plain = decode_content(plain, "gzip", limit=MAX_DECODED_BYTES)
        except ContentCodingError:
            break  # binary data that starts like gzip: scanned as it is
        layers += 1
    return plain


def header_values(headers: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in headers.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = as_text(item)
            if text is not None:
                yield str(name), text


def header_value(headers: Mapping[str, Any], name: str) -> str:
    """Every value of header *name*, joined as one comma-separated value."""
    return ", ".join(value for key, value in header_values(headers) if key.lower() == name)
