"""What reporting costs the default contract run against the embedded fake (issue 11: <= 5%).

The run: ``pytest --antimetal-contract`` against the embedded fake, in one process (``-n 0``,
so every reporting call happens where it is timed), a new seed each round, the pytest cache
kept from a warm-up run as in any second run.

Anchor, same run: the run without its reporting, i.e. its wall time minus the time spent in
the reporting code paths, measured inside the run by explicit timers around them
(``benchmarks/reporting_timers.py``, loaded with ``-p``): coverage recording, failures kept
and grouped into root causes (``EntryBook``) and their text, the stats, entries and coverage
each part carries to the controller and the per-part line, the live counter (``-v``), the
terminal summary with the coverage figure, report files and JUnit. The figure is reporting /
(wall - reporting): how much longer the run is for it. Both terms come from the same run,
so load on the shared machine moves them together; comparing whole runs with and without
reporting would not do: their wall times differ by more than 5% run to run on this machine
(the report prints that spread). Root-cause minimising re-sends requests (failures only) and
is reported apart.

    python benchmarks/bench_reporting.py [--rounds 5] [--verbose] [--fault NAME]

``--verbose`` adds a ``-v`` run per round (the live counter; not a tty here: its log lines);
``--fault NAME`` plants a fault of ``tests/helpers/planted_faults.py`` in the fake, so the
run fails and the failure paths are timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAYERS = ("coverage", "failures", "per part", "progress", "summary")
"""What counts as reporting (``minimising`` is shown apart)."""


def _run(project: Path, env: dict[str, str], seed: int, *extra: str) -> dict[str, object]:
    out = project / f"timers-{seed}.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "reporting_timers",
        "-p",
        "antimetal",
        "--antimetal-contract",
        f"--hypothesis-seed={seed}",
        "-p",
        "no:randomly",
        *extra,
    ]
    run_env = {**env, "BENCH_REPORTING_OUT": str(out)}
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=project, env=run_env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    requests = re.search(r"requests sent: (\d+)", done.stdout)
    if done.returncode not in (0, 1) or requests is None or not out.exists():
        raise SystemExit(f"contract run failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    timers = json.loads(out.read_text())
    seconds: dict[str, float] = timers["seconds"]
    reporting = sum(seconds.get(layer, 0.0) for layer in LAYERS)
    return {
        "wall": wall,
        "reporting": reporting,
        "growth": reporting / (wall - reporting),
        "seconds": seconds,
        "calls": timers["calls"],
        "requests": int(requests.group(1)),
        "exit": done.returncode,
        "progress_lines": done.stdout.count(" so far"),
    }


def _line(label: str, run: dict[str, object]) -> str:
    seconds = run["seconds"]
    calls = run["calls"]
    assert isinstance(seconds, dict)
    assert isinstance(calls, dict)
    layers = ", ".join(
        f"{layer} {1000 * seconds.get(layer, 0.0):.0f} ms/{calls.get(layer, 0)}"
        for layer in (*LAYERS, "minimising")
    )
    return (
        f"{label}: wall {run['wall']:.2f} s, {run['requests']} requests, reporting "
        f"{1000 * float(run['reporting']):.0f} ms (+{100 * float(run['growth']):.2f}%) "
        f"[{layers} (ms/calls)]"
        + (f", {run['progress_lines']} progress line(s)" if run["progress_lines"] else "")
    )


def _summary(label: str, runs: list[dict[str, object]]) -> str:
    growth = [100 * float(r["growth"]) for r in runs]
    walls = [float(r["wall"]) for r in runs]
    spread = 100 * (max(walls) - min(walls)) / statistics.median(walls)
    return (
        f"{label}: reporting adds median {statistics.median(growth):.2f}% of the run "
        f"(min {min(growth):.2f}%, max {max(growth):.2f}%, {len(runs)} runs) | wall median "
        f"{statistics.median(walls):.2f} s, min {min(walls):.2f}, max {max(walls):.2f} "
        f"(run-to-run spread {spread:.0f}% of the median) | goal <= 5%"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="also a -v run each round")
    parser.add_argument("--fault", help="plant this fault (tests/helpers/planted_faults.py)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    )
    if args.fault:
        env["BENCH_REPORTING_FAULT"] = args.fault
    runs: dict[str, list[dict[str, object]]] = {"default": [], "-v": []}
    with tempfile.TemporaryDirectory() as raw:
        project = Path(raw)
        (project / "pytest.ini").write_text(
            "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        )
        _run(project, env, 0, "-q")  # warm-up: .pyc, rewritten assertions, the case cache
        for seed in range(1, args.rounds + 1):
            run = _run(project, env, seed)
            runs["default"].append(run)
            print(_line(f"round {seed} default", run), flush=True)
            if args.verbose:
                run = _run(project, env, seed, "-v")
                runs["-v"].append(run)
                print(_line(f"round {seed} -v", run), flush=True)
    if args.fault:
        print(f"planted fault: {args.fault} (the run fails; failure paths timed)")
    print(_summary("default", runs["default"]))
    if runs["-v"]:
        print(_summary("-v", runs["-v"]))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
