"""What one contract run is given: :class:`ContractSettings` (plain values, no pytest).

The plugin builds one from its options; a test or a script builds one directly. The key is
held as an :class:`~pytest_antimetal.secrets.APIKey` (masked when printed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_antimetal.contract.dispatch import DEFAULT_CONCURRENCY
from pytest_antimetal.contract.progress import ProgressCallback
from pytest_antimetal.secrets import APIKey
from pytest_antimetal.spec import Spec
from pytest_antimetal.spec.formats import now_utc

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_MAX_EXAMPLES", "ContractSettings"]

DEFAULT_MAX_EXAMPLES = 50


@dataclass
class ContractSettings:
    """Everything one run needs; plain values, no pytest."""

    spec: Spec
    base_url: str
    api_key: APIKey = field(repr=False)
    """Masked when printed; a ``str`` given here is wrapped at once."""
    transport: httpx.BaseTransport | None = None
    """An in-process transport (the fake's); ``None`` sends over the network."""
    max_examples: int = DEFAULT_MAX_EXAMPLES
    time_budget: float | None = None
    seed: int = 0
    live_budget: int | None = None
    """At most this many requests that can create (``None``: no cap; loopback and fakes).

    Every request whose method is not safe counts (POST, PUT, PATCH, DELETE), whatever it
    was meant to test: a server that wrongly accepts an invalid body creates an issue too."""
    budget_claim: Callable[[], bool] | None = None
    """Takes one unit of a budget shared with other processes (xdist workers); ``False`` when
    it is spent. ``None``: this runner counts against ``live_budget`` alone."""
    tag: str | None = None
    """Added to ``context.tags`` of every object body of a request that can create (live
    targets), where the body leaves room for it (see :func:`.sending.tagged`)."""
    clock: Callable[[], datetime] = now_utc
    replay: Callable[[str], str] | None = None
    """Builds the command that replays a part (shown with every failure)."""
    key_is_public: bool = False
    """The key is the fake's well-known one: reproductions show it instead of hiding it."""
    reproduce_setup: str = ""
    """What to run before a failure's curl (starting a local fake), shown with it."""
    cache_dir: Path | None = None
    """Where generated cases are kept between runs (``None``: generate every time)."""
    method: str = "post"
    path: str = "/issues"
    max_failures_per_check: int = 20
    concurrency: int | None = None
    """Requests of a part in flight at once (``None``: :data:`~.dispatch.DEFAULT_CONCURRENCY`
    over the network, 1 with an in-process *transport*, where the GIL leaves nothing to
    overlap). Answers are judged in the part's order whatever the number."""
    rate: float | None = None
    """At most this many requests per second, all senders together (``None``: no limit)."""
    progress: ProgressCallback | None = None
    """Called as each request is answered (the live counter of ``-v``); plain values only."""
    read_only: bool = False
    """Nothing that can create or change is sent (``--antimetal-read-only``): besides the
    operations left out, a part's own cases of an undeclared method (schemathesis's coverage
    phase sends e.g. ``POST /artifacts``) are counted as not sent."""

    def __post_init__(self) -> None:
        if isinstance(self.api_key, str):
            self.api_key = APIKey(self.api_key)

    @property
    def senders(self) -> int:
        """The concurrency this run sends with (:attr:`concurrency`, else the default)."""
        if self.concurrency is not None:
            return self.concurrency
        return 1 if self.transport is not None else DEFAULT_CONCURRENCY

    def __repr__(self) -> str:
        return (
            f"ContractSettings(base_url={self.base_url!r}, api_key='[REDACTED]', "
            f"max_examples={self.max_examples}, seed={self.seed})"
        )
