"""Benchmark: the stateful fake's list pages and its memory.

Run: ``python benchmarks/bench_fake_state.py``

1. Paging: walk every page of ``GET /issues?limit=100`` (through ``handle``,
   in process; the time spent in the fake, not the client's decoding) over
   1,000 and over 10,000 issues of one organisation, best of 25 runs each,
   interleaved. A cursor page costs O(limit) (an index from
   uuid to position), so the 10,000 walk costs about 10x the 1,000 one; the
   goal is <= 12x (a quadratic cursor would be ~100x).
2. Memory: a child process creates 100,000 small issues (``max_stored_bytes``
   off, so all are kept) and reports its peak RSS; the goal is < 300 MB. The
   baseline (the interpreter with the fake imported and built) is printed too.

Needs the vendor's whole document (../shared/vendor/openapi.mintlify.json).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "shared" / "vendor" / "openapi.mintlify.json"
PAGING_GOAL = 12.0
RSS_GOAL_MB = 300.0

_SETUP = """
import json, resource, sys
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.spec import Spec
spec = Spec.from_path(sys.argv[1])
fake = FakeAntimetal(spec=spec, investigation="manual", seed=1, max_stored_bytes=None,
                     max_recorded=1)
headers = {"authorization": "Bearer " + fake.api_key, "content-type": "application/json"}
"""

_FILL = """
def fill(n):
    for i in range(n):
        body = json.dumps({"title": f"issue {i}", "description": "d", "environment": "prod"})
        assert fake.handle("POST", "/issues", headers, body.encode()).status == 201
"""

_RSS = (
    _SETUP
    + _FILL
    + """
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
fill(int(sys.argv[2]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kb": base, "peak_kb": peak}))
"""
)


def _fake(n: int):  # type: ignore[no-untyped-def]
    from pytest_antimetal.fake import FakeAntimetal
    from pytest_antimetal.spec import Spec

    fake = FakeAntimetal(
        spec=Spec.from_path(VENDOR),
        investigation="manual",
        seed=1,
        max_stored_bytes=None,
        max_recorded=1,
    )
    headers = {"authorization": "Bearer " + fake.api_key, "content-type": "application/json"}
    for i in range(n):
        body = json.dumps({"title": f"issue {i}", "description": "d", "environment": "prod"})
        assert fake.handle("POST", "/issues", headers, body.encode()).status == 201
    return fake, headers


def _walk(fake, headers) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Issues seen and seconds spent in the fake walking every page (the client's JSON
    decoding, which allocates as much for either size, is not timed)."""
    url = "http://fake/issues?limit=100"
    seen, spent = 0, 0.0
    while True:
        started = time.perf_counter()
        answer = fake.handle("GET", url, headers, b"")
        spent += time.perf_counter() - started
        page = answer.json()
        seen += len(page["data"])
        if not page["has_more"]:
            return seen, spent
        url = f"http://fake/issues?limit=100&startingAfter={page['after']}"


def paging(repeat: int = 25) -> float:
    small, large = _fake(1_000), _fake(10_000)
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for index, (fake, headers, expected) in enumerate([(*small, 1_000), (*large, 10_000)]):
            seen, spent = _walk(fake, headers)
            assert seen == expected
            best[index] = min(best[index], spent)
    ratio = best[1] / best[0]
    print(
        f"paging limit=100: 1,000 issues {best[0] * 1e3:.1f} ms, 10,000 issues "
        f"{best[1] * 1e3:.1f} ms: {ratio:.1f}x (goal <= {PAGING_GOAL:.0f}x)"
    )
    return ratio


def memory(n: int = 100_000) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _RSS, str(VENDOR), str(n)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out)
    peak_mb = figures["peak_kb"] / 1024
    print(
        f"RSS holding {n:,} small issues: {peak_mb:.0f} MB peak (baseline "
        f"{figures['base_kb'] / 1024:.0f} MB; goal < {RSS_GOAL_MB:.0f} MB)"
    )
    return peak_mb


def main() -> int:
    if not VENDOR.exists():
        print(f"bench_fake_state: the vendor's whole document is not at {VENDOR}; skipped")
        return 0
    ratio = paging()
    peak = memory()
    return 0 if ratio <= PAGING_GOAL and peak < RSS_GOAL_MB else 1


if __name__ == "__main__":
    sys.exit(main())
