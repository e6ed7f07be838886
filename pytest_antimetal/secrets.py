"""The API key: one type holds it, one function reads it, one function sends it.

The key travels as an :class:`APIKey`, whose ``repr`` and ``str`` are masked,
so a traceback local (``-l``), a function argument (``--full-trace``), a
failure report, a JUnit file or a log line that shows the object shows
``APIKey('…abcd')``, never the key. The bare string is taken out with
:meth:`APIKey.get_secret_value` in three places only: :func:`bearer` (the
``Authorization`` header), :func:`pytest_antimetal.redact.redact` (to find the
key in text) and the fake (to recognise it on the wire).

A malformed key is described by :meth:`APIKey.problem` without quoting it; the
caller raises, from a frame that holds only the :class:`APIKey`.

:func:`install_log_redaction` keeps the key out of the log records of httpx,
httpcore, vcrpy and this package while the pytest plugin is active.

This module is separate from :mod:`pytest_antimetal.redact`, which stays a
plain text helper (imported by the cassettes, errors and contract reports):
here is what the key *is*, there is how any secret is taken out of text.
Only the standard library is imported: the plugin loads this on every run.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from pytest_antimetal.redact import DEFAULT_PLACEHOLDER, redact

__all__ = [
    "API_KEY_ENV",
    "KEY_FORMAT",
    "LOGGERS",
    "REDACTED_BEARER",
    "APIKey",
    "LogRedaction",
    "RedactingFilter",
    "api_key_from_env",
    "bearer",
    "install_log_redaction",
    "mask_secret",
    "redact_log_text",
    "redacted_headers",
]

API_KEY_ENV = "ANTIMETAL_API_KEY"
REDACTED_BEARER = f"Bearer {DEFAULT_PLACEHOLDER}"
"""What a printed ``Authorization`` header says."""
KEY_FORMAT = "a bearer token: letters, digits and -._~+/, optionally ending in ="
_MIN_LEN_TO_SHOW_TAIL = 20
# RFC 6750's b64token: all an HTTP bearer credential may hold (the vendor's scheme is bearer).
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*\Z")
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9\-._~+/]")
# A bearer credential quoted in a log line, whatever key it holds (e.g. one passed as api_key=).
_BEARER_IN_TEXT = re.compile(r"(?i)\b(bearer)([ \t]+|'?,\s*'?|:\s*)[A-Za-z0-9\-._~+/]{8,}=*")
_SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization"})
_CHAR_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", " ": "a space"}

# Every key alive in this process: what the log redaction hides besides the environment's.
_LIVE: weakref.WeakSet[APIKey] = weakref.WeakSet()


def mask_secret(value: str | None) -> str:
    """A printable stand-in for a secret: ``'…abcd'`` for keys of 20+ characters, else ``'…'``.

    Four characters of a short key would be too much of it. ``None`` is ``'<unset>'``.
    """
    if value is None:
        return "<unset>"
    if len(value) >= _MIN_LEN_TO_SHOW_TAIL:
        return "…" + value[-4:]
    return "…"


class APIKey:
    """An API key whose ``repr``/``str`` never show it (like pydantic's ``SecretStr``).

    >>> key = APIKey("amk-0123456789abcdefWXYZ")
    >>> key
    APIKey('…WXYZ')
    >>> f"{key}"
    '…WXYZ'

    Two keys are equal when their values are (compared in constant time); a
    key never equals a ``str``. It cannot be pickled (a cache or a worker
    message would store it in clear); copies are the same object.
    """

    __slots__ = ("__value", "__weakref__")

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            kind = type(value).__name__
            value = ""  # bytes may be the key itself: not an argument of the raising frame
            raise TypeError(f"an API key is a str, not {kind}")
        self.__value = value
        _LIVE.add(self)

    def get_secret_value(self) -> str:
        """The key itself. Call it only to send the key or to recognise it: never print it."""
        return self.__value

    def problem(self) -> str | None:
        """What makes this key unusable as a bearer token, in words that do not quote it.

        ``None`` for a well-formed key (RFC 6750 ``b64token``: letters, digits and
        ``-._~+/``, optionally ending in ``=``).
        """
        value = self.__value
        if _TOKEN.match(value):
            return None
        if not value:
            return "is empty"
        # The first character that breaks the rule, named and placed, never the rest.
        body = value.rstrip("=")
        for index, char in enumerate(value):
            if _TOKEN_CHAR.match(char) or (char == "=" and index >= len(body)):
                continue
            if char == "=":
                what = "'=' before the end (only trailing '=' padding is allowed)"
            elif char in _CHAR_NAMES:
                what = _CHAR_NAMES[char]
            elif char.isspace():
                what = "whitespace"
            elif not char.isascii():
                what = "a non-ASCII character"
            elif not char.isprintable():
                what = "a control character"
            else:
                what = f"the character {char!r}"
            where = "at the end" if index == len(value) - 1 else f"at character {index + 1}"
            return f"contains {what} {where}"
        return "is not a bearer token"  # pragma: no cover - every failing value has a culprit

    def __repr__(self) -> str:
        return f"APIKey({mask_secret(self.__value)!r})"

    def __str__(self) -> str:
        return mask_secret(self.__value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, APIKey):
            return NotImplemented
        mine = self.__value.encode("utf-8", "surrogatepass")
        theirs = other.__value.encode("utf-8", "surrogatepass")
        return hmac.compare_digest(mine, theirs)

    def __hash__(self) -> int:
        return hash((APIKey, self.__value))

    def __bool__(self) -> bool:
        return bool(self.__value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("an APIKey cannot be pickled: it would be stored in clear")

    def __copy__(self) -> APIKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> APIKey:
        return self


def api_key_from_env(environ: Mapping[str, str] | None = None) -> APIKey | None:
    """``ANTIMETAL_API_KEY`` as an :class:`APIKey` (``None`` when unset or empty).

    The only place the key is read. Not validated here: see :meth:`APIKey.problem`.
    """
    env = os.environ if environ is None else environ
    return APIKey(env[API_KEY_ENV]) if env.get(API_KEY_ENV) else None


def key_error_message(key: APIKey, source: str = API_KEY_ENV) -> str | None:
    """One line saying why *key* (from *source*) is unusable, or ``None`` when it is fine."""
    problem = key.problem()
    if problem is None:
        return None
    return f"{source} is not a valid API key: it {problem} (an API key is {KEY_FORMAT})"


def bearer(key: APIKey) -> str:
    """The ``Authorization`` header value for *key*: where the key is unwrapped to be sent.

    Raises ``ValueError`` (without the key) for a malformed key, which httpx would
    otherwise reject with a message quoting the header.
    """
    message = key_error_message(key, "the API key")
    if message is not None:
        raise ValueError(message)
    return "Bearer " + key.get_secret_value()


def redacted_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """*headers* safe to print: credentials become :data:`REDACTED_BEARER`."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {
        name: (REDACTED_BEARER if name.lower() in _SENSITIVE_HEADERS else value)
        for name, value in items
    }


# -- logs ------------------------------------------------------------------------------

LOGGERS = ("httpx", "httpcore", "h2", "hpack", "vcr", "pytest_antimetal")
"""The loggers whose records (and their children's) are redacted while the plugin is active."""


def _log_secrets() -> list[Any]:
    found: list[Any] = list(_LIVE)
    raw = os.environ.get(API_KEY_ENV)  # also a malformed one, which no APIKey may hold yet
    if raw and raw.strip():
        found.append(raw)
    return found


def redact_log_text(text: str) -> str:
    """*text* without any live :class:`APIKey`, ``ANTIMETAL_API_KEY`` or bearer credential."""
    return _BEARER_IN_TEXT.sub(
        lambda m: f"{m[1]}{m[2]}{DEFAULT_PLACEHOLDER}", redact(text, _log_secrets())
    )


class RedactingFilter(logging.Filter):
    """Rewrites a log record in place so that no handler after it can show the key.

    The message is formatted and redacted (``args`` then ``None``), and so are
    the formatted exception and stack. A record without a secret is left as is.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: its handler would print msg and args raw
            record.msg = redact_log_text(str(record.msg)) + " (unformattable log arguments)"
            record.args = None
            return True
        clean = redact_log_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_log_text(text)
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        return True


class _Scrubber(logging.Handler):
    """Outputs nothing: its filter rewrites each record before the handlers after it see it."""

    def emit(self, record: logging.LogRecord) -> None:
        pass


class LogRedaction:
    """A :class:`RedactingFilter` placed first among the handlers of some loggers.

    Why a handler and not a logger filter: a logger's filters see only records
    logged on that very logger, not those of its children (``httpcore.http11``,
    ``vcr.cassette``...), which are created lazily and vary by version. A
    handler on ``httpcore`` sees every record that propagates through it, and
    handlers run child first, then parent, then root: placed first on the
    parent, the scrubber rewrites the record before ``httpcore``'s other
    handlers and every root handler (pytest's log file, live log, captured
    log and ``caplog``; a user's ``basicConfig``) see it. Not covered: a
    handler attached directly to a child logger, or a child with
    ``propagate = False``.
    """

    def __init__(self, names: Iterable[str] = LOGGERS) -> None:
        self._handler = _Scrubber()
        self._handler.addFilter(RedactingFilter())
        self._loggers = [logging.getLogger(name) for name in names]
        for logger in self._loggers:
            logger.handlers.insert(0, self._handler)

    def remove(self) -> None:
        """Take the scrubber off again (idempotent)."""
        for logger in self._loggers:
            if self._handler in logger.handlers:
                logger.removeHandler(self._handler)
        self._loggers = []


def install_log_redaction(names: Iterable[str] = LOGGERS) -> LogRedaction:
    """Redact the key from the records of *names* and their children until ``.remove()``."""
    return LogRedaction(names)
