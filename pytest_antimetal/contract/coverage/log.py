"""What a run did, per operation of the document: :class:`CoverageLog` (plain, mergeable data:
one per part, summed across parts and xdist workers) and :class:`CoverageRecorder`, which routes
each exchange to its operation and notes what it exercised."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.contract.coverage.document import (
    MAX_DEPTH,
    DocumentModel,
    OperationModel,
    path_group,
    value_label,
    value_points,
)

__all__ = ["CoverageLog", "CoverageRecorder"]

_MAX_ITEMS = 200
"""Elements of one array compared with its item schema."""


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
            if where == "path" and path_group(name) in values:
                sent[location] = _coerce(values[path_group(name)], schema)
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
        if depth > MAX_DEPTH:
            return
        found = op.constraints.get(location)
        if found is not None:
            if any(type(v) is type(value) and v == value for v in found.enum):
                log.enums.setdefault(op.label, {}).setdefault(location, set()).add(
                    value_label(value)
                )
            hit = value_points(value) & found.points
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
