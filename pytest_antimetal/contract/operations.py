"""The operations the contract suite runs: named by ``operationId``, chosen by the user.

Items are named by ``operationId`` (``antimetal-contract::listIssues::fuzz-negative-1``)
rather than by ``"GET /issues"``: a ``-k`` expression cannot hold a space or a brace. The
headers and reports show both (:attr:`ContractOperation.title`). Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_antimetal.live_budget import can_create
from pytest_antimetal.spec import Operation, Spec

__all__ = ["ContractOperation", "UnknownOperation", "operations_of", "select_operations"]

_PLACEHOLDER_UUID = "00000000-0000-4000-8000-000000000000"
"""Fills a path parameter of a hand-written request (an id no server has issued)."""


@dataclass(frozen=True)
class ContractOperation:
    """One operation of the document, as the suite names and runs it."""

    operation_id: str
    method: str
    """Lower case, as in the document."""
    path: str
    has_body: bool
    """It documents a JSON request body (the hand-written parts have inputs for it)."""
    path_parameters: tuple[str, ...]

    @classmethod
    def of(cls, op: Operation) -> ContractOperation:
        names = tuple(
            str(p.get("name")) for p in op.parameters if p.get("in") == "path" and p.get("name")
        )
        op_id = op.operation_id or f"{op.method}_{op.path}"
        return cls(op_id, op.method, op.path, op.request_schema() is not None, names)

    @property
    def label(self) -> str:
        """``"GET /issues"``."""
        return f"{self.method.upper()} {self.path}"

    @property
    def title(self) -> str:
        """``"listIssues (GET /issues)"``: what headers and reports show."""
        return f"{self.operation_id} ({self.label})"

    @property
    def changes(self) -> bool:
        """Whether its requests can create or change something (not a safe method)."""
        return can_create(self.method)

    def placeholder_path_parameters(self) -> dict[str, str]:
        """Values for the path parameters of a hand-written request (fixed: requests stay a
        function of the spec)."""
        return dict.fromkeys(self.path_parameters, _PLACEHOLDER_UUID)


def operations_of(spec: Spec) -> tuple[ContractOperation, ...]:
    """Every operation of *spec*, in document order."""
    return tuple(ContractOperation.of(op) for op in spec.operations())


class UnknownOperation(ValueError):
    """A name given to ``--antimetal-operations`` that is no operation of the document."""


def select_operations(spec: Spec, names: Iterable[str] | None) -> tuple[ContractOperation, ...]:
    """The operations named (by ``operationId`` or ``"METHOD /path"``), in document order;
    all of them when *names* is ``None`` or empty. :class:`UnknownOperation` names the valid
    names."""
    every = operations_of(spec)
    wanted = [n.strip() for n in names or () if n.strip()]
    if not wanted:
        return every
    by_name: dict[str, ContractOperation] = {}
    for op in every:
        by_name[op.operation_id] = op
        by_name[op.label.upper()] = op
    chosen: set[str] = set()
    for name in wanted:
        method, _, path = name.partition(" ")
        found = by_name.get(name) or by_name.get(f"{method.upper()} {path.strip()}".upper())
        if found is None:
            valid = ", ".join(op.operation_id for op in every)
            raise UnknownOperation(
                f"unknown operation {name!r} (expected an operationId or 'METHOD /path': {valid})"
            )
        chosen.add(found.operation_id)
    return tuple(op for op in every if op.operation_id in chosen)
