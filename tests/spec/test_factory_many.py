"""IssueFactory.create_many and the create budget (plain, against the in-process fake)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_antimetal.client import AntimetalClient
from pytest_antimetal.factory import CreateBudget, IssueFactory, LiveBudgetExceeded
from pytest_antimetal.fake import FakeAntimetal

pytestmark = pytest.mark.filterwarnings("error")


def factory(**kwargs: Any) -> tuple[IssueFactory, FakeAntimetal]:
    fake = FakeAntimetal()
    client = AntimetalClient(api_key=fake.api_key, transport=fake.transport)
    return IssueFactory(client=client, seed=4, **kwargs), fake


def test_create_many_creates_n_varied_issues_in_order() -> None:
    made, fake = factory()
    issues = made.create_many(6)
    assert [i.number for i in issues] == [1, 2, 3, 4, 5, 6]
    assert made.created == issues and len(fake.issues) == 6
    assert len({i.title for i in issues}) == 6
    # Variation beyond the title: not every issue has the same severity and service.
    assert len({(i.severity, i.description.split(" in ")[1][:8]) for i in issues}) > 1


def test_overrides_apply_to_all_and_callables_get_the_index() -> None:
    made, _ = factory()
    issues = made.create_many(
        3, environment="staging", severity=lambda i: ("low", "medium", "high")[i]
    )
    assert [i.environment for i in issues] == ["staging"] * 3
    assert [i.severity for i in issues] == ["low", "medium", "high"]


def test_a_mistake_creates_nothing() -> None:
    made, fake = factory()
    with pytest.raises(TypeError, match="no field 'titel'"):
        made.create_many(3, titel="typo")
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        made.create_many(-1)
    with pytest.raises(ValueError, match="n must be an int >= 0"):
        made.create_many(True)  # type: ignore[arg-type]
    assert made.create_many(0) == []
    assert fake.issues == [] and made.created == []


def test_create_many_takes_the_whole_n_from_the_budget_or_none() -> None:
    budget = CreateBudget(4, where="https://api.example")
    made, fake = factory(budget=budget)
    with pytest.raises(
        LiveBudgetExceeded, match=r"creating 5 more issue\(s\) on https://api.example"
    ):
        made.create_many(5)
    assert fake.issues == [] and budget.spent == 0
    made.create_many(3)
    # A second factory of the same run shares the budget.
    other = IssueFactory(client=made.client, budget=budget)
    other.create()
    assert budget.remaining == 0
    with pytest.raises(LiveBudgetExceeded, match=r"cap of 4 \(4 created\)"):
        made.create()
    assert len(fake.issues) == 4


def test_every_issue_is_reported_to_on_created() -> None:
    seen: list[int] = []
    made, _ = factory(on_created=lambda issue: seen.append(issue.number))
    made.create_many(3)
    assert seen == [1, 2, 3]


def test_create_many_without_a_client_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="create_many needs a client"):
        IssueFactory().create_many(2)
