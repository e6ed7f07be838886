"""The three builders on one document, seed and clock (what ``antimetal_builders`` gives)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from functools import cached_property

from pytest_antimetal.builders.agent import AgentReplyBuilder
from pytest_antimetal.builders.artifacts import ArtifactBuilder
from pytest_antimetal.builders.results import ResultsBuilder
from pytest_antimetal.spec.loading import Spec, vendored_spec

__all__ = ["Builders"]


class Builders:
    """``.results``, ``.artifacts`` and ``.agent`` builders sharing *spec*, *seed* and *clock*.

    Each builder has its own random stream derived from *seed*, so using one
    never shifts what another builds; each is made on first use (a document
    without its schema fails then, in one line).
    """

    def __init__(
        self,
        spec: Spec | None = None,
        *,
        seed: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.spec = spec if spec is not None else vendored_spec()
        self.seed = seed
        self.clock = clock

    def __repr__(self) -> str:
        return f"Builders(spec={self.spec!r}, seed={self.seed!r})"

    def _random(self, name: str) -> random.Random:
        return random.Random(None if self.seed is None else f"{self.seed}:{name}")

    @cached_property
    def results(self) -> ResultsBuilder:
        """Investigation results: ``build()``, ``pending()``, ``failed(reason)``."""
        return ResultsBuilder(self.spec, random=self._random("results"), clock=self.clock)

    @cached_property
    def artifacts(self) -> ArtifactBuilder:
        """Artifacts by id and ``type``: ``build(id)``, ``build_many(ids)``."""
        return ArtifactBuilder(self.spec, random=self._random("artifacts"), clock=self.clock)

    @cached_property
    def agent(self) -> AgentReplyBuilder:
        """The agent's answers: ``build()`` and streamed ``chunks()``."""
        return AgentReplyBuilder(self.spec, random=self._random("agent"), clock=self.clock)
