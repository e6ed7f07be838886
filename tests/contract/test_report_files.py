"""``--antimetal-report=DIR``: report.json, report.md, one reproduction per entry; the step
summary; no key in any of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import FAULTS, make_fake

# --antimetal-report is the entry point's (registering it here too is a conflict: argparse's
# ArgumentError, on every Python).
CONFTEST = """
import pytest
from tests.helpers.planted_faults import make_fake

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None and {fault!r}:
        plugin.fake_factory = make_fake({fault!r})
"""
KEY = "amk-report-files-key-0123456789"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("ANTIMETAL_API_KEY", "ANTIMETAL_BASE_URL", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nantimetal_operations = createIssue\n"
    )
    return pytester


def _run_repro(path: Path, base_url: str, key: str) -> subprocess.CompletedProcess[str]:
    """The reproduction as a user runs it: plain pytest, no plugin, env only."""
    env = {"ANTIMETAL_BASE_URL": base_url, "ANTIMETAL_API_KEY": key, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:antimetal",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(path),
        ],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_reproduction_fails_against_the_fault_and_passes_against_the_fake(
    project: pytest.Pytester, fault: str
) -> None:
    project.makeconftest(CONFTEST.format(fault=fault))
    report = project.path / "report"
    project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=1",
        "--antimetal-max-examples=10",
        f"--antimetal-report={report}",
    )
    data = json.loads((report / "report.json").read_text())
    assert len(data["entries"]) == 1
    (entry,) = data["entries"]
    repro = report / entry["reproduction"]
    assert repro.is_file() and (report / f"repro_{entry['id']}.sh").is_file()
    key = "amk-repro-key-0123456789"
    with FakeServer(make_fake(fault)(vendored_spec(), 1, key)) as faulty:
        failed = _run_repro(repro, faulty.url, key)
    with FakeServer(FakeAntimetal(api_keys=[key], seed=1)) as honest:
        passed = _run_repro(repro, honest.url, key)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert passed.returncode == 0, passed.stdout + passed.stderr
    # The key comes from the environment (the comment may quote what a server echoed).
    code = [line for line in repro.read_text().splitlines() if not line.startswith("#")]
    assert not [line for line in code if "am-fake-key" in line]


def test_report_json_counts_and_markdown_and_step_summary(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    project.makeconftest(CONFTEST.format(fault="title-echo"))
    report = project.path / "out"
    result = project.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=2",
        "-k",
        "examples or edge",
        f"--antimetal-report={report}",
    )
    out = "\n".join(result.outlines)
    assert f"report: {report}/ (report.json, report.md, 1 reproduction(s)" in out
    data = json.loads((report / "report.json").read_text())
    assert data["seed"] == 2 and len(data["spec_sha256"]) == 64
    assert data["target"] == {
        "base_url": "embedded fake",
        "api_key": "none (the fake's public key)",
    }
    (entry,) = data["entries"]
    assert entry["checks"] == {
        "request_reflected": data["counts"]["failures_by_check"]["request_reflected"]
    }
    assert entry["requests"] == data["counts"]["failing_requests"] == sum(entry["parts"].values())
    md = (report / "report.md").read_text()
    assert md.startswith("## antimetal contract: failed")
    assert f"`{entry['id']}`" in md and "curl -sS -X POST" in md
    assert summary.read_text() == md  # appended to the (empty) step summary


def test_no_key_in_any_report_file(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    summary = project.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    project.makeconftest(CONFTEST.format(fault=""))
    report = project.path / "report"
    with FakeServer(make_fake("echo-key")(vendored_spec(), 1, canary_key)) as server:
        result = project.runpytest(
            "-p",
            "antimetal",
            "--antimetal-contract",
            f"--antimetal-base-url={server.url}",
            "-k",
            "examples or edge",
            f"--antimetal-report={report}",
        )
    result.assert_outcomes(failed=2, deselected=6)
    files = [p for p in report.rglob("*") if p.is_file()] + [summary]
    assert any(p.name.startswith("test_repro_") for p in files)
    for path in files:
        assert canary_key.encode() not in path.read_bytes(), path
    data = json.loads((report / "report.json").read_text())
    assert data["target"]["api_key"] == "[REDACTED]"
    repro = next(p for p in files if p.name.startswith("test_repro_"))
    assert "SENDS_KEY = True" in repro.read_text()
