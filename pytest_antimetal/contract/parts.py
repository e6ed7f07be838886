"""The suite's parts, as one table: a name, a generator of requests, an expectation.

Everything that differs between parts is here; the runner, the pytest items, the replay
commands and the cassettes take a :class:`Part` from :data:`PART_TABLE` (or :func:`resolve`)
and never branch on a part's name. A new part is a new row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.contract.checking import Expectation, expect_intent
from pytest_antimetal.contract.edge_cases import EdgeInput, edge_inputs, malformed_inputs
from pytest_antimetal.contract.generation import CaseGenerator, part_seed
from pytest_antimetal.contract.operations import ContractOperation
from pytest_antimetal.contract.sending import Outgoing, RequestBuilder

FUZZ_SHARDS = 2

__all__ = [
    "FUZZ_SHARDS",
    "ITEMS",
    "PARTS",
    "PART_TABLE",
    "STATEFUL_PARTS",
    "Inputs",
    "Part",
    "items_for",
    "resolve",
]


@dataclass(frozen=True)
class Inputs:
    """What a part's generator draws on."""

    cases: CaseGenerator
    builder: RequestBuilder
    request_schema: Mapping[str, Any]
    seed: int
    max_examples: int
    shard: int = 1
    """Which share of a sharded part to generate (1-based)."""


Generator = Callable[[Inputs, "Part"], Iterator[Outgoing | None]]
"""Yields a part's requests in order; ``None`` for a generated case left out (the spec's two
date-time rules disagree on it), counted by the runner."""


@dataclass(frozen=True)
class Part:
    """One item of the suite."""

    name: str
    generator: Generator
    expectation: Expectation | None = None
    """A check of the part's own, added to every exchange (the hand-written parts')."""
    shards: int = 1
    """Items the part is split into, each generating its share (``<name>-<k>``), so that
    ``pytest -n`` spreads the slowest generation over workers."""
    drive: Callable[[Any, Any], None] | None = None
    """Runs the part itself, ``(runner, result)``, instead of a stream of independent
    requests (the stateful ``sequences``, whose next request depends on the last answer)."""

    applies: Callable[[ContractOperation], bool] = lambda op: True
    """Whether the part has inputs for an operation: items exist only where it applies."""

    def item(self, shard: int) -> str:
        """The name of the item that runs *shard* (the part's own name when unsplit)."""
        return self.name if self.shards == 1 else f"{self.name}-{shard}"

    def requests(self, inputs: Inputs) -> Iterator[Outgoing | None]:
        return self.generator(inputs, self)


def _labelled(
    inputs: Inputs, name: str, cases: Iterable[Any], *, describe: bool = False
) -> Iterator[Outgoing | None]:
    for i, case in enumerate(cases):
        label = f"{name} #{i + 1}"
        if case.meta is not None:
            label = f"{label} ({case.meta.generation.mode.value})"
            if describe:  # the coverage phase says what each case covers
                data = getattr(case.meta.phase, "data", None)
                label = f"{label} {getattr(data, 'description', '')}".rstrip()
        yield inputs.builder.from_case(case, label)


def _examples(inputs: Inputs, part: Part) -> Iterator[Outgoing | None]:
    # The same for every seed and budget: kept between runs.
    cases = inputs.cases.cached(part.name, inputs.cases.examples, seed=None, budget=None)
    return _labelled(inputs, part.name, cases)


def _coverage(inputs: Inputs, part: Part) -> Iterator[Outgoing | None]:
    cases = inputs.cases.cached(part.name, inputs.cases.coverage, seed=None, budget=None)
    return _labelled(inputs, part.name, cases, describe=True)


def _fuzz(positive: bool) -> Generator:
    # Not cached: what Hypothesis draws also depends on the literals of the local modules
    # imported at the time (README, 'Determinism'), which no cache key can name.
    def generate(inputs: Inputs, part: Part) -> Iterator[Outgoing | None]:
        name = part.item(inputs.shard)
        # Each shard draws its own stream and its share of the budget.
        share, extra = divmod(inputs.max_examples, part.shards)
        budget = share + (1 if inputs.shard <= extra else 0)
        seed = part_seed(inputs.seed, name)
        cases = inputs.cases.fuzz(positive, seed, budget) if budget else []
        return _labelled(inputs, name, cases)

    return generate


def _handwritten(
    make: Callable[[Mapping[str, Any]], Iterator[EdgeInput]], prefix: str
) -> Generator:
    def generate(inputs: Inputs, part: Part) -> Iterator[Outgoing | None]:
        for item in make(inputs.request_schema):
            yield inputs.builder.from_edge(item, f"{prefix}: {item.label}")

    return generate


def _sequences(runner: Any, result: Any) -> None:
    from pytest_antimetal.contract.sequences import run_sequences  # Hypothesis, lazily

    run_sequences(runner, result)


def _has_body(op: ContractOperation) -> bool:
    return op.has_body


def _has_body_alone(op: ContractOperation) -> bool:
    # Its valid inputs must be accepted: with a path parameter they would need a resource
    # that exists (a hand-written request names a placeholder id, which a server answers 404).
    return op.has_body and not op.path_parameters


PART_TABLE: tuple[Part, ...] = (
    Part("examples", _examples),
    Part("coverage", _coverage),
    Part(
        "edge-cases",
        _handwritten(edge_inputs, "edge case"),
        functools.partial(expect_intent, check="edge_cases"),
        applies=_has_body_alone,
    ),
    Part(
        "malformed",
        _handwritten(malformed_inputs, "malformed"),
        functools.partial(expect_intent, check="malformed_input"),
        applies=_has_body,
    ),
    # Generating fuzzing cases is most of a run's CPU: two items each, for pytest-xdist.
    Part("fuzz-positive", _fuzz(positive=True), shards=FUZZ_SHARDS),
    Part("fuzz-negative", _fuzz(positive=False), shards=FUZZ_SHARDS),
)
"""The suite's parts, in run order."""

PARTS = tuple(p.name for p in PART_TABLE)
"""The parts' names, in run order."""

ITEMS = tuple(p.item(k) for p in PART_TABLE for k in range(1, p.shards + 1))
"""The suite's pytest items (a sharded part gives one per shard), in run order."""

STATEFUL_PARTS: tuple[Part, ...] = (
    Part("sequences", lambda inputs, part: iter(()), drive=_sequences),
)
"""Parts that drive every operation themselves, not one operation's items: ``sequences`` is an
item of a run that selects every operation it drives (the default run), forced or left out by
the plugin's options (:func:`pytest_antimetal.contract.config.sequences`)."""

_BY_NAME = {p.name: p for p in (*PART_TABLE, *STATEFUL_PARTS)}
_BY_ITEM = {p.item(k): (p, k) for p in PART_TABLE for k in range(1, p.shards + 1)}
_BY_ITEM.update({p.name: (p, 1) for p in STATEFUL_PARTS})


def items_for(op: ContractOperation) -> tuple[str, ...]:
    """The items of :data:`ITEMS` that apply to *op*, in run order."""
    return tuple(p.item(k) for p in PART_TABLE if p.applies(op) for k in range(1, p.shards + 1))


def resolve(name: str) -> tuple[Part, tuple[int, ...]]:
    """The part *name* is (or is an item of) and the shards to run: all of a part's, or
    the one of an item; ``ValueError`` for any other name."""
    if name in _BY_NAME:
        found = _BY_NAME[name]
        return found, tuple(range(1, found.shards + 1))
    if name in _BY_ITEM:
        found, shard = _BY_ITEM[name]
        return found, (shard,)
    raise ValueError(f"unknown part {name!r} (expected one of {', '.join(ITEMS)})")
