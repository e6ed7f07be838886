"""Failure reports a person can act on in one read: one entry per root cause, honest counts,
bounded output (README, 'Reading a failure'). End to end through pytester, against the
planted faults of ``tests/helpers/planted_faults.py``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers.fault_counts import TALLY
from tests.helpers.planted_faults import FAULTS

COUNTING_CONFTEST = """
import pytest
from tests.helpers.fault_counts import TALLY, counting_factory

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None:
        plugin.fake_factory = counting_factory({fault!r})

def pytest_runtest_setup(item):
    TALLY.part = item.nodeid.removeprefix("antimetal-contract::")
"""

MAX_LINES = 60
"""A fault with one root cause fits on one screen at default verbosity (the whole output)."""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "120")
    # As on CI, where the suite mostly runs: there pytest prints each failure's whole message in
    # the short summary instead of trimming it to the terminal's width.
    monkeypatch.setenv("CI", "true")
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_operations = createIssue\n"
    )
    return pytester


def _hits(line: str) -> dict[str, int]:
    """``... - 118 request(s) (examples 1, coverage 42)`` -> {part: requests}."""
    match = re.search(r" - (\d+) request\(s\) \(([^)]*)\)$", line)
    assert match is not None, line
    parts = dict((p.rsplit(" ", 1)[0], int(p.rsplit(" ", 1)[1])) for p in match[2].split(", "))
    assert sum(parts.values()) == int(match[1])
    return parts


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_planted_fault_is_one_entry_on_one_screen_with_hand_counted_hits(
    project: pytest.Pytester, fault: str
) -> None:
    project.makeconftest(COUNTING_CONFTEST.format(fault=fault))
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=1",
        "--antimetal-max-examples=20",
    )
    lines = result.outlines + result.errlines
    text = "\n".join(lines)
    assert "root causes: 1, " in text, text
    assert len(lines) <= MAX_LINES, text
    summary = lines[lines.index(next(x for x in lines if x.startswith("root causes: 1, "))) + 1]
    planted = FAULTS[fault]
    checks = set(re.findall(r"\b[a-z_]+ x\d+", text))
    assert any(check.split(" x")[0] in planted.checks for check in checks), text
    # A minimal request, when one was found, comes first and is what `reproduce:` sends.
    if "minimal request (" in text:
        assert text.index("minimal request (") < text.index("original request (")
    # The suite's count of requests that hit the cause, per part, is the server's own count
    # of the answers the fault changed.
    assert _hits(summary) == {part: n for part, n in TALLY.hits.items() if n}, text


@pytest.mark.parametrize("where", ["in-process", "xdist"])
def test_short_summary_and_junit_message_carry_one_line_per_failed_part(
    project: pytest.Pytester, where: str
) -> None:
    """The entry is printed once, under FAILURES; the summary line and JUnit's ``message`` hold
    only the part's headline (whole messages are what pytest shows on CI and at ``-vv``)."""
    project.makeconftest(COUNTING_CONFTEST.format(fault="malformed-500"))
    junit = project.path / "junit.xml"
    workers = ["-n", "2"] if where == "xdist" else []
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=1",
        "--antimetal-max-examples=20",
        "-vv",
        f"--junitxml={junit}",
        *workers,
    )
    lines = result.outlines
    start = next(i for i, x in enumerate(lines) if "short test summary info" in x)
    summary = lines[start + 1 :]
    failed = [x for x in summary if x.startswith("FAILED ")]
    assert failed, result.stdout.str()
    # Each FAILED line is followed directly by the next one or by the closing rule.
    assert all(x.startswith(("FAILED ", "=")) for x in summary if x.strip()), summary
    assert all("root cause(s)" in x for x in failed), failed
    # The entries' bodies are under FAILURES, and only there.
    assert "; hit by " in "\n".join(lines[:start]), result.stdout.str()
    xml = junit.read_text()
    parts_suite = xml.split('name="antimetal-contract root causes"')[0]
    messages = re.findall(r'<failure message="([^"]*)"', parts_suite)
    assert len(messages) == len(failed), xml
    assert all("&#10;" not in m and "\n" not in m and "root cause(s)" in m for m in messages)
    assert "reproduce: curl" in xml  # the whole entry is still the failure's text
    assert "antimetal_contract_entries" not in xml  # bodies travel between workers, not here
    # The controller's summary counts the workers' root causes.
    assert "root causes: 1, " in result.stdout.str(), result.stdout.str()


# -- grouping, without pytest ------------------------------------------------------------


def _failure(check: str, message: str, status: int, body: bytes = b"{}", case: str = "c") -> Any:
    from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest

    sent = SentRequest("POST", "http://127.0.0.1:1/issues", {}, b"{}")
    response = ReceivedResponse(status, {"content-type": "application/json"}, body)
    return Failure(check, message, case, sent, response)


def test_message_shape_keeps_names_and_drops_values() -> None:
    from pytest_antimetal.contract.grouping import normalise

    a = normalise("`title` sent as '0' came back as '0!'")
    b = normalise("`title` sent as \"it's\" came back as 'x'... (502 chars)")
    assert a == b == "`title` sent as <v> came back as <v>"
    assert normalise('Response violates schema: "type" is a required property') == (
        'Response violates schema: "type" is a required property'
    )
    assert (
        normalise(
            "edge case: title of 500 characters: HTTP 500", "edge case: title of 500 characters"
        )
        == "<case>: HTTP <n>"
    )
    assert normalise("the spec's `pattern` disagree: accepted '2026-01-01T10:00Z'") == (
        "the spec's `pattern` disagree: accepted <v>"
    )


def test_one_response_failing_several_checks_is_one_entry_counted_past_the_cap() -> None:
    from pytest_antimetal.contract.grouping import EntryBook
    from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest

    book = EntryBook()
    response = ReceivedResponse(500, {}, b'{"message": "utf8mb3 column 7"}')
    for i in range(45):  # past the runner's 20 kept per check
        sent = SentRequest("POST", "http://127.0.0.1:1/issues", {}, f'{{"n": {i}}}'.encode())
        for check in ("content_type_conformance", "not_a_server_error", "edge_cases"):
            book.add(Failure(check, f"case {i}: HTTP 500", f"case {i}", sent, response), "p1")
    sent = SentRequest("POST", "http://127.0.0.1:1/issues", {}, b"{}")
    book.add(Failure("not_a_server_error", "Server error", "x", sent, response), "p2")
    (entry,) = book.entries()
    assert entry.family == "server error"
    assert entry.parts == {"p1": 45, "p2": 1}
    assert entry.checks == {
        "content_type_conformance": 45,
        "not_a_server_error": 46,
        "edge_cases": 45,
    }
    assert entry.representative[0].check == "not_a_server_error"  # the deciding check first
    assert "the server said 'utf8mb3 column 7'" in entry.headline


def test_refused_valid_inputs_group_by_the_fields_the_server_blamed() -> None:
    from pytest_antimetal.contract.grouping import entry_key

    title = b'{"type": "invalid_request_error", "details": {"title": "too long"}}'
    severity = b'{"type": "invalid_request_error", "details": {"severity": "bad"}}'
    a, _ = entry_key(
        [_failure("positive_data_acceptance", "Schema-valid request rejected", 400, title)]
    )
    b, _ = entry_key(
        [_failure("edge_cases", "x: a valid request was refused with HTTP 400", 400, title)]
    )
    c, _ = entry_key(
        [_failure("edge_cases", "x: a valid request was refused with HTTP 400", 400, severity)]
    )
    assert a == b == ("valid input refused", 400, "fields: title")
    assert c != a


def test_entries_travel_as_json_and_merge_by_cause() -> None:
    from pytest_antimetal.contract.entries import Entry
    from pytest_antimetal.contract.grouping import EntryBook

    book = EntryBook()
    book.add(
        _failure("request_reflected", "`title` sent as 'a' came back as 'a!'", 201), "examples"
    )
    (entry,) = book.entries()
    copy = Entry.from_dict(json.loads(json.dumps(entry.as_dict())))
    assert copy.id == entry.id and copy.representative[0].request == entry.representative[0].request
    run = EntryBook()
    assert run.merge([entry]) == [entry]
    assert run.merge([copy]) == []  # same cause from another part or worker: counts add up
    assert run.entries()[0].parts == {"examples": 2}


def test_a_failure_travels_as_json_whole_whatever_its_bytes() -> None:
    from pytest_antimetal.contract.entries import Entry, OperationRef
    from pytest_antimetal.contract.failure_json import failure_as_dict, failure_from_dict
    from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest

    sent = SentRequest("PUT", "http://127.0.0.1:1/issues/1?x=%00", {"a": "b"}, b"\xff\x00{")
    answer = ReceivedResponse(503, {"retry-after": "1"}, b"\x80 not utf-8")
    kept = [
        Failure("edge_cases", "m", "c", sent, answer, details="d\ne", replay="r", setup="s"),
        Failure("no_response", "no_response: timed out", "c2", sent, None),
    ]
    for failure in kept:
        assert failure_from_dict(json.loads(json.dumps(failure_as_dict(failure)))) == failure
    entry = Entry(
        "server error",
        503,
        "x",
        "t",
        kept,
        {"edge_cases": 2},
        {"coverage": 2},
        sent,
        "shrunk",
        OperationRef("putIssue", "PUT", "/issues/{id}"),
    )
    copy = Entry.from_dict(json.loads(json.dumps(entry.as_dict())))
    assert copy == entry and copy.as_dict() == entry.as_dict()


def test_the_names_moved_out_of_grouping_and_report_files_still_import_from_there() -> None:
    # grouping.py and report_files.py were split at their seams; code written against the
    # old modules keeps working (CHANGELOG).
    from pytest_antimetal.contract import (
        entries,
        grouping,
        report_context,
        report_files,
        report_html,
        repro,
    )

    moved = {
        grouping: {"Entry": entries, "OperationRef": entries, "format_part": entries},
        report_files: {
            "ReportContext": report_context,
            "coverage_html": report_html,
            "repro_source": repro,
        },
    }
    for old, names in moved.items():
        for name, home in names.items():
            assert name in old.__all__ and getattr(old, name) is getattr(home, name), name


def test_verbose_adds_headers_and_details(project: pytest.Pytester) -> None:
    project.makeconftest(COUNTING_CONFTEST.format(fault="bad-400-body"))
    args = ("-p", "antimetal", "--antimetal-contract", "-k", "malformed", "--hypothesis-seed=1")
    default = "\n".join(project.runpytest(*args).outlines)
    verbose = "\n".join(project.runpytest(*args, "-v").outlines)
    assert "user-agent: pytest-antimetal contract suite" not in default
    assert "user-agent: pytest-antimetal contract suite" in verbose
    assert len(verbose.splitlines()) > len(default.splitlines())


def test_a_line_per_part_as_it_finishes_and_none_under_q(project: pytest.Pytester) -> None:
    args = (
        "-p",
        "antimetal",
        "--antimetal-contract",
        "-k",
        "malformed or edge",
        "-p",
        "no:randomly",
    )
    default = "\n".join(project.runpytest(*args).outlines)
    assert re.search(
        r"^antimetal-contract \. createIssue::edge-cases: \d+ request\(s\) sent, 0 root cause\(s\), \d+\.\d s$",
        default,
        re.M,
    )
    assert re.search(
        r"^\. createIssue::malformed: \d+ request\(s\) sent, 0 root cause\(s\), \d+\.\d s$",
        default,
        re.M,
    )
    quiet = "\n".join(project.runpytest(*args, "-q").outlines)
    assert "request(s) sent" not in quiet
    verbose = "\n".join(project.runpytest(*args, "-v").outlines)
    assert re.search(r"^    createIssue::malformed: \d+ request\(s\) sent", verbose, re.M)


def test_readme_example_is_what_the_suite_prints(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, 'Reading a failure': the example is this run's output, verbatim."""
    from tests.helpers.sessions import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- readme-example: reading-a-failure -->\n```text\n(.*?)\n```", readme, re.S
    )
    assert match is not None
    monkeypatch.setenv("COLUMNS", "80")  # the README shows pytest's default width
    project.makeconftest(COUNTING_CONFTEST.format(fault="bad-400-body"))
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "-k", "malformed", "--hypothesis-seed=1"
    )
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "= FAILURES =" in line)
    end = next(i for i, line in enumerate(lines) if "short test summary info" in line)
    assert "\n".join(lines[start:end]).rstrip() == match[1]


def test_junit_has_one_testcase_per_root_cause(project: pytest.Pytester) -> None:
    """Beside the parts' suite, JUnit gets a suite with one failing testcase per root cause
    (the malformed-500 fault fails four parts with one cause: four part failures, one case)."""
    import xml.etree.ElementTree as ET

    project.makeconftest(COUNTING_CONFTEST.format(fault="malformed-500"))
    junit = project.path / "junit.xml"
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=1",
        "--antimetal-max-examples=20",
        f"--junitxml={junit}",
    )
    parts_failed = result.parseoutcomes()["failed"]
    assert parts_failed > 1
    root = ET.parse(junit).getroot()
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"pytest", "antimetal-contract root causes"}, suites
    assert suites["pytest"].get("failures") == str(parts_failed)  # as pytest wrote it
    causes = suites["antimetal-contract root causes"]
    cases = causes.findall("testcase")
    assert len(cases) == 1 and causes.get("failures") == causes.get("tests") == "1"
    (failure,) = cases[0].findall("failure")
    summary_line = next(x for x in result.outlines if x.startswith("  [") and " - " in x)
    headline = summary_line.strip().rsplit(" - ", 1)[0]
    assert cases[0].get("name") == failure.get("message") == headline
    assert failure.text is not None and "reproduce: curl" in failure.text


def test_junit_without_failures_is_left_as_pytest_wrote_it(project: pytest.Pytester) -> None:
    junit = project.path / "junit.xml"
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-contract", "-k", "examples", f"--junitxml={junit}"
    )
    result.assert_outcomes(passed=1, deselected=7)
    assert "root causes" not in junit.read_text()
