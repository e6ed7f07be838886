"""What the contract runner keeps per operation: :class:`OperationPieces`.

An operation's rules, case generator, request builder and checker, made together from the
settings (the run's state and deadline are passed in: they are the run's, not an
operation's), and its fuzzing budget.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.contract.checking import Checker
from pytest_antimetal.contract.checks import RunState
from pytest_antimetal.contract.generation import CaseGenerator
from pytest_antimetal.contract.operations import ContractOperation
from pytest_antimetal.contract.rules import ContractRules
from pytest_antimetal.contract.sending import RequestBuilder
from pytest_antimetal.contract.settings import ContractSettings
from pytest_antimetal.secrets import bearer

__all__ = ["MIN_EXAMPLES", "PARAMETER_ONLY_SHARE", "OperationPieces"]

PARAMETER_ONLY_SHARE = 5
"""An operation without a request body fuzzes with ``max_examples // 5`` (at least
:data:`MIN_EXAMPLES`): its inputs are a few parameters, whose boundaries the coverage phase
already walks through; the full budget on each of them would triple the default run."""
MIN_EXAMPLES = 5


@dataclass
class OperationPieces:
    """What the runner keeps per operation: its rules, cases, request builders and checker."""

    op: ContractOperation
    rules: ContractRules
    cases: CaseGenerator
    builder: RequestBuilder
    """Builds the generated requests and the hand-written ones."""
    checker: Checker
    request_schema: dict[str, Any]
    max_examples: int
    """The operation's fuzzing budget per generation mode (:data:`PARAMETER_ONLY_SHARE`)."""

    @classmethod
    def make(
        cls,
        settings: ContractSettings,
        state: RunState,
        method: str,
        path: str,
        *,
        out_of_time: Callable[[], bool],
    ) -> OperationPieces:
        """The pieces of *method* *path*; *state* is the run's (shared by every operation's
        checks), *out_of_time* tells the case generator when the time budget is spent."""
        spec_op = settings.spec.operation(method, path)
        op = ContractOperation.of(spec_op)
        rules = ContractRules.from_spec(settings.spec, method, path)
        cases = CaseGenerator(
            settings.spec,
            method,
            path,
            cache_dir=settings.cache_dir,
            out_of_time=out_of_time,
        )
        # A hand-written request names placeholder path parameters (fixed, so requests stay a
        # function of the spec); generated ones take theirs from their case.
        placeholders = op.placeholder_path_parameters()
        builder = RequestBuilder(
            settings.base_url,
            method,
            path.format(**placeholders) if placeholders else path,
            authorization=functools.partial(bearer, settings.api_key),
            rules=rules,
            make_case=(
                functools.partial(cases.case, path_parameters=placeholders)
                if placeholders
                else cases.case
            ),
            tag=settings.tag,
        )
        checker = Checker(
            rules,
            state,
            base_url=settings.base_url,
            declared_methods=settings.spec.methods_for(path),
            checks_config=lambda: cases.checks_config,
        )
        budget = settings.max_examples
        if not op.has_body:
            budget = min(budget, max(MIN_EXAMPLES, budget // PARAMETER_ONLY_SHARE))
        return cls(op, rules, cases, builder, checker, spec_op.request_schema() or {}, budget)
