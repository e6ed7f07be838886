"""``antimetal-contract`` itself: help text and version."""

from __future__ import annotations

import pytest

import pytest_antimetal
from pytest_antimetal.cli import main


def test_help_is_plain_text_naming_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and ":mod:" not in out  # no reStructuredText markup
    for name in ("fake", "diff", "cassettes", "lint", "pull"):
        assert name in out
    assert "antimetal-contract COMMAND --help" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == (
        f"antimetal-contract (pytest-antimetal) {pytest_antimetal.__version__}\n"
    )
