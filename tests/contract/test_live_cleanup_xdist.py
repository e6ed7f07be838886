"""Under ``pytest -n``, each xdist worker deletes at its session's end what its runner created
on a live target; the controller's summary lists those deletions (they travel in the workers'
``workeroutput``), as a run without xdist does."""

from __future__ import annotations

import re

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec.formats import now_utc
from tests.contract.test_plugin import LIVE_CONFTEST

KEY = "amk-live-cleanup-xdist-key-0123456789"


def test_workers_deletions_are_in_the_controllers_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    monkeypatch.setenv("ANTIMETAL_API_KEY", KEY)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    # In a process of its own (the conftest takes loopback for live: capped, cleaned up).
    pytester.makeconftest(LIVE_CONFTEST)
    live = FakeAntimetal(api_keys=[KEY], seed=1, clock=now_utc)
    with FakeServer(live) as server:
        result = pytester.runpytest_subprocess(
            "-p",
            "antimetal",
            "-n",
            "2",
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "--antimetal-operations=createIssue",
            "--antimetal-live-budget=6",
            "--antimetal-max-examples=5",
            "--hypothesis-seed=4",
            "-k",
            "examples or fuzz-positive",
        )
        created = [
            r.path.rsplit("/", 1)[-1]
            for r in server.fake.requests
            if r.method == "DELETE" and r.status in (200, 204)
        ]
        posted = [r for r in server.fake.requests if r.method == "POST" and r.status == 201]
        left = server.fake.issues
    out = "\n".join(result.outlines + result.errlines)
    assert posted and left == [], out  # the workers deleted every issue the run created
    match = re.search(r"^deleted at the end \(created by this run\): (\d+) \((.*)\)$", out, re.M)
    assert match is not None, out
    assert int(match[1]) == len(posted) == len(created), out
    assert sorted(match[2].split(", ")) == sorted(created), out
