"""How a client's options resolve: the key, the base URL, the retry policy and the timeout.

Each argument of :class:`~pytest_antimetal.client.AntimetalClient` (and of its
async twin and :meth:`with_options` copies) falls back the same way: the value
given, else the environment, else the run's spec or a default. A bad value is a
one-line error that names the argument and never quotes a secret.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx

from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.errors import MissingAPIKeyError
from pytest_antimetal.secrets import API_KEY_ENV, APIKey, api_key_from_env, key_error_message
from pytest_antimetal.target import BASE_URL_ENV, base_url_problem

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "as_key",
    "checked_key",
    "package_version",
    "resolve_base_url",
    "resolve_policy",
    "resolve_timeout",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2


def package_version() -> str:
    """This package's version (for ``User-Agent``)."""
    from pytest_antimetal import __version__

    return __version__


def as_key(api_key: str | APIKey | None) -> APIKey | None:
    """A key given by a user, wrapped at once (``None``: read ``ANTIMETAL_API_KEY``)."""
    if api_key is None:
        return api_key_from_env()
    return api_key if isinstance(api_key, APIKey) else APIKey(api_key)


def checked_key(api_key: APIKey | None) -> APIKey:
    """*api_key* (already wrapped), or the one-line error for a missing or malformed key."""
    __tracebackhide__ = True  # a configuration error points at the caller's line
    if not api_key:
        raise MissingAPIKeyError(
            f"no API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
        )
    message = key_error_message(api_key, f"api_key (or {API_KEY_ENV})")
    if message is not None:
        raise ValueError(message)
    return api_key


def resolve_base_url(base_url: str | None, spec: Spec) -> str:
    """``base_url``, else ``ANTIMETAL_BASE_URL``, else the spec's first server (no final ``/``)."""
    __tracebackhide__ = True  # a configuration error points at the caller's line
    url = base_url or os.environ.get(BASE_URL_ENV) or (spec.servers[0] if spec.servers else "")
    if not url:
        raise ValueError(
            f"no base URL: pass base_url=..., set {BASE_URL_ENV}, or use a spec with servers"
        )
    problem = base_url_problem(url)
    if problem is not None:  # told, never quoted: a query or userinfo may hold a secret
        raise ValueError(f"base_url {problem}")
    return url.rstrip("/")


def resolve_policy(
    retry_policy: RetryPolicy | None,
    max_retries: int | None,
    retry_post_on_server_error: bool | None,
) -> RetryPolicy:
    """*retry_policy* (default: :class:`RetryPolicy`) with the two shortcuts applied over it."""
    policy = retry_policy or RetryPolicy()
    overrides: dict[str, Any] = {}
    if max_retries is not None:
        overrides["max_retries"] = max_retries
    if retry_post_on_server_error is not None:
        overrides["retry_post_on_server_error"] = retry_post_on_server_error
    return replace(policy, **overrides) if overrides else policy


def resolve_timeout(
    timeout: float | httpx.Timeout | None, http_client: httpx.Client | httpx.AsyncClient | None
) -> httpx.Timeout:
    """*timeout*, else the given httpx client's, else :data:`DEFAULT_TIMEOUT`."""
    if timeout is not None:
        return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    if http_client is not None:
        return http_client.timeout
    return DEFAULT_TIMEOUT
