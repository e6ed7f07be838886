"""Issue 14, item 3: safe against a live organisation. Against a capped (live) target only what
this run created is updated or deleted, and it is deleted at the end unless
``--antimetal-keep-created``; ``--antimetal-read-only`` runs only the operations that change
nothing."""

from __future__ import annotations

import re

import httpx
import pytest

from pytest_antimetal.contract.runner import (
    NOT_OURS,
    ContractRunner,
    ContractSettings,
    PartResult,
)
from pytest_antimetal.contract.runner import (
    READ_ONLY as NOT_READ_ONLY,
)
from pytest_antimetal.contract.sending import Outgoing
from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec.formats import now_utc
from tests.contract.test_plugin import LIVE_CONFTEST

KEY = "amk-live-safety-key-0123456789"
READ_ONLY = {"listIssues", "getIssueByNumber", "getIssue", "getIssueResults", "batchGetArtifacts"}


def _runner(fake: FakeAntimetal, live_budget: int | None) -> ContractRunner:
    return ContractRunner(
        ContractSettings(
            spec=fake.spec,
            base_url=fake.base_url,
            api_key=KEY,
            transport=fake.transport,
            seed=3,
            max_examples=5,
            live_budget=live_budget,
            clock=fake.clock,
        )
    )


def _changes(fake: FakeAntimetal) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.method in ("PATCH", "DELETE")]


@pytest.mark.parametrize("live_budget", [None, 100])
def test_only_what_the_run_created_is_changed_on_a_live_target(live_budget: int | None) -> None:
    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    with _runner(fake, live_budget) as runner:
        skipped = 0
        for op in ("updateIssueStatus", "deleteIssue"):
            for part in ("examples", "coverage", "fuzz-positive", "fuzz-negative"):
                skipped += runner.run(part, op).stats.skipped[NOT_OURS]
        if live_budget is None:  # the fake or loopback: every request is sent
            assert skipped == 0
            assert _changes(fake)
            return
        assert skipped > 10
        assert _changes(fake) == []
        # An issue this run created may be changed and is deleted at the end.
        runner.run("examples", "createIssue")
        assert len(runner.created) == 1
        (uuid,) = runner.created
        deleted, failed = runner.delete_created()
        assert (deleted, failed) == ([uuid], [])
        (change,) = _changes(fake)
        assert change.startswith("DELETE ") and change.endswith(f"/issues/{uuid}")
        assert fake.issues == []


def _live_session(
    project: pytest.Pytester, server: FakeServer, *args: str
) -> tuple[pytest.RunResult, str]:
    # In a process of its own: the conftest patches a module (loopback taken for live), which an
    # in-process run would leave patched for the tests after it.
    project.makeconftest(LIVE_CONFTEST)
    result = project.runpytest_subprocess(
        "-p",
        "antimetal",
        "--antimetal-contract",
        f"--antimetal-base-url={server.url}",
        "--antimetal-operations=createIssue,deleteIssue,updateIssueStatus",
        "--antimetal-live-budget=4",
        "--antimetal-max-examples=5",
        "--hypothesis-seed=4",
        "-k",
        "examples or fuzz-positive",
        *args,
    )
    return result, "\n".join(result.outlines + result.errlines)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    monkeypatch.setenv("ANTIMETAL_API_KEY", KEY)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_a_live_run_deletes_what_it_created_and_says_so(project: pytest.Pytester) -> None:
    live = FakeAntimetal(api_keys=[KEY], seed=1, clock=now_utc)
    with FakeServer(live) as server:
        result, out = _live_session(project, server)
        created = [r for r in server.fake.requests if r.method == "POST" and r.status == 201]
        changed = _changes(server.fake)
        left = server.fake.issues
    assert result.ret == pytest.ExitCode.OK, out
    assert created
    assert left == []
    # Only DELETEs of its own issues, at the end: no stateless PATCH or DELETE was sent.
    assert len(changed) == len(created)
    assert all(c.startswith("DELETE /issues/") for c in changed)
    match = re.search(r"^deleted at the end \(created by this run\): (\d+) \(", out, re.M)
    assert match is not None, out
    assert int(match[1]) == len(created)
    assert re.search(rf"not sent: \d+ \({re.escape(NOT_OURS)}\)", out)


def test_keep_created_keeps_them(project: pytest.Pytester) -> None:
    live = FakeAntimetal(api_keys=[KEY], seed=1, clock=now_utc)
    with FakeServer(live) as server:
        result, out = _live_session(project, server, "--antimetal-keep-created")
        left = server.fake.issues
        changed = _changes(server.fake)
    assert result.ret == pytest.ExitCode.OK, out
    assert left and changed == []
    assert "kept (--antimetal-keep-created)" in out
    assert "deleted at the end" not in out


@pytest.mark.parametrize("args", [["--antimetal-read-only"], ["-o", "antimetal_read_only=true"]])
def test_read_only_runs_the_operations_that_change_nothing(
    project: pytest.Pytester, args: list[str]
) -> None:
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "--antimetal-sequences", "--co", "-q", *args
    )
    items = [line for line in result.outlines if line.startswith("antimetal-contract::")]
    assert {line.split("::")[1] for line in items} == READ_ONLY
    assert not any(line.endswith("::sequences") for line in items)


def test_read_only_sends_nothing_that_can_create_not_even_an_undeclared_method() -> None:
    # schemathesis's coverage phase also tries methods an operation's path does not declare
    # (POST /artifacts, POST /issues/by_number/N): leaving out the changing operations is not
    # enough, each request is held back.
    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    settings = ContractSettings(
        spec=fake.spec,
        base_url=fake.base_url,
        api_key=KEY,
        transport=fake.transport,
        seed=3,
        max_examples=5,
        clock=fake.clock,
        read_only=True,
    )
    with ContractRunner(settings) as runner:
        held = sum(
            runner.run(part, op).stats.skipped[NOT_READ_ONLY]
            for op in sorted(READ_ONLY)
            for part in ("examples", "coverage")
        )
    assert held > 0
    assert fake.requests
    assert {r.method for r in fake.requests} <= {"GET", "HEAD", "OPTIONS", "TRACE"}


def _mock_runner(handler: object) -> ContractRunner:
    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    return ContractRunner(
        ContractSettings(
            spec=fake.spec,
            base_url="http://api.example",
            api_key=KEY,
            transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
            seed=3,
            live_budget=100,
        )
    )


@pytest.mark.parametrize(
    ("status", "ident", "recorded"),
    [(201, "a1b2-ours", True), (200, "a1b2-deduplicated", False), (201, "a/b", False)],
)
def test_only_a_201_naming_a_plain_identifier_is_recorded_as_created(
    status: int, ident: str, recorded: bool
) -> None:
    # A 200 to a POST may hand back an issue that already existed (a deduplicating server); an
    # identifier that is not one path segment is not ours to build a DELETE from.
    with _mock_runner(lambda request: httpx.Response(status, json={"uuid": ident})) as runner:
        out = Outgoing("t", "positive", "POST", "http://api.example/issues", {}, b"{}", {})
        runner.send(out, PartResult("t"))
        assert (ident in runner.created) is recorded


def test_the_clean_up_goes_on_past_an_id_whose_delete_raises() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "boom" in request.url.path:
            raise RuntimeError("a transport bug")
        return httpx.Response(204)

    with _mock_runner(handler) as runner:
        for ident in ("boom-1", "ours-2"):
            runner.created[ident] = "http://api.example/issues"
        deleted, failed = runner.delete_created()
    assert (deleted, failed) == (["ours-2"], ["boom-1"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--antimetal-read-only", "--antimetal-operations=createIssue"],
            "--antimetal-read-only leaves no operation to run",
        ),
        (["-o", "antimetal_read_only=maybe"], "ini antimetal_read_only: invalid truth value"),
        (["-o", "antimetal_sequences=maybe"], "ini antimetal_sequences: invalid truth value"),
    ],
)
def test_a_read_only_or_sequences_mistake_is_one_usage_line(
    project: pytest.Pytester, args: list[str], message: str
) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert len(errors) == 1 and message in errors[0], result.errlines
