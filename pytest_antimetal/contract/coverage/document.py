"""The document as coverage sees it: every operation's declared statuses, parameters, enum
values and boundary points (:class:`OperationModel`), and the routing of a request's method
and path to its operation (:class:`DocumentModel`)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_antimetal.spec import Spec

__all__ = [
    "MAX_DEPTH",
    "DocumentModel",
    "OperationModel",
    "path_group",
    "value_label",
    "value_points",
]

MAX_DEPTH = 8
"""How deep a body is compared with its schema (deeper values are not looked at)."""
_TEMPLATE_PART = re.compile(r"\{([^{}/]+)\}")


def value_label(value: Any) -> str:
    """An enum value as the log and the report name it (a string as it is, others as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class _Constraints:
    enum: list[Any] = field(default_factory=list)
    points: set[str] = field(default_factory=set)
    """Boundary points, e.g. ``length 0``, ``length 1``, ``100``, ``101``, ``101 items``."""


def _bound_points(schema: Mapping[str, Any]) -> set[str]:
    """The values just at and just past each bound: what a boundary test sends."""
    points: set[str] = set()
    for key, unit, step in (
        ("minLength", "length", -1),
        ("maxLength", "length", 1),
        ("minItems", "items", -1),
        ("maxItems", "items", 1),
    ):
        bound = schema.get(key)
        if isinstance(bound, int) and not isinstance(bound, bool):
            for n in (bound, bound + step):
                if n >= 0:
                    points.add(f"{unit} {n}")
    integer = schema.get("type") == "integer"
    for key, step in (("minimum", -1), ("maximum", 1)):
        bound = schema.get(key)
        if isinstance(bound, (int, float)) and not isinstance(bound, bool):
            points.add(_number(bound))
            if integer:
                points.add(_number(bound + step))
    return points


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _walk_schema(schema: Any, location: str, out: dict[str, _Constraints], depth: int = 0) -> None:
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return
    enum = schema.get("enum")
    points = _bound_points(schema)
    if isinstance(enum, list) or points:
        found = out.setdefault(location, _Constraints())
        if isinstance(enum, list):
            found.enum += [v for v in enum if v not in found.enum]
        found.points |= points
    for name, sub in (schema.get("properties") or {}).items():
        _walk_schema(sub, f"{location}.{name}", out, depth + 1)
    if isinstance(schema.get("items"), Mapping):
        _walk_schema(schema["items"], f"{location}[]", out, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or ():
            _walk_schema(sub, location, out, depth + 1)


@dataclass(frozen=True)
class OperationModel:
    """What one operation declares that a run can exercise."""

    method: str
    """Upper case."""
    path: str
    statuses: tuple[str, ...]
    """Documented response keys (``"201"``, ``"4XX"``, ``"default"``), in document order."""
    parameters: tuple[str, ...]
    """``in.name``: ``query.limit``, ``header.Antimetal-Version``, ``path.id``."""
    schemas: Mapping[str, Mapping[str, Any]]
    """Each parameter's schema, by ``in.name``."""
    body_schema: Mapping[str, Any] | None
    constraints: Mapping[str, _Constraints]
    """Enum values and boundary points by location (``body.severity``, ``query.limit``)."""
    pattern: re.Pattern[str]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def enums(self) -> dict[str, list[str]]:
        return {
            loc: [value_label(v) for v in c.enum] for loc, c in self.constraints.items() if c.enum
        }

    @property
    def bounds(self) -> dict[str, list[str]]:
        return {loc: _sorted_points(c.points) for loc, c in self.constraints.items() if c.points}

    def status_key(self, status: int) -> str | None:
        """The documented response key *status* falls under, ``None`` when undocumented."""
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in self.statuses:
                return key
        return None


def _sorted_points(points: Iterable[str]) -> list[str]:
    def key(point: str) -> tuple[str, float]:
        unit, _, n = point.rpartition(" ")
        try:
            return unit, float(n)
        except ValueError:
            return unit, math.inf

    return sorted(points, key=key)


class DocumentModel:
    """Every operation of a spec, as coverage sees it (document order)."""

    def __init__(self, operations: Iterable[OperationModel], prefixes: Iterable[str] = ()) -> None:
        self.operations = list(operations)
        self.prefixes = sorted({"", *prefixes}, key=len, reverse=True)
        # Fewer parameters, then longer literal text, first: /issues/by_number/{number}
        # before /issues/{id}, as a router serving both would.
        self._routes = sorted(
            {op.path: op.pattern for op in self.operations}.items(),
            key=lambda kv: (len(_TEMPLATE_PART.findall(kv[0])), -len(kv[0])),
        )
        self._by_key = {(op.method, op.path): op for op in self.operations}

    @classmethod
    def from_spec(cls, spec: Spec) -> DocumentModel:
        operations = []
        for op in spec.operations():
            params: dict[str, Mapping[str, Any]] = {}
            constraints: dict[str, _Constraints] = {}
            for param in op.parameters:
                where, name = param.get("in"), param.get("name")
                if where not in ("path", "query", "header") or not isinstance(name, str):
                    continue
                location = f"{where}.{name}"
                schema = param.get("schema") or {}
                params[location] = schema
                _walk_schema(schema, location, constraints)
            body = op.request_schema()
            if body is not None:
                _walk_schema(body, "body", constraints)
            operations.append(
                OperationModel(
                    method=op.method.upper(),
                    path=op.path,
                    statuses=tuple(op.responses),
                    parameters=tuple(params),
                    schemas=params,
                    body_schema=body,
                    constraints=constraints,
                    pattern=_template_regex(op.path),
                )
            )
        prefixes = [urlsplit(server).path.rstrip("/") for server in spec.servers]
        return cls(operations, prefixes)

    def route(self, method: str, path: str) -> tuple[str, OperationModel | None, dict[str, str]]:
        """(template, operation, path values) of a request; the template is ``""`` when no
        documented path matches, the operation ``None`` when its method is not declared."""
        for prefix in self.prefixes:
            if prefix and not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix) :]
            for template, pattern in self._routes:
                found = pattern.match(rest)
                if found is not None:
                    op = self._by_key.get((method.upper(), template))
                    return template, op, found.groupdict()
        return "", None, {}


def _template_regex(template: str) -> re.Pattern[str]:
    regex, last = "", 0
    for match in _TEMPLATE_PART.finditer(template):
        regex += re.escape(template[last : match.start()]) + f"(?P<{path_group(match[1])}>[^/]+)"
        last = match.end()
    return re.compile(regex + re.escape(template[last:]) + r"/?\Z")


def path_group(name: str) -> str:
    """The regex group a path parameter's value is read back by (:meth:`DocumentModel.route`)."""
    # A regex group name must be an identifier; the path values are read back by this name.
    return "p_" + "".join(c if c.isalnum() else "_" for c in name)


def value_points(value: Any) -> set[str]:
    """The boundary points a sent value is at (its length, its item count or its number), named
    as :func:`_bound_points` names a bound's."""
    if isinstance(value, str):
        return {f"length {len(value)}"}
    if isinstance(value, list):
        return {f"items {len(value)}"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {_number(value)} if math.isfinite(value) else set()
    return set()
