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

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_antimetal.target import API_KEY_ENV, Target, resolve_target, spec_path

if TYPE_CHECKING:
    from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
    from pytest_antimetal.factory import IssueFactory
    from pytest_antimetal.fake import FakeAntimetal
    from pytest_antimetal.models import Issue
    from pytest_antimetal.spec import Spec

__all__ = [
    "antimetal_async_client",
    "antimetal_client",
    "antimetal_fake",
    "antimetal_issue_factory",
    "antimetal_spec",
    "antimetal_target",
]

TARGET_KEY = pytest.StashKey[Target]()
CREATED_KEY = pytest.StashKey[list[dict[str, Any]]]()
"""Issues the factory created on a live server: ``{"number", "uuid", "title"}`` each."""
_MARKER = "antimetal_fake"
# Keyword arguments @pytest.mark.antimetal_fake(...) passes to the fake.
_MARKER_OPTIONS = frozenset({"seed", "latency", "api_keys", "forbidden_keys", "max_body_bytes"})


def configure_target(config: pytest.Config) -> Target:
    """Resolve the run's target once, at configure time (a usage error if it is wrong)."""
    from pytest_antimetal.target import TargetError

    try:
        target = resolve_target(config)
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[TARGET_KEY] = target
    config.stash[CREATED_KEY] = []
    return target


@pytest.fixture(scope="session")
def antimetal_target(pytestconfig: pytest.Config) -> Target:
    """Where this run's Antimetal requests go: the embedded fake or a live base URL.

    ``target.kind`` is ``"fake"`` or ``"live"``; ``target.source`` says which
    option chose it. The key is masked in its repr.
    """
    return pytestconfig.stash[TARGET_KEY]


@pytest.fixture(scope="session")
def antimetal_spec(pytestconfig: pytest.Config) -> Spec:
    """The OpenAPI document in use: ``--antimetal-spec`` / ini ``antimetal_spec``, else vendored."""
    from pytest_antimetal.spec import SpecError, load_spec

    try:
        return load_spec(spec_path(pytestconfig))
    except SpecError as exc:
        pytest.fail(f"pytest-antimetal: {exc}", pytrace=False)


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

    options: dict[str, Any] = {}
    marker = request.node.get_closest_marker(_MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(
                f"@pytest.mark.{_MARKER} takes keyword arguments only "
                f"({', '.join(sorted(_MARKER_OPTIONS))})"
            )
        unknown = set(marker.kwargs) - _MARKER_OPTIONS
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.{_MARKER}: unknown option(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_MARKER_OPTIONS))}"
            )
        options = dict(marker.kwargs)
    latency = float(options.pop("latency", 0.0))
    target: Target = request.config.stash[TARGET_KEY]
    # Code under test that reads ANTIMETAL_API_KEY must be accepted by the fake.
    if "api_keys" not in options and target.api_key:
        options["api_keys"] = [target.api_key]
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
    Options via ``@pytest.mark.antimetal_fake(seed=1, latency=0.05, ...)``.
    """
    fake = _new_fake(request, antimetal_spec)
    yield fake
    fake.close()  # type: ignore[attr-defined]


def _wants_fake(request: pytest.FixtureRequest) -> bool:
    target: Target = request.config.stash[TARGET_KEY]
    return (
        "antimetal_fake" in request.fixturenames
        or request.node.get_closest_marker(_MARKER) is not None
        or target.is_fake
    )


def _client_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    target: Target = request.config.stash[TARGET_KEY]
    spec: Spec = request.getfixturevalue("antimetal_spec")
    if _wants_fake(request):
        fake: FakeAntimetal = request.getfixturevalue("antimetal_fake")
        return {
            "api_key": fake.api_key,
            "base_url": fake.base_url,
            "transport": fake.transport,
            "spec": spec,
        }
    # Replaying cassettes needs no key: any placeholder matches the recording.
    api_key = target.api_key or f"<{API_KEY_ENV}>"
    return {"api_key": api_key, "base_url": target.base_url, "spec": spec}


@pytest.fixture
def antimetal_client(request: pytest.FixtureRequest) -> Iterator[AntimetalClient]:
    """An authenticated :class:`~pytest_antimetal.AntimetalClient` for this run's target.

    Against the embedded fake (the default) it talks to this test's
    ``antimetal_fake`` in-process; with ``--antimetal-base-url`` (and
    ``ANTIMETAL_API_KEY``) to that server. Closed after the test.
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

    return AsyncAntimetalClient(**_client_kwargs(request))


@pytest.fixture
def antimetal_issue_factory(request: pytest.FixtureRequest, antimetal_spec: Spec) -> IssueFactory:
    """Payloads and issues for ``POST /issues``, derived from the spec.

    ``build(**overrides)`` a valid ``CreateIssueDto`` dict (unique titles);
    ``build_invalid(field, violation)`` one that breaks one named constraint;
    ``create(**overrides)`` an ``Issue`` through ``antimetal_client``;
    ``strategy(**fixed)`` a hypothesis strategy of valid payloads. Issues
    created on a live server carry the ``pytest-antimetal`` tag in
    ``context.tags`` and are listed at the end of the run.
    """
    from pytest_antimetal.factory import IssueFactory

    live = not _wants_fake(request)
    created = request.config.stash[CREATED_KEY]

    def remember(issue: Issue) -> None:
        created.append({"number": issue.number, "uuid": issue.uuid, "title": issue.title})

    def client() -> AntimetalClient:
        return request.getfixturevalue("antimetal_client")  # type: ignore[no-any-return]

    return IssueFactory(
        spec=antimetal_spec,
        client_factory=client,
        tag_created=live,
        on_created=remember if live else None,
    )
