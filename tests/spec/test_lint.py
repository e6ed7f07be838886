"""``antimetal-contract lint [SPEC]``."""

from __future__ import annotations

import argparse
import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

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
    assert (
        "#/paths/~1artifacts/get/parameters/1/schema: [example-vs-schema] "
        "`example`: 'art_123' is not of type 'array'"
    ) in out
    assert (
        "#/paths/~1issues~1by_number~1{number}/get/responses: [security-vs-responses] "
        "GET /issues/by_number/{number} requires `bearer` (the document's `security`) but "
        "documents no 401"
    ) in out
    lines = out.splitlines()
    kinds = Counter(line.split("[", 1)[1].split("]", 1)[0] for line in lines[:-1])
    # 23 timestamps carry zod's pattern next to format: date-time.
    assert kinds == {
        "pattern-vs-format": 23,
        "description-vs-enum": 1,
        "example-vs-schema": 1,
        "security-vs-responses": 1,
    }
    assert lines[-1] == "26 inconsistencies in the vendored spec"


def _clean(document: dict[str, Any]) -> None:
    """Resolve, in place, each inconsistency the vendor's document has."""
    stack: list[Any] = [document]
    while stack:  # zod's date-time pattern next to `format: date-time`, wherever it is
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("format") == "date-time":
                node.pop("pattern", None)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    schemas = document["components"]["schemas"]
    schemas["CreateIssueDto"]["properties"]["severity"]["description"] = "Severity (default medium)"
    ids = document["paths"]["/artifacts"]["get"]["parameters"][1]
    ids["schema"]["example"] = ["art_123"]
    by_number = document["paths"]["/issues/by_number/{number}"]["get"]
    by_number["responses"]["401"] = document["paths"]["/issues"]["get"]["responses"]["401"]


def test_consistent_spec_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = copy.deepcopy(vendored_spec().document)
    _clean(document)
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(document))
    assert _run(str(path)) == 0
    assert "no inconsistencies" in capsys.readouterr().out


def test_security_without_401() -> None:
    document = copy.deepcopy(vendored_spec().document)
    _clean(document)
    assert lint.find_inconsistencies(Spec(document)) == []
    get_issue = document["paths"]["/issues/{id}"]["get"]
    del get_issue["responses"]["401"]
    (found,) = lint.find_inconsistencies(Spec(document))
    assert found.kind == "security-vs-responses"
    assert found.pointer == "#/paths/~1issues~1{id}/get/responses"
    assert "GET /issues/{id} requires `bearer` (the document's `security`)" in found.message
    assert "(documented: 200, 400, 403, 404, 429, 500)" in found.message
    # Its own `security` names its schemes; `4XX` or `default` documents the 401.
    get_issue["security"] = [{"bearer": [], "apiKey": []}]
    (found,) = lint.find_inconsistencies(Spec(document))
    assert "requires `apiKey`, `bearer` (its own `security`)" in found.message
    get_issue["responses"]["4XX"] = get_issue["responses"]["400"]
    assert lint.find_inconsistencies(Spec(document)) == []
    del get_issue["responses"]["4XX"]
    # No credentials needed (an empty alternative, or none at all): no 401 owed.
    get_issue["security"] = [{"bearer": []}, {}]
    assert lint.find_inconsistencies(Spec(document)) == []
    get_issue["security"] = []
    assert lint.find_inconsistencies(Spec(document)) == []
    del get_issue["security"]
    document["security"] = []
    assert lint.find_inconsistencies(Spec(document)) == []


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
