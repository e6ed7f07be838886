"""Public fixtures of pytest-antimetal (listed by ``pytest --fixtures``).

Which server a test talks to (README, "Choosing the target"), highest first:

1. the test requests ``antimetal_fake`` or is marked ``@pytest.mark.antimetal_fake``:
   a fresh embedded fake for that test;
2. ``--antimetal-fake``: the embedded fake for the whole run;
3. a base URL: ``--antimetal-base-url``, ini ``antimetal_base_url``, env ``ANTIMETAL_BASE_URL``
   (with the key from ``ANTIMETAL_API_KEY``);
4. otherwise the embedded fake.

Only the standard library and pytest are imported here at module level: the
client, the fake and hypothesis load when a fixture is first used.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# run_budget is live_budget's; imported from here, it is kept for one release.
from pytest_antimetal.live_budget import DEFAULT_LIVE_BUDGET, run_budget
from pytest_antimetal.runconfig import (  # noqa: F401  (MARKER and the rest: re-exported)
    MARKER,
    TARGET_FIXTURES,
    needs_live_target,
    run_spec,
    run_target,
    sends_to_live_target,
)
from pytest_antimetal.secrets import APIKey, api_key_from_env
from pytest_antimetal.target import Target

if TYPE_CHECKING:
    from pytest_antimetal.builders import Builders
    from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
    from pytest_antimetal.factory import IssueFactory
    from pytest_antimetal.fake import FakeAntimetal
    from pytest_antimetal.live_budget import SharedBudget
    from pytest_antimetal.live_guard import GuardedBudget
    from pytest_antimetal.spec import Spec

__all__ = [
    "antimetal_async_client",
    "antimetal_builders",
    "antimetal_client",
    "antimetal_fake",
    "antimetal_issue_factory",
    "antimetal_spec",
    "antimetal_target",
]

CREATED_KEY = pytest.StashKey[list[dict[str, Any]]]()
BUDGET_KEY = pytest.StashKey["GuardedBudget"]()
"""The run's (this process's) budget of requests that can create on a live, non-loopback
server: the factory's creates and the fixture clients' unsafe requests."""
"""Issues this run created on a server other than the embedded fake (``{"number", "uuid",
"title"}`` each), through the client fixtures or the factory."""
_REPLAY_KEY = "cassette-replay"
"""Sent when replaying cassettes without ``ANTIMETAL_API_KEY`` (the matcher ignores credentials)."""
_POOL_KEY = pytest.StashKey["SharedBudget"]()
"""The pool an xdist controller made for its workers (:func:`live_budget_pool`)."""


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) and v for v in value)


# Keyword arguments @pytest.mark.antimetal_fake(...) passes to the fake, with their checks.
_MARKER_OPTIONS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "seed": (
        "an int or None",
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    ),
    "latency": (
        "a finite number of seconds >= 0",
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < float("inf"),
    ),
    "api_keys": ("a list of strings", _is_str_list),
    "forbidden_keys": ("a list of strings", _is_str_list),
    "max_body_bytes": (
        "an int > 0",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    ),
    "max_stored_bytes": (
        "an int > 0 or None",
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0),
    ),
    "investigation": (
        '"instant", "manual" or a finite number of seconds >= 0',
        lambda v: (
            v in ("instant", "manual")
            or (isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < float("inf"))
        ),
    ),
}


def marker_problem(item: pytest.Item) -> str | None:
    """What is wrong with *item*'s ``antimetal_fake`` marker, in one line (``None`` if fine)."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    known = ", ".join(sorted(_MARKER_OPTIONS))
    if marker.args:
        return f"{item.nodeid}: @pytest.mark.{MARKER} takes keyword arguments only ({known})"
    for name, value in marker.kwargs.items():
        if name not in _MARKER_OPTIONS:
            return f"{item.nodeid}: @pytest.mark.{MARKER}: unknown option {name!r} (known: {known})"
        expected, ok = _MARKER_OPTIONS[name]
        if not ok(value):
            return (
                f"{item.nodeid}: @pytest.mark.{MARKER}({name}=...) must be {expected}, "
                f"got {value!r}"
            )
    return None


@pytest.fixture(scope="session")
def antimetal_target(pytestconfig: pytest.Config) -> Target:
    """Where this run's Antimetal requests go: the embedded fake or a live base URL.

    ``target.kind`` is ``"fake"`` or ``"live"``; ``target.source`` says which
    option chose it. The key is masked in its repr.
    """
    return run_target(pytestconfig)


@pytest.fixture(scope="session")
def antimetal_spec(pytestconfig: pytest.Config) -> Spec:
    """The OpenAPI document in use: ``--antimetal-spec`` / ini ``antimetal_spec``, else vendored."""
    return run_spec(pytestconfig)


def _new_fake(request: pytest.FixtureRequest, spec: Spec) -> FakeAntimetal:
    from pytest_antimetal.fake import FakeAntimetal, FakeServer

    class _TestFake(FakeAntimetal):
        """The embedded fake, with a loopback server started on first use of ``.url``."""

        _server: FakeServer | None = None

        @property
        def url(self) -> str:
            """Base URL of a real HTTP server on loopback serving this fake (started lazily)."""
            if self._server is None:
                self._server = FakeServer(self)
                self._server.start()
            return self._server.url

        def close(self) -> None:
            """Stop the loopback server, if ``.url`` started one."""
            if self._server is not None:
                self._server.stop()
                self._server = None

    marker = request.node.get_closest_marker(MARKER)
    options: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
    latency = float(options.pop("latency", 0.0))
    if "api_keys" not in options:
        # The fake's own key, never the user's real one: `.api_key` is handed to code under
        # test and may be printed in a failure report. Code that reads ANTIMETAL_API_KEY
        # itself is still let in, as a second accepted key.
        # A malformed one is left out: the fake could not accept it (nor would the API), and
        # tests on the run's target get a usage error naming the variable instead.
        keys: list[str | APIKey] = [f"am-fake-{secrets.token_hex(12)}"]
        env_key = api_key_from_env()
        if env_key is not None and env_key.problem() is None:
            keys.append(env_key)
        options["api_keys"] = keys
    fake = _TestFake(spec=spec, **options)
    fake.latency = latency
    return fake


@pytest.fixture
def antimetal_fake(request: pytest.FixtureRequest, antimetal_spec: Spec) -> Iterator[FakeAntimetal]:
    """A fresh embedded fake Antimetal server for this test.

    Inspect ``.issues`` and ``.requests`` (Authorization redacted); inject
    faults with ``.fail_next(n, status=429, retry_after=1)``, ``.latency`` and
    ``.set_rate_limit(...)``. ``.transport`` serves httpx clients in-process;
    ``.url`` starts a real server on loopback for code that builds its own
    client (no socket is opened unless you use it); ``.api_key`` is a key it
    accepts. Requesting this fixture also puts ``antimetal_client`` on it.
    Drive what happens after a create: ``.clock.advance(seconds)``,
    ``.investigations.complete(issue, root_cause=... | results=...)``, ``.fail(issue,
    reason)``, ``.rerun(issue)``; script the agent with ``.agent.reply(answer, ...)``
    and seed ``.artifacts.add(...)`` (``antimetal_builders`` makes valid bodies).
    Options via ``@pytest.mark.antimetal_fake(seed=1, latency=0.05,
    investigation="instant" | "manual" | SECONDS, ...)``.
    """
    fake = _new_fake(request, antimetal_spec)
    yield fake
    fake.close()  # type: ignore[attr-defined]


def _wants_fake(request: pytest.FixtureRequest) -> bool:
    return (
        "antimetal_fake" in request.fixturenames
        or request.node.get_closest_marker(MARKER) is not None
        or run_target(request.config).is_fake
    )


def _client_kwargs(request: pytest.FixtureRequest, *, asynchronous: bool = False) -> dict[str, Any]:
    spec: Spec = request.getfixturevalue("antimetal_spec")
    if _wants_fake(request):
        fake: FakeAntimetal = request.getfixturevalue("antimetal_fake")
        return {
            "api_key": fake.api_key,
            "base_url": fake.base_url,
            "transport": fake.transport,
            "spec": spec,
        }
    import httpx

    from pytest_antimetal.created import AsyncCreationLog, CreationLog

    target = run_target(request.config)
    # Replaying cassettes needs no key: any well-formed placeholder matches the recording.
    api_key = target.api_key or APIKey(_REPLAY_KEY)
    kwargs: dict[str, Any] = {"api_key": api_key, "base_url": target.base_url, "spec": spec}
    created = request.config.stash[CREATED_KEY]
    # Replayed answers created nothing: only real traffic is listed at the end of the run.
    note = (lambda issue: None) if target.replaying else created.append
    budget = _live_budget(request)
    guard = None
    if budget is not None:
        from pytest_antimetal.live_guard import LiveGuard

        # Every unsafe request takes from the run's budget; only the run's own issues change.
        guard = LiveGuard(budget, lambda: created, base_path=httpx.URL(target.base_url or "").path)
    if asynchronous:
        # The fixture cannot await a close in every event-loop plugin's teardown: keep no
        # idle connection, so nothing is left open when the test's loop goes away.
        inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
        kwargs["transport"] = AsyncCreationLog(inner, note)
        if guard is not None:
            from pytest_antimetal.live_guard import AsyncGuardedTransport

            kwargs["transport"] = AsyncGuardedTransport(kwargs["transport"], guard)
    else:
        kwargs["transport"] = CreationLog(httpx.HTTPTransport(), note)
        if guard is not None:
            from pytest_antimetal.live_guard import GuardedTransport

            kwargs["transport"] = GuardedTransport(kwargs["transport"], guard)
    return kwargs


@pytest.fixture
def antimetal_client(request: pytest.FixtureRequest) -> Iterator[AntimetalClient]:
    """An authenticated :class:`~pytest_antimetal.AntimetalClient` for this run's target.

    Against the embedded fake (the default) it talks to this test's
    ``antimetal_fake`` in-process; with ``--antimetal-base-url`` (and
    ``ANTIMETAL_API_KEY``) to that server. Closed after the test.

    Against a live, non-loopback server every attempt of a ``POST``/``PUT``/``PATCH``/
    ``DELETE`` takes one unit of ``--antimetal-live-budget`` before it is sent (else
    ``LiveBudgetExceeded``, nothing sent), and changing or deleting an issue the run did
    not create is refused (``ForeignIssueError``); deleting one it created is free.
    """
    from pytest_antimetal.client import AntimetalClient

    with AntimetalClient(**_client_kwargs(request)) as client:
        yield client


@pytest.fixture
def antimetal_async_client(request: pytest.FixtureRequest) -> AsyncAntimetalClient:
    """The async twin of ``antimetal_client`` (same target, same surface, ``await`` it).

    Works under pytest-asyncio and anyio: the client binds to the running
    event loop on its first request. Use ``async with`` in the test to close
    live connections deterministically.
    """
    from pytest_antimetal.client import AsyncAntimetalClient

    return AsyncAntimetalClient(**_client_kwargs(request, asynchronous=True))


@pytest.fixture
def antimetal_issue_factory(request: pytest.FixtureRequest, antimetal_spec: Spec) -> IssueFactory:
    """Payloads and issues for ``POST /issues``, derived from the spec.

    ``build(**overrides)`` a valid ``CreateIssueDto`` dict (unique titles);
    ``build_invalid(field, violation)`` one that breaks one named constraint;
    ``create(**overrides)`` an ``Issue`` through ``antimetal_client``;
    ``create_many(n, **overrides)`` n varied issues; ``strategy(**fixed)`` a
    hypothesis strategy of valid payloads. Issues created on a live server carry
    the ``pytest-antimetal`` tag in ``context.tags``, are listed at the end of the
    run, and count against ``--antimetal-live-budget`` (default 5): one cap for the run,
    shared with the contract suite and by every ``pytest -n`` worker.
    """
    from pytest_antimetal.factory import IssueFactory

    # What it creates through antimetal_client is listed by the client's transport.
    live = not _wants_fake(request)

    def client() -> AntimetalClient:
        return request.getfixturevalue("antimetal_client")  # type: ignore[no-any-return]

    return IssueFactory(
        spec=antimetal_spec,
        # Seeded by the test's id: the same payloads on every run, so cassettes replay.
        seed=zlib.crc32(request.node.nodeid.encode()),
        client_factory=client,
        tag_created=live,
        budget=_live_budget(request) if live else None,
    )


def _live_budget(request: pytest.FixtureRequest) -> GuardedBudget | None:
    """The run's budget against a live, non-loopback target (``None``: no cap there)."""
    target = run_target(request.config)
    if target.is_fake or target.is_loopback or target.replaying:
        return None
    config = request.config
    if BUDGET_KEY not in config.stash:
        from pytest_antimetal.live_guard import GuardedBudget

        limit, problem = _limit(config)
        if problem:
            pytest.fail(problem, pytrace=False)
        config.stash[BUDGET_KEY] = GuardedBudget(
            limit, where=str(target.base_url), pool=run_budget(config, limit)
        )
    return config.stash[BUDGET_KEY]


def _limit(config: pytest.Config) -> tuple[int, str]:
    """``--antimetal-live-budget`` (else ini ``antimetal_live_budget``, else the default), and
    what is wrong with it (``""``: nothing)."""
    raw = config.getoption("antimetal_live_budget", None)
    source = "--antimetal-live-budget"
    if raw is None:
        raw, source = config.getini("antimetal_live_budget"), "ini antimetal_live_budget"
    try:
        limit = DEFAULT_LIVE_BUDGET if raw in (None, "") else int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        return 0, f"{source}: must be a whole number >= 0, got {raw!r}"
    return limit, ""


def live_budget_pool(config: pytest.Config) -> str | None:
    """The xdist controller's pool for its workers (made on the first call), when the run's
    target is live and not on loopback; ``None`` otherwise (nothing there is capped).

    The budget caps the run, not each worker: without one pool every worker would take the
    whole cap. Removed by :func:`remove_live_budget_pool` at the end of the run.
    """
    pool: SharedBudget | None = config.stash.get(_POOL_KEY, None)
    if pool is None:
        from pytest_antimetal.runconfig import target_error

        if target_error(config) is not None:
            return None  # the workers stop on it; nothing to cap
        target = run_target(config)
        if target.is_fake or target.is_loopback:
            return None
        from pytest_antimetal.live_budget import SharedBudget

        pool = config.stash[_POOL_KEY] = SharedBudget.create(_limit(config)[0])
    return str(pool.directory)


def remove_live_budget_pool(config: pytest.Config) -> None:
    """Delete the pool :func:`live_budget_pool` made (if any)."""
    pool = config.stash.get(_POOL_KEY, None)
    if pool is not None:
        pool.remove()
        del config.stash[_POOL_KEY]


@pytest.fixture
def antimetal_builders(request: pytest.FixtureRequest, antimetal_spec: Spec) -> Builders:
    """Builders of the API's response bodies, derived from the spec: ``.results``,
    ``.artifacts``, ``.agent``.

    ``results.build(root_cause=...)`` / ``.pending()`` / ``.failed(reason)`` an
    ``IssueResultsDto`` (``results.document_ids(r)`` the artifact ids it cites);
    ``artifacts.build(id)`` an artifact of the type *id* names; ``agent.build()``
    a ``QueryResponseDto``, ``agent.chunks()`` its streamed ``QueryChunkDto``s.
    Each has ``strategy()``. Seeded by the test's id (the same values every run);
    on the test's ``antimetal_fake`` clock when the test uses the fake.
    """
    from pytest_antimetal.builders import Builders

    clock = None
    if "antimetal_fake" in request.fixturenames:
        clock = getattr(request.getfixturevalue("antimetal_fake"), "clock", None)
    return Builders(
        antimetal_spec,
        seed=zlib.crc32(request.node.nodeid.encode()),
        clock=clock if callable(clock) else None,
    )
