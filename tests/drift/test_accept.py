"""Reviewed exceptions: ``antimetal-drift.toml`` / ``[tool.antimetal.drift]``, expiry, drafts."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.cli import main
from pytest_antimetal.spec import VENDORED_SPEC_PATH, parse_document

Doc = dict[str, Any]
TITLE = "/components/schemas/CreateIssueDto/properties/title"
RULE = "request-property-max-length-decreased"
TODAY = dt.date.today()


def _docs(folder: Path) -> tuple[str, str]:
    """The vendored spec and a copy whose title limit shrinks (one breaking change)."""
    old = parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))
    new: Doc = copy.deepcopy(old)
    new["components"]["schemas"]["CreateIssueDto"]["properties"]["title"]["maxLength"] = 200
    (folder / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (folder / "new.json").write_text(json.dumps(new), encoding="utf-8")
    return str(folder / "old.json"), str(folder / "new.json")


def _entry(
    expires: dt.date, rule: str = RULE, location: str = TITLE, reason: str = "we cap at 120"
) -> str:
    return (
        f'[[accept]]\nid = "{rule}"\nlocation = "{location}"\n'
        f'reason = "{reason}"\nexpires = {expires.isoformat()}\n'
    )


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_accepted_change_passes_and_says_why(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _docs(here)
    assert main(["diff", old, new]) == 1
    capsys.readouterr()
    (here / "antimetal-drift.toml").write_text(_entry(TODAY + dt.timedelta(days=30)))
    assert main(["diff", old, new]) == 0
    out = capsys.readouterr().out
    assert "0 breaking, 0 warnings, 1 info" in out
    until = (TODAY + dt.timedelta(days=30)).isoformat()
    assert f"(accepted until {until}: we cap at 120; breaking by rule)" in out


def test_expired_acceptance_fails_with_one_line(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _docs(here)
    yesterday = TODAY - dt.timedelta(days=1)
    (here / "antimetal-drift.toml").write_text(_entry(yesterday))
    assert main(["diff", old, new]) == 1
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: antimetal-drift.toml: entry 1 ({RULE} at {TITLE}) expired on "
        f"{yesterday.isoformat()}: review it (renew with a new date, or remove it)"
    ]
    assert "BREAKING POST /issues" in out  # no longer accepted
    # An expired entry fails even a diff that has nothing to accept.
    assert main(["diff", old, old]) == 1


def test_last_day_of_an_acceptance_still_counts(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _docs(here)
    (here / "antimetal-drift.toml").write_text(_entry(TODAY))
    assert main(["diff", old, new]) == 0


def test_stale_entry_is_reported(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _docs(here)
    later = TODAY + dt.timedelta(days=10)
    stale = _entry(later, rule="request-property-removed", location="/nowhere")
    (here / "antimetal-drift.toml").write_text(_entry(later) + "\n" + stale)
    assert main(["diff", old, new]) == 0
    out = capsys.readouterr().out
    assert (
        "note: stale acceptance in antimetal-drift.toml: entry 2 (request-property-removed at "
        "/nowhere) matches no change; remove it"
    ) in out


def test_pyproject_section(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _docs(here)
    entry = _entry(TODAY + dt.timedelta(days=5)).replace(
        "[[accept]]", "[[tool.antimetal.drift.accept]]"
    )
    (here / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + entry)
    assert main(["diff", old, new, "--format", "json"]) == 0
    (change,) = json.loads(capsys.readouterr().out)["changes"]
    assert change["level"] == "info"
    assert change["rule_level"] == "breaking"
    assert change["note"].endswith(": we cap at 120")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[accept]]\nid = 'x'\n",
            "antimetal-drift.toml: entry 1: missing location, reason, expires",
        ),
        ("[[accept\n", "antimetal-drift.toml: not valid TOML ("),
        (
            _entry(TODAY).replace("we cap at 120", " "),
            f"antimetal-drift.toml: entry 1 ({RULE} at {TITLE}) has no reason: say why",
        ),
        (
            _entry(TODAY).replace(TODAY.isoformat(), '"soon"'),
            "antimetal-drift.toml: entry 1: expires must be a date (2027-03-01), got 'soon'",
        ),
    ],
)
def test_bad_accept_file_is_one_line_exit_2(
    here: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    old, new = _docs(here)
    (here / "antimetal-drift.toml").write_text(text)
    assert main(["diff", old, new]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_write_accept_drafts_entries_that_need_a_reason(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _docs(here)
    assert main(["diff", old, new, "--write-accept"]) == 1
    assert "drafted 1 entry in antimetal-drift.toml" in capsys.readouterr().err
    text = (here / "antimetal-drift.toml").read_text()
    assert f'id = "{RULE}"' in text and f'location = "{TITLE}"' in text
    assert f"expires = {(TODAY + dt.timedelta(days=90)).isoformat()}" in text
    assert "# POST /issues: request body property 'title': maxLength changed" in text
    # A draft accepts nothing until someone writes the reason.
    assert main(["diff", old, new]) == 2
    assert "has no reason" in capsys.readouterr().err
    (here / "antimetal-drift.toml").write_text(text.replace('reason = ""', 'reason = "reviewed"'))
    assert main(["diff", old, new]) == 0
    # Nothing left to draft: the file is not touched.
    before = (here / "antimetal-drift.toml").read_text()
    assert main(["diff", old, new, "--write-accept"]) == 0
    assert (here / "antimetal-drift.toml").read_text() == before


def test_pytest_item_reads_the_accept_file_at_the_rootdir(pytester: pytest.Pytester) -> None:
    old, new = _docs(pytester.path)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    args = ("-p", "antimetal", f"--antimetal-spec={old}", f"--antimetal-spec-drift={new}", "-ra")
    (pytester.path / "antimetal-drift.toml").write_text(_entry(TODAY + dt.timedelta(days=3)))
    pytester.runpytest(*args).assert_outcomes(passed=1)
    (pytester.path / "antimetal-drift.toml").write_text(_entry(TODAY - dt.timedelta(days=3)))
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    # The failure's first line is the expired entry (what -ra's summary starts with).
    result.stdout.fnmatch_lines(
        [
            "_*antimetal-spec-drift*_",
            f"*/antimetal-drift.toml: entry 1 ({RULE} at {TITLE}) expired on *",
        ]
    )
