"""Coverage of the document (README, 'Coverage'): units on scripted exchanges, and the
summary, report files and ``--antimetal-coverage-min`` gate through pytester."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from pytest_antimetal.contract.coverage import (
    CoverageLog,
    CoverageRecorder,
    CoverageReport,
    DocumentModel,
    parse_percent,
    status_hint,
)
from pytest_antimetal.contract.report_files import ReportContext, coverage_html
from pytest_antimetal.spec import Spec, vendored_spec

BASE = "http://127.0.0.1:8000"
JSON = {"Content-Type": "application/json"}


def _small_spec(path: str = "/things/{thing_id}") -> Spec:
    """One operation: 200 and 4XX documented, one query parameter with an enum and bounds."""
    return Spec(
        {
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "servers": [{"url": "https://api.example.test/api/v2"}],
            "paths": {
                path: {
                    "get": {
                        "parameters": [
                            {
                                "in": "query",
                                "name": "mode",
                                "schema": {"type": "string", "enum": ["a", "b"]},
                            },
                            {
                                "in": "path",
                                "name": "thing_id",
                                "required": True,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 9},
                            },
                        ],
                        "responses": {"200": {"description": "ok"}, "4XX": {"description": "no"}},
                    }
                }
            },
        }
    )


def _record(
    recorder: CoverageRecorder,
    log: CoverageLog,
    method: str,
    url: str,
    status: int,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> None:
    recorder.record(log, method, url, headers=headers or {}, body=body, status=status)


# -- the document --------------------------------------------------------------------------


def test_model_reads_every_operation_of_the_spec() -> None:
    model = DocumentModel.from_spec(vendored_spec())
    labels = [op.label for op in model.operations]
    assert len(labels) == 9 and len(set(labels)) == 9
    assert {"POST /issues", "GET /issues", "POST /query", "GET /artifacts"} <= set(labels)
    listing = next(op for op in model.operations if op.label == "GET /issues")
    assert "429" in listing.statuses and "query.limit" in listing.parameters
    assert "header.Antimetal-Version" in listing.parameters
    # Bounds: at each bound and one past it.
    assert listing.bounds["query.limit"] == ["0", "1", "100", "101"]
    create = next(op for op in model.operations if op.label == "POST /issues")
    assert create.enums["body.severity"] == ["low", "medium", "high"]
    assert {"length 0", "length 1", "length 500", "length 501"} <= set(create.bounds["body.title"])


def test_requests_route_by_method_and_path_template() -> None:
    model = DocumentModel.from_spec(vendored_spec())
    recorder = CoverageRecorder(model, BASE)
    log = CoverageLog()
    _record(recorder, log, "GET", f"{BASE}/issues/by_number/7", 404)
    _record(recorder, log, "GET", f"{BASE}/issues/0b6d", 404)
    _record(recorder, log, "GET", f"{BASE}/issues?limit=101&status=resolved", 400)
    _record(recorder, log, "GET", f"{BASE}/artifacts?id=a&id=b", 200)
    _record(recorder, log, "PUT", f"{BASE}/issues", 405)
    _record(recorder, log, "GET", f"{BASE}/nowhere", 404)
    _record(recorder, log, "POST", f"{BASE}/issues", 201, {"title": "", "severity": "high"}, JSON)
    assert log.statuses["GET /issues/by_number/{number}"] == {404: 1}
    assert log.statuses["GET /issues/{id}"] == {404: 1}
    assert log.parameters["GET /issues/{id}"] == {"path.id"}
    assert log.parameters["GET /issues"] == {"query.limit", "query.status"}
    assert log.bounds["GET /issues"] == {"query.limit": {"101"}}
    assert log.enums["GET /issues"] == {"query.status": {"resolved"}}
    assert log.parameters["GET /artifacts"] == {"query.id"}
    assert log.enums["POST /issues"] == {"body.severity": {"high"}}
    assert log.bounds["POST /issues"]["body.title"] == {"length 0"}
    assert log.undocumented == {"PUT /issues": 1, "GET (no documented path)": 1}


def test_server_base_path_and_typed_path_values() -> None:
    model = DocumentModel.from_spec(_small_spec())
    recorder = CoverageRecorder(model, "http://localhost:9/api/v2")
    log = CoverageLog()
    _record(recorder, log, "GET", "http://localhost:9/api/v2/things/10?mode=b", 422)
    _record(recorder, log, "GET", "http://localhost:9/api/v2/things/1?mode=c", 200)
    assert log.statuses == {"GET /things/{thing_id}": {422: 1, 200: 1}}
    assert log.enums["GET /things/{thing_id}"] == {"query.mode": {"b"}}  # "c" is no enum value
    assert log.bounds["GET /things/{thing_id}"] == {"path.thing_id": {"10", "1"}}


def test_percentage_counts_statuses_and_parameters_exactly() -> None:
    model = DocumentModel.from_spec(_small_spec())
    recorder = CoverageRecorder(model, BASE)
    log = CoverageLog()
    report = CoverageReport(model, log)
    assert (report.covered, report.declared) == (0, 4)
    assert list(report.never_exercised()) == [
        "`GET /things/{thing_id}` never sent: no part of this run sends it"
    ]
    _record(recorder, log, "GET", f"{BASE}/things/3", 404)  # under 4XX
    report = CoverageReport(model, log)
    # 4XX seen, path.thing_id sent; 200 and query.mode not.
    assert (report.covered, report.declared) == (2, 4)
    assert report.percent == 50.0
    assert report.meets(50) and not report.meets(50.01)
    assert list(report.never_exercised()) == [
        f"`GET /things/{{thing_id}}` 200 never seen: {status_hint('200')}",
        "`GET /things/{thing_id}` parameter query.mode never sent",
    ]
    _record(recorder, log, "GET", f"{BASE}/things/3?mode=a", 418)
    report = CoverageReport(model, log)
    assert report.operations[0].undocumented == {}  # 418 falls under 4XX
    _record(recorder, log, "GET", f"{BASE}/things/3?mode=a", 503)
    report = CoverageReport(model, log)
    assert report.operations[0].undocumented == {503: 1}  # counted, not covered
    assert (report.covered, report.shown_percent()) == (3, "75.0%")


def test_shown_percent_is_cut_not_rounded() -> None:
    model = DocumentModel.from_spec(vendored_spec())
    log = CoverageLog()
    recorder = CoverageRecorder(model, BASE)
    report = CoverageReport(model, log)
    declared = report.declared
    for status in (201, 400, 401):
        _record(recorder, log, "POST", f"{BASE}/issues", status)
    report = CoverageReport(model, log)
    exact = 100 * 3 / declared
    assert report.shown_percent() == f"{int(exact * 10) / 10:.1f}%"
    assert float(report.shown_percent()[:-1]) <= exact


def test_hints_come_from_the_status() -> None:
    assert "rate-limit" in status_hint("429")
    assert "fail_next(status=503)" in status_hint("503")
    assert "forbidden=True" in status_hint("403")
    assert "auth probe" in status_hint("401")
    assert status_hint("default") == ""


def test_logs_merge_through_json_as_one() -> None:
    model = DocumentModel.from_spec(vendored_spec())
    recorder = CoverageRecorder(model, BASE)
    whole, first, second = CoverageLog(), CoverageLog(), CoverageLog()
    exchanges = [
        ("GET", f"{BASE}/issues?limit=1", 200, None),
        ("GET", f"{BASE}/issues?limit=100&status=muted", 200, None),
        ("POST", f"{BASE}/issues", 201, {"title": "x", "severity": "low"}),
        ("POST", f"{BASE}/issues", 400, {"title": "x", "severity": "medium"}),
        ("PUT", f"{BASE}/issues", 405, None),
    ]
    for i, (method, url, status, body) in enumerate(exchanges):
        _record(recorder, whole, method, url, status, body, JSON)
        _record(recorder, first if i % 2 else second, method, url, status, body, JSON)
    merged = CoverageLog()
    merged.merge(json.loads(json.dumps(first.as_dict())))
    merged.merge(json.loads(json.dumps(second.as_dict())))
    assert merged.as_dict() == whole.as_dict()
    assert merged.enums["POST /issues"]["body.severity"] == {"low", "medium"}
    assert merged.bounds["GET /issues"]["query.limit"] == {"1", "100"}


@pytest.mark.parametrize(("raw", "value"), [("80", 80.0), ("80%", 80.0), (" 12.5 ", 12.5)])
def test_parse_percent(raw: str, value: float) -> None:
    assert parse_percent(raw) == value


@pytest.mark.parametrize("raw", ["abc", "-1", "100.5", "nan", "inf", ""])
def test_parse_percent_refuses(raw: str) -> None:
    with pytest.raises(ValueError, match="percentage from 0 to 100"):
        parse_percent(raw)


def test_html_is_self_contained_and_escaped() -> None:
    spec = _small_spec("/x/{thing_id}/<script>alert(1)</script>")
    model = DocumentModel.from_spec(spec)
    log = CoverageLog()
    CoverageRecorder(model, BASE).record(
        log, "GET", f"{BASE}/x/2/<script>alert(1)</script>", headers={}, body=None, status=200
    )
    context = ReportContext(
        seed=3,
        spec_document=spec.document,
        target="<b>t</b>",
        key="none",
        rules=None,  # type: ignore[arg-type]
    )
    text = coverage_html(CoverageReport(model, log), context, 90)
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;t&lt;/b&gt;" in text
    assert not re.search(r"\b(src|href)=", text)  # no external assets
    row = next(line for line in text.splitlines() if line.startswith('<tr><td class="op">'))
    # The 200 column is seen once; 4XX never.
    assert '<td class="seen">1</td>' in row and '<td class="never"' in row
    assert "FAILED" in text


def test_the_package_keeps_the_names_the_module_had() -> None:
    # contract/coverage.py became a package (issue 12): its names still import from here, each
    # the one object its module defines.
    import pytest_antimetal.contract.coverage as coverage
    from pytest_antimetal.contract.coverage import document, log, report

    assert set(coverage.__all__) == {
        "COVERAGE_DEFINITION",
        "CoverageLog",
        "CoverageRecorder",
        "CoverageReport",
        "DocumentModel",
        "OperationCoverage",
        "OperationModel",
        "parse_percent",
        "status_hint",
    }
    assert coverage.DocumentModel is document.DocumentModel
    assert coverage.CoverageRecorder is log.CoverageRecorder
    assert coverage.CoverageReport is report.CoverageReport


# -- through pytest --------------------------------------------------------------------------

FAST = ("-p", "antimetal", "--antimetal-contract", "--hypothesis-seed=1")
FAST += ("--antimetal-max-examples=3", "-k", "examples or edge-cases")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("ANTIMETAL_API_KEY", "ANTIMETAL_BASE_URL", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_operations = createIssue\n"
    )
    return pytester


def _output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def _figure(text: str) -> str:
    match = re.search(r"^coverage: (\d+\.\d)% of the document \(.*\)$", text, re.M)
    assert match is not None, text
    return match[1]


def test_summary_has_one_line_and_per_operation_detail_with_v(project: pytest.Pytester) -> None:
    result = project.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.OK
    out = _output(result)
    figure = float(_figure(out))
    assert 0 < figure < 100
    assert "  POST /issues: " not in out
    assert "coverage gate" not in out
    result = project.runpytest(*FAST, "-v")
    out = _output(result)
    assert float(_figure(out)) == figure
    line = next(x for x in result.outlines if x.startswith("  POST /issues: "))
    assert "statuses seen 201 400" in line
    # Every operation of the spec has its line, sent or not.
    assert "  POST /query: 0 request(s)" in out


def test_report_json_and_html(project: pytest.Pytester) -> None:
    result = project.runpytest(*FAST, "--antimetal-report=out", "--antimetal-coverage-min=1")
    assert result.ret == pytest.ExitCode.OK
    data = json.loads((project.path / "out" / "report.json").read_text())
    coverage = data["coverage"]
    assert coverage["gate"] == {"minimum": 1.0, "passed": True}
    assert f"{coverage['percent']:.2f}".startswith(_figure(_output(result)))
    ops = {op["operation"]: op for op in coverage["operations"]}
    assert len(ops) == 9
    assert ops["POST /issues"]["statuses"]["seen"]["201"] > 0
    assert ops["POST /query"]["requests"] == 0
    assert coverage["covered"] == sum(
        len(op["statuses"]["seen"]) + len(op["parameters"]["exercised"]) for op in ops.values()
    )
    html = (project.path / "out" / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<th>429</th>" in html
    assert f"Coverage of the document: {_figure(_output(result))}%" in html
    assert "report.html" in _output(result)
    md = (project.path / "out" / "report.md").read_text()
    assert f"Coverage of the document: {_figure(_output(result))}% ({coverage['covered']} of" in md


def test_step_summary_has_the_coverage_line(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = project.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.OK
    assert f"Coverage of the document: {_figure(_output(result))}%" in summary.read_text()


def test_gate_fails_below_naming_what_was_never_exercised(project: pytest.Pytester) -> None:
    result = project.runpytest(*FAST, "--antimetal-coverage-min=90")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = _output(result)
    assert re.search(r"coverage gate: \d+\.\d% < 90% \(--antimetal-coverage-min\)", out), out
    assert "  `POST /issues` 429 never seen: the fake can be told to rate-limit" in out
    assert re.search(r"  \.\.\. and \d+ more", out)
    result.assert_outcomes(passed=2)  # the items passed; the run did not


def test_gate_from_ini_passes_above(project: pytest.Pytester) -> None:
    project.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_coverage_min = 1%\n"
        "antimetal_operations = createIssue\n"
    )
    result = project.runpytest(*FAST)
    assert result.ret == pytest.ExitCode.OK
    assert re.search(r"coverage gate: \d+\.\d% >= 1%: passed", _output(result))


def test_gate_does_not_hide_failed_items(project: pytest.Pytester) -> None:
    project.makeconftest(
        "import pytest\n"
        "from tests.helpers.planted_faults import make_fake\n"
        "@pytest.hookimpl(trylast=True)\n"
        "def pytest_configure(config):\n"
        "    plugin = config.pluginmanager.get_plugin('antimetal-contract')\n"
        "    if plugin is not None:\n"
        "        plugin.fake_factory = make_fake('title-echo')\n"
    )
    result = project.runpytest(*FAST, "--antimetal-coverage-min=0")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "coverage gate:" in _output(result) and ">= 0%: passed" in _output(result)


@pytest.mark.parametrize(
    ("args", "ini", "source"),
    [
        (["--antimetal-coverage-min=abc"], "", "--antimetal-coverage-min"),
        (["--antimetal-coverage-min=101"], "", "--antimetal-coverage-min"),
        (["--antimetal-coverage-min=-5"], "", "--antimetal-coverage-min"),
        (["--antimetal-coverage-min=nan"], "", "--antimetal-coverage-min"),
        ([], "antimetal_coverage_min = lots\n", "ini antimetal_coverage_min"),
    ],
)
def test_bad_value_is_one_usage_line(
    project: pytest.Pytester, args: list[str], ini: str, source: str
) -> None:
    project.makeini(
        f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}"
        "antimetal_operations = createIssue\n"
    )
    result = project.runpytest("-p", "antimetal", "--antimetal-contract", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"{source}: expected a percentage from 0 to 100" in err
    assert "'Configuration reference'" in err
    assert "Traceback" not in err


def test_xdist_workers_merge_to_the_same_figure_and_junit_stays_small(
    project: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    # The figure without xdist: in-process (only its summary line is read). Then two xdist
    # sessions, each 3 processes: the gate at exactly that figure passes in the one that also
    # checks the merged figure and the JUnit file (a session of its own cost ~4 s for that).
    alone = _figure(_output(project.runpytest(*FAST)))
    gate = f"--antimetal-coverage-min={alone}"
    result = project.runpytest_subprocess(*FAST, "-n", "2", "--junitxml=junit.xml", gate)
    assert result.ret == pytest.ExitCode.OK
    assert _figure(_output(result)) == alone
    assert "antimetal_contract_coverage" not in (project.path / "junit.xml").read_text()
    # The gate is judged on the controller, with both workers' coverage.
    gate = f"--antimetal-coverage-min={float(alone) + 0.1}"
    result = project.runpytest_subprocess(*FAST, "-n", "2", gate)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert f"coverage gate: {alone}% < {float(alone) + 0.1:g}%" in _output(result)
