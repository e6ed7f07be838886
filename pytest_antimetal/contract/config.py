"""The contract suite's options: ``--antimetal-*`` flags and their ini twins, read and checked.

A value that is not usable is one ``pytest.UsageError`` naming the option (or the ini key) and
the README section listing them, never a traceback. Only the standard library and pytest at
module level; what an option selects is resolved by the modules that own it
(:mod:`~pytest_antimetal.contract.operations`, :mod:`~pytest_antimetal.contract.coverage`).
"""

from __future__ import annotations

import math
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_antimetal.contract.coverage import parse_percent
from pytest_antimetal.contract.dispatch import MIN_RATE
from pytest_antimetal.contract.operations import (
    ContractOperation,
    UnknownOperation,
    select_operations,
)
from pytest_antimetal.target import README_REF

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = [
    "coverage_min",
    "ini_bool",
    "is_deterministic",
    "number_option",
    "rate_option",
    "report_dir",
    "run_seed",
    "selected_operations",
    "sequences",
]

_SEE = f" (see {README_REF}, 'Configuration reference')"


def number_option(config: pytest.Config, option: str, ini: str, kind: type, default: Any) -> Any:
    value = config.getoption(option)
    source = f"--{option.replace('_', '-')}"
    if value is None:
        raw = config.getini(ini)
        if raw in (None, "", []):
            return default
        source = f"ini {ini}"
        try:
            value = kind(raw)
        except ValueError:
            raise pytest.UsageError(f"{source}: expected a number, got {raw!r}{_SEE}") from None
    # NaN compares false with everything, so `value <= 0` alone would let it (and inf) through
    # as "no limit".
    if not math.isfinite(value):
        raise pytest.UsageError(f"{source}: must be a finite number, got {value}{_SEE}")
    if value <= 0 and not (kind is int and option == "antimetal_live_budget" and value == 0):
        raise pytest.UsageError(f"{source}: must be positive, got {value}{_SEE}")
    return value


def rate_option(config: pytest.Config) -> float | None:
    """``--antimetal-rate`` (else ini ``antimetal_rate``): requests per second for the whole
    run, at least :data:`MIN_RATE`; ``None``: no limit."""
    value: float | None = number_option(config, "antimetal_rate", "antimetal_rate", float, None)
    if value is not None and value < MIN_RATE:
        given = config.getoption("antimetal_rate", None) is not None
        source = "--antimetal-rate" if given else "ini antimetal_rate"
        raise pytest.UsageError(
            f"{source}: must be at least one request a day ({MIN_RATE:.3g}), got {value:g}{_SEE}"
        )
    return value


def coverage_min(config: pytest.Config) -> float | None:
    """``--antimetal-coverage-min`` (else ini ``antimetal_coverage_min``): the percentage below
    which the run fails; ``None``: no gate."""
    raw = config.getoption("antimetal_coverage_min", None)
    source = "--antimetal-coverage-min"
    if raw in (None, ""):
        raw = config.getini("antimetal_coverage_min")
        source = "ini antimetal_coverage_min"
        if raw in (None, "", []):
            return None
    try:
        return parse_percent(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"{source}: {exc}{_SEE}") from None


def selected_operations(config: pytest.Config, spec: Spec) -> tuple[ContractOperation, ...]:
    """``--antimetal-operations`` (else ini ``antimetal_operations``): the operations the run
    covers, every one of the document's by default."""
    raw = config.getoption("antimetal_operations", None)
    source = "--antimetal-operations"
    if raw in (None, ""):
        raw = config.getini("antimetal_operations")
        source = "ini antimetal_operations"
    names = [n for n in str(raw or "").replace("\n", ",").split(",") if n.strip()]
    try:
        return select_operations(spec, names)
    except UnknownOperation as exc:
        raise pytest.UsageError(f"{source}: {exc}") from None


def ini_bool(config: pytest.Config, name: str) -> bool | None:
    """A boolean ini value, a usage error naming it when it is not one."""
    try:
        value = config.getini(name)
    except (ValueError, pytest.UsageError) as exc:  # "invalid truth value 'maybe'": which?
        raise pytest.UsageError(f"ini {name}: {exc}") from None
    return None if value is None else bool(value)


def sequences(
    config: pytest.Config, operations: tuple[ContractOperation, ...], read_only: bool
) -> tuple[bool, str]:
    """Whether the stateful part runs, and what the header says of it: by default when the
    run selects every operation it drives; ``--antimetal-sequences`` (ini ``antimetal_sequences
    = true``) runs it whatever the selection (it drives its operations itself),
    ``--antimetal-no-sequences`` (ini ``= false``) never; a read-only run never (it creates)."""
    from pytest_antimetal.contract.sequences import OPERATIONS

    on = bool(config.getoption("antimetal_sequences", False))
    off = bool(config.getoption("antimetal_no_sequences", False))
    if on and off:
        raise pytest.UsageError(
            "--antimetal-sequences and --antimetal-no-sequences contradict each other"
        )
    if not (on or off):
        ini = ini_bool(config, "antimetal_sequences")  # None when the ini does not say
        if ini is not None:
            on, off = bool(ini), not ini
    if read_only:
        return False, "off (read-only: they create and delete)"
    if off:
        return False, "off (--antimetal-no-sequences)"
    if on:
        return True, "on"
    selected = {(op.method.upper(), op.path) for op in operations}
    missing = sorted(OPERATIONS - selected, key=lambda m: (m[1], m[0]))
    if missing:
        left_out = ", ".join(f"{method} {path}" for method, path in missing)
        return False, f"off (the run leaves out {left_out}; --antimetal-sequences forces them)"
    return True, "on"


def report_dir(config: pytest.Config) -> Path | None:
    raw = config.getoption("antimetal_report", None)
    return None if raw in (None, "") else Path(str(raw))


def run_seed(config: pytest.Config, deterministic: bool) -> int:
    # An xdist worker uses the controller's seed, so the summary's replay seed is the one
    # every worker's failures were generated with.
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "antimetal_seed" in workerinput:
        return int(workerinput["antimetal_seed"])
    raw = config.getoption("hypothesis_seed", None)
    if raw is not None:
        text = str(raw)
        return int(text) if text.isdigit() else zlib.crc32(text.encode())
    if deterministic:
        return 0
    return int.from_bytes(os.urandom(4), "big")


def is_deterministic(config: pytest.Config) -> bool:
    """Cassettes need the same requests on every run: recording/replay implies a fixed seed."""
    if config.getoption("record_mode", None) is not None:
        return True
    import hypothesis

    default = hypothesis.settings.default
    return default is not None and bool(default.derandomize)
