"""The scrubber: a ``before_save_interaction`` hook that keeps the key out of cassettes.

vcr is never imported here (the hook works on the objects vcrpy passes it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_antimetal.cassettes.wire import (
    as_text,
    body_bytes,
    decode_body,
    header_value,
    header_values,
)
from pytest_antimetal.content_coding import ContentCodingError
from pytest_antimetal.redact import secret_variants
from pytest_antimetal.target import API_KEY_ENV

__all__ = ["AUTH_PLACEHOLDER", "PLACEHOLDER", "Scrubber", "bearer_token"]

PLACEHOLDER = f"<{API_KEY_ENV}>"
"""What the key is replaced by in a saved cassette."""
AUTH_PLACEHOLDER = f"Bearer {PLACEHOLDER}"
"""What a saved ``Authorization`` header says."""


def bearer_token(value: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, if any."""
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token == PLACEHOLDER:
        return None
    return token


def _variants(secret: str) -> list[str]:
    """*secret* as it may be spelled on the wire (see :func:`redact.secret_variants`)."""
    return secret_variants(secret)


class Scrubber:
    """``before_save_interaction`` hook: the key never reaches a cassette.

    Secrets are ``ANTIMETAL_API_KEY`` read at save time (if set) and every
    ``Authorization: Bearer`` token of the cassette's requests. ``Authorization``
    becomes :data:`AUTH_PLACEHOLDER`; each secret is replaced by
    :data:`PLACEHOLDER` wherever else it appears (raw, URL-encoded or
    JSON-escaped): URL and query string, any header, request and response body.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def env_secrets(self) -> list[str]:
        env = os.environ if self._environ is None else self._environ
        key = env.get(API_KEY_ENV) or ""
        return [key] if key.strip() else []

    def secrets_for(self, requests: Iterable[Any]) -> list[str]:
        found = self.env_secrets()
        for request in requests:
            headers = getattr(request, "headers", {}) or {}
            for name, value in header_values(headers):
                if name.lower() == "authorization":
                    token = bearer_token(value)
                    if token:
                        found.append(token)
        # Longest first: a key that contains another must be replaced whole.
        return sorted(set(found), key=len, reverse=True)

    def _replace(self, value: Any, secrets: Sequence[str]) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                for form in _variants(secret):
                    value = value.replace(form, PLACEHOLDER)
            return value
        if isinstance(value, bytes | bytearray):
            data = bytes(value)
            for secret in secrets:
                for form in _variants(secret):
                    data = data.replace(form.encode("utf-8"), PLACEHOLDER.encode("utf-8"))
            return data
        if isinstance(value, dict):
            return {self._replace(k, secrets): self._replace(v, secrets) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._replace(item, secrets) for item in value)
        return value

    def scrub_request(self, request: Any, secrets: Sequence[str]) -> Any:
        """Scrub a ``vcr.request.Request`` in place (and return it)."""
        headers: dict[str, Any] = {}
        for name, value in dict(request.headers).items():
            if str(name).lower() == "authorization":
                text = (as_text(value) or "").strip()
                if not text:
                    headers[name] = value  # an empty header is what the test sent, not a secret
                elif text.lower().startswith("bearer"):
                    headers[name] = AUTH_PLACEHOLDER
                else:
                    headers[name] = PLACEHOLDER
            else:
                headers[name] = self._replace(value, secrets)
        request.headers = headers
        request.uri = self._replace(request.uri, secrets)
        body = body_bytes(request.body)
        if body is not None:
            request.body = self._replace(body, secrets)
        return request

    def scrub_response(self, response: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
        """Scrub a vcr response dict; a compressed body is decoded first when possible."""
        response = dict(response)
        headers = response.get("headers") or {}
        encoding = header_value(headers, "content-encoding")
        body = response.get("body")
        raw = body_bytes(body.get("string")) if isinstance(body, dict) else None
        if encoding and raw and secrets:
            try:
                plain = decode_body(raw, encoding)
            except ContentCodingError:
                plain = raw  # left as it is: the guard refuses a body it cannot read
            if plain != raw and any(f.encode() in plain for s in secrets for f in _variants(s)):
                # A compressed body escapes text replacement: store it decoded (every layer).
                response["body"] = {**body, "string": plain}  # type: ignore[dict-item]
                response["headers"] = {
                    k: v
                    for k, v in headers.items()
                    if k.lower() not in ("content-encoding", "content-length")
                }
        return dict(self._replace(response, secrets))

    def __call__(self, request: Any, response: Any, cassette: Any = None) -> tuple[Any, Any]:
        """The hook: vcrpy passes copies, so scrubbing in place is safe."""
        pool = [request]
        if cassette is not None:
            pool.extend(getattr(cassette, "requests", []))
        secrets = self.secrets_for(pool)
        return self.scrub_request(request, secrets), self.scrub_response(response, secrets)
