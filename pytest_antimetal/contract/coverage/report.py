"""The comparison: a run's :class:`CoverageLog` against its :class:`DocumentModel`, per
operation (:class:`OperationCoverage`) and in total (:class:`CoverageReport`: the percentage,
the gate, the summary lines, what was never exercised), and the gate's percentage parsed.

The percentage (README, 'Coverage') counts two kinds of declared things, each once:
every (operation, documented status) pair, seen when a response with that status (or one
its ``4XX`` / ``default`` key covers) came back; and every (operation, parameter) pair,
exercised when a request to the operation carried it (path, query or header). Enum values
and boundary values sent are reported beside it, not in it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.contract.coverage.document import DocumentModel, OperationModel
from pytest_antimetal.contract.coverage.log import CoverageLog

__all__ = [
    "COVERAGE_DEFINITION",
    "CoverageReport",
    "OperationCoverage",
    "parse_percent",
    "status_hint",
]

COVERAGE_DEFINITION = (
    "share of the document's (operation, documented status) pairs seen in a response plus "
    "(operation, parameter) pairs sent in a request; enum and boundary values are reported "
    "beside it"
)


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
