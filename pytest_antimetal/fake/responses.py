"""What the fake answers: ``ErrorResponseDto`` bodies and the ``201`` issue, built from the spec.

:func:`error` is the one shape of every refusal (routing, auth, limits, faults,
validation); :class:`IssuePlan` decides once, from the documented response
schema, how each property of a created issue is filled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from pytest_antimetal.fake.handler import FakeResponse
from pytest_antimetal.spec.facts import documented_default
from pytest_antimetal.spec.formats import normalise_timestamp
from pytest_antimetal.spec.minimal import minimal_value

__all__ = ["IssuePlan", "dumps", "error", "error_kind", "fault"]

_ERROR_TYPES = {401: "authentication_error", 403: "authentication_error"}
# Response fields only the server can know: generated on every create.
_GENERATED = ("uuid", "number", "createdAt", "updatedAt", "latestVersion")
_OMIT: Any = object()
# How the 201 body fills one property (see IssuePlan).
_UUID, _NUMBER, _NOW, _CONST, _MINIMAL, _ECHO = range(6)
# What an echoed property becomes when the request leaves it out.
_ABSENT_DEFAULT, _ABSENT_NOW, _ABSENT_MINIMAL, _ABSENT_SKIP = range(4)

# Built once: json.dumps with options constructs a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def dumps(payload: Any) -> bytes:
    """Compact JSON, as the fake sends it."""
    return _ENCODER.encode(payload).encode()


def error_kind(status: int) -> str:
    """The ``type`` of an ``ErrorResponseDto`` for *status*."""
    return _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def error(
    status: int,
    kind: str,
    message: str,
    request_id: str,
    *,
    details: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> FakeResponse:
    """An ``ErrorResponseDto`` answer (``details`` by field when given) plus *headers*."""
    payload: dict[str, Any] = {"type": kind, "message": message, "request_id": request_id}
    if details:
        payload["details"] = dict(details)
    out = {"content-type": "application/json", "x-request-id": request_id}
    if headers:
        out.update(headers)
    return FakeResponse(status, out, dumps(payload))


def fault(status: int, retry_after: float | None, request_id: str) -> FakeResponse:
    """An injected fault's answer (``Retry-After`` on a 429, a challenge on a 401)."""
    extra: dict[str, str] = {}
    if retry_after is not None or status == 429:
        extra["retry-after"] = str(max(1, math.ceil(retry_after or 1)))
    if status == 401:
        extra["www-authenticate"] = "Bearer"
    kind = _ERROR_TYPES.get(status, "api_error")
    return error(status, kind, f"injected fault: HTTP {status}", request_id, headers=extra)


class IssuePlan:
    """How a created issue's body is filled, property by property, from the response schema.

    Decided once (:meth:`build` only follows the plan): generated fields (uuid,
    number, timestamps, version), what the request sent (date-times normalised),
    documented defaults, and a minimal valid value for a required field the
    fake cannot know. A schema that documents no properties gets the generated
    fields plus what was sent.
    """

    def __init__(self, response_schema: Mapping[str, Any], request_properties: Mapping[str, Any]):
        self._schema = response_schema
        self._request_properties = request_properties
        self._defaults: dict[str, Any] = {}  # documented defaults by property, read once
        self._plan: tuple[tuple[str, int, Mapping[str, Any], Any], ...] | None = None

    def build(
        self, data: Mapping[str, Any], number: int, now: str, new_uuid: Callable[[], str]
    ) -> dict[str, Any]:
        """The 201 body for request body *data*, issue *number*, created at *now*."""
        plan = self._plan
        if plan is None:
            plan = self._plan = self._decide()
        if not plan:
            return self._undocumented(data, number, now, new_uuid)
        issue: dict[str, Any] = {}
        for name, code, node, extra in plan:
            if code == _ECHO:
                value = data.get(name)
                is_datetime, nullable, default, absent = extra
                if value is None:
                    if nullable and name in data:
                        issue[name] = None
                    elif absent == _ABSENT_DEFAULT:
                        issue[name] = default
                    elif absent == _ABSENT_NOW:
                        issue[name] = now
                    elif absent == _ABSENT_MINIMAL:
                        issue[name] = minimal_value(node, now=now, new_uuid=new_uuid)
                elif is_datetime and isinstance(value, str):
                    normalised = normalise_timestamp(value)
                    issue[name] = value if normalised is None else normalised
                else:
                    issue[name] = value
            elif code == _UUID:
                issue[name] = new_uuid()
            elif code == _NUMBER:
                issue[name] = number
            elif code == _NOW:
                issue[name] = now
            elif code == _CONST:
                issue[name] = extra
            else:
                issue[name] = minimal_value(node, now=now, new_uuid=new_uuid)
        return issue

    def _decide(self) -> tuple[tuple[str, int, Mapping[str, Any], Any], ...]:
        """How each property of the documented 201 body is filled, read from the spec once.

        Empty when the spec documents no properties (see :meth:`_undocumented`).
        The same rules as :meth:`_value`, decided ahead of the requests.
        """
        schema = self._schema
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return ()
        required = set(schema.get("required") or ())
        plan: list[tuple[str, int, Mapping[str, Any], Any]] = []
        for name, raw_node in properties.items():
            node: Mapping[str, Any] = raw_node if isinstance(raw_node, Mapping) else {}
            is_required = name in required
            if name == "uuid":
                plan.append((name, _UUID, node, None))
            elif name == "number":
                plan.append((name, _NUMBER, node, None))
            elif name in ("createdAt", "updatedAt"):
                plan.append((name, _NOW, node, None))
            elif name == "latestVersion":
                plan.append((name, _CONST, node, 1))
            elif name not in self._request_properties:
                if name == "status" or is_required:
                    plan.append((name, _MINIMAL, node, None))
            else:
                request_node = self._request_properties[name]
                if not isinstance(request_node, Mapping):
                    request_node = {}
                is_datetime = "date-time" in (request_node.get("format"), node.get("format"))
                found = documented_default(request_node)
                default = found if found is not None else documented_default(node)
                if default is not None:
                    absent = _ABSENT_DEFAULT
                elif is_datetime and (is_required or name == "triggeredAt"):
                    absent = _ABSENT_NOW
                else:
                    absent = _ABSENT_MINIMAL if is_required else _ABSENT_SKIP
                nullable = node.get("nullable") is True
                plan.append((name, _ECHO, node, (is_datetime, nullable, default, absent)))
        return tuple(plan)

    def _undocumented(
        self, data: Mapping[str, Any], number: int, now: str, new_uuid: Callable[[], str]
    ) -> dict[str, Any]:
        """A 201 body for a spec that documents none: the generated fields plus what was sent."""
        properties: dict[str, Any] = {name: {} for name in (*_GENERATED, "triggeredAt", *data)}
        required = set(self._schema.get("required") or ())
        issue: dict[str, Any] = {}
        for name, raw_node in properties.items():
            node: Mapping[str, Any] = raw_node if isinstance(raw_node, Mapping) else {}
            value = self._value(
                name,
                node,
                data=data,
                number=number,
                now=now,
                required=name in required,
                new_uuid=new_uuid,
            )
            if value is _OMIT:
                if name not in required:
                    continue
                value = minimal_value(node, now=now, new_uuid=new_uuid)
            issue[name] = value
        return issue

    def _value(
        self,
        name: str,
        node: Mapping[str, Any],
        *,
        data: Mapping[str, Any],
        number: int,
        now: str,
        required: bool,
        new_uuid: Callable[[], str],
    ) -> Any:
        """One response property's value, or ``_OMIT`` when the fake has none to give."""
        if name == "uuid":
            return new_uuid()
        if name == "number":
            return number
        if name in ("createdAt", "updatedAt"):
            return now
        if name == "latestVersion":
            return 1
        if name == "status" and name not in self._request_properties:
            return minimal_value(node, now=now, new_uuid=new_uuid)
        if name not in self._request_properties:
            return _OMIT
        request_node = self._request_properties[name]
        if not isinstance(request_node, Mapping):
            request_node = {}
        value = data.get(name)
        is_datetime = "date-time" in (request_node.get("format"), node.get("format"))
        if value is None:
            if name in data and node.get("nullable") is True:
                return None
            if name not in self._defaults:  # the spec does not change: read it once
                found = documented_default(request_node)
                self._defaults[name] = found if found is not None else documented_default(node)
            default = self._defaults[name]
            if default is not None:
                return default
            # triggeredAt "defaults to current time": an absent instant means now.
            if is_datetime and (required or name == "triggeredAt"):
                return now
            return _OMIT
        if is_datetime and isinstance(value, str):
            normalised = normalise_timestamp(value)
            return value if normalised is None else normalised
        return value
