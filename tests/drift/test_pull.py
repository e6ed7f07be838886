"""``antimetal-contract pull``: what it leaves alone and what it refuses to vendor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_antimetal.cli import main
from pytest_antimetal.spec import DEFAULT_LIMITS, VENDORED_SPEC_PATH, parse_document
from tests.drift.test_cli import http_server  # noqa: F401 - a fixture, used by name
from tests.spec.test_loading import alias_bomb

TARGET = "antimetal-openapi.yaml"


def contract_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``antimetal-contract ARGS`` in a process of its own (a hang or a blow-up stays there)."""
    script = Path(sys.executable).with_name("antimetal-contract")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pytest_antimetal.cli"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """A spec/ directory holding the vendored document, as the project keeps it."""
    directory = tmp_path / "spec"
    directory.mkdir()
    (directory / TARGET).write_bytes(VENDORED_SPEC_PATH.read_bytes())
    return directory


def _pull(source: Path | str, spec_dir: Path, *extra: str) -> int:
    return main(["pull", "--source", str(source), "--spec-dir", str(spec_dir), *extra])


@pytest.mark.parametrize("form", ["json", "yaml-reordered"])
def test_an_unchanged_document_leaves_the_file_byte_identical(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    document = parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))
    if form == "json":  # what the vendor's URL serves
        source = tmp_path / "published.json"
        source.write_text(json.dumps(document), encoding="utf-8")
    else:  # other key order, a comment: the same document
        import yaml

        source = tmp_path / "published.yaml"
        reordered = dict(reversed(list(document.items())))
        source.write_text("# vendor\n" + yaml.safe_dump(reordered), encoding="utf-8")
    target = spec_dir / TARGET
    before = target.stat()
    assert _pull(source, spec_dir) == 0
    captured = capsys.readouterr()
    assert "No changes." in captured.out
    assert captured.err == f"{target} is up to date with {source}: not rewritten\n"
    after = target.stat()
    assert target.read_bytes() == VENDORED_SPEC_PATH.read_bytes()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_missing_target_is_one_statement_not_an_empty_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh"
    for fmt in ("text", "json"):
        assert _pull(VENDORED_SPEC_PATH, fresh, "--dry-run", "--format", fmt) == 0
        captured = capsys.readouterr()
        assert captured.out == ""  # nothing was compared: no report saying "No changes."
        assert captured.err.splitlines() == [
            f"{fresh / TARGET} does not exist yet: the whole document is new",
            f"dry run: {fresh / TARGET} not written",
        ]
    assert _pull(VENDORED_SPEC_PATH, fresh) == 0
    captured = capsys.readouterr()
    assert "No changes" not in captured.out + captured.err
    assert captured.err.splitlines()[-1] == f"copied {VENDORED_SPEC_PATH} -> {fresh / TARGET}"
    assert (fresh / TARGET).read_bytes() == VENDORED_SPEC_PATH.read_bytes()


def test_an_alias_bomb_is_not_vendored(spec_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "published.yaml"
    source.write_text(alias_bomb(), encoding="utf-8")
    result = contract_cli("pull", "--source", str(source), "--spec-dir", str(spec_dir))
    assert result.returncode == 2
    assert result.stderr == (
        f"antimetal-contract pull: error: {source}: more than 1,000,000 nodes once YAML aliases are expanded "
        "(the limit for a document)\n"
    )
    assert (spec_dir / TARGET).read_bytes() == VENDORED_SPEC_PATH.read_bytes()


def test_a_recursive_ref_is_not_vendored(
    spec_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))
    create = document["components"]["schemas"]["CreateIssueDto"]
    create["properties"]["parent"] = {"$ref": "#/components/schemas/CreateIssueDto"}
    source = tmp_path / "published.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    assert _pull(source, spec_dir) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        f"antimetal-contract pull: error: {source}: recursive $ref at "
        "#/components/schemas/CreateIssueDto/properties/parent "
    ), err
    assert err.endswith("; refusing to vendor it\n")
    assert (spec_dir / TARGET).read_bytes() == VENDORED_SPEC_PATH.read_bytes()


def test_an_oversized_download_is_refused(
    http_server: tuple[str, dict[str, tuple[int, bytes]]],  # noqa: F811
    spec_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, routes = http_server
    routes["/openapi.yaml"] = (200, b"x" * (DEFAULT_LIMITS.max_bytes + 1))
    assert _pull(f"{base}/openapi.yaml", spec_dir) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{base}/openapi.yaml: over the 10,485,760-byte limit for a document" in err
