"""Benchmarks of the embedded fake, as ratios against anchors measured in the same run.

    python benchmarks/bench_fake.py [--rounds N] [--requests N] [--duration S]
                                    [--skip-loopback] [--operations create,list,retrieve]

(a) in-process, each against a bare ``httpx.MockTransport`` returning a canned
    body (the floor), interleaved rounds; ratio = floor time / fake time
    (goal >= 0.6):
    - an ``httpx.Client`` creating issues (``POST /issues``, canned 201);
    - ``AntimetalClient.issues.retrieve(id)`` (``GET /issues/{id}``), the floor's
      canned 200 being the very bytes the fake answers for that issue, so the
      client's decoding and schema check cost the same on both sides.
(b) loopback: ``antimetal-contract fake`` vs Prism's mock server
    (``@stoplight/prism-cli mock``) on the same spec under the same
    ``wrk -t1 -c8`` load with a bearer key, per operation: ``POST /issues``
    (a valid body), ``GET /issues`` and ``GET /issues/{id}`` (the fake holding
    issues created through the API just before each run; the id is the newest
    one's, sent to Prism too). Rounds interleave fake and Prism; ratio = fake
    req/s / Prism req/s (goal >= 2). Prism is taken from ``$PRISM_BIN``, else
    ``prism`` on PATH, else ``npx --yes @stoplight/prism-cli``; without it only
    the fake's req/s is printed. Skipped with a message when wrk is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from pytest_antimetal.client import AntimetalClient
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.fake.server import bind_socket

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "antimetal-openapi.yaml"
BODY = {"title": "bench", "description": "wrk load", "environment": "bench"}
KEY = "bench-key-0123456789"


# -- (a) in-process ------------------------------------------------------------------------------


def _time_client(client: httpx.Client, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        response = client.post("/issues", json=BODY)
        if response.status_code != 201:
            raise SystemExit(f"unexpected HTTP {response.status_code}: {response.text[:200]}")
    return (time.perf_counter() - started) / n


def bench_in_process(rounds: int, n: int) -> float:
    fake = FakeAntimetal(api_keys=[KEY])
    canned = json.dumps(
        {
            "uuid": "7ca74399-2f1f-4011-b563-293f715698d0",
            "number": 1,
            "status": "investigating",
            **BODY,
            "severity": "medium",
            "createdAt": "2026-03-17T09:30:00.123Z",
            "updatedAt": "2026-03-17T09:30:00.123Z",
            "triggeredAt": "2026-03-17T09:30:00.123Z",
            "latestVersion": 1,
        }
    ).encode()
    floor = httpx.MockTransport(
        lambda request: httpx.Response(
            201, headers={"content-type": "application/json"}, content=canned
        )
    )
    headers = {"Authorization": f"Bearer {KEY}"}
    base = fake.base_url
    with (
        httpx.Client(transport=fake.transport, base_url=base, headers=headers) as fake_client,
        httpx.Client(transport=floor, base_url=base, headers=headers) as floor_client,
    ):
        _time_client(fake_client, 200)  # warm-up
        _time_client(floor_client, 200)
        fake_times, floor_times = [], []
        for _ in range(rounds):
            floor_times.append(_time_client(floor_client, n))
            fake_times.append(_time_client(fake_client, n))
            fake.reset()  # keep memory flat between rounds
    fake_us = statistics.median(fake_times) * 1e6
    floor_us = statistics.median(floor_times) * 1e6
    ratio = floor_us / fake_us
    print("(a) in-process, httpx.Client, POST /issues (median of interleaved rounds)")
    print(f"    bare MockTransport (floor): {floor_us:8.1f} us/request")
    print(f"    fake.transport            : {fake_us:8.1f} us/request")
    print(f"    ratio floor/fake          : {ratio:8.2f}   (goal >= 0.6)")
    return ratio


def _time_retrieve(client: AntimetalClient, issue_id: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        client.issues.retrieve(issue_id)
    return (time.perf_counter() - started) / n


def bench_retrieve(rounds: int, n: int, issues: int = 1000) -> float:
    fake = FakeAntimetal(api_keys=[KEY])
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as http:
        for _ in range(issues):
            created = http.post("/issues", json=BODY)
        issue_id = created.json()["uuid"]
        answer = http.get(f"/issues/{issue_id}")
    if answer.status_code != 200:
        raise SystemExit(f"unexpected HTTP {answer.status_code}: {answer.text[:200]}")
    # The fake's own bytes and headers for that issue: equal decoding work on both sides.
    canned, canned_headers = answer.content, dict(answer.headers)
    floor = httpx.MockTransport(
        lambda request: httpx.Response(200, headers=canned_headers, content=canned)
    )
    base = fake.base_url
    with (
        AntimetalClient(api_key=KEY, base_url=base, transport=fake.transport) as fake_client,
        AntimetalClient(api_key=KEY, base_url=base, transport=floor) as floor_client,
    ):
        _time_retrieve(fake_client, issue_id, 200)  # warm-up
        _time_retrieve(floor_client, issue_id, 200)
        fake_times, floor_times = [], []
        for _ in range(rounds):
            floor_times.append(_time_retrieve(floor_client, issue_id, n))
            fake_times.append(_time_retrieve(fake_client, issue_id, n))
    fake_us = statistics.median(fake_times) * 1e6
    floor_us = statistics.median(floor_times) * 1e6
    ratio = floor_us / fake_us
    print(
        f"(a) in-process, AntimetalClient.issues.retrieve(id), {issues:,} issues held"
        " (median of interleaved rounds)"
    )
    print(f"    bare MockTransport (floor): {floor_us:8.1f} us/request")
    print(f"    fake.transport            : {fake_us:8.1f} us/request")
    print(f"    ratio floor/fake          : {ratio:8.2f}   (goal >= 0.6)")
    return ratio


# -- (b) loopback under wrk ----------------------------------------------------------------------


def _free_port() -> int:
    sock = bind_socket("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def _wait_for_line(proc: subprocess.Popen[str], pattern: str, timeout: float) -> str:
    assert proc.stdout is not None
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            match = re.search(pattern, line)
            if match:
                return match.group(1)
        raise SystemExit(f"server exited before printing {pattern!r}")
    finally:
        watchdog.cancel()


def _drain(proc: subprocess.Popen[str]) -> None:
    # Keep the pipe empty so a chatty server never blocks on a full stdout.
    def run() -> None:
        assert proc.stdout is not None
        for _ in proc.stdout:
            pass

    threading.Thread(target=run, daemon=True).start()


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wrk(url: str, options: list[str], duration: float) -> tuple[float, int, int]:
    """Requests/s, non-2xx answers and requests completed of one ``wrk`` run."""
    out = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{duration:g}s", *options, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    return rps, int(non2xx.group(1)) if non2xx else 0, done


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of *pid* and its descendants, every thread (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / _TICKS
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _cpu_seconds(int(child)) or 0.0
    except (OSError, IndexError, ValueError):
        return None
    return total


def _start_fake(extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    script = shutil.which("antimetal-contract") or str(
        Path(sys.executable).with_name("antimetal-contract")
    )
    proc = subprocess.Popen(
        [script, "fake", "--port", "0", "--api-key", KEY],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(extra_env or {})},
    )
    url = _wait_for_line(proc, r"listening on (\S+)", 60)
    _drain(proc)
    return proc, url


def _prism_command() -> list[str] | None:
    if os.environ.get("PRISM_BIN"):
        return [os.environ["PRISM_BIN"]]
    if shutil.which("prism"):
        return ["prism"]
    if shutil.which("npx"):
        return ["npx", "--yes", "@stoplight/prism-cli"]
    return None


def _wait_for_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)  # polling a port that is not open yet: nothing to wait on
    raise RuntimeError(f"Prism did not listen on port {port} within {timeout:.0f}s")


def _start_prism(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    # Prism at its fastest: its per-request info logging (on by default) costs it ~2x.
    proc = subprocess.Popen(
        [*command, "mock", str(SPEC), "-h", "127.0.0.1", "-p", str(port), "-v", "silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    _wait_for_port(port, 180)
    return proc, f"http://127.0.0.1:{port}"


_AUTH = ["-H", f"Authorization: Bearer {KEY}"]
OPERATIONS = ("create", "list", "retrieve")
_LABELS = {
    "create": "POST /issues (a valid body)",
    "list": "GET /issues (default page)",
    "retrieve": "GET /issues/{id}",
}


def _populate(url: str, count: int) -> str:
    """Create *count* issues through the API; the newest one's uuid.

    Before every fake run: the fake keeps recorded requests and issues under one
    byte cap, oldest dropped first, so issues created before a long run of GETs
    would age out of it (a 404 counted as non-2xx).
    """
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for _ in range(count):
            response = http.post("/issues", json=BODY)
            if response.status_code != 201:
                raise SystemExit(f"populate: HTTP {response.status_code}: {response.text[:200]}")
    return str(response.json()["uuid"])


def bench_loopback(
    rounds: int, duration: float, operations: tuple[str, ...] = OPERATIONS, issues: int = 200
) -> dict[str, float | None]:
    print("(b) loopback, wrk -t1 -c8, bearer key; fake and Prism interleaved, median of rounds")
    if shutil.which("wrk") is None:
        print("    skipped: wrk is not installed (apt-get install wrk)")
        return {}
    prism = _prism_command()
    if prism is None:
        # The fake's own figure still compares runs of this script on one machine.
        print("    Prism skipped: neither $PRISM_BIN, prism nor npx is available (no ratio)")
    fake_rps: dict[str, list[float]] = {op: [] for op in operations}
    prism_rps: dict[str, list[float]] = {op: [] for op in operations}
    bad = dict.fromkeys(operations, 0)
    prism_bad = dict.fromkeys(operations, 0)
    # Server CPU per request, all threads: on a shared, loaded host a server's
    # req/s also depends on the CPU share it wins; this does not.
    fake_cpu: dict[str, list[float]] = {op: [] for op in operations}
    prism_cpu: dict[str, list[float]] = {op: [] for op in operations}

    def measured(
        proc: subprocess.Popen[str], url: str, options: list[str], cpu: list[float]
    ) -> tuple[float, int]:
        before = _cpu_seconds(proc.pid)
        rps, non2xx, done = _wrk(url, options, duration)
        after = _cpu_seconds(proc.pid)
        if before is not None and after is not None and done:
            cpu.append((after - before) / done)
        return rps, non2xx

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = '{json.dumps(BODY)}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {KEY}"\n'
        )
        fake_proc, fake_url = _start_fake()
        prism_proc, prism_url = _start_prism(prism) if prism else (None, "")

        def target(op: str, base: str, issue_id: str) -> tuple[str, list[str]]:
            if op == "create":
                return base + "/issues", ["-s", str(script)]
            if op == "list":
                return base + "/issues", _AUTH
            return f"{base}/issues/{issue_id}", _AUTH

        try:
            issue_id = _populate(fake_url, issues)
            # Warm-up: Prism's JIT (its req/s still rises after 10 s of load) and set-up.
            for op in operations:
                _wrk(*target(op, fake_url, issue_id), 2)
                if prism_proc is not None:
                    _wrk(*target(op, prism_url, issue_id), 5)
            for _ in range(rounds):
                for op in operations:
                    if op != "create":
                        issue_id = _populate(fake_url, issues)
                    url, options = target(op, fake_url, issue_id)
                    rps, non2xx = measured(fake_proc, url, options, fake_cpu[op])
                    fake_rps[op].append(rps)
                    bad[op] += non2xx
                    if prism_proc is not None:
                        url, options = target(op, prism_url, issue_id)
                        rps, non2xx = measured(prism_proc, url, options, prism_cpu[op])
                        prism_rps[op].append(rps)
                        prism_bad[op] += non2xx
        finally:
            _stop(fake_proc)
            if prism_proc is not None:
                _stop(prism_proc)
    try:
        import httptools  # noqa: F401

        http = "httptools"
    except ImportError:
        http = "h11; install httptools for ~2x"
    print(f"    (uvicorn {http}; GETs after {issues} issues created through the API)")
    ratios: dict[str, float | None] = {}
    for op in operations:
        fake_median = statistics.median(fake_rps[op])
        print(f"  {_LABELS[op]}")
        label = "    antimetal-contract fake   :"
        if not prism_rps[op]:
            print(f"{label} {fake_median:8.0f} req/s  (non-2xx: {bad[op]})")
            ratios[op] = None
            continue
        prism_median = statistics.median(prism_rps[op])
        ratios[op] = ratio = fake_median / prism_median
        print(
            f"    Prism mock                : {prism_median:8.0f} req/s  (non-2xx: {prism_bad[op]})"
        )
        print(f"{label} {fake_median:8.0f} req/s  (non-2xx: {bad[op]})")
        print(f"    ratio fake/Prism          : {ratio:8.2f}   (goal >= 2)")
        if fake_cpu[op] and prism_cpu[op]:
            fake_us = statistics.median(fake_cpu[op]) * 1e6
            prism_us = statistics.median(prism_cpu[op]) * 1e6
            print(
                f"    server CPU per request    : Prism {prism_us:.0f} us, fake {fake_us:.0f} us:"
                f" {prism_us / fake_us:.2f}x"
            )
        if bad[op]:
            print("    (the fake answered non-2xx: its figure is not the operation's)")
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--requests", type=int, default=2000, help="requests a round, (a)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds a wrk run, (b)")
    parser.add_argument("--skip-loopback", action="store_true", help="run (a) only")
    parser.add_argument(
        "--operations",
        default=",".join(OPERATIONS),
        help="comma-separated, of create, list, retrieve (default all); (a) runs create"
        " and retrieve as chosen, (b) each",
    )
    args = parser.parse_args()
    operations = tuple(op for op in args.operations.split(",") if op)
    unknown = [op for op in operations if op not in OPERATIONS]
    if unknown:
        parser.error(f"unknown operation(s) {', '.join(unknown)}; have {', '.join(OPERATIONS)}")
    if "create" in operations:
        bench_in_process(args.rounds, args.requests)
    if "retrieve" in operations:
        bench_retrieve(args.rounds, args.requests)
    if not args.skip_loopback:
        bench_loopback(max(1, min(args.rounds, 3)), args.duration, operations)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
