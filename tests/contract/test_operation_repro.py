"""A root cause found in an operation other than ``createIssue`` is minimised, reported and
reproduced as that operation: its entry names it, its minimal request is one of its requests
(a bodyless operation: its query shrinks), and its ``test_repro_<id>.py`` sends to it, failing
against the faulty server and passing against the fake."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import vendored_spec
from tests.contract.test_report_files import _run_repro
from tests.helpers.planted_faults import OPERATION_FAULTS, make_operation_fake

CONFTEST = """
import functools
import pytest
from tests.helpers.planted_faults import make_operation_fake

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None:
        plugin.fake_factory = functools.partial(make_operation_fake, {fault!r})
"""
CASES = {
    # fault: (operationId, the part that finds it)
    "list-limit-500": ("listIssues", "coverage"),
    "artifacts-unknown-404": ("batchGetArtifacts", "coverage"),
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("ANTIMETAL_API_KEY", "ANTIMETAL_BASE_URL", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


@pytest.mark.parametrize("fault", sorted(CASES))
def test_entry_of_another_operation_is_shrunk_reported_and_reproduced_as_it(
    project: pytest.Pytester, fault: str
) -> None:
    operation_id, part = CASES[fault]
    planted = OPERATION_FAULTS[fault]
    project.makeconftest(CONFTEST.format(fault=fault))
    report = project.path / "report"
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=1",
        "--antimetal-max-examples=5",
        f"--antimetal-operations={operation_id}",
        "-k",
        part,
        f"--antimetal-report={report}",
    )
    out = "\n".join(result.outlines)
    title = f"{operation_id} ({planted.method.upper()} {planted.path})"
    data = json.loads((report / "report.json").read_text())
    mine = [e for e in data["entries"] if set(e["checks"]) & planted.checks]
    assert len(mine) == 1, out
    (entry,) = mine
    assert entry["operation"] == {
        "operation_id": operation_id,
        "method": planted.method.upper(),
        "path": planted.path,
    }
    assert f"in {title}; checks:" in out
    md = (report / "report.md").read_text()
    assert f"`{title}`" in md
    # Minimised as a request of that operation: its method and path, no body, a query no
    # longer than the original's (listIssues: only the parameter that triggers it). Where
    # nothing smaller reproduces it (each of batchGetArtifacts's ids is one it lacks), the
    # query was what was tried.
    minimal, original = entry["minimal"], entry["representative"][0]["request"]
    if fault == "list-limit-500":
        assert minimal is not None, entry["minimal_note"]
    else:
        assert minimal is not None or entry["minimal_note"] == "no smaller query reproduces it"
    request = minimal or original
    assert request["method"] == planted.method.upper() and request["body_base64"] == ""
    assert urlsplit(request["url"]).path == urlsplit(original["url"]).path
    kept = parse_qsl(urlsplit(request["url"]).query)
    assert len(kept) <= len(parse_qsl(urlsplit(original["url"]).query))
    if fault == "list-limit-500":
        assert [name for name, _ in kept] == ["limit"], request["url"]
    assert entry["curl"].startswith(f"curl -sS -X {planted.method.upper()} ")
    assert urlsplit(request["url"]).path in entry["curl"]
    # The reproduction sends to that operation: it fails against the fault, passes on the fake.
    repro = report / entry["reproduction"]
    source = repro.read_text()
    assert f"Operation: {title}." in source
    key = "amk-operation-repro-key-0123456789"
    with FakeServer(make_operation_fake(fault, vendored_spec(), 1, key)) as faulty:
        failed = _run_repro(repro, faulty.url, key)
    with FakeServer(FakeAntimetal(api_keys=[key], seed=1)) as honest:
        passed = _run_repro(repro, honest.url, key)
    assert failed.returncode == 1, source + failed.stdout + failed.stderr
    assert passed.returncode == 0, source + passed.stdout + passed.stderr
