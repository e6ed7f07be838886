"""Checking one exchange: schemathesis's response checks, then the project's own.

:class:`Checker` judges a response to an :class:`~.sending.Outgoing` request and returns
what failed as :class:`Finding` values; it sends nothing and records nothing (the runner
does both). The project's own checks are in :mod:`.checks`; this module holds which of
schemathesis's checks apply, how an httpx response is handed to them, and the
expectation the hand-written parts add (:func:`expect_intent`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.checks import OWN_CHECKS, CheckFailed, Exchange, RunState, applies
from pytest_antimetal.contract.report import ReceivedResponse
from pytest_antimetal.contract.rules import ContractRules
from pytest_antimetal.contract.spec_rules import classify_datetime, get_path

if TYPE_CHECKING:
    import httpx

    from pytest_antimetal.contract.sending import Outgoing

__all__ = [
    "SCHEMATHESIS_CHECKS",
    "Checker",
    "Expectation",
    "Finding",
    "coverage_negative_parameters",
    "expect_intent",
]

SCHEMATHESIS_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
)
"""schemathesis checks that apply to one operation (``ignored_auth`` is re-done over httpx)."""

# Checks that read the case's generation metadata; hand-written inputs have none.
_META_CHECKS = frozenset(
    {"negative_data_rejection", "positive_data_acceptance", "missing_required_header"}
)

Expectation = Callable[[Exchange], None]
"""A check a part adds to every exchange (raises :class:`CheckFailed`)."""


@dataclass(frozen=True)
class Finding:
    """One check that did not hold for one exchange."""

    check: str
    message: str
    details: str = ""


def expect_intent(ex: Exchange, *, check: str) -> None:
    """A hand-written input's verdict: valid ones accepted, invalid ones refused with a 4xx,
    and no server error for anything."""
    status = ex.response.status
    if ex.intent == "positive" and not 200 <= status < 300:
        raise CheckFailed(check, f"{ex.case}: a valid request was refused with HTTP {status}")
    if ex.intent == "negative" and not 400 <= status < 500:
        raise CheckFailed(check, f"{ex.case}: an invalid request got HTTP {status}, expected a 4xx")
    if ex.intent == "unknown" and status >= 500:
        raise CheckFailed(check, f"{ex.case}: HTTP {status} (a server error) for a client's input")


class Checker:
    """Judges the responses of one operation of one target."""

    def __init__(
        self,
        rules: ContractRules,
        state: RunState,
        *,
        base_url: str,
        declared_methods: Iterable[str],
        checks_config: Callable[[], Any],
    ) -> None:
        self.rules = rules
        self.state = state
        self.base_url = base_url
        self.declared = frozenset(m.upper() for m in declared_methods)
        self._checks_config = checks_config
        self._checks: list[Any] | None = None
        self._own_checks = tuple(self._own(c) for c in OWN_CHECKS if applies(c, rules))

    def judge(
        self,
        out: Outgoing,
        response: httpx.Response,
        received: ReceivedResponse,
        *,
        sent_at: datetime,
        extra: Iterable[Expectation] = (),
    ) -> tuple[int, list[Finding]]:
        """How many checks ran on the exchange (*out* sent at *sent_at*, answered with
        *response*), and those that failed (in order)."""
        exchange = Exchange(
            out.label,
            out.intent,
            out.method,
            out.body,
            sent_at,
            received,
            parameters=coverage_negative_parameters(out.case),
        )
        ran = 0
        found: list[Finding] = []
        note = datetime_note(self.rules, out.body)
        if out.case is not None:
            ran += self._schemathesis(out, response, received, note, found)
        for check in (*self._own_checks, *extra):
            ran += 1
            try:
                check(exchange)
            except CheckFailed as failed:
                details = "\n".join(x for x in (failed.details, note) if x)
                found.append(Finding(failed.check, failed.message, details))
        return ran, found

    def _own(
        self, check: Callable[[Exchange, ContractRules, RunState], None]
    ) -> Callable[[Exchange], None]:
        return lambda ex: check(ex, self.rules, self.state)

    def _schemathesis_checks(self) -> list[Any]:
        if self._checks is None:
            from schemathesis.checks import CHECKS, load_all_checks

            load_all_checks()
            self._checks = list(CHECKS.get_by_names(list(SCHEMATHESIS_CHECKS)))
        return self._checks

    def _schemathesis(
        self,
        out: Outgoing,
        response: httpx.Response,
        received: ReceivedResponse,
        note: str,
        found: list[Finding],
    ) -> int:
        from requests.structures import CaseInsensitiveDict
        from schemathesis.checks import CheckContext, run_checks
        from schemathesis.core.transport import Response

        checks = self._schemathesis_checks()
        if out.case.meta is None:
            checks = [c for c in checks if c.__name__ not in _META_CHECKS]
        if _extra_parameter_only(out.case):
            # An unknown query parameter or header is ignored by most servers, and the document
            # does not say its parameters are a closed set: accepting one is conformant.
            checks = [c for c in checks if c.__name__ != "negative_data_rejection"]
        if received.status == 404 and out.method.upper() not in self.declared:
            # The spec documents no 405, and NestJS/Express answer an unrouted method with
            # 404: both are conformant. A 405 must still carry `Allow` (RFC 9110).
            checks = [c for c in checks if c.__name__ != "unsupported_method"]
        ctx = CheckContext(
            override=None,
            auth=None,
            headers=CaseInsensitiveDict(out.headers),
            config=self._checks_config(),
            transport_kwargs={"base_url": self.base_url},
            response_checks=None,
        )
        failed: list[tuple[str, Any]] = []
        run_checks(
            case=out.case,
            response=as_schemathesis_response(Response, response),
            ctx=ctx,
            checks=checks,
            on_failure=lambda name, collected, failure: failed.append((name, failure)),
        )
        for name, failure in failed:
            message = str(getattr(failure, "title", "") or failure)
            text = str(getattr(failure, "message", "") or "")
            first = text.strip().splitlines()[0] if text.strip() else ""
            line = f"{message}: {first}" if first and first not in message else message
            found.append(Finding(name, line, "\n".join(x for x in (text, note) if x)))
        return len(checks)


def coverage_negative_parameters(case: Any) -> dict[str, dict[str, Any]] | None:
    """The query and path parameters of a coverage-phase negative case, as sent (what
    ``boundary_rejection`` judges); ``None`` for any other request."""
    meta = getattr(case, "meta", None)
    if meta is None:
        return None
    phase = getattr(getattr(meta.phase, "name", None), "value", None)
    mode = getattr(getattr(meta.generation, "mode", None), "value", None)
    if phase != "coverage" or mode != "negative":
        return None
    return {"query": dict(case.query or {}), "path": dict(case.path_parameters or {})}


def _extra_parameter_only(case: Any) -> bool:
    """The case's only violation is a parameter the document does not name (schemathesis's
    coverage scenario "Object with unexpected properties" in the query, headers or cookies)."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    scenario = getattr(getattr(data, "scenario", None), "value", "")
    where = getattr(getattr(data, "parameter_location", None), "value", "")
    return scenario == "object_unexpected_properties" and where in ("query", "header", "cookie")


def datetime_note(rules: ContractRules, body: Any) -> str:
    """Say so when an input's timestamp satisfies only one of the spec's two rules."""
    if not isinstance(body, dict):
        return ""
    for dt in rules.request_datetimes:
        value = get_path(body, dt.path)
        if isinstance(value, str):
            verdict = classify_datetime(value, dt.pattern)
            if verdict in ("pattern-only", "format-only"):
                return (
                    f"note: {dt.dotted}={value!r} satisfies only the spec's "
                    f"{verdict.split('-')[0]}: the spec's `pattern` and `format: date-time` "
                    "disagree on it"
                )
    return ""


def as_schemathesis_response(cls: Any, response: httpx.Response) -> Any:
    """schemathesis's ``Response`` for an httpx one (its own converter needs ``elapsed``,
    which a response from an in-process transport does not have)."""
    import requests
    from requests.structures import CaseInsensitiveDict

    # Filled in directly: `Request.prepare()` re-parses and re-encodes what httpx already
    # built, and cost more than all of our own checks together.
    request = requests.PreparedRequest()
    request.method = response.request.method
    request.url = str(response.request.url)
    request.headers = CaseInsensitiveDict(response.request.headers.items())
    request.body = response.request.content
    headers: dict[str, list[str]] = {}
    for key, value in response.headers.multi_items():
        headers.setdefault(key, []).append(value)
    return cls(
        status_code=response.status_code,
        headers=headers,
        content=response.content,
        request=request,
        elapsed=0.0,
        message=response.reason_phrase,
        encoding=response.encoding,
        http_version=response.http_version,
        verify=True,
    )
