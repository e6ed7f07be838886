"""Take secrets out of text: the one helper every output channel uses.

A server, gateway or proxy can echo the ``Authorization`` header back (in an
error message, a debug page, a JSON field), so anything built from a response
is redacted before it is shown. A secret is matched as a substring in every
spelling it can take on the wire; matching is deliberately not "whole word"
only, because a half-masked key is still a leaked key.

Spellings covered (see :func:`secret_variants`): raw; URL-encoded (``%XX`` in
upper or lower case, ``+`` for a space); JSON-escaped (``\\uXXXX`` or raw
non-ASCII, with or without ``\\/``); HTML-escaped. Base64 is not: a base64
encoding of a key inside a longer value (``Basic`` auth) depends on its
alignment and would not contain the key's own base64 anyway, and the API uses
bearer tokens only.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import AnyStr, Protocol, TypeAlias
from urllib.parse import quote

__all__ = ["DEFAULT_PLACEHOLDER", "Secret", "SecretLike", "redact", "secret_variants"]

DEFAULT_PLACEHOLDER = "[REDACTED]"


class SecretLike(Protocol):
    """A wrapped secret, e.g. :class:`pytest_antimetal.secrets.APIKey`."""

    def get_secret_value(self) -> str: ...


Secret: TypeAlias = "str | SecretLike"
"""What :func:`redact` takes out: a string, or a wrapped secret (unwrapped only here)."""

_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def secret_variants(secret: str) -> list[str]:
    """*secret* as it may be spelled in a URL, JSON, HTML or plain text (no duplicates).

    Blank secrets have no variants: masking ``""`` would mask everything.
    """
    if not secret.strip():
        return []
    url = quote(secret, safe="")
    # quote()'s own default (safe="/") and JavaScript's encodeURI leave "/" as is.
    url_path = quote(secret)
    json_ascii = json.dumps(secret)[1:-1]
    json_utf8 = json.dumps(secret, ensure_ascii=False)[1:-1]
    forms = [
        secret,
        url,
        url.replace("%20", "+"),
        _PERCENT_ESCAPE.sub(lambda m: m.group(0).lower(), url),
        url_path,
        _PERCENT_ESCAPE.sub(lambda m: m.group(0).lower(), url_path),
        json_ascii,
        json_utf8,
        json_ascii.replace("/", "\\/"),
        html.escape(secret),
    ]
    return list(dict.fromkeys(f for f in forms if f))


@lru_cache(maxsize=64)
def _pattern(forms: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[bytes]]:
    # Longest first, so a key that contains another is replaced whole; one pass, so a
    # placeholder is never itself rewritten.
    ordered = sorted(forms, key=len, reverse=True)
    text = "|".join(re.escape(f) for f in ordered)
    data = b"|".join(re.escape(f.encode("utf-8")) for f in ordered)
    return re.compile(text), re.compile(data)


def _bare(secret: Secret) -> str:
    return secret if isinstance(secret, str) else secret.get_secret_value()


def redact(
    text: AnyStr, secrets: Iterable[Secret], placeholder: str = DEFAULT_PLACEHOLDER
) -> AnyStr:
    """*text* (``str`` or UTF-8 ``bytes``) with every variant of every secret replaced.

    >>> redact('{"error": "unknown key sk-123456"}', ["sk-123456"])
    '{"error": "unknown key [REDACTED]"}'
    """
    forms = tuple(sorted({form for s in secrets for form in secret_variants(_bare(s))}))
    if not forms:
        return text
    text_re, bytes_re = _pattern(forms)
    if isinstance(text, str):
        return text_re.sub(lambda _: placeholder, text)
    encoded = placeholder.encode("utf-8")
    return bytes_re.sub(lambda _: encoded, text)
