"""The contract suite vs plain ``schemathesis run``, same example budget, same run.

Anchor: ``schemathesis run spec/antimetal-openapi.yaml --url <FakeServer> -H
'Authorization: Bearer KEY' --max-examples 2N`` against the embedded fake served
on loopback. Ours: ``pytest --antimetal-contract --antimetal-max-examples N``
against the embedded fake in-process (the default target).

Same example budget: ``--antimetal-max-examples N`` is per fuzzing mode (N positive
and N negative cases), while schemathesis's ``--max-examples`` is per operation
and its fuzzing phase draws both modes from that one budget. So both sides send
2N fuzzing cases; with the defaults (N = 50) that is schemathesis's own default,
``--max-examples 100``. Both also run their examples and coverage phases, which
``max_examples`` does not cap.

Ours is timed as users run it with pytest-xdist, ``-n 2`` (the goal: <= 0.65x the
anchor), and in one process, ``-n 0`` (reported beside it), each with a seed never used
before and the pytest cache kept from earlier runs (the seed-independent examples and
coverage cases come from it, as in any second run; the fuzzing cases are generated every
run). The fuzzing parts are two items each, so xdist spreads their generation over both
workers; nothing in the suite forks. For scale, the report also times ``pytest
--antimetal-contract --co`` (start-up, collection and teardown of the same pytest, running
nothing). All are whole commands (process start included), interleaved with the anchor,
several rounds; the report gives median and best ratios and the checks each ran. CPU is
user+sys of the command and its children (xdist's workers included); schemathesis's figure
leaves out the loopback server's work (it runs in this process). On a loaded machine wall
ratios drift toward CPU ratios.

    python benchmarks/bench_contract.py [--max-examples 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pytest_antimetal.fake import FakeAntimetal, FakeServer

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "antimetal-openapi.yaml"
KEY = "bench-key-0123456789abcdef"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


_SUITE = [sys.executable, "-m", "pytest", "-p", "antimetal", "--antimetal-contract", "-q"]


def _timed(
    command: list[str], cwd: Path, env: dict[str, str]
) -> tuple[tuple[float, float], subprocess.CompletedProcess[str]]:
    """Run *command*; its wall time and CPU (user+sys of it and its children)."""
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return (time.perf_counter() - start, _cpu() - cpu), done


def _ours(
    project: Path, n: int, seed: int, env: dict[str, str], *extra: str
) -> tuple[tuple[float, float], int, int, int]:
    command = [*_SUITE, f"--hypothesis-seed={seed}", f"--antimetal-max-examples={n}", *extra]
    elapsed, done = _timed(command, project, env)
    out = done.stdout
    requests = re.search(r"requests sent: (\d+)", out)
    checks = re.search(r"checks run: (\d+)", out)
    if done.returncode != 0 or requests is None or checks is None:
        raise SystemExit(f"contract suite failed (exit {done.returncode}):\n{out[-3000:]}")
    return elapsed, int(requests.group(1)), int(checks.group(1)), done.returncode


def _floor(project: Path, env: dict[str, str]) -> tuple[float, float]:
    """pytest collecting the suite and running none of it: start-up, collection, teardown."""
    elapsed, done = _timed([*_SUITE, "--co"], project, env)
    if done.returncode != 0:
        raise SystemExit(f"pytest --co failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return elapsed


def _schemathesis(
    url: str, n: int, seed: int, env: dict[str, str], tmp: Path
) -> tuple[tuple[float, float], int, int, Counter[str]]:
    report = tmp / f"st-{seed}.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(SPEC),
        "--url",
        url,
        "-H",
        f"Authorization: Bearer {KEY}",
        "--max-examples",
        str(n),
        "--seed",
        str(seed),
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    elapsed, done = _timed(command, tmp, env)
    if done.returncode != 0:
        raise SystemExit(
            f"schemathesis run failed (exit {done.returncode}):\n{done.stdout[-3000:]}"
        )
    kinds: Counter[str] = Counter()
    interactions = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        recorder = event.get("ScenarioFinished", {}).get("recorder")
        if recorder:
            interactions += len(recorder.get("interactions", {}))
            for results in recorder.get("checks", {}).values():
                kinds.update(result["name"] for result in results)
    return elapsed, interactions, sum(kinds.values()), kinds


def _fmt(pair: tuple[float, float]) -> str:
    return f"{pair[0]:5.2f} s wall/{pair[1]:5.2f} s CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--max-examples",
        type=int,
        default=50,
        help="ours: --antimetal-max-examples N (per fuzzing mode); schemathesis: --max-examples 2N",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--keep-dont-write-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE (it makes pytest re-rewrite every plugin module on "
        "every run; removed by default, as in a usual environment)",
    )
    args = parser.parse_args()
    n = args.max_examples
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    if not args.keep_dont_write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs: dict[str, list[tuple[float, float]]] = {"n2": [], "n0": [], "floor": [], "st": []}
    with tempfile.TemporaryDirectory() as raw, FakeServer(FakeAntimetal(api_keys=[KEY])) as server:
        tmp = Path(raw)
        (tmp / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        _ours(tmp, n, 0, env, "-n", "2")  # warm-up: .pyc, rewritten assertions, the case cache
        for seed in range(1, args.rounds + 1):
            st_t, st_requests, st_checks, st_kinds = _schemathesis(
                server.url, 2 * n, seed, env, tmp
            )
            n2_t, requests, checks, _ = _ours(tmp, n, seed, env, "-n", "2")
            n0_t, n0_requests, _, _ = _ours(tmp, n, 1000 + seed, env, "-n", "0")
            floor_t = _floor(tmp, env)
            for key, value in (("n2", n2_t), ("n0", n0_t), ("floor", floor_t), ("st", st_t)):
                runs[key].append(value)
            print(
                f"round {seed}: schemathesis run {_fmt(st_t)} ({st_requests} requests, "
                f"{st_checks} checks) | contract suite -n 2 {_fmt(n2_t)} ({requests} "
                f"requests, {checks} checks), -n 0 {_fmt(n0_t)} ({n0_requests} requests), "
                f"pytest --co {_fmt(floor_t)}",
                flush=True,
            )
    print(f"schemathesis check kinds: {len(st_kinds)} ({', '.join(sorted(st_kinds))})")
    print(
        f"budget: --antimetal-max-examples {n} (per fuzzing mode) vs schemathesis "
        f"--max-examples {2 * n} (per operation): {2 * n} fuzzing cases each"
    )
    for stat, pick in (("median", statistics.median), ("best", min)):
        for index, label in ((0, "wall"), (1, "CPU")):
            anchor = pick(t[index] for t in runs["st"])
            parts = [f"schemathesis run {anchor:.2f} s"]
            for key, name in (("n2", "-n 2"), ("n0", "-n 0"), ("floor", "pytest --co")):
                figure = pick(t[index] for t in runs[key])
                parts.append(f"{name} {figure:.2f} s (ratio {figure / anchor:.2f})")
            print(f"{stat} {label}: " + " | ".join(parts) + " | goal (-n 2) <= 0.65")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
