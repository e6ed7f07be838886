"""Issue 14, items 1 and 6: every operation of the document is an item collector of the suite,
named by its operationId, selectable with ``-k`` and ``--antimetal-operations``; a fault in
one operation's error handling fails that operation's items, with a replay line selecting
exactly the failing item; the default run passes against the embedded fake."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping

import pytest

from pytest_antimetal.contract.operations import operations_of
from pytest_antimetal.contract.parts import items_for
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.fake import DEFAULT_FAKE_API_KEY, FakeAntimetal, FakeResponse
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import FaultyFake

OPERATIONS = (
    "listIssues",
    "createIssue",
    "getIssueByNumber",
    "getIssue",
    "deleteIssue",
    "updateIssueStatus",
    "getIssueResults",
    "batchGetArtifacts",
    "query",
)
STATELESS = ("examples", "coverage", "fuzz-positive-1", "fuzz-positive-2")
STATELESS += ("fuzz-negative-1", "fuzz-negative-2")
WITH_BODY = {"createIssue": ("edge-cases", "malformed"), "query": ("edge-cases", "malformed")}
WITH_BODY["updateIssueStatus"] = ("malformed",)  # its valid bodies need an issue that exists

FAULT_CONFTEST = """
import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None:
        from tests.contract.test_operations import not_found_as_nest
        from tests.helpers.planted_faults import FaultyFake

        plugin.fake_factory = lambda spec, seed, key: FaultyFake(
            not_found_as_nest, spec=spec, seed=seed, api_keys=[key]
        )
"""


def not_found_as_nest(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``GET /issues/{id}`` answers its 404 with a framework's default body, not an
    ErrorResponseDto (every other operation, and every other status, stays honest)."""
    response = fake.honest(m, u, h, b)
    path = u.split("://", 1)[-1].partition("/")[2].partition("?")[0]
    parts = path.split("/")
    if m.upper() == "GET" and len(parts) == 2 and parts[0] == "issues" and response.status == 404:
        body = {"statusCode": 404, "message": "Not Found"}
        return FakeResponse(404, {"content-type": "application/json"}, json.dumps(body).encode())
    return response


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project with every operation (no ``antimetal_operations`` in its ini)."""
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def _collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("antimetal-contract::")]


def test_every_operation_is_a_collector_of_its_parts(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", "-q")
    expected = [
        f"antimetal-contract::{op}::{part}"
        for op in OPERATIONS
        for part in (*STATELESS[:2], *WITH_BODY.get(op, ()), *STATELESS[2:])
    ]
    # Every operation selected: the stateful part follows them, no operation's item.
    assert _collected(result) == [*expected, "antimetal-contract::sequences"]
    verbose = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co")
    assert "<OperationCollector listIssues>" in verbose.stdout.str()
    header = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", "-q", "-v")
    assert "listIssues (GET /issues)" in header.stdout.str()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("listIssues", {f"listIssues::{p}" for p in STATELESS}),
        ("fuzz-negative", {f"{op}::fuzz-negative-{k}" for op in OPERATIONS for k in (1, 2)}),
        ("createIssue and examples", {"createIssue::examples"}),
        ("query and malformed", {"query::malformed"}),
    ],
)
def test_items_are_selected_with_k(
    project: pytest.Pytester, expression: str, expected: set[str]
) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", "-q")
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "--co", "-q", "-k", expression
    )
    got = {line.removeprefix("antimetal-contract::") for line in _collected(result)}
    assert got == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--antimetal-operations=createIssue,listIssues"],
        ["--antimetal-operations=POST /issues, get /issues"],
        ["-o", "antimetal_operations=listIssues,createIssue"],
    ],
)
def test_operations_narrow_the_run(project: pytest.Pytester, args: list[str]) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", "-q", *args)
    operations = {line.split("::")[1] for line in _collected(result)}
    assert operations == {"createIssue", "listIssues"}


@pytest.mark.parametrize(
    ("args", "source"),
    [
        (["--antimetal-operations=createIssue,listIsues"], "--antimetal-operations"),
        (["-o", "antimetal_operations=DELETE /issues"], "ini antimetal_operations"),
    ],
)
def test_an_unknown_operation_is_a_one_line_usage_error(
    project: pytest.Pytester, args: list[str], source: str
) -> None:
    result = project.runpytest_subprocess("-p", "antimetal", "--antimetal-contract", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"ERROR: {source}: unknown operation")
    assert all(op in errors[0] for op in OPERATIONS)
    assert "Traceback" not in result.stderr.str()


def test_a_fault_in_one_operations_error_handling_fails_its_items(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(FAULT_CONFTEST)
    args = ("-p", "antimetal", "--antimetal-contract", "--hypothesis-seed=4")
    args += ("--antimetal-max-examples=10", "--antimetal-operations=getIssue,getIssueResults")
    result = project.runpytest(*args)
    out = "\n".join(result.outlines)
    failed = set(re.findall(r"^FAILED (antimetal-contract::\S+)", out, re.M))
    assert failed and all(f.startswith("antimetal-contract::getIssue::") for f in failed), out
    assert "[error_response_shape] HTTP 404 body is not an ErrorResponseDto" in out
    assert "GET http://127.0.0.1:8000/issues/" in out
    # The replay line shown selects exactly the failing item.
    replay = re.search(r"replay: +(pytest .*)$", out, re.M)
    assert replay is not None
    command = shlex.split(replay.group(1))
    assert command[:2] == ["pytest", "--antimetal-contract"]
    again = project.runpytest("-p", "antimetal", *command[1:])
    reran = re.findall(r"^FAILED (antimetal-contract::\S+)", "\n".join(again.outlines), re.M)
    outcomes = again.parseoutcomes()
    assert len(reran) == 1 and reran[0] in failed
    assert outcomes.get("passed", 0) == 0


def test_the_default_run_passes_against_the_fake(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=7",
        "--antimetal-max-examples=10",
    )
    result.assert_outcomes(passed=60)  # 59 stateless items and the sequences
    out = "\n".join(result.outlines)
    assert "failures by check: none" in out
    assert "9/9 operations sent" in out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_false_positive_on_any_operation(seed: int) -> None:
    spec = vendored_spec()
    fake = FakeAntimetal(spec=spec, seed=seed, api_keys=[DEFAULT_FAKE_API_KEY])
    settings = ContractSettings(
        spec=spec,
        base_url=fake.base_url,
        api_key=DEFAULT_FAKE_API_KEY,
        transport=fake.transport,
        seed=seed,
        max_examples=10,
        clock=fake.clock,
    )
    found: dict[str, list[str]] = {}
    with ContractRunner(settings) as runner:
        for op in operations_of(spec):
            for item in items_for(op):
                result = runner.run(item, op.operation_id)
                assert result.item == f"{op.operation_id}::{item}"
                if result.failures:
                    found[result.item] = [f"{f.check}: {f.message}" for f in result.failures]
        sent = runner.stats.requests
    assert not found
    assert sent > 200


def test_one_live_budget_for_every_operation() -> None:
    # Against a capped target, the cap holds for the run, not per operation.
    spec = vendored_spec()
    fake = FakeAntimetal(spec=spec, seed=1, api_keys=[DEFAULT_FAKE_API_KEY])
    settings = ContractSettings(
        spec=spec,
        base_url=fake.base_url,
        api_key=DEFAULT_FAKE_API_KEY,
        transport=fake.transport,
        max_examples=5,
        live_budget=3,
        clock=fake.clock,
    )
    with ContractRunner(settings) as runner:
        for op in ("createIssue", "updateIssueStatus", "deleteIssue", "query"):
            runner.run("examples", op)
        assert runner.sender.creating_sent == 3
        assert runner.stats.budget_used == 3
