"""What the fake keeps is bounded in bytes (issue 10, item 19): by its own accounting,
in a process' memory, and through the marker and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal
from tests.helpers.fake import VALID_BODY, validated


def _create(fake: FakeAntimetal, description: str) -> Any:
    headers = {"authorization": f"Bearer {fake.api_key}", "content-type": "application/json"}
    body = json.dumps({**VALID_BODY, "description": description}).encode()
    return fake.handle("POST", "/issues", headers, body)


@pytest.mark.parametrize("seed", [None, 7])
def test_what_the_fake_keeps_stays_under_its_byte_cap(seed: int | None) -> None:
    cap = 200_000
    fake = FakeAntimetal(max_stored_bytes=cap, seed=seed)
    uuids = []
    for i in range(100):
        answer = _create(fake, f"{i}:" + "d" * 10_000)
        body = validated(answer)
        assert body["number"] == i + 1
        uuids.append(body["uuid"])
        assert fake.stored_bytes <= cap
    # 100 creates of ~10 KB do not fit: the oldest went, the latest stayed.
    kept = [issue["number"] for issue in fake.issues]
    assert 0 < len(kept) < 100
    assert kept == list(range(101 - len(kept), 101))
    assert fake.requests[-1].json["description"].startswith("99:")
    assert len(set(uuids)) == 100
    # Rejected oversized bodies are counted and dropped the same way.
    headers = {"authorization": f"Bearer {fake.api_key}", "content-type": "application/json"}
    for _ in range(20):
        assert fake.handle("POST", "/issues", headers, b"x" * 1_100_000).status == 400
        assert fake.stored_bytes <= cap
    after = validated(_create(fake, "after"))
    assert after["number"] == 101
    assert after["uuid"] not in uuids
    fake.reset()
    assert fake.stored_bytes == 0


def test_a_small_cap_still_counts_every_kind_of_entry() -> None:
    fake = FakeAntimetal(max_stored_bytes=1)
    assert validated(_create(fake, "d"))["number"] == 1
    assert (fake.issues, fake.requests, fake.stored_bytes) == ([], [], 0)
    assert validated(_create(fake, "d"))["number"] == 2
    with pytest.raises(ValueError, match="max_stored_bytes"):
        FakeAntimetal(max_stored_bytes=0)
    unbounded = FakeAntimetal(max_stored_bytes=None)
    for _ in range(3):
        _create(unbounded, "d" * 1000)
    assert len(unbounded.issues) == 3
    assert unbounded.stored_bytes > 3 * 3000


_RSS_SCRIPT = """
import json, sys
from pytest_antimetal.fake import FakeAntimetal

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

fake = FakeAntimetal()  # the documented default cap
headers = {"authorization": f"Bearer {fake.api_key}", "content-type": "application/json"}
start = rss()
for i in range(120):
    body = json.dumps({"title": "t", "environment": "e", "description": f"{i}" + "d" * 1_000_000})
    assert fake.handle("POST", "/issues", headers, body.encode()).status == 201
    assert fake.handle("POST", "/issues", headers, b"x" * 1_500_000 + bytes([i])).status == 400
print(rss() - start)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_memory_stays_bounded_with_the_default_cap() -> None:
    # 120 creates of 1 MB and 120 rejected 1.5 MB bodies: unbounded, ~400 MB stay.
    result = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT], capture_output=True, text=True, timeout=300, check=True
    )
    grown = int(result.stdout)
    assert grown < 160 * 1024 * 1024, grown


# -- the options reach the fake ----------------------------------------------------------------


def test_marker_option_max_stored_bytes(pytester: pytest.Pytester) -> None:
    from tests.helpers.sessions import run_plugin

    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.antimetal_fake(max_stored_bytes=20_000)
        def test_capped(antimetal_fake, antimetal_client):
            for _ in range(20):
                antimetal_client.issues.create(title="t", description="d" * 2000, environment="e")
            assert antimetal_fake.max_stored_bytes == 20_000
            assert antimetal_fake.stored_bytes <= 20_000
            assert 0 < len(antimetal_fake.issues) < 20
            assert antimetal_fake.issues[-1]["number"] == 20

        """
    )
    run_plugin(pytester).assert_outcomes(passed=1)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.antimetal_fake(max_stored_bytes=0)
        def test_refused(antimetal_fake):
            pass
        """
    )
    refused = run_plugin(pytester)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*(max_stored_bytes=...) must be an int > 0 or None, got 0"])


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/PID/status")
def test_cli_max_stored_bytes_bounds_the_server() -> None:
    def rss(pid: int) -> int:
        with open(f"/proc/{pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
        return int(line.split()[1]) * 1024

    env = {k: v for k, v in os.environ.items() if k != "ANTIMETAL_API_KEY"}
    command = [sys.executable, "-m", "pytest_antimetal.cli", "fake", "--api-key", "cap-key"]
    proc = subprocess.Popen(
        [*command, "--max-stored-bytes", "1000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        headers = {"Authorization": "Bearer cap-key"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            assert client.post("/issues", json=VALID_BODY).status_code == 201
            start = rss(proc.pid)
            for i in range(80):  # 80 x ~1.5 MB kept without the cap
                body = {**VALID_BODY, "description": f"{i}" + "d" * 500_000}
                assert client.post("/issues", json=body).status_code == 201
            grown = rss(proc.pid) - start
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert grown < 40 * 1024 * 1024, grown
    bad = subprocess.run(
        [*command, "--max-stored-bytes", "0"], capture_output=True, text=True, env=env, timeout=60
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert "--max-stored-bytes" in bad.stderr


def test_pending_investigations_do_not_keep_dropped_issues_alive() -> None:
    import tracemalloc

    from tests.fake.documents import whole_spec

    # Runs still pending (60 s) must not hold on to issues the byte cap dropped.
    fake = FakeAntimetal(spec=whole_spec(), max_stored_bytes=5_000_000, investigation=60)
    tracemalloc.start()
    try:
        for i in range(40):
            assert _create(fake, f"{i}:" + "d" * 1_000_000).status == 201
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fake.stored_bytes <= 5_000_000
    assert held < 15_000_000, held  # ~5 MB kept, not the 40 MB created
