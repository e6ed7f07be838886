"""The contract suite vs plain ``schemathesis run``, same example budget, same run.

One command, interleaved, several rounds, median and spread of each figure:

* (a) **all operations.** Anchor: ``schemathesis run spec/antimetal-openapi.yaml --url
  <loopback fake> -H 'Authorization: Bearer KEY' --checks all --max-examples 2N`` (the
  whole vendored document, every phase schemathesis runs by default: examples, coverage,
  fuzzing, and stateful over the links it infers). Ours: the suite's default run (every
  operation), ``pytest --antimetal-contract --antimetal-max-examples N`` against the
  embedded fake in-process (the default target), at ``-n 0`` and ``-n 2`` (issue 14's goal:
  <= 1.0x the anchor while running more checks). When the plugin has a sequences switch, the
  stateful part is measured too: with ``--antimetal-no-sequences`` (sequences in the default
  run) the default and the run without them, with ``--antimetal-sequences`` (opt-in) the
  default and the run with them, both at ``-n 0``: what sequences add.
* (b) **createIssue only**, the figure issue 12 set (<= 0.65x at ``-n 2``): anchor ``schemathesis
  run --max-examples 2N --include-operation-id createIssue`` (its default checks, as before),
  ours ``--antimetal-operations=createIssue`` at ``-n 2`` and ``-n 0``.

Same example budget: ``--antimetal-max-examples N`` is per fuzzing mode and operation (N
positive and N negative cases), while schemathesis's ``--max-examples`` is per operation and
its fuzzing phase draws both modes from that one budget. So both sides get 2N fuzzing cases an
operation; with the defaults (N = 50) that is schemathesis's own default, ``--max-examples
100``. Neither budget caps the examples and coverage phases (schemathesis's, or the suite's
examples, coverage, edge-case, malformed-input and auth parts); schemathesis's stateful phase
is bounded by its own settings. What each run cost is therefore reported as requests, not
assumed from the budget:

* requests: ours, the summary's "requests sent" (auth probes included); schemathesis's, counted
  by the loopback server (every request reaching it: its probes and the requests its
  ``ignored_auth`` check sends besides the test cases), with its test cases (the NDJSON
  report's interactions) beside it.
* checks: both count one check each time a check function is applied to one response, whether
  or not it found anything to look at there: schemathesis's NDJSON report records a check that
  returns "not applicable" (``None``) as a success, ours counts every check it calls
  (schemathesis's response checks that apply to the request, the suite's own checks, the
  part's expectation, the sequences' invariants). So "checks run" is the same unit on both
  sides; per request and the distinct kinds are printed too.

Time: every run is a whole command (process start included). CPU is user+sys of the command
and its children (xdist's workers included). The loopback server runs in its own process, so
the anchor's CPU is given without and with the server's (ours includes the embedded fake's
work, which runs in-process); the ratio is taken against the anchor with its server, the
like-for-like figure. Each run of ours gets a seed never used before and keeps the pytest
cache from earlier runs (the seed-independent cases come from it, as in any second run; the
fuzzing cases are generated every run). The run order rotates each round so a load trend does
not always hit the same command. On a loaded machine wall ratios drift toward CPU ratios.

    python benchmarks/bench_contract.py [--max-examples 50] [--rounds 3]
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands import KEY, SUITE, schemathesis_command, timed


@dataclass
class Run:
    """One command's figures."""

    wall: float
    cpu: float
    requests: int
    checks: int
    server_cpu: float = 0.0
    cases: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: int = 0


def serve() -> None:
    """``--serve``: the embedded fake on loopback in this process, counting what reaches it.

    Prints its URL, then answers each ``stat`` line on stdin with the requests handled so far
    and this process's CPU seconds; exits when stdin closes.
    """
    from pytest_antimetal.fake import FakeAntimetal, FakeServer

    class Counting(FakeAntimetal):
        handled = 0

        def handle(self, *args: Any, **kwargs: Any) -> Any:
            Counting.handled += 1
            return super().handle(*args, **kwargs)

    with FakeServer(Counting(api_keys=[KEY])) as server:
        print(server.url, flush=True)
        for _ in sys.stdin:
            print(f"{Counting.handled} {time.process_time()}", flush=True)


class Server:
    """The ``--serve`` child process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # uvicorn's notes on schemathesis's malformed probes
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit("the loopback fake did not start")

    def stat(self) -> tuple[int, float]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("stat\n")
        self.proc.stdin.flush()
        handled, cpu = self.proc.stdout.readline().split()
        return int(handled), float(cpu)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def ours(project: Path, n: int, seed: int, env: dict[str, str], *extra: str) -> Run:
    command = [*SUITE, f"--hypothesis-seed={seed}", f"--antimetal-max-examples={n}", *extra]
    wall, cpu, done = timed(command, project, env)
    out = done.stdout
    requests = re.search(r"requests sent: (\d+)", out)
    checks = re.search(r"checks run: (\d+)", out)
    if done.returncode != 0 or requests is None or checks is None:
        raise SystemExit(
            f"{' '.join(command)} failed (exit {done.returncode}):\n{out[-3000:]}{done.stderr}"
        )
    return Run(wall, cpu, int(requests.group(1)), int(checks.group(1)))


def floor(project: Path, env: dict[str, str]) -> Run:
    """pytest collecting the default run and running none of it: start-up, collection, teardown."""
    wall, cpu, done = timed([*SUITE, "--co"], project, env)
    if done.returncode != 0:
        raise SystemExit(f"pytest --co failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return Run(wall, cpu, 0, 0)


def schemathesis(
    server: Server, n: int, seed: int, env: dict[str, str], tmp: Path, *extra: str
) -> Run:
    report = tmp / f"st-{seed}-{len(extra)}.ndjson"
    command = [*schemathesis_command(server.url, n, seed, report), *extra]
    handled, server_cpu = server.stat()
    wall, cpu, done = timed(command, tmp, env)
    handled_after, server_cpu_after = server.stat()
    # Exit 1 is "failures found" (the vendor's document leaves some statuses undocumented,
    # which --checks all reports); anything else, or no report, is a broken run.
    if done.returncode not in (0, 1) or not report.exists():
        raise SystemExit(
            f"schemathesis run failed (exit {done.returncode}):\n{done.stdout[-3000:]}"
        )
    kinds: Counter[str] = Counter()
    cases = failures = 0
    for line in report.read_text().splitlines():
        recorder = json.loads(line).get("ScenarioFinished", {}).get("recorder")
        if recorder:
            cases += len(recorder.get("interactions", {}))
            for results in recorder.get("checks", {}).values():
                kinds.update(result["name"] for result in results)
                failures += sum(result.get("status") == "failure" for result in results)
    return Run(
        wall,
        cpu,
        handled_after - handled,
        sum(kinds.values()),
        server_cpu=server_cpu_after - server_cpu,
        cases=cases,
        kinds=kinds,
        failures=failures,
    )


def _ours_kinds() -> list[str]:
    """The check kinds the suite can run (its summary counts them, not their names)."""
    from pytest_antimetal.contract.checking import SCHEMATHESIS_CHECKS
    from pytest_antimetal.contract.checks import OWN_CHECKS

    own = [check.__name__ for check in OWN_CHECKS]
    # expectations of the hand-written parts, the auth probe and an unanswered request
    extra = ["edge_cases", "malformed_input", "ignored_auth (over httpx)", "no_response"]
    return [*SCHEMATHESIS_CHECKS, *own, *extra]


def _spread(values: list[float]) -> str:
    median = statistics.median(values)
    return f"{median:6.2f} ({min(values):.2f}-{max(values):.2f})"


def _summary(label: str, runs: list[Run], anchor: list[Run] | None) -> str:
    wall = [r.wall for r in runs]
    cpu = [r.cpu + r.server_cpu for r in runs]
    text = f"  {label:<50} wall {_spread(wall)} s  CPU {_spread(cpu)} s"
    if anchor is not None:
        # per round, against the anchor of the same round
        ratios = [r.wall / a.wall for r, a in zip(runs, anchor, strict=True)]
        cratios = [
            (r.cpu + r.server_cpu) / (a.cpu + a.server_cpu)
            for r, a in zip(runs, anchor, strict=True)
        ]
        text += f"  ratio wall {_spread(ratios)}  CPU {_spread(cratios)}"
    last = runs[-1]
    if last.requests:
        checks = statistics.median(r.checks for r in runs)
        requests = statistics.median(r.requests for r in runs)
        text += (
            f"  | {requests:.0f} requests, {checks:.0f} checks ({checks / requests:.1f}/request)"
        )
    if last.server_cpu:
        text += f"; client CPU alone {_spread([r.cpu for r in runs])} s"
    return text


def _sequence_variant(project: Path, env: dict[str, str]) -> tuple[str, str] | None:
    """How to measure what sequences add, as (label, flag), if the plugin has a switch."""
    _, _, done = timed([*SUITE, "--help"], project, env)
    if "--antimetal-no-sequences" in done.stdout:
        return "default without sequences (--antimetal-no-sequences)", "--antimetal-no-sequences"
    if "--antimetal-sequences" in done.stdout:
        return "default + sequences (--antimetal-sequences)", "--antimetal-sequences"
    return None


def main() -> int:
    if sys.argv[1:] == ["--serve"]:
        serve()
        return 0
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
    load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    create = "--antimetal-operations=createIssue"
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        (tmp / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        server = Server(env)
        try:
            variant = _sequence_variant(tmp, env)
            seeds = iter(range(1, 10_000))
            commands: dict[str, Callable[[], Run]] = {
                "st-all": lambda: schemathesis(
                    server, 2 * n, next(seeds), env, tmp, "--checks", "all"
                ),
                "all-n0": lambda: ours(tmp, n, next(seeds), env, "-n", "0"),
                "all-n2": lambda: ours(tmp, n, next(seeds), env, "-n", "2"),
                "st-create": lambda: schemathesis(
                    server, 2 * n, next(seeds), env, tmp, "--include-operation-id", "createIssue"
                ),
                "create-n2": lambda: ours(tmp, n, next(seeds), env, create, "-n", "2"),
                "create-n0": lambda: ours(tmp, n, next(seeds), env, create, "-n", "0"),
                "floor": lambda: floor(tmp, env),
            }
            if variant is not None:
                flag = variant[1]
                commands["seq-n0"] = lambda: ours(tmp, n, next(seeds), env, flag, "-n", "0")
            ours(tmp, n, 0, env, "-n", "2")  # warm-up: .pyc, rewritten assertions, the case cache
            ours(tmp, n, 0, env, create, "-n", "0")
            runs: dict[str, list[Run]] = {key: [] for key in commands}
            names = list(commands)
            for index in range(args.rounds):
                order = names[index % len(names) :] + names[: index % len(names)]
                for key in order:
                    runs[key].append(commands[key]())
                line = " | ".join(
                    f"{key} {r.wall:.2f}s/{r.cpu + r.server_cpu:.2f}s/{r.requests}req/{r.checks}chk"
                    for key, r in ((key, runs[key][-1]) for key in names)
                )
                print(f"round {index + 1} (wall/CPU/requests/checks): {line}", flush=True)
        finally:
            server.close()
    st_all, st_create = runs["st-all"][-1], runs["st-create"][-1]
    print(
        f"\nbudget: --antimetal-max-examples {n} per fuzzing mode vs schemathesis --max-examples "
        f"{2 * n} per operation: {2 * n} fuzzing cases an operation each (medians; ratio = ours / "
        "the anchor of the same round, CPU with the loopback server's for schemathesis)"
    )
    print("(a) all operations, against `schemathesis run --checks all`:")
    print(_summary("schemathesis run --checks all (+server CPU)", runs["st-all"], None))
    print(
        f"      its test cases {st_all.cases}, failures reported {st_all.failures}; "
        f"check kinds {len(st_all.kinds)}: {', '.join(sorted(st_all.kinds))}"
    )
    print(_summary("ours, default run, -n 0", runs["all-n0"], runs["st-all"]))
    print(_summary("ours, default run, -n 2", runs["all-n2"], runs["st-all"]))
    if variant is not None:
        print(_summary(f"ours, {variant[0]}, -n 0", runs["seq-n0"], runs["st-all"]))
    print(_summary("pytest --antimetal-contract --co", runs["floor"], runs["st-all"]))
    kinds = _ours_kinds()
    print(f"      ours: check kinds {len(kinds)}: {', '.join(kinds)}; goal: <= 1.0x")
    print("(b) createIssue only, against `schemathesis run --include-operation-id createIssue`:")
    print(_summary("schemathesis run (+server CPU)", runs["st-create"], None))
    print(f"      its test cases {st_create.cases}, check kinds {len(st_create.kinds)}")
    print(_summary("ours, createIssue, -n 2", runs["create-n2"], runs["st-create"]))
    print(_summary("ours, createIssue, -n 0", runs["create-n0"], runs["st-create"]))
    print("      goal (issue 12): -n 2 <= 0.65x")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"load average (1, 5, 15 min) at the start: {load_start}; at the end: {load}; "
        f"{os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
