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
from pytest_antimetal.secrets import (
    API_KEY_ENV,
    CREDENTIAL_HEADERS,
    bearer_token,
    masked_credential,
    redact,
    secret_variants,
)

__all__ = ["AUTH_PLACEHOLDER", "PLACEHOLDER", "Scrubber", "sent_token"]

PLACEHOLDER = f"<{API_KEY_ENV}>"
"""What the key is replaced by in a saved cassette."""
AUTH_PLACEHOLDER = f"Bearer {PLACEHOLDER}"
"""What a saved ``Authorization`` header says."""


def sent_token(value: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, unless it is our placeholder."""
    token = bearer_token(value)
    return None if token == PLACEHOLDER else token


class Scrubber:
    """``before_save_interaction`` hook: the key never reaches a cassette.

    Secrets are ``ANTIMETAL_API_KEY`` read at save time (if set) and every
    ``Authorization: Bearer`` token of the cassette's requests. A credential
    header (:data:`~pytest_antimetal.secrets.CREDENTIAL_HEADERS`) is masked:
    ``Authorization: Bearer`` becomes :data:`AUTH_PLACEHOLDER`; each secret is
    replaced by :data:`PLACEHOLDER` wherever else it appears (every spelling of
    :func:`~pytest_antimetal.secrets.redact`): URL and query string, any header,
    request and response body.
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
                    token = sent_token(value)
                    if token:
                        found.append(token)
        # Longest first: a key that contains another must be replaced whole.
        return sorted(set(found), key=len, reverse=True)

    def _replace(self, value: Any, secrets: Sequence[str]) -> Any:
        if isinstance(value, str):
            return redact(value, secrets, PLACEHOLDER)
        if isinstance(value, bytes | bytearray):
            return redact(bytes(value), secrets, PLACEHOLDER)
        if isinstance(value, dict):
            return {self._replace(k, secrets): self._replace(v, secrets) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._replace(item, secrets) for item in value)
        return value

    def scrub_request(self, request: Any, secrets: Sequence[str]) -> Any:
        """Scrub a ``vcr.request.Request`` in place (and return it)."""
        headers: dict[str, Any] = {}
        for name, value in dict(request.headers).items():
            if str(name).lower() in CREDENTIAL_HEADERS:
                text = as_text(value) or ""
                # An empty header is what the test sent, not a secret: kept as it is.
                headers[name] = masked_credential(str(name), text, PLACEHOLDER) if text else value
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
            if plain != raw and any(
                f.encode() in plain for s in secrets for f in secret_variants(s)
            ):
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
