"""Start-up cost of the installed-but-unused plugin: ``pytest --co`` with vs without it.

Runs ``python -m pytest --co -q`` in an empty temporary project, alternating
``-p no:antimetal`` (the anchor) and the plugin loaded, and reports the ratio
of the medians. Goal: <= 1.05. schemathesis's own plugin loads in both arms.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _once(project: Path, extra: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="runs per arm (default 15)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("ANTIMETAL_BASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "pytest.ini").write_text(
            "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        )
        arms = {"without (-p no:antimetal)": ["-p", "no:antimetal"], "with the plugin": []}
        times: dict[str, list[float]] = {name: [] for name in arms}
        for extra in arms.values():  # warm-up: file caches, .pyc
            _once(project, extra, env)
        for _ in range(args.runs):
            for name, extra in arms.items():  # interleaved: load drifts hit both arms
                times[name].append(_once(project, extra, env))
    anchor, ours = (statistics.median(t) for t in times.values())
    for name, samples in times.items():
        print(
            f"{name:28s} median {statistics.median(samples) * 1000:7.1f} ms  "
            f"min {min(samples) * 1000:7.1f} ms  ({len(samples)} runs)"
        )
    best = min(times["with the plugin"]) / min(times["without (-p no:antimetal)"])
    print(f"ratio (with / without): median {ours / anchor:.3f}, best {best:.3f}  (goal <= 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
