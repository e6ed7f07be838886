"""Options the entry point registers, as a user passes them on the command line."""

from __future__ import annotations

import json

import pytest


def test_report_option_is_registered_and_writes_a_report(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    helped = pytester.runpytest("-p", "antimetal", "--help")
    assert "--antimetal-report=DIR" in helped.stdout.str()

    report = pytester.path / "report"
    result = pytester.runpytest(
        "-p",
        "antimetal",
        "--antimetal-contract",
        "--hypothesis-seed=3",
        "-k",
        "examples",
        f"--antimetal-report={report}",
    )
    assert result.ret == 0, result.stdout.str()
    data = json.loads((report / "report.json").read_text())
    assert data["seed"] == 3
    assert data["entries"] == []  # the embedded fake is conformant
    assert (report / "report.md").is_file()
