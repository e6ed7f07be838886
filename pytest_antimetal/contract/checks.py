"""The project's own checks: what the spec implies but schemathesis cannot see.

Each check takes one :class:`Exchange` (what was sent, what came back) and the
run's :class:`RunState`, and raises :class:`CheckFailed` with one line saying
what was wrong. Which fields are echoed, which default applies, which fields
are timestamps: all of it comes from :class:`~.rules.ContractRules`, built from
the spec (``ContractRules``, ``ParameterBound`` and ``parameter_bounds`` are importable
from here too, where they used to live).

A new check is a function here, appended to :data:`OWN_CHECKS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pytest_antimetal.contract.report import ReceivedResponse
from pytest_antimetal.contract.rules import ContractRules, ParameterBound, parameter_bounds
from pytest_antimetal.contract.spec_rules import Intent, classify_datetime, get_path
from pytest_antimetal.spec.formats import INSTANT_SHIFT, now_utc, parse_instant
from pytest_antimetal.spec.validation import RequestValidator

__all__ = [
    "OWN_CHECKS",
    "CheckFailed",
    "ContractRules",
    "Exchange",
    "ParameterBound",
    "RunState",
    "applies",
    "parameter_bounds",
    "parse_instant",
]

NOW_TOLERANCE = timedelta(minutes=5)
"""How far an omitted ``triggeredAt`` may be from the client's clock (clock skew, latency)."""

# Statuses whose error `type` the issue pins down; others only need a valid ErrorResponseDto.
_EXPECTED_ERROR_TYPE = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "authentication_error",
}


class CheckFailed(AssertionError):
    """A check did not hold; ``str()`` is the one-line reason."""

    def __init__(self, check: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.check = check
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Exchange:
    """One request the suite sent and the response it got."""

    case: str
    intent: Intent
    method: str
    body: Any
    """The JSON value sent (``None`` when the body was not JSON)."""
    sent_at: datetime
    response: ReceivedResponse
    parameters: Mapping[str, Mapping[str, Any]] | None = None
    """The query and path parameters of a coverage-phase negative case (``{"query": ...,
    "path": ...}``), as sent; ``None`` for any other request."""


@dataclass
class RunState:
    """What the checks remember across one run (identity uniqueness)."""

    clock: Callable[[], datetime] = now_utc
    uuids: dict[str, str] = field(default_factory=dict)
    numbers: dict[Any, str] = field(default_factory=dict)
    created: list[Any] = field(default_factory=list)


def _same_instant(a: datetime, b: datetime) -> bool:
    # Servers commonly keep milliseconds (JavaScript dates): compare at that precision.
    return abs(a - b) < timedelta(milliseconds=1)


# ---------------------------------------------------------------------------
# The checks


def error_response_shape(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """Every non-2xx body is an ErrorResponseDto whose ``type`` fits the status."""
    status = ex.response.status
    if 200 <= status < 300 or rules.error_schema is None:
        return
    name = "error_response_shape"
    body = ex.response.json()
    if not isinstance(body, dict):
        raise CheckFailed(name, f"HTTP {status} body is not a JSON object (ErrorResponseDto)")
    problems = _validate(rules.error_schema, body)
    if problems:
        raise CheckFailed(
            name,
            f"HTTP {status} body is not an ErrorResponseDto: {problems[0]}",
            "\n".join(problems),
        )
    expected = _EXPECTED_ERROR_TYPE.get(status) or ("api_error" if status >= 500 else None)
    if expected is not None and body.get("type") != expected:
        raise CheckFailed(
            name, f"HTTP {status} carries type {body.get('type')!r}, expected {expected!r}"
        )
    # Field-level details are owed when there were fields to judge: a JSON object was sent.
    if status == 400 and isinstance(ex.body, dict) and not isinstance(body.get("details"), dict):
        raise CheckFailed(
            name, "HTTP 400 for a JSON object body without `details` (field -> message)"
        )


@cache
def _validator(schema_json: str) -> RequestValidator:
    # OpenAPI 3.0 semantics (nullable, boolean exclusiveMinimum), as the fake validates.
    return RequestValidator(json.loads(schema_json))


def _validate(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = _validator(json.dumps(schema, sort_keys=True))
    if validator.is_valid(instance):
        return []
    return [f"{path}: {message}" for path, message in validator.errors(instance).items()]


def request_reflected(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """A success body repeats what was sent, the documented defaults, and the timestamps."""
    if ex.response.status != rules.success_status or not isinstance(ex.body, dict):
        return
    name = "request_reflected"
    got = ex.response.json()
    if not isinstance(got, dict):
        return  # response_schema_conformance reports it
    for field_name in rules.echoed:
        if field_name in ex.body:
            if got.get(field_name) != ex.body[field_name]:
                raise CheckFailed(
                    name,
                    f"`{field_name}` sent as {_short(ex.body[field_name])} came back as "
                    f"{_short(got.get(field_name))}",
                )
        elif field_name in rules.defaults and got.get(field_name) != rules.defaults[field_name]:
            raise CheckFailed(
                name,
                f"`{field_name}` omitted: expected the documented default "
                f"{rules.defaults[field_name]!r}, got {_short(got.get(field_name))}",
            )
    for field_name in rules.echoed_datetimes:
        returned = got.get(field_name)
        back = parse_instant(returned) if isinstance(returned, str) else None
        if back is None:
            continue  # response_schema_conformance reports a malformed timestamp
        if field_name in ex.body:
            sent = ex.body[field_name]
            sent_at = parse_instant(sent) if isinstance(sent, str) else None
            if sent_at is not None and not _same_instant(sent_at, back):
                raise CheckFailed(
                    name,
                    f"`{field_name}` sent as {sent!r} came back as {returned!r} (another instant)",
                )
        else:
            now = ex.sent_at + INSTANT_SHIFT  # parse_instant's 400-year shift
            if abs(back - now) > NOW_TOLERANCE:
                raise CheckFailed(
                    name,
                    f"`{field_name}` omitted: expected about now ({ex.sent_at:%Y-%m-%dT%H:%M:%SZ}, "
                    f"+/- {int(NOW_TOLERANCE.total_seconds() // 60)} min), got {returned!r}",
                )


def _success_body(ex: Exchange, rules: ContractRules) -> dict[str, Any] | None:
    """The JSON object of a success response; ``None`` for any other response (a success
    body that is not an object is response_schema_conformance's to report)."""
    if ex.response.status != rules.success_status:
        return None
    got = ex.response.json()
    return got if isinstance(got, dict) else None


def timestamps_ordered(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """``createdAt`` <= ``updatedAt`` in a success body."""
    got = _success_body(ex, rules)
    if got is None:
        return
    for earlier, later in rules.ordered_timestamps:
        a, b = got.get(earlier), got.get(later)
        first = parse_instant(a) if isinstance(a, str) else None
        second = parse_instant(b) if isinstance(b, str) else None
        if first is not None and second is not None and first > second:
            raise CheckFailed("timestamps_ordered", f"`{earlier}` {a!r} is after `{later}` {b!r}")


def identity_unique(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """Identifiers of created resources are unique across the run; ``number`` > 0."""
    got = _success_body(ex, rules)
    if got is None:
        return
    name = "identity_unique"
    number = got.get("number")
    if "number" in rules.identity_fields and number is not None:
        state.created.append(number)
    for field_name in rules.identity_fields:
        value = got.get(field_name)
        if value is None or isinstance(value, (dict, list)):
            continue
        if field_name == "number" and isinstance(value, int) and value <= 0:
            raise CheckFailed(name, f"`number` is {value}, must be > 0")
        seen = state.numbers if field_name == "number" else state.uuids
        key = value if field_name == "number" else str(value)
        if key in seen:
            # The earlier case goes to the details: the message is the same for every repeat.
            raise CheckFailed(
                name,
                f"`{field_name}` {value!r} was already given to an earlier issue",
                f"first given for: {seen[key]}",
            )
        seen[key] = ex.case


def datetime_rules(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """The spec's ``pattern`` and ``format: date-time`` disagree; a server must honour both."""
    if not isinstance(ex.body, dict):
        return
    status = ex.response.status
    for dt in rules.request_datetimes:
        value = get_path(ex.body, dt.path)
        if not isinstance(value, str):
            continue
        verdict = classify_datetime(value, dt.pattern)
        accepted = 200 <= status < 300
        lead = (
            f"the spec's `pattern` and `format: date-time` for `{dt.dotted}` disagree "
            "(a value is valid only if it satisfies both)"
        )
        if accepted and verdict == "pattern-only":
            raise CheckFailed(
                "datetime_rules",
                f"{lead}: the server accepted {value!r}, which only the pattern admits "
                "- it follows the pattern, not the format",
            )
        if accepted and verdict == "format-only":
            raise CheckFailed(
                "datetime_rules",
                f"{lead}: the server accepted {value!r}, which only the format admits "
                "- it follows the format, not the pattern",
            )
        if status == 400 and verdict == "both" and ex.intent == "positive":
            details = (ex.response.json() or {}).get("details")
            if isinstance(details, dict) and any(dt.dotted in str(k) for k in details):
                raise CheckFailed(
                    "datetime_rules",
                    f"{lead}: the server rejected {value!r}, which satisfies both "
                    f"({details.get(dt.dotted, details)!r})",
                )


def boundary_rejection(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """A coverage-phase negative case whose query or path parameter breaks a documented bound
    (``maxItems``/``minItems``, ``maximum``/``minimum``, ``maxLength``/``minLength``, ``enum``)
    is refused with a 4xx. schemathesis's ``negative_data_rejection`` passes over array query
    parameters; a 5xx is ``not_a_server_error``'s to report, an undocumented 4xx
    ``status_code_conformance``'s."""
    if ex.parameters is None or ex.response.status >= 400:
        return
    for bound in rules.parameter_bounds:
        sent = ex.parameters.get(bound.location) or {}
        if bound.name not in sent:
            continue
        value = sent[bound.name]
        if bound.broken_by(value):
            shown = f"{len(value)} values" if isinstance(value, list) else _short(value)
            raise CheckFailed(
                "boundary_rejection",
                f"{bound.location} parameter `{bound.name}` sent as {shown} breaks its "
                f"documented `{bound.keyword}: {_bound_text(bound.limit)}`, and the server "
                f"answered HTTP {ex.response.status} instead of a 4xx",
            )


def rate_limit_retry_after(ex: Exchange, rules: ContractRules, state: RunState) -> None:
    """A 429 carries a valid ``Retry-After``: delta-seconds or an HTTP-date (RFC 9110 10.2.3).
    RFC 6585 makes it optional; without it a client can only guess when to try again (ours
    pauses for it), so a careful vendor sends it."""
    if ex.response.status != 429:
        return
    value = next((v for k, v in ex.response.headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        raise CheckFailed(
            "rate_limit_retry_after",
            "HTTP 429 without `Retry-After`: a client cannot tell when to try again",
        )
    if not _valid_retry_after(value.strip()):
        raise CheckFailed(
            "rate_limit_retry_after",
            f"HTTP 429 with `Retry-After: {_short(value)}`, neither delta-seconds nor an HTTP-date",
        )


def _valid_retry_after(value: str) -> bool:
    if value.isascii() and value.isdigit():
        return True
    from email.utils import parsedate_to_datetime

    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True


def _bound_text(limit: Any) -> str:
    return ", ".join(map(str, limit)) if isinstance(limit, tuple) else str(limit)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str):  # cut the value, not its repr: the quotes stay balanced
        return f"{value[:limit]!r}... ({len(value)} chars)"
    return f"{text[:limit]}... ({len(text)} chars)"


OwnCheck = Callable[[Exchange, ContractRules, RunState], None]

OWN_CHECKS: tuple[OwnCheck, ...] = (
    error_response_shape,
    request_reflected,
    timestamps_ordered,
    identity_unique,
    datetime_rules,
    boundary_rejection,
    rate_limit_retry_after,
)
"""Run on every exchange of an operation they apply to (:func:`applies`), in this order."""


def _creates(rules: ContractRules) -> bool:
    return rules.creates


_APPLIES_WHEN: dict[OwnCheck, Callable[[ContractRules], bool]] = {
    # About the resource a request created: a read or an update answers with an existing one
    # (the same uuid twice is right there), and a status change echoes only the status.
    request_reflected: _creates,
    identity_unique: _creates,
    # About the parameters' documented bounds: only where the operation has some.
    boundary_rejection: lambda rules: bool(rules.parameter_bounds),
}


def applies(check: OwnCheck, rules: ContractRules) -> bool:
    """Whether *check* makes sense for the operation of *rules* (declared per check above, so
    the runner never branches on an operation's name)."""
    when = _APPLIES_WHEN.get(check)
    return when is None or when(rules)
