"""One attempt's outcome: the answer to return, a retry to wait for, or the client's error.

Shared by the sync and async send loops of :mod:`pytest_antimetal._base_client`,
which differ only in how they send, close and sleep. The decision itself is
:class:`~pytest_antimetal._retry.RetryPolicy`'s; this module logs it (headers
redacted) and turns a final failure into the error a caller sees, with every
secret the request carried masked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from pytest_antimetal._retry import RetryDecision, RetryPolicy
from pytest_antimetal.errors import APIConnectionError, APITimeoutError, make_status_error
from pytest_antimetal.secrets import APIKey, redact, redacted_headers

__all__ = ["Secrets", "connection_error", "log_request", "next_step"]

logger = logging.getLogger("pytest_antimetal")

Secrets = Callable[[httpx.Request | None], list[APIKey]]
"""What errors and logs must not show for a request (the client's ``_secrets``)."""


def log_request(request: httpx.Request, retries_taken: int, secrets: Secrets) -> None:
    """A DEBUG line for the attempt about to be sent (headers redacted)."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "Request: %s %s (attempt %d) headers=%s",
            request.method,
            request.url,
            retries_taken + 1,
            redacted_headers(request.headers, secrets(request)),
        )


def next_step(
    policy: RetryPolicy,
    request: httpx.Request,
    outcome: httpx.Response | httpx.TransportError,
    *,
    retries: int,
    started: float,
    secrets: Secrets,
    idempotent: bool | None = None,
) -> httpx.Response | RetryDecision:
    """After one attempt: the response to return, or how long to wait before the next.

    Raises the client's error when the policy gives up.
    """
    if isinstance(outcome, httpx.TransportError):
        decision = policy.for_exception(request.method, outcome, retries, idempotent=idempotent)
        if not decision.retry:
            error = connection_error(outcome, request, retries + 1, secrets)
            # httpx's message may quote a header; then its traceback is not chained in
            # (and the message is no local of this frame).
            clean = redact(str(outcome), secrets(request)) == str(outcome)
            raise error from (outcome if clean else None)
    else:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "Response: %s %s -> %d (request_id=%s, %.3fs)",
                request.method,
                request.url,
                outcome.status_code,
                outcome.headers.get("x-request-id"),
                time.monotonic() - started,
            )
        if outcome.is_success:
            return outcome
        decision = policy.for_response(request.method, outcome, retries, idempotent=idempotent)
        if not decision.retry:
            raise make_status_error(
                outcome,
                now=policy.now(),
                attempts=retries + 1,
                note=decision.note,
                secrets=secrets(request),
            )
    logger.info(
        "Retrying %s %s in %.2fs (retry %d of %d): %s",
        request.method,
        request.url,
        decision.delay,
        retries + 1,
        policy.max_retries,
        decision.reason,
    )
    return decision


def connection_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int, secrets: Secrets
) -> APIConnectionError:
    """The client's error for a transport failure the policy gave up on."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = f"{request.method} {request.url}"
    masked = secrets(request)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"Request timed out: {where} ({detail})",
            request=request,
            attempts=attempts,
            secrets=masked,
        )
    return APIConnectionError(
        f"Connection error: {where} ({detail})",
        request=request,
        attempts=attempts,
        secrets=masked,
    )
