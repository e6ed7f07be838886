"""Exceptions raised by :mod:`pytest_antimetal.client`.

Hierarchy::

    AntimetalError
    ├── MissingAPIKeyError            no key given and ANTIMETAL_API_KEY unset
    ├── APIConnectionError            nothing usable came back (DNS, refused, reset...)
    │   └── APITimeoutError
    ├── APIResponseValidationError    a 2xx whose body does not match the spec
    ├── InvestigationTimeoutError     wait_for_results gave up (also a TimeoutError)
    └── APIStatusError                any non-2xx answer
        ├── BadRequestError           400
        ├── AuthenticationError       401
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        ├── RateLimitError            429 (``retry_after``)
        └── InternalServerError       >= 500

Every message is one line and never contains the API key: it is built from
the response's status and body, which a server or proxy may echo the key into,
so whatever comes from the body (``message``, ``type``, ``request_id``,
``details``, body snippets) is passed through :func:`pytest_antimetal.secrets.redact`
with the ``secrets`` the client hands in (its key). Only ``.body`` (the parsed
JSON) and ``.response`` keep what the server sent; httpx's ``Request`` and
``Response`` reprs do not show headers or bodies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pytest_antimetal.secrets import Secret, redact

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AntimetalError",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "InvestigationTimeoutError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "make_status_error",
    "snippet",
]

_SNIPPET_CHARS = 120
_MAX_DETAILS_SHOWN = 3


class AntimetalError(Exception):
    """Base class of every error the client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingAPIKeyError(AntimetalError):
    """No API key was passed and ``ANTIMETAL_API_KEY`` is not set."""


def _attempts_note(attempts: int) -> str:
    return f" [gave up after {attempts} attempts]" if attempts > 1 else ""


class APIConnectionError(AntimetalError):
    """The request failed before a response arrived (refused, reset, DNS...)."""

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        request: httpx.Request | None = None,
        attempts: int = 1,
        secrets: Iterable[Secret] = (),
    ) -> None:
        super().__init__(redact(message, secrets) + _attempts_note(attempts))
        self.request = request
        self.attempts = attempts


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""

    def __init__(
        self,
        message: str = "Request timed out.",
        *,
        request: httpx.Request | None = None,
        attempts: int = 1,
        secrets: Iterable[Secret] = (),
    ) -> None:
        super().__init__(message, request=request, attempts=attempts, secrets=secrets)


class APIResponseValidationError(AntimetalError):
    """A successful status whose body does not match the documented schema."""

    def __init__(
        self, message: str, *, response: httpx.Response, secrets: Iterable[Secret] = ()
    ) -> None:
        super().__init__(f"HTTP {response.status_code}: {redact(message, secrets)}")
        self.response = response
        self.status_code = response.status_code


class InvestigationTimeoutError(AntimetalError, TimeoutError):
    """``issues.wait_for_results`` ran out of time before the investigation finished.

    ``last_status`` is the issue's status at the last poll, ``last_version_status`` its
    latest run's (``None`` when the issue lists no runs), ``waited`` the seconds spent.
    """

    def __init__(
        self,
        *,
        issue_id: str,
        timeout: float,
        waited: float,
        polls: int,
        last_status: str | None,
        last_version: int | None,
        last_version_status: str | None,
    ) -> None:
        self.issue_id = issue_id
        self.timeout = timeout
        self.waited = waited
        self.polls = polls
        self.last_status = last_status
        self.last_version = last_version
        self.last_version_status = last_version_status
        run = (
            f", latest version {last_version}: {last_version_status}"
            if last_version_status is not None
            else ""
        )
        super().__init__(
            f"issue {issue_id} still not investigated after {waited:.3g}s "
            f"(timeout {timeout:g}s, {polls} polls); last status: {last_status}{run}"
        )


class APIStatusError(AntimetalError):
    """The API answered with a non-2xx status.

    ``type``, ``message``, ``request_id`` and ``details`` come from the
    ``ErrorResponseDto`` body when it has them (``request_id`` else from the
    ``X-Request-Id`` header; ``body`` is the parsed JSON, ``attempts`` how many
    requests were made); an off-spec body still gives
    this class (never a ``KeyError``), with a message describing the body.
    Every text field is redacted of ``secrets``; ``body`` and ``response`` are not.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        type: str | None = None,  # the spec's field name
        request_id: str | None = None,
        details: Mapping[str, str] | None = None,
        attempts: int = 1,
        note: str | None = None,
        body: Any = None,
        secrets: Iterable[Secret] = (),
    ) -> None:
        secrets = tuple(secrets)  # never stored: only used to redact
        self.status_code: int = response.status_code
        self.body = body  # the parsed JSON body (unredacted), None when it was not JSON
        self.type = None if type is None else redact(type, secrets)
        self.request_id = None if request_id is None else redact(request_id, secrets)
        self.details: dict[str, str] = {
            redact(key, secrets): redact(value, secrets) for key, value in (details or {}).items()
        }
        self.response = response
        self.attempts = attempts
        self.note = None if note is None else redact(note, secrets)
        message = redact(message, secrets)
        super().__init__(message)
        # ``message`` keeps the server's text; str() is the full one-liner.
        self.message = message
        self.args = (self._summary(),)

    def _summary(self) -> str:
        if self.type:
            text = f"{self.status_code} {self.type}: {self.message}"
        elif self.message.startswith(f"HTTP {self.status_code} "):
            text = self.message  # already describes the status (an off-spec body)
        else:
            text = f"{self.status_code}: {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        if self.details:
            shown = list(self.details.items())[:_MAX_DETAILS_SHOWN]
            summary = "; ".join(f"{key}: {value}" for key, value in shown)
            extra = len(self.details) - len(shown)
            if extra > 0:
                summary += f"; +{extra} more"
            text += f" details: {summary}"
        if self.note:
            text += f" ({self.note})"
        text += _attempts_note(self.attempts)
        return " ".join(text.split())  # one line, whatever the server sent

    def __str__(self) -> str:
        return self._summary()


class BadRequestError(APIStatusError):
    """400: the request body or parameters were rejected."""


class AuthenticationError(APIStatusError):
    """401: missing, malformed or unknown API key."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not perform this operation."""


class NotFoundError(APIStatusError):
    """404: no such path or resource."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class InternalServerError(APIStatusError):
    """Any status >= 500."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def snippet(text: str, secrets: Iterable[Secret] = ()) -> str:
    """A one-line ``repr`` of the start of *text*, redacted before it is cut short.

    Redacting first matters: a key cut in half by the length limit would no
    longer match and its first half would be printed.
    """
    text = " ".join(redact(text, secrets).split())
    if len(text) > _SNIPPET_CHARS:
        text = text[:_SNIPPET_CHARS] + "..."
    return repr(text)


def parse_error_body(response: httpx.Response, secrets: Iterable[Secret] = ()) -> dict[str, Any]:
    """Read ``type``/``message``/``request_id``/``details`` from any error body.

    Keeps each field only when it has the documented type; describes the body
    in ``message`` when it is not an ``ErrorResponseDto`` at all (a snippet
    redacted of *secrets*). The fields are as sent: :class:`APIStatusError`
    redacts them.
    """
    secrets = tuple(secrets)
    status = response.status_code
    raw = response.content
    fields: dict[str, Any] = {}
    body: Any = None
    if not raw.strip():
        fallback = f"HTTP {status} (empty body)"
    else:
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            fallback = f"HTTP {status} (non-JSON body: {snippet(text, secrets)})"
        else:
            fallback = f"HTTP {status} (unexpected error body: {snippet(text, secrets)})"
    if isinstance(body, dict):
        for key in ("type", "message", "request_id"):
            value = body.get(key)
            if isinstance(value, str) and value:
                fields[key] = value
        details = body.get("details")
        if isinstance(details, dict):
            fields["details"] = {
                str(k): v if isinstance(v, str) else json.dumps(v) for k, v in details.items()
            }
    fields.setdefault("message", fallback)
    fields["body"] = body
    if "request_id" not in fields:
        header = response.headers.get("x-request-id")
        if header:
            fields["request_id"] = header
    return fields


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    *now* is the current POSIX time (injected so tests control the clock).
    Returns ``None`` when absent or unparsable; never negative.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return max(seconds, 0.0)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT by definition
        from datetime import UTC

        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def make_status_error(
    response: httpx.Response,
    *,
    now: float,
    attempts: int = 1,
    note: str | None = None,
    secrets: Iterable[Secret] = (),
) -> APIStatusError:
    """Build the right :class:`APIStatusError` subclass for a non-2xx *response*.

    *secrets* (the client's key) are redacted from every text the error shows.
    """
    secrets = tuple(secrets)
    fields = parse_error_body(response, secrets)
    cls = _error_class(response.status_code)
    kwargs: dict[str, Any] = {
        "response": response,
        "type": fields.get("type"),
        "request_id": fields.get("request_id"),
        "details": fields.get("details"),
        "attempts": attempts,
        "note": note,
        "body": fields["body"],
        "secrets": secrets,
    }
    if cls is RateLimitError:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
        return RateLimitError(fields["message"], retry_after=retry_after, **kwargs)
    return cls(fields["message"], **kwargs)
