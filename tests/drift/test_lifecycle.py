"""Deprecations and sunsets: warnings that name the date; a near sunset of something used breaks."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.cli import main
from pytest_antimetal.drift.gate import evaluate
from pytest_antimetal.drift.model import Level
from pytest_antimetal.drift.sunset import parse_date
from tests.drift.test_usage import CASSETTES, _cassettes, full_document, vendored

Doc = dict[str, Any]
TODAY = dt.date(2026, 12, 1)


def ids(result: Any, level: Level | None = None) -> list[str]:
    return [c.id for c in result.changes if level is None or c.level is level]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-31", dt.date(2027, 1, 31)),
        ("2027-01-31T23:00:00Z", dt.date(2027, 1, 31)),
        ("2027-01-31T23:00:00-05:00", dt.date(2027, 2, 1)),  # UTC
        ("Sun, 31 Jan 2027 00:00:00 GMT", dt.date(2027, 1, 31)),  # RFC 9745 Sunset
        ("@1801353600", dt.date(2027, 1, 31)),  # RFC 9745 Deprecation
        (dt.date(2027, 1, 31), dt.date(2027, 1, 31)),
        ("soon", None),
        (None, None),
        (True, None),
    ],
)
def test_dates_in_the_forms_documents_use(value: object, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def test_deprecated_operation_is_a_warning_naming_its_sunset() -> None:
    old = full_document()
    new = copy.deepcopy(old)
    op = new["paths"]["/issues"]["get"]
    op["deprecated"] = True
    op["x-sunset"] = "2027-09-30"
    result = evaluate(old, new, today=TODAY)
    (change,) = result.changes
    assert (change.id, change.level) == ("api-operation-deprecated", Level.WARNING)
    assert change.message == "GET /issues is deprecated (sunset on 2027-09-30)"
    # Without a date the warning says so.
    del op["x-sunset"]
    (change,) = evaluate(old, new, today=TODAY).changes
    assert change.message == "GET /issues is deprecated (no sunset date announced)"


def test_sunset_header_declared_in_responses() -> None:
    old = vendored()
    new = copy.deepcopy(old)
    responses = new["paths"]["/issues"]["post"]["responses"]
    responses["201"]["headers"] = {
        "Deprecation": {"schema": {"type": "string", "example": "@1796083200"}},
        "Sunset": {"schema": {"type": "string", "example": "Fri, 30 Jul 2027 00:00:00 GMT"}},
    }
    result = evaluate(old, new, today=TODAY)
    (deprecated,) = [c for c in result.changes if c.id == "api-operation-deprecated"]
    assert deprecated.level is Level.WARNING
    assert "sunset on 2027-07-30" in deprecated.message
    assert not result.breaking  # 241 days away: outside the 90-day window
    near = evaluate(old, new, today=dt.date(2027, 6, 1))
    (imminent,) = near.at_or_above(Level.BREAKING)
    assert imminent.id == "api-sunset-imminent"
    assert imminent.message == (
        "POST /issues reaches its sunset on 2027-07-30, 59 days from today "
        "(within the 90-day sunset window)"
    )


def test_sunset_inside_the_window_fails_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = vendored()
    new = copy.deepcopy(old)
    soon = dt.date.today() + dt.timedelta(days=30)
    new["paths"]["/issues"]["post"]["x-sunset"] = soon.isoformat()
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    args = ["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")]
    assert main([*args, "--used-by", str(CASSETTES)]) == 1
    out = capsys.readouterr().out
    assert f"POST /issues reaches its sunset on {soon.isoformat()}, 30 days from today" in out
    assert "[api-sunset-imminent]" in out and "(used by " in out
    # A narrower window: only announced (a warning), not yet breaking.
    assert main([*args, "--sunset-window", "20"]) == 0
    out = capsys.readouterr().out
    assert "WARNING  POST /issues: sunset on" in out and "(was: no sunset date announced)" in out
    assert "api-sunset-imminent" not in out
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--sunset-window", "soon"])
    assert exit_info.value.code == 2
    assert "not a whole number of days: 'soon'" in capsys.readouterr().err


def test_sunset_of_an_unused_operation_is_not_breaking_here() -> None:
    old = full_document()
    new = copy.deepcopy(old)
    new["paths"]["/artifacts"]["get"]["x-sunset"] = (TODAY + dt.timedelta(days=5)).isoformat()
    assert "api-sunset-imminent" in ids(evaluate(old, new, today=TODAY), Level.BREAKING)
    scoped = evaluate(old, new, today=TODAY, used_by=[CASSETTES])
    assert not scoped.breaking
    (change,) = [c for c in scoped.changes if c.id == "api-sunset-imminent"]
    assert change.note == "not used here"


def test_sunset_already_in_both_documents_still_counts_as_time_passes() -> None:
    old = vendored()
    old["paths"]["/issues"]["post"]["x-sunset"] = "2027-01-15"
    new = copy.deepcopy(old)
    assert ids(evaluate(old, new, today=dt.date(2026, 6, 1))) == []
    assert ids(evaluate(old, new, today=TODAY)) == ["api-sunset-imminent"]
    passed = evaluate(old, new, today=dt.date(2027, 1, 20)).changes[0]
    assert "passed 5 days ago" in passed.message


def test_deprecated_parameter_names_the_operation_sunset() -> None:
    old = full_document()
    new = copy.deepcopy(old)
    op = new["paths"]["/issues"]["get"]
    op["x-sunset"] = "2028-01-01"
    limit = next(p for p in op["parameters"] if p.get("name") == "limit")
    limit["deprecated"] = True
    result = evaluate(old, new, today=TODAY)
    (change,) = [c for c in result.changes if c.id == "request-parameter-deprecated"]
    assert change.level is Level.WARNING
    assert change.message == "query parameter 'limit' is deprecated (sunset on 2028-01-01)"


def test_deprecated_property_with_its_own_sunset(tmp_path: Path) -> None:
    old = vendored()
    new = copy.deepcopy(old)
    context = new["components"]["schemas"]["CreateIssueDto"]["properties"]["context"]
    context["deprecated"] = True
    context["x-sunset"] = (TODAY + dt.timedelta(days=45)).isoformat()
    result = evaluate(old, new, today=TODAY)
    (deprecated,) = [c for c in result.changes if c.id == "request-property-deprecated"]
    assert deprecated.level is Level.WARNING
    expected = (TODAY + dt.timedelta(days=45)).isoformat()
    assert deprecated.message.endswith(f"deprecated (sunset on {expected})")
    (imminent,) = result.at_or_above(Level.BREAKING)
    assert imminent.id == "api-sunset-imminent"
    assert imminent.location.endswith("/CreateIssueDto/properties/context")
    # Only the full cassette sends `context`: a project that never sends it is not affected.
    minimal = _cassettes(tmp_path, "test_create_issue_minimal.yaml")
    assert not evaluate(old, new, today=TODAY, used_by=[minimal]).breaking
    (tmp_path / "f").mkdir()
    full = _cassettes(tmp_path / "f", "test_create_issue_full.yaml")
    assert evaluate(old, new, today=TODAY, used_by=[full]).breaking
