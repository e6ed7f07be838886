"""Coverage of the document: what a run sent and what came back, per operation of its spec.

Nothing here knows which operations a run sends: :class:`DocumentModel` reads every
operation of the run's spec (declared statuses, parameters, enum values, boundaries),
:class:`CoverageRecorder` routes each exchange to its operation by method and path template
and notes what it exercised in a :class:`CoverageLog` (plain, mergeable data: one per part,
summed across parts and xdist workers), and :class:`CoverageReport` compares the two.

The percentage (README, 'Coverage') counts two kinds of declared things, each once:
every (operation, documented status) pair, seen when a response with that status (or one
its ``4XX`` / ``default`` key covers) came back; and every (operation, parameter) pair,
exercised when a request to the operation carried it (path, query or header). Enum values
and boundary values sent are reported beside it, not in it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.spec import Spec

__all__ = [
    "COVERAGE_DEFINITION",
    "CoverageLog",
    "CoverageRecorder",
    "CoverageReport",
    "DocumentModel",
    "OperationCoverage",
    "OperationModel",
    "parse_percent",
    "status_hint",
]

COVERAGE_DEFINITION = (
    "share of the document's (operation, documented status) pairs seen in a response plus "
    "(operation, parameter) pairs sent in a request; enum and boundary values are reported "
    "beside it"
)
_MAX_DEPTH = 8
"""How deep a body is compared with its schema (deeper values are not looked at)."""
_MAX_ITEMS = 200
"""Elements of one array compared with its item schema."""
_TEMPLATE_PART = re.compile(r"\{([^{}/]+)\}")


# -- the document ---------------------------------------------------------------------------


def _label(value: Any) -> str:
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
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
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
        return {loc: [_label(v) for v in c.enum] for loc, c in self.constraints.items() if c.enum}

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
        regex += re.escape(template[last : match.start()]) + f"(?P<{_group(match[1])}>[^/]+)"
        last = match.end()
    return re.compile(regex + re.escape(template[last:]) + r"/?\Z")


def _group(name: str) -> str:
    # A regex group name must be an identifier; the path values are read back by this name.
    return "p_" + "".join(c if c.isalnum() else "_" for c in name)


# -- what a run did -------------------------------------------------------------------------


@dataclass
class CoverageLog:
    """What requests exercised and which statuses came back, per operation label.

    Plain data: :meth:`as_dict` / :meth:`merge` carry it between parts and xdist workers.
    Bounded by the document: only declared parameters, enum values and boundary points are
    kept; statuses are counted.
    """

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    parameters: dict[str, set[str]] = field(default_factory=dict)
    enums: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    bounds: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    undocumented: Counter[str] = field(default_factory=Counter)
    """Requests to no documented operation (``"PUT /issues"``), with any status."""

    def merge(self, other: Mapping[str, Any]) -> None:
        for op, seen in (other.get("statuses") or {}).items():
            self.statuses.setdefault(op, Counter()).update(
                {int(k): int(v) for k, v in seen.items()}
            )
        for op, names in (other.get("parameters") or {}).items():
            self.parameters.setdefault(op, set()).update(names)
        for kind, mine in (("enums", self.enums), ("bounds", self.bounds)):
            for op, by_location in (other.get(kind) or {}).items():
                for location, values in by_location.items():
                    mine.setdefault(op, {}).setdefault(location, set()).update(values)
        self.undocumented.update(other.get("undocumented") or {})

    def as_dict(self) -> dict[str, Any]:
        return {
            "statuses": {op: {str(k): v for k, v in c.items()} for op, c in self.statuses.items()},
            "parameters": {op: sorted(names) for op, names in self.parameters.items()},
            "enums": {
                op: {loc: sorted(v) for loc, v in by.items()} for op, by in self.enums.items()
            },
            "bounds": {
                op: {loc: sorted(v) for loc, v in by.items()} for op, by in self.bounds.items()
            },
            "undocumented": dict(self.undocumented),
        }


class CoverageRecorder:
    """Notes each exchange of one target in a :class:`CoverageLog` (the runner calls
    :meth:`record` for every response it gets)."""

    def __init__(self, model: DocumentModel, base_url: str = "") -> None:
        self.model = model
        self._base_path = urlsplit(base_url).path.rstrip("/")

    def record(
        self,
        log: CoverageLog,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: Any,
        status: int,
    ) -> None:
        """Note one request (*body* parsed JSON, ``None`` when not JSON) and its status."""
        parts = urlsplit(url)
        path = parts.path
        if self._base_path and path.startswith(self._base_path + "/"):
            path = path[len(self._base_path) :]
        template, op, values = self.model.route(method, path)
        if op is None:
            log.undocumented[f"{method.upper()} {template or '(no documented path)'}"] += 1
            return
        label = op.label
        log.statuses.setdefault(label, Counter())[status] += 1
        sent: dict[str, Any] = {}
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        lowered = {k.lower(): v for k, v in headers.items()}
        for location, schema in op.schemas.items():
            where, _, name = location.partition(".")
            if where == "path" and _group(name) in values:
                sent[location] = _coerce(values[_group(name)], schema)
            elif where == "query" and name in query:
                got = query[name]
                if schema.get("type") == "array":
                    items = schema.get("items") or {}
                    sent[location] = [_coerce(v, items) for v in got]
                else:
                    sent[location] = _coerce(got[0], schema)
            elif where == "header" and name.lower() in lowered:
                sent[location] = _coerce(lowered[name.lower()], schema)
        if sent:
            log.parameters.setdefault(label, set()).update(sent)
        if body is not None and op.body_schema is not None:
            sent["body"] = body
        if not op.constraints:
            return
        for location, value in sent.items():
            self._values(log, op, location, value, 0)

    def _values(
        self, log: CoverageLog, op: OperationModel, location: str, value: Any, depth: int
    ) -> None:
        if depth > _MAX_DEPTH:
            return
        found = op.constraints.get(location)
        if found is not None:
            if any(type(v) is type(value) and v == value for v in found.enum):
                log.enums.setdefault(op.label, {}).setdefault(location, set()).add(_label(value))
            hit = _points_of(value) & found.points
            if hit:
                log.bounds.setdefault(op.label, {}).setdefault(location, set()).update(hit)
        if isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(name, str):
                    self._values(log, op, f"{location}.{name}", sub, depth + 1)
        elif isinstance(value, list):
            for sub in value[:_MAX_ITEMS]:
                self._values(log, op, f"{location}[]", sub, depth + 1)


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """A parameter's text as the value its schema types it (integers, numbers, booleans)."""
    kind = schema.get("type")
    try:
        if kind == "integer" and re.fullmatch(r"-?\d{1,30}", raw):
            return int(raw)
        if kind == "number":
            number = float(raw)
            return number if math.isfinite(number) else raw
    except ValueError:
        return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _points_of(value: Any) -> set[str]:
    if isinstance(value, str):
        return {f"length {len(value)}"}
    if isinstance(value, list):
        return {f"items {len(value)}"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {_number(value)} if math.isfinite(value) else set()
    return set()


# -- the comparison -------------------------------------------------------------------------


def status_hint(key: str) -> str:
    """How a run could see a documented status it never saw (by status, not by operation)."""
    if key[:1] == "2":
        return "no request was accepted: a positive example or fuzz-positive case gets it"
    if key == "401":
        return "the auth probe (resent without a key) gets it after an accepted request"
    if key == "403":
        return "the fake answers it to a key added with fake.add_key(key, forbidden=True)"
    if key == "404":
        return "a request for an id or number that does not exist gets it"
    if key == "429":
        return "the fake can be told to rate-limit (fake.set_rate_limit)"
    if key[:1] == "5":
        return f"the fake can be told to fail (fake.fail_next(status={_status_of(key)}))"
    if key[:1] == "4":
        return "a request the server must reject (fuzz-negative, malformed) gets it"
    return ""


def _status_of(key: str) -> str:
    return key if key.isdigit() else "500"


@dataclass(frozen=True)
class OperationCoverage:
    """One operation's declared items against what a run did."""

    model: OperationModel
    seen: Mapping[str, int]
    """Documented response key -> responses under it."""
    undocumented: Mapping[int, int]
    """Statuses that came back and the document does not declare -> count."""
    parameters: frozenset[str]
    enums: Mapping[str, frozenset[str]]
    bounds: Mapping[str, frozenset[str]]

    @property
    def label(self) -> str:
        return self.model.label

    @property
    def sent(self) -> int:
        return sum(self.seen.values()) + sum(self.undocumented.values())

    @property
    def covered(self) -> int:
        return len(self.seen) + len(self.parameters)

    @property
    def declared(self) -> int:
        return len(self.model.statuses) + len(self.model.parameters)

    def missing_statuses(self) -> list[str]:
        return [key for key in self.model.statuses if key not in self.seen]

    def missing_parameters(self) -> list[str]:
        return [p for p in self.model.parameters if p not in self.parameters]

    def enum_counts(self) -> tuple[int, int]:
        declared = self.model.enums
        sent = sum(len(self.enums.get(loc, ())) for loc in declared)
        return sent, sum(len(v) for v in declared.values())

    def bound_counts(self) -> tuple[int, int]:
        declared = self.model.bounds
        sent = sum(len(self.bounds.get(loc, ())) for loc in declared)
        return sent, sum(len(v) for v in declared.values())

    def as_dict(self) -> dict[str, Any]:
        model = self.model
        return {
            "operation": self.label,
            "requests": self.sent,
            "statuses": {
                "declared": list(model.statuses),
                "seen": dict(self.seen),
                "never_seen": self.missing_statuses(),
                "undocumented_seen": {str(k): v for k, v in sorted(self.undocumented.items())},
            },
            "parameters": {
                "declared": list(model.parameters),
                "exercised": [p for p in model.parameters if p in self.parameters],
            },
            "enum_values": {
                loc: {
                    "declared": values,
                    "sent": [v for v in values if v in self.enums.get(loc, ())],
                }
                for loc, values in model.enums.items()
            },
            "boundary_values": {
                loc: {
                    "declared": points,
                    "sent": [p for p in points if p in self.bounds.get(loc, ())],
                }
                for loc, points in model.bounds.items()
            },
        }


class CoverageReport:
    """A run's coverage of its document: per operation, in total, and against a gate."""

    def __init__(self, model: DocumentModel, log: CoverageLog) -> None:
        self.operations: list[OperationCoverage] = []
        for op in model.operations:
            seen: Counter[str] = Counter()
            undocumented: Counter[int] = Counter()
            for status, count in log.statuses.get(op.label, {}).items():
                key = op.status_key(status)
                if key is None:
                    undocumented[status] += count
                else:
                    seen[key] += count
            self.operations.append(
                OperationCoverage(
                    op,
                    dict(seen),
                    dict(undocumented),
                    frozenset(log.parameters.get(op.label, ())),
                    {k: frozenset(v) for k, v in log.enums.get(op.label, {}).items()},
                    {k: frozenset(v) for k, v in log.bounds.get(op.label, {}).items()},
                )
            )
        self.undocumented = dict(log.undocumented)

    @property
    def covered(self) -> int:
        return sum(op.covered for op in self.operations)

    @property
    def declared(self) -> int:
        return sum(op.declared for op in self.operations)

    @property
    def percent(self) -> float:
        """:data:`COVERAGE_DEFINITION`, 0-100 (100 for a document that declares nothing)."""
        return 100.0 if not self.declared else 100.0 * self.covered / self.declared

    def meets(self, minimum: float) -> bool:
        """Whether the coverage is at least *minimum* percent (exact: no rounding)."""
        return self.covered * 100 >= minimum * self.declared

    def shown_percent(self) -> str:
        """The percentage cut (not rounded) to one decimal, so 49.96 never reads 50.0."""
        return f"{math.floor(self.percent * 10) / 10:.1f}%"

    def never_exercised(self) -> Iterator[str]:
        """One line per thing never exercised (an operation never sent is one line)."""
        for op in self.operations:
            if not op.sent:
                yield f"`{op.label}` never sent: no part of this run sends it"
                continue
            for key in op.missing_statuses():
                hint = status_hint(key)
                yield f"`{op.label}` {key} never seen" + (f": {hint}" if hint else "")
            for name in op.missing_parameters():
                yield f"`{op.label}` parameter {name} never sent"

    def summary_line(self) -> str:
        statuses = sum(len(op.seen) for op in self.operations)
        declared_statuses = sum(len(op.model.statuses) for op in self.operations)
        params = sum(len(op.parameters) for op in self.operations)
        declared_params = sum(len(op.model.parameters) for op in self.operations)
        enums = [op.enum_counts() for op in self.operations]
        bounds = [op.bound_counts() for op in self.operations]
        reached = sum(1 for op in self.operations if op.sent)
        return (
            f"coverage: {self.shown_percent()} of the document ({statuses}/{declared_statuses} "
            f"documented statuses seen, {params}/{declared_params} parameters sent; "
            f"{reached}/{len(self.operations)} operations sent; enum values "
            f"{sum(a for a, _ in enums)}/{sum(b for _, b in enums)}, boundary values "
            f"{sum(a for a, _ in bounds)}/{sum(b for _, b in bounds)})"
        )

    def operation_lines(self) -> list[str]:
        out = []
        for op in self.operations:
            seen = " ".join(k for k in op.model.statuses if k in op.seen) or "none"
            missing = " ".join(op.missing_statuses())
            extra = " ".join(str(s) for s in sorted(op.undocumented))
            enums, bounds = op.enum_counts(), op.bound_counts()
            out.append(
                f"  {op.label}: {op.sent} request(s); statuses seen {seen}"
                + (f", never {missing}" if missing else "")
                + (f", undocumented {extra}" if extra else "")
                + f"; parameters {len(op.parameters)}/{len(op.model.parameters)}; enum values "
                f"{enums[0]}/{enums[1]}; boundary values {bounds[0]}/{bounds[1]}"
            )
        return out

    def as_dict(self, minimum: float | None = None) -> dict[str, Any]:
        return {
            "definition": COVERAGE_DEFINITION,
            "percent": round(self.percent, 2),
            "covered": self.covered,
            "declared": self.declared,
            "gate": None
            if minimum is None
            else {"minimum": minimum, "passed": self.meets(minimum)},
            "operations": [op.as_dict() for op in self.operations],
            "undocumented_requests": dict(sorted(self.undocumented.items())),
            "never_exercised": list(self.never_exercised()),
        }


def parse_percent(raw: object) -> float:
    """``80``, ``80%`` or ``12.5`` as a percentage; ``ValueError`` (one line) otherwise."""
    text = str(raw).strip()
    number = text[:-1].strip() if text.endswith("%") else text
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"expected a percentage from 0 to 100, got {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise ValueError(f"expected a percentage from 0 to 100, got {text!r}")
    return value
