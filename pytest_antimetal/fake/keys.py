"""The keys the fake accepts, each with its organisation, and its answer to ``Authorization``.

A missing, malformed or unknown bearer key is a 401 with ``WWW-Authenticate:
Bearer``; a forbidden one a 403. The key is unwrapped here only, to be
recognised on the wire (``secrets.bearer_token`` parses the header).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from pytest_antimetal.fake import responses
from pytest_antimetal.fake.handler import FakeResponse
from pytest_antimetal.secrets import APIKey, bearer_token

__all__ = ["DEFAULT_FAKE_API_KEY", "Keys"]

DEFAULT_FAKE_API_KEY = "am-fake-key-0000000000000000"
"""The key a default :class:`FakeAntimetal` accepts (not a secret: it only opens the fake)."""


@dataclass
class _Key:
    organization: str
    forbidden: bool


class Keys:
    """The accepted keys, in the order they were added; usable from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] = {}

    def add(self, key: str | APIKey, *, organization: str, forbidden: bool) -> None:
        """Accept *key* for *organization*; a *forbidden* key authenticates but gets 403s."""
        if isinstance(key, str):
            key = APIKey(key)  # rebound at once: no argument of a raising frame holds it bare
        if not isinstance(key, APIKey) or key.problem() is not None:
            raise ValueError(
                "an API key must be a non-empty bearer token (letters, digits, -._~+/)"
            )
        with self._lock:
            self._keys[key.get_secret_value()] = _Key(
                organization=organization, forbidden=forbidden
            )

    def first_allowed(self) -> str:
        """The first key that may create issues."""
        with self._lock:
            for key, info in self._keys.items():
                if not info.forbidden:
                    return key
        raise LookupError("this fake has no key that may create issues")

    def authenticate(
        self, headers: Mapping[str, str], request_id: str
    ) -> tuple[str, str] | FakeResponse:
        """(key, organisation) of the request's bearer key, else the 401 or 403 answer."""
        error = responses.error
        challenge = {"www-authenticate": "Bearer"}
        value = headers.get("authorization")
        if value is None:
            message = "missing Authorization header (expected 'Bearer <API key>')"
            return error(401, "authentication_error", message, request_id, headers=challenge)
        key = bearer_token(value, strict=True)
        if key is None:
            message = "malformed Authorization header (expected 'Bearer <API key>')"
            return error(401, "authentication_error", message, request_id, headers=challenge)
        info = self._keys.get(key)
        if info is None:
            return error(
                401, "authentication_error", "invalid API key", request_id, headers=challenge
            )
        if info.forbidden:
            message = "this API key is not allowed to use the API"
            return error(403, "authentication_error", message, request_id)
        return key, info.organization
