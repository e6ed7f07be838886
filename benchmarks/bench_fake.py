"""Benchmarks of the embedded fake, as ratios against anchors measured in the same run.

    python benchmarks/bench_fake.py [--rounds N] [--requests N] [--duration S] [--skip-loopback]

(a) in-process: an ``httpx.Client`` creating issues over ``fake.transport`` vs
    the same client over a bare ``httpx.MockTransport`` returning a canned 201
    body (the floor). Interleaved rounds; ratio = floor time / fake time
    (goal >= 0.6).
(b) loopback: ``antimetal-contract fake`` vs Prism's mock server
    (``@stoplight/prism-cli mock``) on the same spec under the same
    ``wrk -t1 -c8`` load POSTing a valid body with auth; ratio = fake req/s /
    Prism req/s (goal >= 2). Prism is taken from ``$PRISM_BIN``, else ``prism``
    on PATH, else ``npx --yes @stoplight/prism-cli``; without it only the
    fake's req/s is printed. Skipped with a message when wrk is missing.
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


def _wrk(url: str, script: Path, duration: float) -> tuple[float, int]:
    out = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{duration:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    return rps, int(non2xx.group(1)) if non2xx else 0


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


def bench_loopback(rounds: int, duration: float) -> float | None:
    print("(b) loopback, wrk -t1 -c8, POST /issues with a valid body and auth")
    if shutil.which("wrk") is None:
        print("    skipped: wrk is not installed (apt-get install wrk)")
        return None
    prism = _prism_command()
    if prism is None:
        # The fake's own figure still compares runs of this script on one machine.
        print("    Prism skipped: neither $PRISM_BIN, prism nor npx is available (no ratio)")
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
        try:
            # Warm-up: Prism's JIT (it needs a few seconds) and both servers' set-up.
            _wrk(fake_url + "/issues", script, 3)
            if prism_proc is not None:
                _wrk(prism_url + "/issues", script, 5)
            fake_rps: list[float] = []
            prism_rps: list[float] = []
            bad, prism_bad = 0, 0
            for _ in range(rounds):
                rps, non2xx = _wrk(fake_url + "/issues", script, duration)
                fake_rps.append(rps)
                bad += non2xx
                if prism_proc is not None:
                    rps, non2xx = _wrk(prism_url + "/issues", script, duration)
                    prism_rps.append(rps)
                    prism_bad += non2xx
        finally:
            _stop(fake_proc)
            if prism_proc is not None:
                _stop(prism_proc)
    fake_median = statistics.median(fake_rps)
    try:
        import httptools  # noqa: F401

        http = "httptools"
    except ImportError:
        http = "h11; install httptools for ~2x"
    label = "    antimetal-contract fake   :"
    if not prism_rps:
        print(f"{label} {fake_median:8.0f} req/s  (non-2xx: {bad}; uvicorn {http})")
        return None
    prism_median = statistics.median(prism_rps)
    ratio = fake_median / prism_median
    print(f"    Prism mock                : {prism_median:8.0f} req/s  (non-2xx: {prism_bad})")
    print(f"{label} {fake_median:8.0f} req/s  (non-2xx: {bad}; uvicorn {http})")
    print(f"    ratio fake/Prism          : {ratio:8.2f}   (goal >= 2)")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--requests", type=int, default=2000, help="requests a round, (a)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds a wrk run, (b)")
    parser.add_argument("--skip-loopback", action="store_true", help="run (a) only")
    args = parser.parse_args()
    bench_in_process(args.rounds, args.requests)
    if not args.skip_loopback:
        bench_loopback(max(1, min(args.rounds, 3)), args.duration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
