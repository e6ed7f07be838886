"""pytest plugin of ``bench_reporting.py``: times the contract suite's reporting code paths.

Loaded in the measured run with ``-p reporting_timers`` (``benchmarks/`` on ``PYTHONPATH``).
At import, before the suite's plugin is registered, it wraps each function named in
:data:`TIMED` (by import path: a renamed function fails the benchmark rather than going
unmeasured) with a timer. Only the outermost timed call counts, so nested reporting calls
are not counted twice (per thread: were the runner to send from several threads, their
timed calls would overlap and the sum would overstate the cost). At the end it writes the
totals (seconds and calls per layer) as JSON to ``$BENCH_REPORTING_OUT``.

``$BENCH_REPORTING_FAULT``: the run's embedded fake plants that fault of
``tests/helpers/planted_faults.py`` (the repository root on ``PYTHONPATH``).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

TIMED: dict[str, tuple[str, ...]] = {
    # Every answered request: what it exercised of the document, and its status.
    "coverage": (
        "pytest_antimetal.contract.coverage:CoverageRecorder.record",
        "pytest_antimetal.contract.coverage:CoverageLog.as_dict",
        "pytest_antimetal.contract.coverage:DocumentModel.from_spec",  # runner and summary
    ),
    # Every failure: the request redacted for showing, the Failure kept, grouping into root
    # causes (EntryBook.add, redaction), and the failure text of a part.
    "failures": (
        "pytest_antimetal.contract.failure_recorder:FailureRecorder.shown",  # request, redacted
        "pytest_antimetal.contract.failure_recorder:FailureRecorder.fail",
        "pytest_antimetal.contract.items:ContractItem.repr_failure",
    ),
    # Stats, entries and coverage carried on each part's report and merged; the per-part line.
    "per part": (
        "pytest_antimetal.contract.report:RunStats.as_dict",
        "pytest_antimetal.contract.plugin:ContractPlugin.pytest_runtest_logreport",
        "pytest_antimetal.contract.plugin:ContractPlugin.pytest_runtest_logfinish",
    ),
    # -v: the live counter's callback.
    "progress": ("pytest_antimetal.contract.progress:LiveCounter.update",),
    # The summary (coverage figure), report files, step summary, JUnit root causes, the gate.
    "summary": (
        "pytest_antimetal.contract.plugin:ContractPlugin.pytest_terminal_summary",
        "pytest_antimetal.contract.plugin:ContractPlugin.pytest_sessionfinish",
    ),
    # Not reporting: re-sends requests to find each root cause's smallest (failures only).
    "minimising": ("pytest_antimetal.contract.suite:ContractSuite.minimise",),
}

seconds: Counter[str] = Counter()
calls: Counter[str] = Counter()
_state = threading.local()  # depth of timed calls, per thread
_lock = threading.Lock()
_started = time.perf_counter()


def _timed(layer: str, function: Callable[..., Any]) -> Callable[..., Any]:
    clock = time.perf_counter

    @functools.wraps(function)  # keeps pytest's hookimpl marks and the signature pluggy reads
    def timed(*args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "depth", 0):
            return function(*args, **kwargs)
        _state.depth = 1
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            elapsed = clock() - start
            _state.depth = 0
            with _lock:
                seconds[layer] += elapsed
                calls[layer] += 1

    return timed


def _install() -> None:
    for layer, names in TIMED.items():
        for name in names:
            module_name, _, qualname = name.partition(":")
            owner_name, _, attribute = qualname.rpartition(".")
            owner = getattr(importlib.import_module(module_name), owner_name)
            function = owner.__dict__.get(attribute)
            if function is None:
                raise SystemExit(f"reporting_timers: {name} does not exist; update TIMED")
            if isinstance(function, classmethod):
                setattr(owner, attribute, classmethod(_timed(layer, function.__func__)))
            else:
                setattr(owner, attribute, _timed(layer, function))


_install()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    fault = os.environ.get("BENCH_REPORTING_FAULT")
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if fault and plugin is not None:
        from tests.helpers.planted_faults import make_fake

        plugin.fake_factory = make_fake(fault)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get("BENCH_REPORTING_OUT")
    if out:
        with open(out, "w", encoding="utf-8") as file:
            json.dump(
                {
                    "seconds": dict(seconds),
                    "calls": dict(calls),
                    "session": time.perf_counter() - _started,
                },
                file,
            )
