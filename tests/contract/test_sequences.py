"""The ``sequences`` part: a conformant fake passes; each planted sequence fault is caught by
the invariant it names, shown as a short numbered sequence with a replay line."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from pytest_antimetal.contract.report import format_failures
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.contract.sequences import INVARIANTS
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import SEQUENCE_FAULTS, make_sequence_fake

KEY = "amk-sequences-test-key-0123456789"
REPLAY = "pytest --antimetal-contract -k sequences --hypothesis-seed=<seed>"


def _runner(fake: FakeAntimetal, **overrides: Any) -> ContractRunner:
    settings = ContractSettings(
        spec=fake.spec,
        base_url=fake.base_url,
        api_key=KEY,
        transport=fake.transport,
        seed=overrides.pop("seed", 1),
        replay=lambda part: REPLAY,
        clock=fake.clock,
        **overrides,
    )
    return ContractRunner(settings)


def _steps(text: str) -> list[str]:
    return re.findall(r"^\s+(\d+)\. ", text, flags=re.MULTILINE)


@pytest.mark.parametrize("seed", range(20))
def test_conformant_fake_passes_over_seeds(seed: int) -> None:
    # Odd seeds: investigations end at once (results with evidence, statuses the server moves).
    investigation: Any = "instant" if seed % 2 else 900.0
    fake = FakeAntimetal(api_keys=[KEY], seed=seed, investigation=investigation)
    with _runner(fake, seed=seed) as runner:
        result = runner.run("sequences")
    assert result.passed, format_failures("sequences", result.failures)
    # Sequences ran: issues were created, listed, read (the default budget's share).
    assert result.stats.requests >= 20
    assert result.stats.created


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", sorted(SEQUENCE_FAULTS))
def test_planted_sequence_fault_is_one_entry_naming_its_invariant(name: str, seed: int) -> None:
    planted = SEQUENCE_FAULTS[name]
    fake = make_sequence_fake(name)(vendored_spec(), seed, KEY)
    with _runner(fake, seed=seed) as runner:
        result = runner.run("sequences")
    assert {f.check for f in result.failures} == set(planted.checks), [
        (f.check, f.message) for f in result.failures
    ]
    (entry,) = result.entries
    text = entry.format()
    steps = _steps(text)
    assert 1 <= len(steps) <= 4, text
    assert steps == [str(k) for k in range(1, len(steps) + 1)], text
    assert f"(shortest failing sequence, {len(steps)} step(s))" in entry.headline
    assert "-> HTTP " in text  # each step: its request and its answer
    assert f"replay:    {REPLAY}" in text
    assert KEY not in text


def test_same_seed_same_requests() -> None:
    sent = []
    for _ in range(2):
        fake = FakeAntimetal(api_keys=[KEY], seed=3)
        with _runner(fake, seed=3) as runner:
            runner.run("sequences")
        sent.append([(r.method, r.path) for r in fake.requests])
    assert sent[0] == sent[1]
    assert len(sent[0]) > 20


def test_cheap_at_the_default_budget() -> None:
    fake = FakeAntimetal(api_keys=[KEY], seed=0)
    with _runner(fake, seed=0) as runner:
        start = time.perf_counter()
        result = runner.run("sequences")
        elapsed = time.perf_counter() - start
    assert result.passed
    assert elapsed < 3.0  # ~0.3 s here; a bound loose enough for a loaded CI machine
    assert result.stats.requests < 150


def test_live_target_budget_caps_every_write_and_cleans_up() -> None:
    fake = FakeAntimetal(api_keys=[KEY], seed=2)
    with _runner(fake, seed=2, live_budget=4, tag="pytest-antimetal-test") as runner:
        result = runner.run("sequences")
    # Every write the part chose to send came from the budget; only the clean-up's DELETEs
    # (of its own issues) are outside it.
    assert result.stats.budget_used <= 4
    assert len([r for r in fake.requests if r.method in ("POST", "PATCH")]) <= 4
    assert result.stats.skipped["live budget reached"] > 0
    # Nothing the part created is left behind.
    assert result.stats.created
    assert fake.issues == []
    (note,) = result.notes
    assert note.startswith(f"sequences: {len(result.stats.created)} issue(s) created, ")


def test_every_invariant_is_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name in INVARIANTS:
        assert f"`{name}`" in readme, name


# -- as users run it: `pytest --antimetal-contract --antimetal-sequences` ------------------

SEQUENCE_CONFTEST = """
import pytest
from tests.helpers.planted_faults import make_sequence_fake

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None and {fault!r}:
        plugin.fake_factory = make_sequence_fake({fault!r})
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_operations = createIssue\n"
    )
    return pytester


def test_a_narrowed_run_has_the_part_only_when_asked_for(project: pytest.Pytester) -> None:
    plain = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co")
    assert "antimetal-contract::sequences" not in plain.stdout.str()
    header = next(line for line in plain.outlines if line.startswith("antimetal contract:"))
    assert "sequences: off (the run leaves out GET /artifacts, GET /issues," in header, header
    asked = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "--antimetal-sequences", "--co", "-q"
    )
    assert "antimetal-contract::sequences" in asked.stdout.str()
    assert "antimetal-contract::createIssue::examples" in asked.stdout.str()


def test_a_conformant_fake_passes_the_part(project: pytest.Pytester) -> None:
    project.makeconftest(SEQUENCE_CONFTEST.format(fault=""))
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "--antimetal-sequences", "-k", "sequences"
    )
    result.assert_outcomes(passed=1, deselected=8)


def test_a_sequence_fault_fails_the_item_with_a_replay_that_runs_it(
    project: pytest.Pytester,
) -> None:
    project.makeconftest(SEQUENCE_CONFTEST.format(fault="deleted-readable"))
    project.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_sequences = true\n"
        "antimetal_operations = createIssue\n"
    )
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "-k", "sequences", "--hypothesis-seed=1"
    )
    result.assert_outcomes(failed=1, deselected=8)
    out = result.stdout.str()
    assert "delete_gone" in out, out
    replay = next(line for line in result.outlines if "replay:" in line)
    assert "-k sequences" in replay and "--antimetal-sequences" in replay, replay


def _collected(project: pytest.Pytester, *args: str) -> list[str]:
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", "-q", *args)
    return [line for line in result.outlines if line.startswith("antimetal-contract::")]


def test_the_default_run_has_the_part_and_an_off_switch(project: pytest.Pytester) -> None:
    """Every operation selected (the default): the part is an item and the header says so;
    ``--antimetal-no-sequences`` or ini ``antimetal_sequences = false`` leave it out."""
    every = ("-o", "antimetal_operations=")
    default = _collected(project, *every)
    assert default[-1] == "antimetal-contract::sequences"
    assert len(default) == 60  # 59 stateless items and the part
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", "--co", *every)
    assert "; sequences: on" in result.stdout.str()
    for off in (("--antimetal-no-sequences",), ("-o", "antimetal_sequences=false")):
        left = _collected(project, *every, *off)
        assert left == default[:-1], off
    forced = _collected(project, "--antimetal-sequences")  # the ini narrows to createIssue
    assert forced[-1] == "antimetal-contract::sequences"


def test_on_and_off_together_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--antimetal-sequences",
        "--antimetal-no-sequences",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--antimetal-sequences and --antimetal-no-sequences contradict*"])


# -- the package's pieces on their own ------------------------------------------------------


def test_the_package_keeps_the_names_the_module_had() -> None:
    # contract/sequences.py became a package (issue 12): its names still import from here.
    import pytest_antimetal.contract.sequences as sequences

    kept = {"INVARIANTS", "OPERATIONS", "PART", "STEPS", "Driver", "Issue", "SequenceFailed"}
    assert kept | {"Step", "run_sequences"} <= set(sequences.__all__)
    assert all(getattr(sequences, name, None) is not None for name in sequences.__all__)


def test_driver_knows_the_runner_only_by_the_callables_it_is_given() -> None:
    """The driver is a plain class: a write the budget refused is ``None`` (the rule skips
    it), a read with no answer fails the step; each request carries the step's number and
    rule, the credential from *auth_headers* and the budget flag."""
    from pytest_antimetal.contract.part_result import PartResult
    from pytest_antimetal.contract.sequences import Driver, SequenceFailed, Step

    sent: list[tuple[str, str, str, bool]] = []

    def send(out: Any, budget: bool) -> None:
        sent.append((out.label, out.method, out.headers["Authorization"], budget))

    settings = ContractSettings(spec=vendored_spec(), base_url="http://127.0.0.1:9/", api_key=KEY)
    driver = Driver(
        settings,
        PartResult("sequences"),
        send=send,
        auth_headers=lambda: {"Authorization": "Bearer built-here"},
        unreachable=lambda: False,
    )
    driver.steps = [Step("create")]
    assert driver.send("POST", "/issues", body={"title": "t"}) is None
    driver.steps.append(Step("list"))
    with pytest.raises(SequenceFailed) as failed:
        driver.send("GET", "/issues", query={"limit": 1})
    assert failed.value.invariant == "sequence_response"
    assert failed.value.message == "GET /issues: no response"
    assert [s.rule for s in failed.value.steps] == ["create", "list"]
    assert sent == [
        ("sequences step 1 (create)", "POST", "Bearer built-here", True),
        ("sequences step 2 (list)", "GET", "Bearer built-here", True),
    ]
    assert driver.steps[0].line(1) == "1. create: not sent (live budget reached)"
