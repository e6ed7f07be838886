"""pytest hooks and fixture wiring for pytest-antimetal (entry point ``antimetal``).

Only hooks and registration live here; the logic is in plain modules usable
without pytest, and the public fixtures are in :mod:`pytest_antimetal.fixtures`.
Keep this module's imports to the standard library and pytest: it loads on
every pytest run in a user's environment.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from typing import Any, Literal, NamedTuple

import pytest

from pytest_antimetal.drift.source import DEFAULT_DRIFT_SOURCE

# pytest finds a plugin's fixtures in its namespace; fixtures.py owns them (and their list).
from pytest_antimetal.fixtures import (  # noqa: F401
    antimetal_async_client,
    antimetal_builders,
    antimetal_client,
    antimetal_fake,
    antimetal_issue_factory,
    antimetal_spec,
    antimetal_target,
)
from pytest_antimetal.secrets import LogRedaction, install_log_redaction

_LOG_REDACTION = pytest.StashKey[LogRedaction]()


class _Ini(NamedTuple):
    """An option's ini twin (``parser.addini``); *default* only when not pytest's own."""

    name: str
    help: str
    type: Literal["string", "bool"] = "string"
    default: object = ...


class _Option(NamedTuple):
    """One ``--antimetal-*`` option: no *metavar*, a flag (``store_true``); with one, a value
    (``nargs="?"``: the value is optional, ``""`` without one)."""

    flag: str
    help: str
    metavar: str | None = None
    type: type[int] | type[float] | None = None
    nargs: str | None = None
    ini: _Ini | None = None


# In the order of `pytest --help`; an option's ini twin beside it.
_OPTIONS: tuple[_Option, ...] = (
    # Target selection (precedence: fixture/marker, then --antimetal-fake, then base URL).
    _Option(
        "--antimetal-base-url",
        "Run against this Antimetal server instead of the embedded fake "
        "(also ini antimetal_base_url, env ANTIMETAL_BASE_URL).",
        metavar="URL",
        ini=_Ini("antimetal_base_url", "Base URL of the Antimetal server to test against."),
    ),
    _Option(
        "--antimetal-fake",
        "Force the embedded fake for the whole run, even when a base URL is configured.",
    ),
    _Option(
        "--antimetal-spec",
        "OpenAPI document to use instead of the vendored one (also ini antimetal_spec).",
        metavar="PATH",
        ini=_Ini("antimetal_spec", "OpenAPI document to use instead of the vendored one."),
    ),
    # The contract suite.
    _Option(
        "--antimetal-contract",
        "Add the schemathesis-driven contract suite for POST /issues to the run.",
    ),
    _Option(
        "--antimetal-max-examples",
        "Examples per generation mode in the contract suite (ini antimetal_max_examples).",
        metavar="N",
        type=int,
        ini=_Ini("antimetal_max_examples", "Examples per generation mode in the contract suite."),
    ),
    _Option(
        "--antimetal-time-budget",
        "Stop generating new contract cases after this long (ini antimetal_time_budget).",
        metavar="SECONDS",
        type=float,
        ini=_Ini("antimetal_time_budget", "Time budget of the contract suite, in seconds."),
    ),
    _Option(
        "--antimetal-live-budget",
        "At most N issue-creating requests against a non-loopback server "
        "(ini antimetal_live_budget; default 5).",
        metavar="N",
        type=int,
        ini=_Ini("antimetal_live_budget", "Cap on issue-creating requests against a live server."),
    ),
    _Option(
        "--antimetal-sequences",
        "Run the stateful part, antimetal-contract::sequences, even when "
        "--antimetal-operations leaves out operations it drives (it runs by default when the "
        "run selects them all; ini antimetal_sequences; README, 'The contract suite').",
    ),
    _Option(
        "--antimetal-no-sequences",
        "Leave the stateful part out of the contract suite (ini antimetal_sequences = false).",
        ini=_Ini(
            "antimetal_sequences",
            "Contract suite's stateful part: true forces it, false leaves it out (default: run "
            "it when every operation it drives is selected).",
            type="bool",
            default=None,
        ),
    ),
    _Option(
        "--antimetal-concurrency",
        "Requests of a contract part in flight at once (ini antimetal_concurrency; default "
        "8 against a server, 1 for the embedded fake; README, 'Speed against a remote API').",
        metavar="N",
        type=int,
        ini=_Ini("antimetal_concurrency", "Contract requests in flight at once."),
    ),
    _Option(
        "--antimetal-rate",
        "At most R contract requests per second, all senders together (ini antimetal_rate).",
        metavar="R",
        type=float,
        ini=_Ini("antimetal_rate", "At most this many contract requests per second."),
    ),
    _Option(
        "--antimetal-operations",
        "Comma-separated operations the contract suite runs, by operationId or "
        "'METHOD /path' (ini antimetal_operations; default: every operation of the document).",
        metavar="NAMES",
        ini=_Ini("antimetal_operations", "Operations the contract suite runs (default: all)."),
    ),
    _Option(
        "--antimetal-read-only",
        "Run the contract suite on the operations that change nothing only (GET), for a "
        "production key (ini antimetal_read_only; README, 'The contract suite').",
        ini=_Ini("antimetal_read_only", "Contract suite: read-only operations only.", "bool"),
    ),
    _Option(
        "--antimetal-keep-created",
        "Against a live target, keep what the contract suite created (by default it is "
        "deleted at the end of the run; ini antimetal_keep_created).",
        ini=_Ini(
            "antimetal_keep_created",
            "Contract suite, live target: keep what it created.",
            "bool",
        ),
    ),
    _Option(
        "--antimetal-coverage-min",
        "Fail the run when the contract suite covers less than PCT percent of the "
        "document (ini antimetal_coverage_min; README, 'Coverage').",
        metavar="PCT",
        ini=_Ini(
            "antimetal_coverage_min",
            "Coverage of the document below which the contract run fails.",
        ),
    ),
    _Option(
        "--antimetal-report",
        "Write the contract suite's report.json, report.md and one reproduction per "
        "failure entry to DIR (README, 'Reading a failure').",
        metavar="DIR",
    ),
    # Spec drift.
    _Option(
        "--antimetal-spec-drift",
        "Add one test comparing the vendored spec with SOURCE (path or URL; default: "
        "ini antimetal_drift_source, else the vendor's published document).",
        metavar="SOURCE",
        nargs="?",
        ini=_Ini(
            "antimetal_drift_source",
            "Where --antimetal-spec-drift reads the vendor's current document.",
            default=DEFAULT_DRIFT_SOURCE,
        ),
    ),
    # Cassettes.
    _Option(
        "--antimetal-check-cassettes",
        "Add one test validating recorded cassettes against the spec and scanning them "
        "for secrets (default: ini antimetal_cassette_dir, else cassettes/).",
        metavar="PATH",
        nargs="?",
        ini=_Ini("antimetal_cassette_dir", "Where the project's cassettes live."),
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("antimetal", "Antimetal API testing (pytest-antimetal)")
    for option in _OPTIONS:
        if option.metavar is None:
            group.addoption(option.flag, action="store_true", default=False, help=option.help)
        else:
            value: dict[str, Any] = {"nargs": "?", "const": ""} if option.nargs else {}
            if option.type is not None:
                value["type"] = option.type
            group.addoption(
                option.flag,
                action="store",
                default=None,
                metavar=option.metavar,
                help=option.help,
                **value,
            )
        ini = option.ini
        if ini is not None and ini.default is ...:
            parser.addini(ini.name, ini.help, type=ini.type)
        elif ini is not None:
            parser.addini(ini.name, ini.help, type=ini.type, default=ini.default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "antimetal_fake(seed=None, latency=0.0, api_keys=None, forbidden_keys=(), "
        "max_body_bytes=1048576, investigation='instant'|'manual'|SECONDS): run this "
        "test's Antimetal client against a fresh "
        "embedded fake, whatever the run's target.",
    )
    from pytest_antimetal.fixtures import CREATED_KEY
    from pytest_antimetal.runconfig import validate_at_configure

    config.stash[CREATED_KEY] = []
    # Before anything can log: httpx/httpcore/vcr records never show the key (README, Security).
    config.stash[_LOG_REDACTION] = install_log_redaction()
    validate_at_configure(config)
    # Cassette defaults must be present whenever a test uses @pytest.mark.vcr; the plugin
    # object is cheap (vcr and yaml load only when pytest-recording calls its hook).
    from pytest_antimetal.cassettes.plugin import PLUGIN_NAME, CassettePlugin

    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(CassettePlugin(config), PLUGIN_NAME)
    # Feature plugins load only when asked for: each imports heavy libraries.
    if config.getoption("antimetal_contract"):
        from pytest_antimetal.contract.plugin import ContractPlugin

        config.pluginmanager.register(ContractPlugin(config), "antimetal-contract")
    if config.getoption("antimetal_spec_drift") is not None:
        from pytest_antimetal.drift.plugin import DriftPlugin

        config.pluginmanager.register(DriftPlugin(config), "antimetal-drift")


def pytest_unconfigure(config: pytest.Config) -> None:
    redaction = config.stash.get(_LOG_REDACTION, None)
    if redaction is not None:
        redaction.remove()
    from pytest_antimetal.fixtures import remove_live_budget_pool

    remove_live_budget_pool(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A user's mistake is one usage error before anything runs, not an error per test.
    from pytest_antimetal.fixtures import marker_problem
    from pytest_antimetal.runconfig import needs_live_target, target_error

    for item in items:
        problem = marker_problem(item)
        if problem is not None:
            raise pytest.UsageError(problem)
    error = target_error(config)
    if error is not None and any(needs_live_target(item) for item in items):
        raise pytest.UsageError(str(error))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # schemathesis's pytest plugin swaps Hypothesis's example printer for a silent one,
    # process-wide: a user's failing @given test would print `x=,`. Give tests that are
    # not schemathesis's the real printer back (only if Hypothesis is already loaded).
    if "hypothesis.core" not in sys.modules:
        return (yield)
    from pytest_antimetal._printer import hypothesis_printer_for  # stdlib only

    with hypothesis_printer_for(item):
        return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist: collect the issues each worker created on a live server."""
    from pytest_antimetal.fixtures import CREATED_KEY

    output = getattr(node, "workeroutput", {})
    config = getattr(node, "config", None)
    if config is not None and output.get("antimetal_created"):
        config.stash.setdefault(CREATED_KEY, []).extend(output["antimetal_created"])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist (controller): every worker takes from one live budget, made here (the cap
    is the run's, across workers, the contract suite and the issue factory alike)."""
    from pytest_antimetal.fixtures import live_budget_pool
    from pytest_antimetal.live_budget import POOL_KEY

    pool = live_budget_pool(node.config)
    if pool is not None:
        node.workerinput[POOL_KEY] = pool


def pytest_sessionfinish(session: pytest.Session) -> None:
    from pytest_antimetal.fixtures import CREATED_KEY

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the list to the controller
        workeroutput["antimetal_created"] = session.config.stash.get(CREATED_KEY, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from pytest_antimetal.fixtures import CREATED_KEY

    created = terminalreporter.config.stash.get(CREATED_KEY, [])
    if created:
        from pytest_antimetal.runconfig import target_error

        # Only a run with a usable base URL can have created anything; name where.
        where = "the target" if target_error(terminalreporter.config) else None
        if where is None:
            from pytest_antimetal.runconfig import run_target

            where = str(run_target(terminalreporter.config).base_url)
        terminalreporter.section(f"pytest-antimetal: {len(created)} issue(s) created on {where}")
        for issue in sorted(created, key=lambda i: (i["number"] is None, i["number"] or 0)):
            number = "?" if issue["number"] is None else issue["number"]
            terminalreporter.line(f"#{number} {issue['uuid']} {issue['title']!r}")
