"""The contract suite vs ``schemathesis run`` against a remote-like API: 50 ms a request.

A real API costs a round trip per request, which the embedded fake (in-process) hides.
Here both tools target the same loopback fake (``FakeServer``) answering every request
after ``--latency`` seconds (default 0.05; the fake sleeps without blocking, so requests
in flight overlap as they would on a remote server), one process each:

* anchor: ``schemathesis run spec/antimetal-openapi.yaml --url URL -H 'Authorization:
  Bearer KEY' --max-examples 2N --include-operation-id createIssue`` (its default: one
  worker; ``--operations all`` drops the filter);
* ours: ``pytest -p antimetal --antimetal-contract --antimetal-base-url URL
  --antimetal-max-examples N`` with ``--antimetal-concurrency C`` (default 8, the
  documented default for a network target), and the same run with
  ``--antimetal-concurrency 1`` (one request at a time, as the suite sent before).
  ``--antimetal-operations=createIssue`` is passed when the plugin has the option (with
  ``--operations all``, nothing: the default run is every operation).

Same example budget: ``--antimetal-max-examples N`` is per fuzzing mode, schemathesis's
``--max-examples`` per operation for both modes together (see bench_contract.py); both
also run their examples and coverage phases. Each run is a whole command (process start
included), interleaved, a new seed per round; the report gives every round, the median
ratios against the anchor (goal: ours at the default concurrency <= 0.5x) and the
requests each run sent (what a live user pays). The pytest cache is kept between runs
(seed-independent cases come from it, as in any second run).

    python benchmarks/bench_latency.py [--max-examples 50] [--latency 0.05] [--rounds 2]
        [--concurrency 8] [--operations createIssue|all]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
from pathlib import Path

from commands import KEY, SUITE, schemathesis_command, timed

from pytest_antimetal.fake import FakeAntimetal, FakeServer


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str, int]:
    """Wall seconds, everything printed and the exit status of *command*."""
    wall, _, done = timed(command, cwd, env)
    return wall, done.stdout + done.stderr, done.returncode


def _has_option(option: str, cwd: Path, env: dict[str, str]) -> bool:
    _, out, _ = _timed([*SUITE, "--help"], cwd, env)
    return option in out


def _ours(
    project: Path, url: str, n: int, seed: int, concurrency: int, env: dict[str, str], *extra: str
) -> tuple[float, int, int]:
    """Wall seconds, requests sent and checks run of one contract-suite run."""
    command = [
        *SUITE,
        f"--antimetal-base-url={url}",
        f"--hypothesis-seed={seed}",
        f"--antimetal-max-examples={n}",
        f"--antimetal-concurrency={concurrency}",
        *extra,
    ]
    elapsed, out, status = _timed(command, project, env)
    requests = re.search(r"requests sent: (\d+)", out)
    checks = re.search(r"checks run: (\d+)", out)
    if requests is None or checks is None:
        raise SystemExit(f"contract suite gave no summary (exit {status}):\n{out[-3000:]}")
    if status != 0:  # a failure against the fake is a bug, but the time is still the time
        print(f"  note: contract suite exit {status} (concurrency {concurrency})", flush=True)
    return elapsed, int(requests.group(1)), int(checks.group(1))


def _schemathesis(
    url: str, n: int, seed: int, env: dict[str, str], tmp: Path, operations: str
) -> tuple[float, int]:
    """Wall seconds and requests sent (interactions in its ndjson report)."""
    report = tmp / f"st-{seed}.ndjson"
    command = schemathesis_command(url, n, seed, report)
    if operations != "all":
        command += ["--include-operation-id", operations]
    elapsed, out, status = _timed(command, tmp, env)
    if not report.exists():
        raise SystemExit(f"schemathesis run wrote no report (exit {status}):\n{out[-3000:]}")
    interactions = 0
    for line in report.read_text().splitlines():
        recorder = json.loads(line).get("ScenarioFinished", {}).get("recorder")
        if recorder:
            interactions += len(recorder.get("interactions", {}))
    return elapsed, interactions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--max-examples", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--operations",
        default="createIssue",
        help="an operationId both tools are limited to, or 'all' (default createIssue)",
    )
    args = parser.parse_args()
    n = args.max_examples
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["ANTIMETAL_API_KEY"] = KEY
    runs: dict[str, list[float]] = {"st": [], "ours": [], "one": []}
    sent: dict[str, list[int]] = {"st": [], "ours": [], "one": []}
    fake = FakeAntimetal(api_keys=[KEY])
    fake.set_latency(args.latency)
    with tempfile.TemporaryDirectory() as raw, FakeServer(fake) as server:
        tmp = Path(raw)
        (tmp / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        extra: list[str] = []
        if not _has_option("--antimetal-operations", tmp, env):
            if args.operations != "createIssue":
                raise SystemExit("this plugin has no --antimetal-operations: it runs createIssue")
        elif args.operations != "all":  # the default run is every operation
            extra.append(f"--antimetal-operations={args.operations}")
        _ours(tmp, server.url, n, 0, args.concurrency, env, *extra)  # warm-up: .pyc, cache
        for seed in range(1, args.rounds + 1):
            st_t, st_n = _schemathesis(server.url, 2 * n, seed, env, tmp, args.operations)
            ours_t, ours_n, checks = _ours(tmp, server.url, n, seed, args.concurrency, env, *extra)
            one_t, one_n, _ = _ours(tmp, server.url, n, seed, 1, env, *extra)
            for key, t, count in (
                ("st", st_t, st_n),
                ("ours", ours_t, ours_n),
                ("one", one_t, one_n),
            ):
                runs[key].append(t)
                sent[key].append(count)
            print(
                f"round {seed}: schemathesis run {st_t:6.2f} s ({st_n} requests) | contract "
                f"suite, concurrency {args.concurrency}: {ours_t:6.2f} s ({ours_n} requests, "
                f"{checks} checks) | concurrency 1: {one_t:6.2f} s ({one_n} requests)",
                flush=True,
            )
    st, ours, one = (statistics.median(runs[k]) for k in ("st", "ours", "one"))
    print(
        f"{args.latency * 1000:g} ms a request, operations {args.operations}, "
        f"--antimetal-max-examples {n} vs --max-examples {2 * n}, {args.rounds} round(s)"
    )
    print(
        f"median wall: schemathesis run {st:.2f} s | concurrency {args.concurrency} "
        f"{ours:.2f} s (ratio {ours / st:.2f}, goal <= 0.50) | concurrency 1 {one:.2f} s "
        f"(ratio {one / st:.2f}) | concurrency {args.concurrency} vs 1: {ours / one:.2f}"
    )
    print(
        "requests sent per run: schemathesis "
        + ", ".join(map(str, sent["st"]))
        + f"; ours (concurrency {args.concurrency}) "
        + ", ".join(map(str, sent["ours"]))
        + "; ours (concurrency 1) "
        + ", ".join(map(str, sent["one"]))
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
