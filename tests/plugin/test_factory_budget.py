"""antimetal_issue_factory against a live server: every create counts against the run's budget."""

from __future__ import annotations

import pytest

from tests.helpers.sessions import run_plugin as run
from tests.helpers.sessions import run_plugin_in_process as run_in_process

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


def test_factory_counts_creates_against_the_live_budget(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A non-loopback target that is never reached: the budget refuses before sending.
    pytester.makepyfile(
        """
        import pytest
        from pytest_antimetal.factory import LiveBudgetExceeded

        def test_over_the_cap(antimetal_issue_factory):
            with pytest.raises(LiveBudgetExceeded, match="cap of 2"):
                antimetal_issue_factory.create_many(3)

        def test_cap_shared_by_the_run(antimetal_issue_factory):
            assert antimetal_issue_factory.budget.remaining == 2
            antimetal_issue_factory.budget.take(2)  # as two creates would

        def test_spent(antimetal_issue_factory):
            with pytest.raises(LiveBudgetExceeded):
                antimetal_issue_factory.create()
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "live-key-0123456789abcdef")
    result = run_in_process(
        pytester,
        "--antimetal-base-url=https://api.invalid/v2",
        "--antimetal-live-budget=2",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=3)


def test_a_bad_live_budget_is_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nantimetal_live_budget = lots\n")
    pytester.makepyfile(
        """
        def test_create(antimetal_issue_factory):
            antimetal_issue_factory.create()
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "live-key-0123456789abcdef")
    result = run(pytester, "--antimetal-base-url=https://api.invalid/v2")
    result.assert_outcomes(errors=1)  # the fixture refuses: nothing is created
    result.stdout.fnmatch_lines(
        ["*ini antimetal_live_budget: must be a whole number >= 0, got 'lots'*"]
    )
    assert "Traceback" not in result.stdout.str()
