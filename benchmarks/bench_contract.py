"""The contract suite vs plain ``schemathesis run``, same example budget, same run.

Anchor: ``schemathesis run spec/antimetal-openapi.yaml --url <FakeServer> -H
'Authorization: Bearer KEY' --max-examples N`` against the embedded fake served
on loopback. Ours: ``pytest --antimetal-contract --antimetal-max-examples N``
against the embedded fake in-process (the default). Both are timed as whole
commands (process start included), interleaved, several rounds; the report
gives the median ratio (goal <= 0.5) and the checks each ran.

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


def _ours(
    project: Path, n: int, seed: int, env: dict[str, str]
) -> tuple[tuple[float, float], int, int, int]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-q",
        f"--hypothesis-seed={seed}",
        f"--antimetal-max-examples={n}",
    ]
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    elapsed = (time.perf_counter() - start, _cpu() - cpu)
    out = done.stdout
    requests = re.search(r"requests sent: (\d+)", out)
    checks = re.search(r"checks run: (\d+)", out)
    if done.returncode != 0 or requests is None or checks is None:
        raise SystemExit(f"contract suite failed (exit {done.returncode}):\n{out[-3000:]}")
    return elapsed, int(requests.group(1)), int(checks.group(1)), done.returncode


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
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - start, _cpu() - cpu)
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
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--keep-dont-write-bytecode",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE (it makes pytest re-rewrite every plugin module on "
        "every run; removed by default, as in a usual environment)",
    )
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    if not args.keep_dont_write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    fresh: list[tuple[float, float]] = []
    replay: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as raw, FakeServer(FakeAntimetal(api_keys=[KEY])) as server:
        tmp = Path(raw)
        (tmp / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        _ours(tmp, args.max_examples, 0, env)  # warm-up: .pyc, rewritten assertions, file cache
        for seed in range(1, args.rounds + 1):
            # A seed never used before: the fuzzing phases generate afresh (the seed-independent
            # examples and coverage cases come from the pytest cache, as in any second run).
            new_t, requests, checks, _ = _ours(tmp, args.max_examples, seed, env)
            # The same seed again (a replay, or CI with a pinned seed): all cases are cached.
            again_t, _, _, _ = _ours(tmp, args.max_examples, seed, env)
            st_t, st_requests, st_checks, st_kinds = _schemathesis(
                server.url, args.max_examples, seed, env, tmp
            )
            fresh.append(new_t)
            replay.append(again_t)
            theirs.append(st_t)
            print(
                f"round {seed}: contract suite new seed {_fmt(new_t)}, same seed again "
                f"{_fmt(again_t)} ({requests} requests, {checks} checks) | schemathesis run "
                f"{_fmt(st_t)} ({st_requests} requests, {st_checks} checks)"
            )
    print(f"schemathesis check kinds: {len(st_kinds)} ({', '.join(sorted(st_kinds))})")
    for index, label in ((0, "wall"), (1, "CPU")):
        anchor = statistics.median(t[index] for t in theirs)
        new = statistics.median(t[index] for t in fresh)
        again = statistics.median(t[index] for t in replay)
        print(
            f"median {label}: schemathesis run {anchor:.2f} s | contract suite new seed "
            f"{new:.2f} s (ratio {new / anchor:.2f}) | same seed again {again:.2f} s "
            f"(ratio {again / anchor:.2f}) | goal <= 0.5"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
