"""The suite's parts, as one table: a name, a generator of requests, an expectation.

Everything that differs between parts is here; the runner, the pytest items, the replay
commands and the cassettes take a :class:`Part` from :data:`PART_TABLE` (or :func:`part`)
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
from pytest_antimetal.contract.sending import Outgoing, RequestBuilder

__all__ = ["PARTS", "PART_TABLE", "Inputs", "Part", "part"]


@dataclass(frozen=True)
class Inputs:
    """What a part's generator draws on."""

    cases: CaseGenerator
    builder: RequestBuilder
    request_schema: Mapping[str, Any]
    seed: int
    max_examples: int


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
    def generate(inputs: Inputs, part: Part) -> Iterator[Outgoing | None]:
        seed = part_seed(inputs.seed, part.name)
        cases = inputs.cases.cached(
            part.name,
            lambda: inputs.cases.fuzz(positive, seed, inputs.max_examples),
            seed=seed,
            budget=inputs.max_examples,
        )
        return _labelled(inputs, part.name, cases)

    return generate


def _handwritten(
    make: Callable[[Mapping[str, Any]], Iterator[EdgeInput]], prefix: str
) -> Generator:
    def generate(inputs: Inputs, part: Part) -> Iterator[Outgoing | None]:
        for item in make(inputs.request_schema):
            yield inputs.builder.from_edge(item, f"{prefix}: {item.label}")

    return generate


PART_TABLE: tuple[Part, ...] = (
    Part("examples", _examples),
    Part("coverage", _coverage),
    Part(
        "edge-cases",
        _handwritten(edge_inputs, "edge case"),
        functools.partial(expect_intent, check="edge_cases"),
    ),
    Part(
        "malformed",
        _handwritten(malformed_inputs, "malformed"),
        functools.partial(expect_intent, check="malformed_input"),
    ),
    Part("fuzz-positive", _fuzz(positive=True)),
    Part("fuzz-negative", _fuzz(positive=False)),
)
"""The suite's parts, in run order."""

PARTS = tuple(p.name for p in PART_TABLE)
"""The parts' names, in run order."""

_BY_NAME = {p.name: p for p in PART_TABLE}


def part(name: str) -> Part:
    """The part called *name*; ``ValueError`` for any other name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown part {name!r} (expected one of {', '.join(PARTS)})") from None
