"""Run every benchmark (or the ones named) and print their reports.

    python benchmarks/run.py                 # all of them
    python benchmarks/run.py fake drift      # bench_fake.py and bench_drift.py

Each benchmark measures its own anchor in the same run and reports ratios
against it: machines here are shared and noisy, absolute times are not comparable.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    available = {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}
    chosen = argv or list(available)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        print(f"run.py: unknown benchmark(s) {', '.join(unknown)}; have {', '.join(available)}")
        return 2
    failed = []
    for name in chosen:
        print(f"\n=== {name} ({available[name].name}) ===", flush=True)
        started = time.perf_counter()
        status = subprocess.call([sys.executable, str(available[name])], cwd=HERE.parent)
        print(f"=== {name}: exit {status} in {time.perf_counter() - started:.1f}s ===", flush=True)
        if status != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
