"""The contract suite as pytest sees it: collectors, items, their failure text.

``antimetal-contract`` is one collector with one collector per operation (named by its
``operationId``) and one item per part that applies to it (``antimetal-contract::listIssues::
coverage`` ...; the fuzzing parts in two items each, ``fuzz-positive-1`` ...), the stateful
part beside them, so reports read well and ``pytest -n`` spreads the work over workers. An
item runs its part through its :class:`~pytest_antimetal.contract.suite.ContractSuite` and
carries what the part found on its report (the ``*_PROPERTY`` user properties), so an xdist
controller can merge its workers' findings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_antimetal.contract.entries import format_part
from pytest_antimetal.contract.failure_repr import failure_repr
from pytest_antimetal.contract.operations import ContractOperation
from pytest_antimetal.contract.part_result import PartResult
from pytest_antimetal.contract.parts import items_for
from pytest_antimetal.contract.suite import STATEFUL_ITEMS, ContractSuite
from pytest_antimetal.secrets import redact

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

__all__ = [
    "COVERAGE_PROPERTY",
    "ENTRIES_PROPERTY",
    "STATS_PROPERTY",
    "ContractCollector",
    "ContractFailed",
    "ContractItem",
    "OperationCollector",
    "TargetUnreachable",
]

STATS_PROPERTY = "antimetal_contract_stats"
ENTRIES_PROPERTY = "antimetal_contract_entries"
COVERAGE_PROPERTY = "antimetal_contract_coverage"


class TargetUnreachable(Exception):
    """Nothing could connect to the target: one failure, and the other parts are skipped."""


class ContractFailed(Exception):
    """A part of the suite found failures (formatted by :meth:`ContractItem.repr_failure`)."""

    def __init__(self, result: PartResult) -> None:
        super().__init__(f"{len(result.failures)} contract failure(s)")
        self.result = result


class ContractCollector(pytest.Collector):
    """``antimetal-contract``: one collector per operation (named by its ``operationId``),
    each with one item per part that applies to it; the stateful part beside them."""

    plugin: ContractSuite

    def collect(self) -> Iterator[pytest.Item]:
        for op in self.plugin.operations:
            collector = OperationCollector.from_parent(self, name=op.operation_id)
            collector.plugin = self.plugin
            collector.operation = op
            yield from collector.collect()
        if self.plugin.sequences and not self.plugin.read_only:
            for name in STATEFUL_ITEMS:
                item = ContractItem.from_parent(self, name=name)
                item.plugin = self.plugin
                item.operation = None
                yield item

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return "antimetal-contract", None, "antimetal-contract"


class OperationCollector(pytest.Collector):
    """``antimetal-contract::listIssues``: the parts of the suite for one operation."""

    plugin: ContractSuite
    operation: ContractOperation

    def collect(self) -> Iterator[pytest.Item]:
        for name in items_for(self.operation):
            item = ContractItem.from_parent(self, name=name)
            item.plugin = self.plugin
            item.operation = self.operation
            yield item

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        return "antimetal-contract", None, f"antimetal-contract::{self.operation.title}"


class ContractItem(pytest.Item):
    """One part of the suite for one operation, e.g.
    ``antimetal-contract::listIssues::fuzz-negative-1``."""

    plugin: ContractSuite
    operation: ContractOperation | None
    """``None`` for the stateful part (it runs over every operation)."""

    @property
    def item_name(self) -> str:
        """The item's name under ``antimetal-contract`` (``"listIssues::examples"``)."""
        return self.nodeid.removeprefix("antimetal-contract::")

    def runtest(self) -> None:
        if self.plugin.unreachable:
            pytest.skip(self.plugin.unreachable)
        runner = self.plugin.runner()
        reason = self.plugin.connection_error()
        if not reason:
            op = None if self.operation is None else self.operation.operation_id
            with self.plugin.cassette(self.item_name):
                result = runner.run(self.name, op)
            reason = result.unreachable
        if reason:
            reason = redact(reason, self.plugin.secrets)
            self.plugin.unreachable = f"target unreachable ({reason}), see {self.nodeid}"
            raise TargetUnreachable(reason)
        self.user_properties.append((STATS_PROPERTY, json.dumps(result.stats.as_dict())))
        self.user_properties.append((COVERAGE_PROPERTY, json.dumps(result.coverage.as_dict())))
        if result.failures:
            self.plugin.minimise(result.entries)
            entries = [entry.as_dict() for entry in result.entries]
            self.user_properties.append((ENTRIES_PROPERTY, json.dumps(entries)))
        if result.failures:
            raise ContractFailed(result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        secrets = self.plugin.secrets
        if isinstance(excinfo.value, TargetUnreachable):
            return failure_repr(
                f"cannot connect to {excinfo.value}\nnothing was sent; the other parts of the "
                "suite are skipped. Is the server running, and is the base URL right "
                f"(--antimetal-base-url, ANTIMETAL_BASE_URL)?",
                self.nodeid,
            )
        if isinstance(excinfo.value, ContractFailed):
            result = excinfo.value.result
            verbose = int(self.config.getoption("verbose", 0) or 0) > 0
            text = format_part(
                result.item,
                result.entries,
                result.stats.failures,
                verbose=verbose,
                shown=self.plugin.first_shown,
            )
            return failure_repr(text, self.nodeid)
        return redact(str(super().repr_failure(excinfo)), secrets)

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        where = "" if self.operation is None else f" ({self.operation.label})"
        return "antimetal-contract", None, f"antimetal-contract::{self.item_name}{where}"
