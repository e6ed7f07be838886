"""``diff --used-by``: changes judged against what the project's cassettes use.

Real-shaped documents: the vendor's whole document (9 operations) and the
vendored spec, with modified copies; the project's own recorded cassettes.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.cli import main
from pytest_antimetal.drift.gate import evaluate
from pytest_antimetal.drift.model import Level
from pytest_antimetal.drift.usage import Usage
from pytest_antimetal.spec import VENDORED_SPEC_PATH, parse_document, vendored_spec
from tests.helpers.sessions import REPO_ROOT, SHARED_VENDOR

CASSETTES = REPO_ROOT / "cassettes"
FULL = SHARED_VENDOR / "openapi.mintlify.json"

Doc = dict[str, Any]

OPERATIONS = [op.label for op in vendored_spec().operations()]
"""The vendored document's operations (all nine of the vendor's API)."""


def full_document() -> Doc:
    """The vendor's whole published document; the test is skipped without it."""
    if not FULL.is_file():
        pytest.skip(
            "the vendor's whole published OpenAPI document (openapi.mintlify.json, all 9 "
            "operations) is not in this checkout's shared vendor folder"
        )
    return dict(json.loads(FULL.read_text(encoding="utf-8")))


def vendored() -> Doc:
    return parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))


def _write(path: Path, doc: Doc) -> str:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _cassettes(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    for name in names:
        shutil.copy(CASSETTES / name, folder / name)
    return folder


def test_usage_read_from_the_project_cassettes() -> None:
    usage = Usage.from_cassettes([CASSETTES], [full_document()])
    assert usage.used_operations() == ["POST /issues"]
    assert len(usage.cassettes) == 4
    op = usage.operations[("POST", "/issues")]
    assert op.calls.count == 4
    assert "header:antimetal-version" in op.params
    assert ("context", "tags", "[]") in op.fields
    assert set(op.responses) == {"201", "400", "401"}
    assert ("details", "title") in op.responses["400"].fields


def test_breaking_change_in_an_unused_operation_passes_with_used_by(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = full_document()
    new = copy.deepcopy(old)
    new["paths"]["/artifacts"]["get"]["parameters"].append(
        {"name": "kind", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    old_path, new_path = _write(tmp_path / "old.json", old), _write(tmp_path / "new.json", new)
    # Without a scope the change breaks...
    assert main(["diff", old_path, new_path]) == 1
    capsys.readouterr()
    # ...with the project's cassettes nobody calls GET /artifacts: info, exit 0.
    assert main(["diff", old_path, new_path, "--used-by", str(CASSETTES)]) == 0
    out = capsys.readouterr().out
    assert "0 breaking, 0 warnings, 1 info" in out
    assert "INFO     GET /artifacts: query parameter 'kind' added" in out
    assert "(not used here; breaking by rule)" in out
    assert "note: usage from 4 cassettes: 1 operation used (POST /issues)" in out


def test_same_change_in_a_used_field_fails_and_names_the_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = full_document()
    new = copy.deepcopy(old)
    # `severity` is in test_create_issue_full.yaml's 201 body only.
    new["components"]["schemas"]["CreateIssueResponseDto"]["properties"]["severity"]["nullable"] = (
        True
    )
    folder = _cassettes(tmp_path, "test_create_issue_full.yaml", "test_create_issue_minimal.yaml")
    old_path, new_path = _write(tmp_path / "old.json", old), _write(tmp_path / "new.json", new)
    assert main(["diff", old_path, new_path, "--used-by", str(folder), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (change,) = [c for c in report["changes"] if c["level"] == "breaking"]
    assert change["id"] == "response-property-became-nullable"
    assert change["operation"] == "POST /issues"
    # Both recorded 201 bodies carry `severity`; the report names the first and counts the rest.
    assert change["note"] == f"used by {folder / 'test_create_issue_full.yaml'} (+1 more)"


def test_request_fields_count_only_when_sent(tmp_path: Path) -> None:
    """The minimal cassette sends title, description and environment, not `context`."""
    old = vendored()
    folder = _cassettes(tmp_path, "test_create_issue_minimal.yaml")
    new = copy.deepcopy(old)
    props = new["components"]["schemas"]["CreateIssueDto"]["properties"]
    props["context"]["properties"]["service"]["maxLength"] = 10
    result = evaluate(old, new, used_by=[folder])
    (change,) = [c for c in result.changes if c.id.startswith("request-property")]
    assert change.level is Level.INFO
    assert change.note == "not used here"
    assert change.rule_level is Level.BREAKING
    props["title"]["maxLength"] = 200  # a field every request sends
    result = evaluate(old, new, used_by=[folder])
    assert [c.id for c in result.at_or_above(Level.BREAKING)] == [
        "request-property-max-length-decreased"
    ]
    assert result.at_or_above(Level.BREAKING)[0].location.endswith(
        "/CreateIssueDto/properties/title"
    )


def test_new_required_field_breaks_a_request_that_omits_it(tmp_path: Path) -> None:
    old = vendored()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["CreateIssueDto"]["required"].append("severity")
    # The full cassette sends severity, the minimal one does not.
    sends = evaluate(old, new, used_by=[_cassettes(tmp_path, "test_create_issue_full.yaml")])
    assert not sends.breaking
    (tmp_path / "b").mkdir()
    omits = evaluate(
        old, new, used_by=[_cassettes(tmp_path / "b", "test_create_issue_minimal.yaml")]
    )
    assert [c.id for c in omits.at_or_above(Level.BREAKING)] == ["request-property-became-required"]


def test_version_default_matters_only_to_requests_that_omit_the_header(tmp_path: Path) -> None:
    old = vendored()
    new = copy.deepcopy(old)
    new["components"]["parameters"]["AntimetalVersion"]["schema"]["default"] = "2026-06-01"
    unscoped = evaluate(old, new)
    # Every operation of the document takes the header: each one is told.
    changes = unscoped.at_or_above(Level.BREAKING)
    assert {c.id for c in changes} == {"api-version-default-changed"}
    assert sorted(c.operation for c in changes) == sorted(OPERATIONS)
    assert all("this client pins '2026-03-17'" in c.message for c in changes)
    # Three of the project's four recorded requests omit the header: the default applies,
    # to the one operation they call.
    scoped = evaluate(old, new, used_by=[CASSETTES])
    assert [(c.id, c.operation) for c in scoped.at_or_above(Level.BREAKING)] == [
        ("api-version-default-changed", "POST /issues")
    ]
    # A project whose every request sends Antimetal-Version never gets the default.
    pinned = evaluate(old, new, used_by=[_cassettes(tmp_path, "test_create_issue_full.yaml")])
    assert not pinned.breaking
    assert len(pinned.changes) == len(OPERATIONS)
    assert {c.note for c in pinned.changes} == {"not used here"}


def test_a_shared_error_schema_counts_for_every_status_it_serves(tmp_path: Path) -> None:
    old = vendored()
    new = copy.deepcopy(old)
    # ErrorResponseDto serves 400, 401, 403, 429 and 500: breaking in each.
    new["components"]["schemas"]["ErrorResponseDto"]["required"].remove("request_id")
    (tmp_path / "a").mkdir()
    errors = _cassettes(tmp_path / "a", "test_create_issue_unauthenticated.yaml")  # a 401
    # Only POST /issues was recorded, though every operation serves the schema.
    (used,) = evaluate(old, new, used_by=[errors]).at_or_above(Level.BREAKING)
    assert used.id == "response-property-became-optional"
    assert used.operation == "POST /issues"
    assert used.note == f"used by {errors / 'test_create_issue_unauthenticated.yaml'}"
    # A project that never recorded an error response does not read that field.
    (tmp_path / "b").mkdir()
    success = _cassettes(tmp_path / "b", "test_create_issue_minimal.yaml")  # a 201
    result = evaluate(old, new, used_by=[success])
    assert not result.breaking
    changes = [c for c in result.changes if c.id == "response-property-became-optional"]
    # Every operation documents ErrorResponseDto answers; none was recorded.
    assert sorted({c.operation for c in changes}) == sorted(OPERATIONS)
    assert {c.note for c in changes} == {"not used here"}


def test_used_by_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _write(tmp_path / "doc.json", vendored())
    assert main(["diff", doc, doc, "--used-by", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert "--used-by:" in err and "nowhere: no such file or directory" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["diff", doc, doc, "--used-by", str(empty)]) == 2
    assert "no cassettes found" in capsys.readouterr().err


def test_unreadable_and_hostile_cassettes_are_reported_not_run(tmp_path: Path) -> None:
    folder = _cassettes(tmp_path, "test_create_issue_full.yaml")
    (folder / "evil.yaml").write_text(
        "interactions: !!python/object/apply:os.system ['echo pwned > pwned.txt']\n"
    )
    (folder / "deep.json").write_text(
        json.dumps(
            {
                "interactions": [
                    {
                        "request": {"method": "POST", "uri": "https://x/api/v2/issues"},
                        "response": {
                            "status": {"code": 201},
                            "headers": {},
                            "body": {"string": "[" * 100_000 + "]" * 100_000},
                        },
                    }
                ]
            }
        )
    )
    usage = Usage.from_cassettes([folder], [vendored()])
    assert not (tmp_path / "pwned.txt").exists()
    # Refused by the one bounded, tag-safe parser, naming the file and the tag.
    assert any(
        "evil.yaml: not valid JSON or YAML" in p and "python/object/apply" in p
        for p in usage.problems
    )
    assert len(usage.cassettes) == 2  # the full one and the deep one (its body is skipped)
    assert "unreadable:" in usage.describe()


def test_pytest_item_scopes_to_the_project_cassettes_by_default(pytester: pytest.Pytester) -> None:
    old = full_document()
    new = copy.deepcopy(old)
    new["paths"]["/artifacts"]["get"]["parameters"].append(
        {"name": "kind", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    _write(pytester.path / "old.json", old)
    _write(pytester.path / "new.json", new)
    args = ("-p", "antimetal", "--antimetal-spec=old.json", "--antimetal-spec-drift=new.json")
    # No cassettes: every operation counts, the new required parameter breaks.
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*BREAKING GET /artifacts: query parameter 'kind' added*"])
    # The project records its traffic: nobody here calls GET /artifacts.
    _cassettes(pytester.path, "test_create_issue_minimal.yaml")
    result = pytester.runpytest(*args, "-rP")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "note: usage from 1 cassette: 1 operation used (POST /issues)",
            "INFO     GET /artifacts: query parameter 'kind' added",
            "*(not used here; breaking by rule)",
        ]
    )
