from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_antimetal.spec import (
    VENDORED_SPEC_PATH,
    Spec,
    SpecError,
    load_spec,
    parse_document,
    resolve_refs,
    vendored_spec,
)


def test_vendored_spec_is_the_published_post_issues_document() -> None:
    spec = vendored_spec()
    assert VENDORED_SPEC_PATH.name == "antimetal-openapi.yaml"
    # YAML 1.1 would turn an unquoted 2026-03-17 into a date; it must stay a string.
    assert spec.version == "2026-03-17"
    assert isinstance(spec.document["info"]["version"], str)
    assert spec.servers[0] == "https://bff.antimetal.com/api/v2"
    op = spec.operation("post", "/issues")
    assert op.operation_id == "createIssue"
    assert op.label == "POST /issues"
    assert op.success_status == 201
    assert set(op.responses) == {"201", "400", "401", "403", "429", "500"}
    assert spec.api_version_default == "2026-03-17"


def test_unquoted_dates_stay_strings() -> None:
    text = "openapi: 3.0.0\ninfo: {title: t, version: 2026-03-17}\npaths: {}\n"
    assert Spec.from_text(text).version == "2026-03-17"


def test_refs_are_inlined() -> None:
    op = vendored_spec().operation("post", "/issues")
    schema = op.request_schema()
    assert schema is not None
    assert "$ref" not in json.dumps(schema)
    assert schema["required"] == ["title", "description", "environment"]
    error = op.response_schema(401)
    assert error is not None
    assert error["required"] == ["type", "message", "request_id"]


def test_schema_returns_a_fresh_copy() -> None:
    spec = vendored_spec()
    first = spec.schema("CreateIssueDto")
    first["properties"]["title"]["maxLength"] = 1
    assert spec.schema("CreateIssueDto")["properties"]["title"]["maxLength"] == 500


def test_spec_does_not_share_the_callers_dict() -> None:
    document = parse_document(VENDORED_SPEC_PATH.read_text())
    spec = Spec(document)
    document["info"]["version"] = "changed"
    assert spec.version == "2026-03-17"


def test_response_schema_falls_back_to_range_and_default() -> None:
    spec = Spec(
        {
            "openapi": "3.0.0",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/x": {
                    "get": {
                        "responses": {
                            "200": {"description": "ok"},
                            "4XX": {
                                "description": "e",
                                "content": {"application/json": {"schema": {"type": "object"}}},
                            },
                        }
                    }
                }
            },
        }
    )
    op = spec.operation("get", "/x")
    assert op.response_schema(404) == {"type": "object"}
    assert op.response_schema(200) is None
    assert spec.methods_for("/x") == ["GET"]


def test_cyclic_refs_do_not_recurse_forever() -> None:
    document = {
        "components": {
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/components/schemas/Node"}},
                }
            }
        }
    }
    resolved = resolve_refs({"$ref": "#/components/schemas/Node"}, document)
    assert resolved["properties"]["next"] == {"$ref": "#/components/schemas/Node"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON or YAML"),
        ("- a\n- b\n", "expected an OpenAPI document"),
        ("title: x\n", "no 'openapi' field"),
        ("openapi: 3.0.0\npaths: [1]\n", "'paths' must be a mapping"),
    ],
)
def test_bad_documents_give_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        parse_document(text, source="doc.yaml")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("doc.yaml: ")


def test_unreadable_path_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="no schema named 'Nope'"):
        vendored_spec().schema("Nope")
    with pytest.raises(SpecError, match="no operation GET /issues"):
        vendored_spec().operation("get", "/issues")
    with pytest.raises(SpecError, match="unresolvable"):
        resolve_refs({"$ref": "#/components/schemas/Missing"}, {})


def test_load_spec_reads_json_too(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(vendored_spec().document))
    spec = load_spec(path)
    assert spec.version == "2026-03-17"
    assert spec.operation("post", "/issues").success_status == 201
