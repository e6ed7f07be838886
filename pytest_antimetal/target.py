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
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pytest_antimetal.secrets import (
    API_KEY_ENV,
    APIKey,
    api_key_from_env,
    key_error_message,
    mask_secret,
)

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "README_REF",
    "RUN_TAG",
    "Target",
    "TargetError",
    "base_url_problem",
    "is_loopback_url",
    "mask_secret",
    "resolve_target",
]

BASE_URL_ENV = "ANTIMETAL_BASE_URL"
README_REF = "the pytest-antimetal README"
RUN_TAG = "pytest-antimetal"
"""Added to ``context.tags`` of every issue a run creates on a live target (the factory, the
contract suite), so what this run made is recognisable."""
_MAX_URL_CHARS = 2048
# RFC 3986 reg-name: unreserved, percent-encoded and sub-delims.
_REG_NAME = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=]+\Z")
_URL_FORM = "http(s)://host[:port][/path], e.g. https://bff.antimetal.com/api/v2"


class TargetError(Exception):
    """The run's target is misconfigured (reported as a pytest usage error)."""


class _ConfigLike(Protocol):
    def getoption(self, name: str, default: Any = ...) -> Any: ...

    def getini(self, name: str) -> Any: ...


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
    api_key: APIKey | None = field(repr=False)
    """Masked in ``repr``/``str``; well-formed (a malformed key is a :class:`TargetError`)."""
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
            f"api_key={self.api_key!r}, source={self.source!r})"
        )


def _describe_char(url: str, char: str) -> str:
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}
    what = names.get(char) or ("whitespace" if char.isspace() else "a control character")
    index = url.index(char)
    where = (
        "at the start"
        if index == 0
        else "at the end"
        if index == len(url) - 1
        else f"at character {index + 1}"
    )
    return f"contains {what} {where}"


def base_url_problem(url: str) -> str | None:
    """Why *url* cannot be a base URL, in words that do not quote it (``None`` when fine).

    A base URL is ``http(s)://host[:port][/path]``: no whitespace or control
    characters, ASCII only, a valid host and port, and no query string,
    fragment or userinfo, which would carry secrets (a key belongs in
    ``ANTIMETAL_API_KEY``) and would mangle every request path appended to it.
    Only the problem's kind is told, never the URL: its parts may be secrets.
    """
    if not url:
        return "is empty"
    if len(url) > _MAX_URL_CHARS:
        return f"is longer than {_MAX_URL_CHARS} characters"
    odd = next((c for c in url if c.isspace() or not c.isprintable()), None)
    if odd is not None:
        return _describe_char(url, odd)
    if not url.isascii():
        return "contains non-ASCII characters (use the punycode or percent-encoded form)"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in authority:
        return "contains userinfo (user:password@): pass the key in ANTIMETAL_API_KEY"
    if "?" in url:
        return "contains a query string (?...): pass the key in ANTIMETAL_API_KEY"
    if "#" in url:
        return "contains a fragment (#...)"
    bad_port = "has an invalid port (expected a number from 1 to 65535)"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed '[' of an IPv6 address
        return "has an invalid host"
    try:
        port = parts.port
    except ValueError:
        return bad_port
    if not host:
        return "has no host"
    if parts.netloc.endswith(":") or port == 0:
        return bad_port
    if authority.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has an invalid IPv6 address"
    elif re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "has an invalid IPv4 address"
    elif not _REG_NAME.match(host):
        return "has an invalid host name"
    return None


def _validate_base_url(url: str, source: str) -> str:
    problem = base_url_problem(url)
    if problem is not None:
        raise TargetError(
            f"{source}: the base URL {problem}; expected {_URL_FORM} "
            f"(see {README_REF}, 'Choosing the target')"
        )
    return url.rstrip("/")


def resolve_target(config: _ConfigLike, environ: dict[str, str] | None = None) -> Target:
    """Decide the run's target from options, ini and environment.

    Raises :class:`TargetError` (one line) for a malformed ``ANTIMETAL_API_KEY``
    or base URL, and for a live target without a key unless cassettes are
    being replayed (``--record-mode=none``). No message quotes the key or the URL.
    """
    env = os.environ if environ is None else environ
    api_key = api_key_from_env(env)
    if api_key is not None:
        message = key_error_message(api_key)
        if message is not None:
            raise TargetError(message)
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
