"""``pytest --antimetal-spec-drift[=SOURCE]``: one item, a clear verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.spec import VENDORED_SPEC_PATH, parse_document

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def _vendored() -> dict[str, Any]:
    return parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project with one ordinary test (plugin.py registers DriftPlugin)."""
    pytester.makeini(INI)
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    return pytester


def _source(pytester: pytest.Pytester, doc: dict[str, Any], name: str = "published.json") -> Path:
    path = pytester.path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_unchanged_source_passes(project: pytest.Pytester) -> None:
    source = _source(project, _vendored())
    result = project.runpytest("-p", "antimetal", f"--antimetal-spec-drift={source}", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["antimetal-spec-drift PASSED*"])


def test_breaking_source_fails_with_the_report(project: pytest.Pytester) -> None:
    doc = _vendored()
    doc["components"]["schemas"]["CreateIssueDto"]["properties"]["title"]["maxLength"] = 100
    source = _source(project, doc)
    result = project.runpytest("-p", "antimetal", f"--antimetal-spec-drift={source}", "-ra")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"1 breaking change in {source}",
            "*1 breaking, 0 warnings, 0 info*",
            "*BREAKING POST /issues: request body property 'title': "
            "maxLength changed from 500 to 100",
            "*?request-property-max-length-decreased? at "
            "/components/schemas/CreateIssueDto/properties/title",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED antimetal-spec-drift - 1 breaking change in *"])
    assert "def runtest" not in result.stdout.str()
    assert "DriftFailure" not in result.stdout.str()


def test_warnings_only_pass_and_show_in_the_report_section(project: pytest.Pytester) -> None:
    doc = _vendored()
    doc["components"]["schemas"]["CreateIssueResponseDto"]["properties"]["status"]["enum"].append(
        "archived"
    )
    source = _source(project, doc)
    result = project.runpytest("-p", "antimetal", f"--antimetal-spec-drift={source}", "-rP")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*antimetal-spec-drift*", "WARNING  POST /issues: 201 response property 'status'*"]
    )


def test_network_failure_is_one_clear_failure(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "-p", "antimetal", "--antimetal-spec-drift=http://127.0.0.1:9/openapi.json"
    )
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        ["antimetal-spec-drift: http://127.0.0.1:9/openapi.json: cannot fetch (*)"]
    )
    assert "Traceback" not in out
    assert "urllib" not in out


def test_missing_file_is_one_clear_failure(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "antimetal", "--antimetal-spec-drift=nowhere.yaml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["antimetal-spec-drift: *nowhere.yaml: cannot read (*)"])


def test_bare_option_uses_the_ini_source(project: pytest.Pytester) -> None:
    doc = _vendored()
    del doc["paths"]["/issues"]["post"]["responses"]["201"]
    _source(project, doc, "from-ini.json")
    project.makeini(INI + "antimetal_drift_source = from-ini.json\n")
    result = project.runpytest("-p", "antimetal", "--antimetal-spec-drift")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*response-success-status-removed*"])


def test_item_can_be_selected_with_k(project: pytest.Pytester) -> None:
    source = _source(project, _vendored())
    result = project.runpytest(
        "-p", "antimetal", f"--antimetal-spec-drift={source}", "-k", "spec_drift or spec-drift"
    )
    result.assert_outcomes(passed=1, deselected=1)


def test_no_item_without_the_option(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "antimetal", "-v")
    result.assert_outcomes(passed=1)
    assert "antimetal-spec-drift" not in result.stdout.str()


def test_plugin_module_does_not_import_drift() -> None:
    # The pytest entry point loads on every run; drift must cost nothing there.
    code = (
        "import sys, pytest_antimetal.plugin\n"
        "loaded = [m for m in sys.modules if m.startswith('pytest_antimetal.drift')]\n"
        "assert not loaded, loaded\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert completed.returncode == 0, completed.stderr.decode()
