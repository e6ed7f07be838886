"""The run's resolved settings, computed once per pytest run and shared.

The fixtures, the contract suite, the cassette support and the drift item all
ask here for the target and the spec, so they cannot disagree. Results are
cached on ``config.stash``. Loading the spec imports YAML, so it happens only
when something asks for it, or at configure time when the user named a spec
explicitly (a bad path is then one usage error, not an error per test).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_antimetal.target import Target, TargetError, resolve_target

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = [
    "MARKER",
    "TARGET_FIXTURES",
    "named_items",
    "needs_live_target",
    "run_spec",
    "run_spec_path",
    "run_target",
    "sends_to_live_target",
    "synthetic_item_wanted",
    "target_error",
    "validate_at_configure",
]

_TARGET = pytest.StashKey["Target | TargetError"]()
_SPEC = pytest.StashKey["Spec"]()


def run_spec_path(config: pytest.Config) -> Path | None:
    """``--antimetal-spec`` (relative to where pytest was invoked), else ini ``antimetal_spec``
    (relative to the ini file's folder), else ``None`` for the vendored document."""
    option = config.getoption("antimetal_spec", None)
    if option:
        return config.invocation_params.dir / str(option)
    ini = config.getini("antimetal_spec")
    if ini:
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        return base / str(ini)
    return None


def run_spec(config: pytest.Config) -> Spec:
    """The run's spec, loaded once; ``pytest.UsageError`` (one line) when it is unusable."""
    spec = config.stash.get(_SPEC, None)
    if spec is None:
        from pytest_antimetal.spec import SpecError, load_spec

        try:
            spec = load_spec(run_spec_path(config))
            if spec.operation("post", "/issues").request_schema() is None:
                # The fake, the factory and the contract suite all build JSON bodies.
                raise SpecError(f"{spec.source}: POST /issues has no application/json body")
        except SpecError as exc:
            raise pytest.UsageError(f"pytest-antimetal: {exc}") from None
        config.stash[_SPEC] = spec
    return spec


def _resolved(config: pytest.Config) -> Target | TargetError:
    if _TARGET not in config.stash:
        try:
            config.stash[_TARGET] = resolve_target(config)
        except TargetError as exc:
            config.stash[_TARGET] = exc
    return config.stash[_TARGET]


def run_target(config: pytest.Config) -> Target:
    """The run's target; ``pytest.UsageError`` (one line) when it is misconfigured."""
    target = _resolved(config)
    if isinstance(target, TargetError):
        raise pytest.UsageError(str(target))
    return target


def target_error(config: pytest.Config) -> TargetError | None:
    """The target's configuration problem, if any, without raising it."""
    target = _resolved(config)
    return target if isinstance(target, TargetError) else None


def validate_at_configure(config: pytest.Config) -> None:
    """Fail fast on what the user asked for explicitly on the command line or in ini.

    The target (base URL and key) is resolved and fully validated here, once. A
    problem with ``--antimetal-base-url`` (malformed, no key, a malformed key), or
    any unusable ``--antimetal-spec``, stops the run at once. A problem that only
    comes from ini or the environment (``ANTIMETAL_BASE_URL``, ``ANTIMETAL_API_KEY``)
    is kept and raised when a test actually needs the target: teams export these
    for their app, and runs that never touch Antimetal (or ``pytest --help``) must
    not break because of them. No message quotes the key or the URL.
    """
    error = target_error(config)
    if error is not None and config.getoption("antimetal_base_url", None):
        raise pytest.UsageError(str(error))
    if run_spec_path(config) is not None:
        run_spec(config)


# -- run-wide items (drift, cassettes check) selected by node id --------------------

# The run-wide items the plugins add, by node id, with the option that adds each.
_SYNTHETIC_ITEMS = {
    "antimetal-spec-drift": "antimetal_spec_drift",
    "antimetal-cassettes-check": "antimetal_check_cassettes",
}
_NAMED_ITEMS = pytest.StashKey[frozenset[str]]()


def named_items(config: pytest.Config) -> frozenset[str]:
    """The enabled run-wide items named by node id among the positional arguments.

    pytest would look for a file of that name, so they are taken out of
    ``config.args`` (before collection starts); when nothing else is named,
    nothing else is collected. Computed once, at configure time.
    """
    named = config.stash.get(_NAMED_ITEMS, None)
    if named is None:
        named = frozenset()
        if config.args_source is pytest.Config.ArgsSource.ARGS:
            enabled = {
                name
                for name, option in _SYNTHETIC_ITEMS.items()
                if config.getoption(option, None) is not None
            }
            named = frozenset(arg for arg in config.args if arg in enabled)
            config.args[:] = [arg for arg in config.args if arg not in named]
        config.stash[_NAMED_ITEMS] = named
    return named


def synthetic_item_wanted(config: pytest.Config, name: str) -> bool:
    """Whether the run-wide item *name* belongs in this run.

    Yes when its option is given, unless the command line names other run-wide
    items by node id (``pytest --antimetal-spec-drift --antimetal-check-cassettes
    antimetal-spec-drift`` runs the drift item only).
    """
    named = named_items(config)
    return not named or name in named


MARKER = "antimetal_fake"
"""The marker that turns the fake on for a test (``@pytest.mark.antimetal_fake(...)``)."""
TARGET_FIXTURES = frozenset(
    {"antimetal_client", "antimetal_async_client", "antimetal_issue_factory", "antimetal_target"}
)
"""Fixtures that talk to the run's target (a live one needs a key)."""


def needs_live_target(item: pytest.Item) -> bool:
    """Whether *item* uses a fixture that talks to the run's target rather than a fake."""
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & TARGET_FIXTURES) and not (
        "antimetal_fake" in names or item.get_closest_marker(MARKER) is not None
    )


def sends_to_live_target(item: pytest.Item) -> bool:
    """Whether *item* can send requests to the run's target (``antimetal_target`` alone
    only describes it)."""
    names = set(getattr(item, "fixturenames", ()))
    return needs_live_target(item) and bool(names & (TARGET_FIXTURES - {"antimetal_target"}))
