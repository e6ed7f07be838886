"""What the spec says one operation allows and promises: :class:`ContractRules`.

Built once per operation from the document: which request fields a success body echoes,
which defaults apply, which fields are timestamps, which identifiers must be new, and the
documented bounds of its query and path parameters (:class:`ParameterBound`). The checks
(:mod:`.checks`) and the reproductions (:mod:`.repro`) read these facts; none of them reads
the document again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.contract.spec_rules import DateTimeField, datetime_fields
from pytest_antimetal.spec import Operation, Spec
from pytest_antimetal.spec.facts import documented_default as _documented_default

__all__ = ["ContractRules", "ParameterBound", "parameter_bounds"]


@dataclass(frozen=True)
class ParameterBound:
    """A documented bound of one query or path parameter (:func:`parameter_bounds`)."""

    location: str
    """``"query"`` or ``"path"``."""
    name: str
    keyword: str
    """One of ``maxItems``, ``minItems``, ``maximum``, ``minimum``, ``maxLength``,
    ``minLength`` and ``enum``."""
    limit: Any

    def broken_by(self, value: Any) -> bool:
        """Whether *value* (as sent: a string, or a list of them for an array) breaks the
        bound; a value of the wrong type breaks none (that is another negative case)."""
        if self.keyword in ("maxItems", "minItems"):
            count = len(value) if isinstance(value, list) else 1
            return bool(count > self.limit if self.keyword == "maxItems" else count < self.limit)
        if isinstance(value, list):
            return False
        text = str(value)
        if self.keyword in ("maximum", "minimum"):
            try:
                number = float(text) if "." in text else int(text)
            except ValueError:
                return False
            return bool(number > self.limit if self.keyword == "maximum" else number < self.limit)
        if self.keyword == "maxLength":
            return bool(len(text) > self.limit)
        if self.keyword == "minLength":
            return bool(len(text) < self.limit)
        return text not in {str(v) for v in self.limit}  # enum


_BOUND_KEYWORDS = ("maxItems", "minItems", "maximum", "minimum", "maxLength", "minLength", "enum")


def parameter_bounds(op: Operation) -> tuple[ParameterBound, ...]:
    """The documented bounds of *op*'s query and path parameters (the keywords on each
    parameter's own schema; an array's items' are not read)."""
    found: list[ParameterBound] = []
    for param in op.parameters:
        where, name, schema = param.get("in"), param.get("name"), param.get("schema")
        if where not in ("query", "path") or not isinstance(schema, Mapping):
            continue
        for keyword in _BOUND_KEYWORDS:
            limit = schema.get(keyword)
            if keyword == "enum" and isinstance(limit, list) and limit:
                found.append(ParameterBound(str(where), str(name), keyword, tuple(limit)))
            elif isinstance(limit, (int, float)) and not isinstance(limit, bool):
                found.append(ParameterBound(str(where), str(name), keyword, limit))
    return tuple(found)


@dataclass(frozen=True)
class ContractRules:
    """The facts about one operation the checks need, derived from the spec."""

    operation: Operation
    success_status: int
    error_schema: dict[str, Any] | None
    echoed: tuple[str, ...]
    """Request properties the success body must repeat exactly."""
    defaults: dict[str, Any]
    """Request properties with a default, and what the success body must say when omitted."""
    request_datetimes: tuple[DateTimeField, ...]
    echoed_datetimes: tuple[str, ...]
    """Request timestamps the success body must repeat as the same instant."""
    ordered_timestamps: tuple[tuple[str, str], ...]
    """Pairs (earlier, later) in the success body, e.g. (createdAt, updatedAt)."""
    identity_fields: tuple[str, ...]
    creates: bool = False
    """The operation creates a resource (its success is ``201 Created``): what its answer
    must reflect of the request, and whose identifiers must be new."""
    parameter_bounds: tuple[ParameterBound, ...] = ()
    """The documented bounds of the query and path parameters (:func:`parameter_bounds`)."""

    @classmethod
    def from_spec(cls, spec: Spec, method: str = "post", path: str = "/issues") -> ContractRules:
        op = spec.operation(method, path)
        request = op.request_schema() or {}
        success = op.success_status
        response = op.response_schema(success) or {}
        req_props: Mapping[str, Any] = request.get("properties") or {}
        resp_props: Mapping[str, Any] = response.get("properties") or {}
        dt_fields = tuple(datetime_fields(request))
        dt_names = {f.path[0] for f in dt_fields if len(f.path) == 1}
        echoed = tuple(
            name
            for name, node in req_props.items()
            if name in resp_props
            and name not in dt_names
            and isinstance(node, Mapping)
            and node.get("type") in ("string", "integer", "number", "boolean")
        )
        defaults: dict[str, Any] = {}
        for name, node in req_props.items():
            if name not in resp_props or not isinstance(node, Mapping):
                continue
            default = _documented_default(node)
            if default is not None:
                defaults[name] = default
        resp_dt = [
            name
            for name, node in resp_props.items()
            if isinstance(node, Mapping) and node.get("format") == "date-time"
        ]
        ordered = tuple(
            (a, b) for a, b in (("createdAt", "updatedAt"),) if a in resp_dt and b in resp_dt
        )
        identity = tuple(n for n in ("uuid", "id", "number") if n in resp_props)
        error_schema = None
        for code in sorted(op.responses):
            if code[:1] in ("4", "5") and (schema := op.response_schema(code)) is not None:
                error_schema = schema
                break
        return cls(
            operation=op,
            success_status=success,
            error_schema=error_schema,
            echoed=echoed,
            defaults=defaults,
            request_datetimes=dt_fields,
            echoed_datetimes=tuple(sorted(dt_names & set(resp_props))),
            ordered_timestamps=ordered,
            identity_fields=identity,
            creates=success == 201,
            parameter_bounds=parameter_bounds(op),
        )
