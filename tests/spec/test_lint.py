"""``antimetal-contract lint [SPEC]``."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import pytest

from pytest_antimetal.contract import lint
from pytest_antimetal.spec import Spec, vendored_spec
from tests.helpers.sessions import SHARED_VENDOR


def _run(spec: str | None) -> int:
    return lint.run(argparse.Namespace(spec=spec))


def test_vendored_spec_inconsistencies(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(None) == 1
    out = capsys.readouterr().out
    assert (
        "#/components/schemas/CreateIssueDto/properties/severity: [description-vs-enum] "
        "the description says the default is 'MEDIUM' but the enum spells it 'medium'"
    ) in out
    assert (
        "#/components/schemas/CreateIssueDto/properties/triggeredAt: [pattern-vs-format] "
        "the pattern admits '2026-01-01T10:00Z', which format: date-time (RFC 3339) rejects"
    ) in out
    assert "5 inconsistencies in the vendored spec" in out


def test_consistent_spec_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = copy.deepcopy(vendored_spec().document)
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        for prop in schema.get("properties", {}).values():
            prop.pop("pattern", None)
    schemas["CreateIssueDto"]["properties"]["severity"]["description"] = "Severity (default medium)"
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(document))
    assert _run(str(path)) == 0
    assert "no inconsistencies" in capsys.readouterr().out


def test_default_and_bounds_contradictions() -> None:
    document = copy.deepcopy(vendored_spec().document)
    props = document["components"]["schemas"]["CreateIssueDto"]["properties"]
    props["severity"]["default"] = "urgent"
    props["title"]["minLength"] = 600
    document["components"]["schemas"]["CreateIssueDto"]["required"].append("owner")
    kinds = {item.kind for item in lint.find_inconsistencies(Spec(document))}
    assert {"default-vs-schema", "bounds", "required-vs-properties"} <= kinds


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_antimetal.cli import SUBCOMMANDS, main

    if "lint" not in SUBCOMMANDS:
        pytest.skip("cli.py has no `lint` entry yet (see the contract report)")
    assert main(["lint", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot read" in err


@pytest.mark.skipif(not SHARED_VENDOR.is_dir(), reason="the vendor's full document is absent")
def test_vendor_full_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(str(SHARED_VENDOR / "openapi.mintlify.json")) == 1
    assert "FileArtifactDto/properties/createdAt: [pattern-vs-format]" in capsys.readouterr().out


def test_an_alias_bomb_is_one_line_exit_2_and_quick(tmp_path: Path) -> None:
    # Used to hang: the lint walk visited every expansion of every alias.
    from tests.drift.test_pull import contract_cli
    from tests.spec.test_loading import alias_bomb

    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    result = contract_cli("lint", str(path), timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"antimetal-contract lint: error: {path}: more than 1,000,000 nodes once YAML aliases "
        "are expanded (the limit for a document)\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"openapi": "3.0.0", "paths": {}, "x": ' + "[" * 100 + "]" * 100 + "}", "nested more"),
        (
            "openapi: 3.0.0\npaths: {}\ncomponents:\n  schemas:\n"
            "    A: {properties: {b: {$ref: '#/components/schemas/B'}}}\n",
            "$ref '#/components/schemas/B' at #/components/schemas/A/properties/b points at nothing",
        ),
    ],
    ids=["json-too-deep", "dangling-ref"],
)
def test_unusable_documents_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    from pytest_antimetal.cli import main

    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
