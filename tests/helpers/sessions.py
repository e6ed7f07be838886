"""Running pytest sessions the way users do, and where the repository's files are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_VENDOR = REPO_ROOT.parent / "shared" / "vendor"

# Libraries an in-process pytest session (pytester.runpytest_inprocess) may import first.
_PRELOAD = (
    "anyio",
    "h11",
    "httpcore",
    "httptools",
    "httpx",
    "hypothesis",
    "jsonschema",
    "jsonschema_rs",
    "pytest_recording.plugin",
    "schemathesis",
    "uvicorn",
    "vcr",
    "yaml",
)


def _preload() -> None:
    """Import the package and its libraries once, before any in-process session runs.

    pytester's in-process runs snapshot ``sys.modules`` and delete whatever the inner session
    imported. A module first imported inside one is imported anew by the next, with new
    exception classes that no longer match the ones other modules kept: httpx then stops
    mapping httpcore's ``ConnectError`` and the fake's protocol stops recognising httptools'
    parser errors - failures that depend on which test ran first in a worker.
    """
    import importlib
    import pkgutil

    import pytest_antimetal

    for name in _PRELOAD:
        importlib.import_module(name)
    for module in pkgutil.walk_packages(pytest_antimetal.__path__, "pytest_antimetal."):
        importlib.import_module(module.name)


_preload()


ONE_OPERATION = ("-o", "antimetal_operations=createIssue")
"""The contract suite on ``POST /issues`` alone: what most sessions of our suite are about (all
nine operations would triple their time); a test about the others passes ``all_operations``."""


def run_plugin(
    pytester: pytest.Pytester, *args: str, all_operations: bool = False
) -> pytest.RunResult:
    """A real pytest session with the plugin on, as a user runs it (our addopts turn it off)."""
    return pytester.runpytest_subprocess(
        "-p",
        "antimetal",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        *(() if all_operations else ONE_OPERATION),
        *args,
    )


def run_plugin_in_process(
    pytester: pytest.Pytester, *args: str, all_operations: bool = False
) -> pytest.RunResult:
    """The same session in this process: for runs whose outcome, not their every byte, is checked.

    A child process costs ~1.3 CPU-s of imports (schemathesis and Hypothesis, loaded by their
    own pytest plugins); use this where the test asserts an exit status or outcomes, and
    `run_plugin` where it searches everything the run printed (fd-level writes, logging).
    """
    return pytester.runpytest_inprocess(
        "-p",
        "antimetal",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        *(() if all_operations else ONE_OPERATION),
        *args,
    )


def fake_cli_command() -> list[str]:
    """``antimetal-contract fake`` from this interpreter's environment."""
    import sys

    script = Path(sys.executable).with_name("antimetal-contract")
    if script.exists():
        return [str(script), "fake"]
    return [sys.executable, "-m", "pytest_antimetal.cli", "fake"]
