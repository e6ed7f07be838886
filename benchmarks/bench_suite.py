"""Where the project's own test suite spends its time, and the floor a child session sets.

Three uses:

* ``python benchmarks/bench_suite.py --log DURATIONS [--procs PROCS]`` groups a finished
  ``pytest -n 2 -p no:randomly --durations=0 -q`` output: each test's setup + call + teardown,
  summed by the ``nested_session`` marker (tests running a pytest session or a README shell
  example of their own, against the in-process rest), by ``tests/`` directory, and by kind
  (README shell examples, README pytest examples, xdist child runs, live-budget and
  live-safety runs, recording and cassettes, the canary sweep, spec drift, other
  contract-suite sessions, the contract runner in-process, other child sessions, in-process
  units). ``--procs`` adds the count of the Python processes and pytest sessions the suite
  started (the file ``--run`` writes).
* ``python benchmarks/bench_suite.py --run [-n 2]`` runs the suite so (about ten minutes on
  2 cores), counting every Python process and pytest session it starts, then prints the same.
  The counting is outside the project: a ``sitecustomize`` on ``PYTHONPATH`` logs each Python
  process (its argv, wall time and the test that started it, from ``PYTEST_CURRENT_TEST``), a
  plugin named in ``PYTEST_PLUGINS`` each pytest session, in a child process or in-process.
* ``python benchmarks/bench_suite.py [--rounds 5]`` (what ``run.py`` runs): the floor, the wall
  and CPU time of one child session as the suite starts them (``pytester.runpytest_subprocess``
  of one empty test with ``-p antimetal``, in a fresh directory), against ``-p no:antimetal``
  and a bare ``python -c pass`` measured in the same run, interleaved, median.

The floor arithmetic the README gives: child sessions x seconds each / 2 cores is the least
the suite's child sessions can take at ``-n 2``, whatever the tests in them do.
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
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from commands import ROOT, timed

_DURATION = re.compile(r"^(?P<s>\d+\.\d+)s (?P<when>setup|call|teardown)\s+(?P<node>\S.*)$")
_SUMMARY = re.compile(r"=* ?(?P<text>.*\bin (?P<wall>\d+\.\d+)s.*?) ?=*$")

# A test's kind: the first rule that matches its node id, or its child sessions' arguments
# (with --procs). Node ids are matched as ``path::name``; arguments as one space-joined line.
_NODE_KINDS = (
    ("README shell examples", r"^tests/test_readme\.py::test_readme_shell_example"),
    ("README pytest examples", r"^tests/test_readme\.py::test_readme_pytest_example"),
    ("canary sweep", r"^tests/secrets/test_canary\.py::"),
    ("xdist child runs", r"xdist"),
    ("live-budget and live-safety runs", r"live_budget|live_guard|live_safety|live_cleanup"),
    ("recording and cassettes", r"^tests/cassettes/|record"),
    ("spec drift", r"^tests/drift/"),
)
_ARG_KINDS = (
    ("xdist child runs", r"(^| )(-n|--numprocesses)( |=)?\d|(^| )-n ?auto"),
    ("live-budget and live-safety runs", r"antimetal-live|antimetal_live|--antimetal-budget"),
    ("recording and cassettes", r"--record-mode|--antimetal-record"),
)
# (Which operations a session ran is not told by its arguments: an ini file may narrow it.)
_CONTRACT = "other contract-suite sessions"
_OTHER_NESTED = "other child sessions"
_RUNNER = "contract runner in-process"
_IN_PROCESS = "in-process units"


@dataclass
class Test:
    """One test's time, summed over its setup, call and teardown."""

    node: str
    seconds: float = 0.0
    nested: bool = False
    sessions: list[str] = field(default_factory=list)  # the arguments of each of its sessions
    processes: int = 0


def parse_durations(lines: Iterable[str]) -> tuple[dict[str, Test], str]:
    """Tests by node id from a ``--durations=0`` output, and the run's summary line."""
    tests: dict[str, Test] = {}
    summary = ""
    for raw in lines:
        line = raw.rstrip("\n")
        match = _DURATION.match(line)
        if match:
            node = match["node"].strip()
            tests.setdefault(node, Test(node)).seconds += float(match["s"])
        elif (found := _SUMMARY.match(line)) and ("passed" in line or "failed" in line):
            summary = found["text"].strip()
    return tests, summary


def collect(marker: str) -> set[str]:
    """The node ids ``pytest --co -m MARKER`` selects in this repository."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:randomly", "-m", marker],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


def _test_of(current: str) -> str:
    """The node id in a ``PYTEST_CURRENT_TEST`` value (``node (call)``)."""
    return current.rsplit(" (", 1)[0]


def read_procs(path: Path, tests: dict[str, Test]) -> list[dict[str, Any]]:
    """The instrumentation records, each child session's arguments attached to its test."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    # A session in a child process belongs to the test that started that process.
    started_by = {r["pid"]: r.get("test", "") for r in records if r["kind"] == "proc"}
    for record in records:
        current = record.get("test") or started_by.get(record["pid"], "")
        test = tests.get(_test_of(str(current)))
        if test is None:
            continue
        if record["kind"] == "session":
            test.sessions.append(" ".join(map(str, record.get("args", []))))
        elif record["kind"] == "proc":
            test.processes += 1
    return records


def kind_of(test: Test) -> str:
    for kind, pattern in _NODE_KINDS:
        if re.search(pattern, test.node):
            return kind
    joined = "\n".join(test.sessions)
    for kind, pattern in _ARG_KINDS:
        if re.search(pattern, joined, re.M):
            return kind
    contract = test.node.startswith("tests/contract/")
    if not test.nested:  # no pytest session of its own: units, or ContractRunner directly
        return _RUNNER if contract else _IN_PROCESS
    return _CONTRACT if contract or "--antimetal-contract" in joined else _OTHER_NESTED


def _table(title: str, groups: dict[str, list[Test]], total: float) -> None:
    print(f"\n{title}:")
    print(f"  {'':<40} {'tests':>6} {'seconds':>9} {'share':>6} {'mean':>6}")
    for name, members in sorted(groups.items(), key=lambda kv: -sum(t.seconds for t in kv[1])):
        seconds = sum(t.seconds for t in members)
        print(
            f"  {name:<40} {len(members):>6} {seconds:>9.1f} {seconds / total:>6.1%} "
            f"{seconds / len(members):>6.2f}"
        )


def report(tests: dict[str, Test], summary: str, records: list[dict[str, Any]] | None) -> None:
    total = sum(t.seconds for t in tests.values())
    print(f"run: {summary or '(no summary line)'}")
    print(
        f"{len(tests)} tests timed (--durations=0 -q hides those under 5 ms), "
        f"their setup+call+teardown summed: {total:.1f} s"
    )
    by_marker: dict[str, list[Test]] = defaultdict(list)
    by_directory: dict[str, list[Test]] = defaultdict(list)
    by_kind: dict[str, list[Test]] = defaultdict(list)
    for test in tests.values():
        by_marker["nested_session" if test.nested else "in-process"].append(test)
        parts = test.node.split("::", 1)[0].split("/")
        by_directory["/".join(parts[:2]) if len(parts) > 2 else parts[0]].append(test)
        by_kind[kind_of(test)].append(test)
    _table("by marker", by_marker, total)
    _table("by tests/ directory", by_directory, total)
    _table("by kind (first matching rule, see _NODE_KINDS and _ARG_KINDS)", by_kind, total)
    print("\nslowest 30 (seconds, kind, node id):")
    for test in sorted(tests.values(), key=lambda t: -t.seconds)[:30]:
        print(f"  {test.seconds:7.2f}  {kind_of(test):<34} {test.node}")
    if records is not None:
        _report_processes(records)


def _is_pytest(argv: list[str]) -> bool:
    return any(part.endswith(("pytest/__main__.py", "/pytest", "py.test")) for part in argv[:1])


def _wall(record: dict[str, Any]) -> float:
    return float(record["wall"])


def _spread(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "none"
    return (
        f"{len(values)}, wall each: median {statistics.median(values):.2f} s, 10th-90th "
        f"percentile {values[len(values) // 10]:.2f}-{values[len(values) * 9 // 10]:.2f} s, "
        f"sum {sum(values):.1f} s"
    )


def _report_processes(records: list[dict[str, Any]]) -> None:
    procs = [r for r in records if r["kind"] == "proc"]
    sessions = [r for r in records if r["kind"] == "session"]
    pytest_pids = {r["pid"] for r in procs if _is_pytest(r.get("argv", []))}
    # The run itself started first; xdist's workers are `python -c` under a pytest.
    root = min((r for r in procs if r["pid"] in pytest_pids), key=lambda r: r["start"])["pid"]
    child = pytest_pids - {root}
    workers = {r["pid"] for r in procs if r.get("argv") == ["-c"] and r["ppid"] in pytest_pids}
    others = [r for r in procs if r["pid"] not in pytest_pids | workers]
    # In a process that is no child session (the run and its workers), every session but the
    # longest (the process's own) is one that pytester ran in-process.
    by_pid: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in sessions:
        if record["pid"] not in child:  # the run, its workers, child runs' workers
            by_pid[record["pid"]].append(record)
    in_process = [r for group in by_pid.values() for r in sorted(group, key=_wall)[:-1]]
    print(
        f"\nprocesses: {len(procs)} Python processes started: {len(child)} child pytest "
        f"sessions (python -m pytest), {len(workers)} xdist workers (the run's own 2 and those "
        f"of the child sessions run with -n), {len(others)} others (CLIs, scripts, servers, "
        f"README shell examples' commands); pytest sessions in-process: {len(in_process)} "
        "(pytester.runpytest_inprocess)"
    )
    print("  child pytest sessions: " + _spread([r["wall"] for r in procs if r["pid"] in child]))
    print("  in-process sessions:   " + _spread([r["wall"] for r in in_process]))
    print("  other processes:       " + _spread([r["wall"] for r in others]))


_SITECUSTOMIZE = """\
import atexit, json, os, sys, time
_LOG = os.environ.get("BENCH_SUITE_LOG")
if _LOG:
    _t0 = time.perf_counter()
    _rec = {"kind": "proc", "pid": os.getpid(), "ppid": os.getppid(), "start": time.time(),
            "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "")}
    def _done():
        _rec["argv"] = list(getattr(sys, "argv", []))
        _rec["wall"] = time.perf_counter() - _t0
        fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, (json.dumps(_rec) + "\\n").encode())
        os.close(fd)
    atexit.register(_done)
"""
_SESSION_PLUGIN = """\
import json, os, time
_started = {}
def pytest_configure(config):
    # PYTEST_CURRENT_TEST is still the test that started this session (the session's own
    # tests overwrite and then remove it).
    _started[id(config)] = (time.perf_counter(), os.environ.get("PYTEST_CURRENT_TEST", ""))
def pytest_unconfigure(config):
    log = os.environ.get("BENCH_SUITE_LOG")
    start, test = _started.pop(id(config), (time.perf_counter(), ""))
    if log:
        rec = {"kind": "session", "pid": os.getpid(), "test": test,
               "worker": os.environ.get("PYTEST_XDIST_WORKER", ""),
               "wall": time.perf_counter() - start,
               "args": [str(a) for a in config.invocation_params.args]}
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, (json.dumps(rec) + "\\n").encode())
        os.close(fd)
"""


def run_suite(workers: str, out: Path) -> tuple[Path, Path]:
    """Run the suite with --durations=0 and the counters; the durations and records files."""
    instrument = out / "instrument"
    instrument.mkdir(parents=True, exist_ok=True)
    (instrument / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    (instrument / "bench_suite_sessions.py").write_text(_SESSION_PLUGIN)
    durations, records = out / "durations.log", out / "procs.jsonl"
    records.unlink(missing_ok=True)
    env = dict(os.environ)
    env["BENCH_SUITE_LOG"] = str(records)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(instrument), env.get("PYTHONPATH")]))
    env["PYTEST_PLUGINS"] = ",".join(
        filter(None, [env.get("PYTEST_PLUGINS"), "bench_suite_sessions"])
    )
    command = [sys.executable, "-m", "pytest", "-n", workers, "-p", "no:randomly"]
    command += ["--durations=0", "-q"]
    print(f"running: {' '.join(command)} (load average {_load()})", flush=True)
    start = time.perf_counter()
    with durations.open("w") as sink:
        subprocess.run(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False
        )
    print(f"suite wall {time.perf_counter() - start:.1f} s (load average {_load()})", flush=True)
    return durations, records


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def floor(rounds: int) -> None:
    """One child session's cost against its anchors, interleaved, median of *rounds*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTIMETAL_", "PYTEST_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    session = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    session += ["-o", "asyncio_default_fixture_loop_scope=function"]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "pytest -p no:antimetal, one empty test": [*session, "-p", "no:antimetal"],
        "pytest -p antimetal, one empty test": [*session, "-p", "antimetal"],
    }
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as raw:
        project = Path(raw)
        (project / "test_empty.py").write_text("def test_empty():\n    pass\n")
        for command in commands.values():  # warm-up: .pyc, the rewritten test
            timed(command, project, env)
        for _ in range(rounds):
            for name, command in commands.items():
                wall, cpu, done = timed(command, project, env)
                if done.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{done.stdout[-2000:]}{done.stderr}")
                figures[name].append((wall, cpu))
    anchor = statistics.median(w for w, _ in figures["pytest -p no:antimetal, one empty test"])
    print(f"one child session, median of {rounds} interleaved rounds (wall s, CPU s):")
    for name, values in figures.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"  {name:<40} wall {wall:5.2f}  CPU {cpu:5.2f}  ({wall / anchor:.2f}x)")
    print(f"load average at the end (1, 5, 15 min): {_load()} on {os.cpu_count()} CPUs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--log", type=Path, help="a --durations=0 output to group")
    parser.add_argument("--procs", type=Path, help="the process/session records of --run")
    parser.add_argument("--run", action="store_true", help="run the suite first (~10 min)")
    parser.add_argument("-n", dest="workers", default="2", help="xdist workers for --run")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench_suite")
    parser.add_argument("--rounds", type=int, default=5, help="floor rounds")
    args = parser.parse_args()
    log, procs = args.log, args.procs
    if args.run:
        log, procs = run_suite(args.workers, args.out)
    if log is None:
        floor(args.rounds)
        return 0
    tests, summary = parse_durations(log.read_text().splitlines())
    nested = collect("nested_session")
    for node in nested & tests.keys():
        tests[node].nested = True
    records = read_procs(procs, tests) if procs is not None else None
    report(tests, summary, records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
