"""Replay speed: pytest-antimetal's matcher vs VCR.py's built-in matchers.

    python benchmarks/bench_cassettes.py            # 200 and 1,000 POSTs, then GETs
    python benchmarks/bench_cassettes.py --sizes 50 200

For each size, one cassette of N recorded ``POST /issues`` (distinct JSON
bodies, from the embedded fake) is replayed in order twice in the same run:
with our matcher (``match_on=("antimetal",)``) and with VCR.py's
``method, scheme, host, port, path, query, body`` (the anchor). Reports
seconds and the ratio ours/anchor (goal at 1,000: <= 0.2x).

Then N ``GET /issues`` with three query parameters and N ``GET /artifacts``
with three repeated ``id`` values (distinct queries, from a scripted
``MockTransport``), replayed with the parameters in reverse order: ours
against VCR.py's default ``method, scheme, host, port, path, query``, which
also compares the query order-independently (goal at 1,000: <= 0.2x).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import vcr

from pytest_antimetal.cassettes import install
from pytest_antimetal.fake import FakeAntimetal

BUILTIN = ("method", "scheme", "host", "port", "path", "query", "body")
DEFAULT = ("method", "scheme", "host", "port", "path", "query")
PROD = "https://bff.antimetal.com/api/v2"


def _body(i: int) -> dict[str, Any]:
    return {
        "title": f"Checkout 500s #{i}",
        "description": "Spike of 500s on /checkout " * 4,
        "environment": "production",
        "severity": ("low", "medium", "high")[i % 3],
        "context": {"service": "checkout", "tags": ["payment", f"run-{i}"], "metadata": {"i": i}},
    }


def record(path: Path, n: int) -> None:
    fake = FakeAntimetal(seed=1)
    recorder = install(vcr.VCR(record_mode="once"), environ={})
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with (
        recorder.use_cassette(str(path)),
        httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as client,
    ):
        for i in range(n):
            client.post("/issues", json=_body(i)).raise_for_status()


def replay(path: Path, n: int, match_on: tuple[str, ...]) -> float:
    player = install(vcr.VCR(record_mode="none"), environ={})
    # No transport behind the client: a request the cassette cannot answer fails.
    headers = {"Authorization": "Bearer <ANTIMETAL_API_KEY>"}
    start = time.perf_counter()
    with (
        player.use_cassette(str(path), match_on=match_on),
        httpx.Client(base_url="https://bff.antimetal.com/api/v2", headers=headers) as client,
    ):
        for i in range(n):
            if client.post("/issues", json=_body(i)).status_code != 201:
                raise SystemExit(f"replay {i} did not return the recorded 201")
    return time.perf_counter() - start


def _get_requests(n: int) -> list[tuple[str, list[tuple[str, str]]]]:
    requests = []
    for i in range(n // 2):
        requests.append(
            ("/issues", [("status", "investigating"), ("limit", "5"), ("search", f"s{i}")])
        )
        requests.append(("/artifacts", [("id", f"metric:{i}"), ("id", f"log:{i}"), ("id", "x")]))
    return requests


def record_gets(path: Path, n: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"query": str(request.url.query)})

    recorder = install(vcr.VCR(record_mode="once"), environ={})
    with (
        recorder.use_cassette(str(path)),
        httpx.Client(transport=httpx.MockTransport(answer), base_url=PROD) as client,
    ):
        for where, params in _get_requests(n):
            client.get(where, params=params).raise_for_status()


def replay_gets(path: Path, n: int, match_on: tuple[str, ...]) -> float:
    player = install(vcr.VCR(record_mode="none"), environ={})
    start = time.perf_counter()
    with (
        player.use_cassette(str(path), match_on=match_on),
        httpx.Client(base_url=PROD) as client,
    ):
        for where, params in _get_requests(n):
            if client.get(where, params=params[::-1]).status_code != 200:
                raise SystemExit(f"replay of {where} did not return the recorded 200")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    args = parser.parse_args(argv)
    print(f"{'POSTs':>6} {'ours (s)':>9} {'vcr body (s)':>13} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"posts-{n}.yaml"
            record(path, n)
            ours = replay(path, n, ("antimetal",))
            anchor = replay(path, n, BUILTIN)
            print(f"{n:>6} {ours:>9.2f} {anchor:>13.2f} {ours / anchor:>6.3f}x", flush=True)
        print(f"{'GETs':>6} {'ours (s)':>9} {'vcr query (s)':>13} {'ratio':>7}")
        for n in args.sizes:
            path = Path(tmp) / f"gets-{n}.yaml"
            record_gets(path, n)
            ours = replay_gets(path, n, ("antimetal",))
            anchor = replay_gets(path, n, DEFAULT)
            print(f"{n:>6} {ours:>9.2f} {anchor:>13.2f} {ours / anchor:>6.3f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
