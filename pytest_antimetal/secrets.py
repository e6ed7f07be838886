"""The API key and every way it is kept out of output: the one module for the key.

One concept, read in one place (why this module is longer than most): what the
key is, where it is unwrapped, and each primitive that takes it out of what
the package prints, logs, records or stores.

* The key travels as an :class:`APIKey`, whose ``repr`` and ``str`` are masked,
  so a traceback local (``-l``), a function argument (``--full-trace``), a
  failure report, a JUnit file or a log line that shows the object shows
  ``APIKey('…abcd')``, never the key. The bare string is taken out with
  :meth:`APIKey.get_secret_value` in three places only: :func:`bearer` (the
  ``Authorization`` header), :func:`redact` (to find the key in text) and the
  fake (to recognise it on the wire). A malformed key is described by
  :meth:`APIKey.problem` without quoting it.
* Text: :func:`redact` replaces a secret in every spelling it can take on the
  wire (:func:`secret_variants`); errors, contract reports and cassettes use it.
* Headers: :data:`CREDENTIAL_HEADERS` is the one set of headers never shown as
  sent; :func:`redacted_headers` / :func:`masked_credential` show them
  (``Bearer [REDACTED]``, :data:`REDACTED_BEARER`), :func:`bearer_token` is the
  one parser of ``Authorization: Bearer``, :func:`bearer_tokens_in` finds
  bearer credentials quoted in text. Client logs, the fake's recorded
  requests, contract reports and the cassette scrubber and guard call these.
* Logs: :func:`install_log_redaction` keeps the key out of the records of
  httpx, httpcore, vcrpy and this package while the pytest plugin is active.

Only the standard library is imported: the plugin loads this on every run.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import os
import re
import weakref
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, AnyStr, NoReturn, Protocol, TypeAlias
from urllib.parse import quote

__all__ = [
    "API_KEY_ENV",
    "CREDENTIAL_HEADERS",
    "DEFAULT_PLACEHOLDER",
    "KEY_FORMAT",
    "LOGGERS",
    "REDACTED_BEARER",
    "APIKey",
    "LogRedaction",
    "RedactingFilter",
    "Secret",
    "SecretLike",
    "api_key_from_env",
    "bearer",
    "bearer_token",
    "bearer_tokens_in",
    "install_log_redaction",
    "mask_secret",
    "masked_credential",
    "redact",
    "redact_log_text",
    "redacted_headers",
    "secret_variants",
]

API_KEY_ENV = "ANTIMETAL_API_KEY"
DEFAULT_PLACEHOLDER = "[REDACTED]"
"""What a secret is replaced by in printed text."""
REDACTED_BEARER = f"Bearer {DEFAULT_PLACEHOLDER}"
"""What a printed ``Authorization`` header says."""
KEY_FORMAT = "a bearer token: letters, digits and -._~+/, optionally ending in ="
_MIN_LEN_TO_SHOW_TAIL = 20
# RFC 6750's b64token: all an HTTP bearer credential may hold (the vendor's scheme is bearer).
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*\Z")
_TOKEN_CHAR = re.compile(r"[A-Za-z0-9\-._~+/]")
# The wire form the fake accepts: the scheme in any case, spaces, a b64token, trailing spaces.
_STRICT_BEARER = re.compile(r"(?i:bearer) +([A-Za-z0-9\-._~+/]+=*) *\Z")
# Twelve or more b64token characters after "bearer" in text; with a digit or mixed case
# (see _looks_like_token) they look like a credential, "Bearer realm=..." does not.
_BEARER_TOKEN_IN_TEXT = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{12,}=*)")
# An auth scheme kept when a credential is masked ("Basic [REDACTED]"): letters only, so
# the first half of a malformed key holding a space is never shown as a "scheme".
_SCHEME = re.compile(r"[A-Za-z]{1,20}\Z")
# A bearer credential quoted in a log line, whatever key it holds (e.g. one passed as api_key=).
_BEARER_IN_TEXT = re.compile(r"(?i)\b(bearer)([ \t]+|'?,\s*'?|:\s*)[A-Za-z0-9\-._~+/]{8,}=*")
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
"""Request headers whose value is a credential: never printed, logged, recorded or stored."""
_SCHEMED_HEADERS = frozenset({"authorization", "proxy-authorization"})
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


# -- text ------------------------------------------------------------------------------
#
# A server, gateway or proxy can echo the Authorization header back (in an error
# message, a debug page, a JSON field), so anything built from a response is redacted
# before it is shown. A secret is matched as a substring in every spelling it can take
# on the wire; deliberately not "whole word" only, because a half-masked key is still a
# leaked key. Base64 is not covered: a base64 encoding of a key inside a longer value
# (Basic auth) depends on its alignment, and the API uses bearer tokens only.


class SecretLike(Protocol):
    """A wrapped secret, e.g. :class:`APIKey`."""

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


# -- headers -----------------------------------------------------------------------------


def bearer_token(value: str, *, strict: bool = False) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, else ``None``.

    Lenient by default, to find what to redact: the scheme in any case, then
    anything after the first space, surrounding whitespace ignored. With
    *strict*, the wire form the fake accepts: the scheme, one or more spaces, a
    well-formed b64token (:data:`KEY_FORMAT`), optional trailing spaces.
    """
    if strict:
        match = _STRICT_BEARER.match(value)
        return match[1] if match else None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _looks_like_token(token: str) -> bool:
    return any(c.isdigit() for c in token) or (token.lower() != token and token.upper() != token)


def bearer_tokens_in(text: str) -> Iterator[str]:
    """Bearer credentials quoted in *text* that look like keys (a digit or mixed case)."""
    for match in _BEARER_TOKEN_IN_TEXT.finditer(text):
        if _looks_like_token(match[1]):
            yield match[1]


def masked_credential(name: str, value: str, placeholder: str = DEFAULT_PLACEHOLDER) -> str:
    """What credential header *name* shows instead of *value*.

    ``Bearer <placeholder>`` for a bearer credential (:data:`REDACTED_BEARER`),
    ``<scheme> <placeholder>`` for another ``Authorization`` scheme, else the
    placeholder. A blank value is shown as sent: it holds nothing, and a
    reproduction must send it blank.
    """
    if not value.strip():
        return value
    if name.lower() in _SCHEMED_HEADERS:
        if bearer_token(value) is not None:
            return f"Bearer {placeholder}"
        scheme, _, rest = value.strip().partition(" ")
        if rest.strip() and _SCHEME.match(scheme):
            return f"{scheme} {placeholder}"
    return placeholder


def redacted_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    secrets: Iterable[Secret] = (),
    public: Iterable[str] = (),
    *,
    placeholder: str = DEFAULT_PLACEHOLDER,
) -> dict[str, str]:
    """*headers* safe to print: :data:`CREDENTIAL_HEADERS` masked, *secrets* redacted elsewhere.

    A credential listed in *public* (a deliberately invalid key a test made up)
    is shown as sent, so a reproduction sends it too.
    """
    secrets = tuple(secrets)
    public = frozenset(public)
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if name.lower() not in CREDENTIAL_HEADERS:
            out[name] = redact(value, secrets, placeholder) if secrets else value
        elif value in public:
            out[name] = value
        else:
            out[name] = masked_credential(name, value, placeholder)
    return out


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
