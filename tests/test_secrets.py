"""The API key never reaches any output: one canary, every channel at once.

A downstream project runs its own tests (passing and failing), a cassette
recording and the contract suite (with a planted fault, so failure reports,
curl reproductions and replay commands are printed) against a server on
loopback, with JUnit XML, a DEBUG log file and showlocals. Then every byte
printed or left on disk is searched for the key.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_antimetal.fake import FakeServer
from tests.planted_faults import FaultyFake, title_echo

DOWNSTREAM = """
import logging

import pytest

log = logging.getLogger("downstream")


def test_create(antimetal_client):
    issue = antimetal_client.issues.create(title="t", description="d", environment="e")
    log.debug("created %r with %r", issue, antimetal_client)
    assert issue.number >= 1


def test_fails_showing_the_client(antimetal_client, antimetal_target):
    client = antimetal_client  # a local, printed by --showlocals
    assert repr(client) == "boom", (client, antimetal_target, client.http.headers)


def test_auth_error_is_reported(antimetal_client):
    from pytest_antimetal import AntimetalClient

    bad = AntimetalClient(api_key=antimetal_client.api_key + "-wrong", base_url=antimetal_client.base_url)
    bad.issues.create(title="t", description="d", environment="e")


@pytest.mark.vcr
def test_recorded(antimetal_client):
    antimetal_client.issues.create(title="recorded", description="d", environment="e")
"""


def _forms(secret: str) -> list[str]:
    return [
        secret,
        secret[4:-4],  # any substantial part
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"Bearer {secret}".encode()).decode(),
    ]


def test_canary_key_appears_nowhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    fake = FaultyFake(title_echo, api_keys=[canary_key])
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    with FakeServer(fake) as server:
        result = pytester.runpytest_subprocess(
            "-p",
            "antimetal",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            f"--antimetal-base-url={server.url}",
            "--antimetal-contract",
            "--antimetal-max-examples=5",
            "--record-mode=once",
            "--junitxml=report.xml",
            "--log-file=run.log",
            "--log-file-level=DEBUG",
            "--log-level=DEBUG",
            "--showlocals",
            "--tb=long",
            "-rA",
            "-vv",
        )
    out = result.stdout.str() + result.stderr.str()
    # The run did what we wanted to look at: failures printed, cassette and reports written.
    assert (
        "test_fails_showing_the_client FAILED" in out
        or "FAILED test_downstream.py::test_fails" in out
    )
    assert "AuthenticationError" in out
    assert "curl" in out, "the contract failure should print a curl reproduction"
    assert (pytester.path / "report.xml").is_file()
    assert (pytester.path / "run.log").stat().st_size > 0
    cassettes = list(pytester.path.rglob("*.yaml"))
    assert cassettes, "the vcr test should have recorded a cassette"

    leaks = []
    for form in _forms(canary_key):
        if form in out:
            leaks.append(f"terminal output contains {form!r}")
        for path in pytester.path.rglob("*"):
            if path.is_file() and form.encode() in path.read_bytes():
                leaks.append(f"{path.relative_to(pytester.path)} contains {form!r}")
    assert not leaks, leaks
    # And the fake saw the real key (so the search above was meaningful).
    assert any(r.status == 201 for r in fake.requests)


def test_canary_search_would_find_a_leak(tmp_path: Path, canary_key: str) -> None:
    # Guard against a vacuous test: the same search finds a planted leak.
    (tmp_path / "leak.txt").write_text(f"Authorization: Bearer {canary_key}")
    assert any(form.encode() in (tmp_path / "leak.txt").read_bytes() for form in _forms(canary_key))
