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


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("https://exa mple.com/x", "contains ' '"),
        ("http://127.0.0.1:abc/x", "Port could not be cast"),
        ("HTTP://[::1", "Invalid IPv6 URL"),
    ],
)
def test_malformed_url_is_one_line_failure(project: pytest.Pytester, url: str, reason: str) -> None:
    result = project.runpytest("-p", "antimetal", f"--antimetal-spec-drift={url}", "-ra")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    lines = out.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("_ ") or line.startswith("__")
    )
    end = next(i for i, line in enumerate(lines) if "short test summary info" in line)
    body = lines[start + 1 : end]
    assert len(body) == 1, body
    assert body[0].startswith(f"antimetal-spec-drift: {url}: not a valid URL (")
    assert reason in body[0]
    assert any(
        line.startswith("FAILED antimetal-spec-drift - antimetal-spec-drift: ") for line in lines
    )
    assert "Traceback" not in out
    assert "ValueError" not in out
    assert "InvalidURL" not in out


def _narrower_spec(project: pytest.Pytester) -> Path:
    """spec/my.json: the vendored document with title maxLength 100 (500 when vendored)."""
    doc = _vendored()
    doc["components"]["schemas"]["CreateIssueDto"]["properties"]["title"]["maxLength"] = 100
    (project.path / "spec").mkdir()
    return _source(project, doc, "spec/my.json")


def test_ini_spec_is_the_old_side_even_from_a_subdirectory(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Diffing spec/my.json against itself is clean; against the vendored spec
    # (what a wrong resolution would load) the smaller maxLength is breaking.
    source = _narrower_spec(project)
    project.makeini(INI + "antimetal_spec = spec/my.json\n")
    sub = project.mkpydir("sub")
    (sub / "test_s.py").write_text("def test_s():\n    pass\n", encoding="utf-8")
    monkeypatch.chdir(sub)
    result = project.runpytest("-p", "antimetal", ".", f"--antimetal-spec-drift={source}", "-rP")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*0 breaking, 0 warnings, 0 info*"])


def test_command_line_spec_is_resolved_from_the_invocation_dir(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _narrower_spec(project)
    sub = project.mkpydir("sub")
    (sub / "test_s.py").write_text("def test_s():\n    pass\n", encoding="utf-8")
    monkeypatch.chdir(sub)
    args = ["-p", "antimetal", ".", f"--antimetal-spec-drift={source}"]
    result = project.runpytest(*args, "--antimetal-spec=../spec/my.json")
    result.assert_outcomes(passed=2)
    # The same source against the vendored spec: the narrowing is breaking.
    result = project.runpytest(*args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*request-property-max-length-decreased*"])


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


def test_item_can_be_selected_by_node_id(project: pytest.Pytester) -> None:
    source = _source(project, _vendored())
    (project.path / "cassettes").mkdir()
    option = f"--antimetal-spec-drift={source}"
    alone = project.runpytest("-p", "antimetal", option, "antimetal-spec-drift", "-v")
    alone.assert_outcomes(passed=1)
    alone.stdout.fnmatch_lines(["antimetal-spec-drift PASSED*"])
    # Naming one run-wide item leaves the other out; paths still add their tests.
    args = ["-p", "antimetal", option, "--antimetal-check-cassettes=cassettes", "-v"]
    picked = project.runpytest(*args, "test_ok.py", "antimetal-spec-drift")
    picked.assert_outcomes(passed=2)
    assert "antimetal-cassettes-check" not in picked.stdout.str()
    picked.stdout.fnmatch_lines(["test_ok.py::test_ok PASSED*", "antimetal-spec-drift PASSED*"])


def test_no_item_without_the_option(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "antimetal", "-v")
    result.assert_outcomes(passed=1)
    assert "antimetal-spec-drift" not in result.stdout.str()


def test_plugin_module_does_not_import_drift() -> None:
    # The pytest entry point loads on every run; drift must cost nothing there. It reads
    # only the default source (drift/source.py: standard library only; the package's
    # __init__ is lazy), never the rules, the spec layer or the drift plugin.
    code = (
        "import sys, pytest_antimetal.plugin\n"
        "allowed = {'pytest_antimetal.drift', 'pytest_antimetal.drift.source'}\n"
        "loaded = [m for m in sys.modules if m.startswith('pytest_antimetal.drift')]\n"
        "assert set(loaded) <= allowed, loaded\n"
        "assert 'pytest_antimetal.spec' not in sys.modules\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert completed.returncode == 0, completed.stderr.decode()


def test_documented_run_it_alone_form_takes_the_node_id(project: pytest.Pytester) -> None:
    """``pytest --antimetal-spec-drift antimetal-spec-drift`` (README): the item alone."""
    _source(project, _vendored(), "published.json")
    project.makeini(INI + "antimetal_drift_source = published.json\n")
    project.makepyfile(test_broken="def test_broken():\n    assert False\n")
    result = project.runpytest("-p", "antimetal", "--antimetal-spec-drift", ITEM, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["antimetal-spec-drift PASSED*"])
    assert "cannot read" not in result.stdout.str()
    # With other paths named, those run too (as `pytest NODEID PATH` would).
    result = project.runpytest("-p", "antimetal", "--antimetal-spec-drift", ITEM, "test_ok.py")
    result.assert_outcomes(passed=2)


def test_a_file_named_like_the_item_is_still_a_source(project: pytest.Pytester) -> None:
    doc = _vendored()
    doc["components"]["schemas"]["CreateIssueDto"]["properties"]["title"]["maxLength"] = 100
    _source(project, doc, ITEM)
    result = project.runpytest("-p", "antimetal", "--antimetal-spec-drift", ITEM)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"1 breaking change in *{ITEM}"])


ITEM = "antimetal-spec-drift"
