"""HTTP ``Content-Encoding`` undone, every layer, within bounds (standard library only).

Shared by the fake (request bodies it parses) and the cassette guard and check
(bodies they scan): a body is only as safe as the decoder that reads it, so
both read it the same way. A leaf module: it imports nothing of the package.
"""

from __future__ import annotations

import zlib

__all__ = ["MAX_CODINGS", "ContentCodingError", "codings", "decode_content"]

MAX_CODINGS = 4
"""Most ``Content-Encoding`` layers accepted; real servers apply one, rarely two."""

# zlib window bits: gzip framing, and zlib framing (what HTTP calls "deflate").
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class ContentCodingError(ValueError):
    """A body that cannot be decoded within the bounds; the message is one line."""


def codings(header: str | None) -> list[str]:
    """The codings of a ``Content-Encoding`` value, in the order applied (``identity`` dropped)."""
    if not header:
        return []
    listed = (c.strip().lower() for c in header.split(","))
    return [c for c in listed if c and c != "identity"]


def decode_content(
    body: bytes,
    header: str | None,
    *,
    limit: int,
    max_codings: int = MAX_CODINGS,
    what: str = "body",
) -> bytes:
    """*body* with every coding of *header* undone, last applied first.

    No layer's output may exceed *limit* bytes (so the decoded body cannot
    either), and at most *max_codings* layers are undone: ``max_length`` bounds
    each inflation, so a small compressed bomb never expands past ``limit + 1``
    bytes in memory. Raises :class:`ContentCodingError` naming *what* (e.g.
    ``"request body"``) for an unsupported coding, data that is not what it
    claims, too many layers or a result over the limit.
    """
    layers = codings(header)
    if len(layers) > max_codings:
        raise ContentCodingError(
            f"{what} has {len(layers)} Content-Encoding layers (at most {max_codings})"
        )
    for coding in reversed(layers):  # the last one listed was applied last
        wbits = _WBITS.get(coding)
        if wbits is None:
            raise ContentCodingError(
                f"unsupported Content-Encoding {coding[:40]!r} (expected gzip, deflate or identity)"
            )
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise ContentCodingError(f"{what} is not valid {coding} data") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise ContentCodingError(f"{what} too large once decoded (limit {limit} bytes)")
        if not inflater.eof:
            raise ContentCodingError(f"{what} is not valid {coding} data (truncated)")
        body = out
    return body
