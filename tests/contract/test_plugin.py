"""``pytest --antimetal-contract`` end to end, through pytester."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_antimetal.plugin
from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import vendored_spec
from pytest_antimetal.spec.formats import now_utc
from tests.helpers.planted_faults import make_fake

FAULT_CONFTEST = """
import pytest
from tests.helpers.planted_faults import make_fake

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None:
        plugin.fake_factory = make_fake({fault!r})
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project running the suite on createIssue alone (what these tests are about);
    no key or base URL leaks in from the environment."""
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        "antimetal_operations = createIssue\n"
    )
    return pytester


def _output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def test_suite_passes_against_the_embedded_fake(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "--hypothesis-seed=5", "-v"
    )
    result.assert_outcomes(passed=8)
    out = _output(result)
    for part in (
        "examples",
        "coverage",
        "fuzz-positive-1",
        "fuzz-positive-2",
        "fuzz-negative-1",
        "fuzz-negative-2",
        "edge-cases",
        "malformed",
    ):
        assert f"antimetal-contract::createIssue::{part} PASSED" in out
    assert "seed: 5" in out
    requests = int(re.search(r"requests sent: (\d+)", out).group(1))  # type: ignore[union-attr]
    checks = int(re.search(r"checks run: (\d+)", out).group(1))  # type: ignore[union-attr]
    assert requests > 250
    assert checks > requests * 5
    assert "failures by check: none" in out


def test_items_are_collected_and_selectable(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", "-q")
    assert "antimetal-contract::createIssue::fuzz-negative" in result.stdout.str()
    assert "8 tests collected" in result.stdout.str()
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "-k", "malformed")
    result.assert_outcomes(passed=1, deselected=7)


def test_without_the_option_nothing_is_collected(project: pytest.Pytester) -> None:
    project.makepyfile(test_one="def test_one():\n    pass\n")
    result = project.runpytest("-p", "antimetal")
    result.assert_outcomes(passed=1)
    assert "antimetal contract" not in result.stdout.str()


def test_planted_fault_fails_naming_the_check_and_replay(project: pytest.Pytester) -> None:
    project.makeconftest(FAULT_CONFTEST.format(fault="wrong-401-type"))
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "-k", "examples", "--hypothesis-seed=11"
    )
    result.assert_outcomes(failed=1, deselected=7)
    out = _output(result)
    assert "[error_response_shape] HTTP 401 carries type 'invalid_request_error'" in out
    assert (
        "replay:    pytest --antimetal-contract --antimetal-operations=createIssue -k examples "
        "--hypothesis-seed=11" in out
    )
    assert "reproduce: curl -sS -X POST" in out
    assert "failures by check: error_response_shape:" in out


def test_canary_key_never_shown_in_process(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    project.makeconftest(FAULT_CONFTEST.format(fault="title-echo"))
    junit = project.path / "junit.xml"
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-k",
        "examples or malformed",
        f"--junitxml={junit}",
        "-rA",
        "-v",  # every header shown: more places the key could leak
    )
    result.assert_outcomes(failed=1, passed=1, deselected=6)
    out = _output(result)
    assert "[request_reflected]" in out
    assert "Bearer [REDACTED]" in out
    assert canary_key not in out
    assert canary_key not in junit.read_text()
    assert "request_reflected" in junit.read_text()


@pytest.fixture
def faulty_server(canary_key: str) -> Iterator[FakeServer]:
    """A loopback server running the fake with a planted fault, accepting the canary key."""
    with FakeServer(make_fake("title-echo")(vendored_spec(), 1, canary_key)) as server:
        yield server


def test_live_loopback_target_is_checked_and_redacted(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    canary_key: str,
    faulty_server: FakeServer,
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    junit = project.path / "junit.xml"
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        f"--antimetal-base-url={faulty_server.url}",
        "-k",
        "examples",
        "--hypothesis-seed=3",
        f"--junitxml={junit}",
        "--log-level=DEBUG",
        "-rA",
        "-v",
    )
    result.assert_outcomes(failed=1, deselected=7)
    out = _output(result)
    assert "[request_reflected] `title` sent as" in out
    assert "how to read one: the pytest-antimetal README, 'Reading a failure'" in out
    assert f"POST {faulty_server.url}/issues" in out
    assert f"--antimetal-base-url={faulty_server.url}" in out  # in the replay command
    assert f"issues created on {faulty_server.url}: 1 (#1)" in out
    assert "live budget" not in out  # loopback: no cap
    assert canary_key not in out
    assert canary_key not in junit.read_text()
    # The key was really sent: the server accepted it.
    assert faulty_server.fake.issues


def test_deterministic_under_record_mode(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "--record-mode=none", "--co"
    )
    assert "seed 0, max examples 50 (deterministic)" in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--antimetal-max-examples=0"], "--antimetal-max-examples: must be positive"),
        (["--antimetal-time-budget=nan"], "--antimetal-time-budget: must be a finite number"),
        (["--antimetal-time-budget=inf"], "--antimetal-time-budget: must be a finite number"),
        (["--antimetal-time-budget=-1"], "--antimetal-time-budget: must be positive"),
        (["--antimetal-live-budget=-1"], "--antimetal-live-budget: must be positive"),
        (["--antimetal-spec=missing.yaml"], "missing.yaml: cannot read"),
        (["--antimetal-base-url=http://127.0.0.1:9"], "ANTIMETAL_API_KEY is not set"),
        # A rate this small once overflowed the pacer's sleep, as a traceback mid-run.
        (["--antimetal-rate=1e-300"], "--antimetal-rate: must be at least one request a day"),
        (["-o", "antimetal_rate=1e-6"], "ini antimetal_rate: must be at least one request a day"),
        (["-o", "antimetal_keep_created=maybe"], "ini antimetal_keep_created: invalid truth"),
    ],
)
def test_bad_configuration_is_one_line(
    project: pytest.Pytester, args: list[str], message: str
) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert message in err
    assert "Traceback" not in err
    if "--antimetal-" in message:  # a bad value names the README section listing the options
        assert "'Configuration reference'" in err


def test_contract_modules_not_imported_without_the_option(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_modules="""
        import sys

        def test_nothing_of_the_suite_loaded():
            loaded = sorted(m for m in sys.modules if m.startswith("pytest_antimetal.contract"))
            assert loaded == []
        """
    )
    result = project.runpytest_subprocess("-p", "antimetal")
    result.assert_outcomes(passed=1)


USER_GIVEN_TEST = """
from hypothesis import given, strategies as st

@given(st.integers(min_value=1000))
def test_user_property(x):
    assert x < 1000
"""

PRINTER_CONFTEST = """
import pytest
from pytest_antimetal._printer import hypothesis_printer_for

@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with hypothesis_printer_for(item):
        return (yield)
"""


def test_schemathesis_breaks_users_falsifying_examples(project: pytest.Pytester) -> None:
    # The upstream problem the printer fix exists for (fails if schemathesis stops doing it).
    project.makepyfile(test_user=USER_GIVEN_TEST)
    result = project.runpytest_subprocess("-p", "no:antimetal")
    result.assert_outcomes(failed=1)
    assert "x=1000" not in result.stdout.str()


def test_printer_fix_restores_users_falsifying_examples(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=USER_GIVEN_TEST)
    project.makeconftest(PRINTER_CONFTEST)
    result = project.runpytest_subprocess("-p", "no:antimetal")
    result.assert_outcomes(failed=1)
    assert "x=1000" in result.stdout.str()


@pytest.mark.skipif(
    not hasattr(pytest_antimetal.plugin, "pytest_runtest_call"),
    reason="plugin.py does not call the printer fix yet (see the contract report)",
)
def test_plugin_restores_users_falsifying_examples(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=USER_GIVEN_TEST)
    result = project.runpytest_subprocess("-p", "antimetal")
    result.assert_outcomes(failed=1)
    assert "x=1000" in result.stdout.str()


def test_xdist_spreads_items_and_sums_stats(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = project.runpytest_subprocess(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-n",
        "2",
        "--hypothesis-seed=2",
        "--antimetal-max-examples=5",
        "-k",
        "not coverage",
    )
    result.assert_outcomes(passed=7)
    requests = re.search(r"requests sent: (\d+)", result.stdout.str())
    assert requests is not None
    assert int(requests.group(1)) > 60

    # No seed given: the controller draws one, and every worker's failures replay with it.
    project.makeconftest(FAULT_CONFTEST.format(fault="title-echo"))
    result = project.runpytest_subprocess(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-n",
        "2",
        "--antimetal-max-examples=5",
        "-k",
        "examples or fuzz-positive or edge-cases",
    )
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    summary = re.search(r"seed: (\d+) \(replay with", out)
    assert summary is not None
    replayed = set(re.findall(r"replay: +pytest .*--hypothesis-seed=(\d+)", out))
    assert replayed == {summary.group(1)}


def _tags(body: object) -> list[object]:
    context = body.get("context") if isinstance(body, dict) else None
    tags = context.get("tags") if isinstance(context, dict) else None
    return tags if isinstance(tags, list) else []


LIVE_CONFTEST = """
import pytest_antimetal.target as target

# The test server listens on loopback; the suite must treat it as a live host (capped).
target.is_loopback_url = lambda url: False
"""


def test_keep_created_from_the_ini(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    # --antimetal-keep-created's ini twin: what the run created on a live target stays there.
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    project.makeconftest(LIVE_CONFTEST)
    live = FakeAntimetal(api_keys=[canary_key], seed=1, clock=now_utc)
    with FakeServer(live) as server:
        result = project.runpytest_subprocess(
            "-p",
            "antimetal",
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "--antimetal-live-budget=2",
            "--antimetal-max-examples=5",
            "--hypothesis-seed=4",
            "-k",
            "examples",
            "-o",
            "antimetal_keep_created=true",
        )
        left = list(server.fake.issues)
        deletes = [r for r in server.fake.requests if r.method == "DELETE"]
    out = _output(result)
    assert result.ret == pytest.ExitCode.OK, out
    assert left and deletes == []
    assert "kept (ini antimetal_keep_created)" in out
    assert "deleted at the end" not in out


@pytest.mark.parametrize("dist", ["load", "loadfile"])
def test_live_budget_caps_the_run_not_each_xdist_worker(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str, dist: str
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    project.makeconftest(LIVE_CONFTEST)
    # Seeded ids, the wall clock's timestamps: judged as a live server, whose "now" is ours.
    live = FakeAntimetal(api_keys=[canary_key], seed=1, clock=now_utc)
    with FakeServer(live) as server:
        result = project.runpytest_subprocess(
            "-p",
            "antimetal",
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "--antimetal-live-budget=8",
            "--antimetal-keep-created",  # counted below
            "--antimetal-max-examples=5",
            "--hypothesis-seed=4",
            "-n",
            "2",
            f"--dist={dist}",
        )
        created = list(server.fake.issues)
        accepted = [r.json for r in server.fake.requests if r.status == 201]
        # Issue-creating requests carry the tag (the auth probes re-send one, and count too).
        tagged = [r for r in server.fake.requests if "pytest-antimetal" in _tags(r.json)]
    result.assert_outcomes(passed=8)
    out = result.stdout.str()
    # One pool for the run, wherever the scheduler puts the parts (loadfile: all on one
    # worker): exactly the budget is used, not 8 per worker, and none of it is left unused.
    assert "live budget: 8 request(s) that can create per run: 8 sent, " in out
    assert f"8 sent, {len(created)} answered 2xx (issues created)" in out
    assert len(tagged) <= 8
    assert 1 <= len(created) <= len(tagged)
    assert f"issues created on {server.url}: {len(created)} (" in out
    assert re.search(r"not sent: \d+ \(live budget reached\)", out)
    assert len(accepted) == len(created)
    assert all("pytest-antimetal" in body["context"]["tags"] for body in accepted)


@pytest.mark.parametrize("dist", ["load", "loadfile"])
def test_live_budget_caps_every_request_that_can_create(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str, dist: str
) -> None:
    """A server that wrongly accepts every POST (invalid bodies, no key) creates at most the
    budget: every request that can create counts, whatever it was meant to test."""
    pytest.importorskip("xdist")
    from tests.contract.test_runner import AcceptEverything

    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    project.makeconftest(LIVE_CONFTEST)
    accepting = AcceptEverything()
    with FakeServer(accepting.fake(canary_key)) as server:
        result = project.runpytest_subprocess(
            "-p",
            "antimetal",
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "--antimetal-live-budget=3",
            "--antimetal-keep-created",  # counted below
            "--antimetal-max-examples=5",
            "--hypothesis-seed=4",
            "-n",
            "2",
            f"--dist={dist}",
        )
        reached = list(accepting.unsafe)
    out = _output(result)
    assert "INTERNALERROR" not in out
    assert len(reached) == 3
    # Both numbers: requests sent against the cap, and issues created (2xx answers).
    assert "live budget: 3 request(s) that can create per run: 3 sent, 3 answered 2xx" in out
    assert f"issues created on {server.url}: 3 (" in out
    assert re.search(r"not sent: \d+ \(live budget reached\)", out)


def test_shared_budget_hands_out_each_unit_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from pytest_antimetal.contract.budget import SharedBudget

    pool = SharedBudget(tmp_path / "pool", 7)
    pool.directory.mkdir()
    with ThreadPoolExecutor(max_workers=8) as executor:
        claims = list(executor.map(lambda _: pool.claim(), range(40)))
    assert claims.count(True) == 7
    assert len(list(pool.directory.iterdir())) == 7
    pool.remove()
    assert not pool.claim()  # a pool that is gone spends nothing


def test_key_echoed_in_any_spelling_never_shown(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import quote

    key = "amk-canary/KEY+123=="  # `/ + =` spell differently raw, URL-encoded, JSON-escaped
    monkeypatch.setenv("ANTIMETAL_API_KEY", key)
    project.makeconftest(FAULT_CONFTEST.format(fault="echo-key"))
    junit = project.path / "junit.xml"
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-k",
        "examples",
        f"--junitxml={junit}",
        "-rA",
        "-v",  # every header shown: more places the key could leak
    )
    result.assert_outcomes(failed=1, deselected=7)
    out = _output(result)
    assert "[not_a_server_error]" in out
    assert "boom for [REDACTED] ([REDACTED]) [REDACTED]" in out
    assert "x-debug-key: [REDACTED]" in out
    xml = junit.read_text()
    assert "boom for [REDACTED]" in xml
    for spelling in (key, quote(key, safe=""), key.replace("/", "\\/"), "KEY%2B123", "KEY+123"):
        assert spelling not in out
        assert spelling not in xml


def test_fake_run_never_reproduces_against_production(project: pytest.Pytester) -> None:
    project.makeconftest(FAULT_CONFTEST.format(fault="title-echo"))
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "-k", "examples", "--hypothesis-seed=11"
    )
    result.assert_outcomes(failed=1, deselected=7)
    out = _output(result)
    assert "bff.antimetal.com" not in out
    assert "bff.dev.antimetal.com" not in out
    start = "  start:     antimetal-contract fake --port 8000 --api-key am-fake-key-"
    assert start in out
    assert "reproduce: curl -sS -X POST http://127.0.0.1:8000/issues" in out
    # The fake's well-known key is no secret: the curl sends it, so it works as printed.
    assert "-H 'authorization: Bearer am-fake-key-" in out
