"""Which Antimetal server a run talks to: the embedded fake or a live base URL.

Plain logic over a pytest config-like object, shared by the fixtures, the
contract suite and the cassette support so they cannot disagree.

Precedence (highest first), documented in the README's "Choosing the target":

1. a test that requests ``antimetal_fake`` or is marked ``antimetal_fake``
   gets a fresh fake, whatever the run's target (handled by the fixtures);
2. ``--antimetal-fake`` forces the fake for the whole run;
3. a base URL: ``--antimetal-base-url``, else ini ``antimetal_base_url``,
   else the environment variable ``ANTIMETAL_BASE_URL``;
4. otherwise the embedded fake.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "README_REF",
    "Target",
    "TargetError",
    "is_loopback_url",
    "mask_secret",
    "resolve_target",
]

API_KEY_ENV = "ANTIMETAL_API_KEY"
BASE_URL_ENV = "ANTIMETAL_BASE_URL"
README_REF = "the pytest-antimetal README"
_MIN_LEN_TO_SHOW_TAIL = 20


class TargetError(Exception):
    """The run's target is misconfigured (reported as a pytest usage error)."""


class _ConfigLike(Protocol):
    def getoption(self, name: str, default: Any = ...) -> Any: ...

    def getini(self, name: str) -> Any: ...


def mask_secret(value: str | None) -> str:
    """A printable stand-in for a secret: ``'…abcd'`` for keys of 20+ characters, else ``'…'``.

    Four characters of a short key would be too much of it. ``None`` is ``'<unset>'``.
    """
    if value is None:
        return "<unset>"
    if len(value) >= _MIN_LEN_TO_SHOW_TAIL:
        return "…" + value[-4:]
    return "…"


def is_loopback_url(url: str) -> bool:
    """True when *url*'s host is on this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Target:
    """Where a run's requests go."""

    kind: Literal["fake", "live"]
    base_url: str | None
    api_key: str | None = field(repr=False)
    source: str
    """Where the choice came from, e.g. ``--antimetal-base-url`` (for messages)."""
    replaying: bool = False
    """True under ``--record-mode=none``: cassettes answer, no key is needed."""

    @property
    def is_fake(self) -> bool:
        return self.kind == "fake"

    @property
    def is_loopback(self) -> bool:
        return self.base_url is not None and is_loopback_url(self.base_url)

    def __repr__(self) -> str:
        return (
            f"Target(kind={self.kind!r}, base_url={self.base_url!r}, "
            f"api_key={mask_secret(self.api_key)!r}, source={self.source!r})"
        )


def _validate_base_url(url: str, source: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(
            f"{source}: {url!r} is not an http(s) URL (expected e.g. "
            "https://bff.antimetal.com/api/v2 or http://127.0.0.1:8000)"
        )
    return url.rstrip("/")


def resolve_target(config: _ConfigLike, environ: dict[str, str] | None = None) -> Target:
    """Decide the run's target from options, ini and environment.

    Raises :class:`TargetError` (one line) for a live target without a key,
    unless cassettes are being replayed (``--record-mode=none``).
    """
    env = os.environ if environ is None else environ
    api_key = env.get(API_KEY_ENV) or None
    record_mode = config.getoption("record_mode", None)
    replaying = record_mode == "none"

    if config.getoption("antimetal_fake", False):
        return Target("fake", None, api_key, "--antimetal-fake", replaying)

    candidates = (
        ("--antimetal-base-url", config.getoption("antimetal_base_url", None)),
        ("ini antimetal_base_url", config.getini("antimetal_base_url")),
        (BASE_URL_ENV, env.get(BASE_URL_ENV)),
    )
    for source, value in candidates:
        if value:
            base_url = _validate_base_url(str(value), source)
            if not api_key and not replaying:
                raise TargetError(
                    f"{source} points pytest-antimetal at {base_url} but {API_KEY_ENV} is not "
                    f"set: export {API_KEY_ENV}=<your key>, pass --antimetal-fake to use the "
                    f"embedded fake, or replay cassettes with --record-mode=none "
                    f"(see {README_REF}, 'Choosing the target')"
                )
            return Target("live", base_url, api_key, source, replaying)
    return Target("fake", None, api_key, "default", replaying)
