"""The commands the contract benchmarks time, and the timer: one copy for bench_contract.py and
bench_latency.py (both run the suite and ``schemathesis run`` as whole commands).

Imported by sibling scripts run as ``python benchmarks/bench_*.py`` (their folder is on
``sys.path``); not a benchmark itself, so ``run.py`` (which runs ``bench_*.py``) skips it.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "antimetal-openapi.yaml"
KEY = "bench-key-0123456789abcdef"
SUITE = [sys.executable, "-m", "pytest", "-p", "antimetal", "--antimetal-contract", "-q"]
"""The contract suite as a user runs it, before the run's own options."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    command: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run *command*; its wall time, CPU (user+sys of it and its children) and result."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, _children_cpu() - cpu, done


def schemathesis_command(url: str, max_examples: int, seed: int, report: Path) -> list[str]:
    """``schemathesis run`` on the vendored document against *url*, NDJSON report to *report*."""
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(SPEC),
        "--url",
        url,
        "-H",
        f"Authorization: Bearer {KEY}",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
