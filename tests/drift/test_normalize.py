"""Pairs that differ in spelling only must report nothing breaking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.drift import Level, diff_documents
from pytest_antimetal.drift.normalize import Normalizer, canonical, path_key
from pytest_antimetal.spec import parse_document, resolve_refs, vendored_spec
from tests.drift.test_rules import base_doc, create_props, issue_props, post, schemas

VENDOR = Path(__file__).resolve().parents[3] / "shared" / "vendor"
VENDOR_JSON = VENDOR / "openapi.mintlify.json"
VENDOR_YAML = VENDOR / "openapi.with-code-samples.yml"
needs_vendor = pytest.mark.skipif(
    not (VENDOR_JSON.is_file() and VENDOR_YAML.is_file()),
    reason="the vendor's whole published document and its source YAML are not on this "
    "machine (a test input kept beside the repository, not shipped)",
)


def _reorder(node: Any, parent_key: str | None = None) -> Any:
    if isinstance(node, dict):
        return {k: _reorder(node[k], k) for k in reversed(list(node))}
    if isinstance(node, list):
        items = [_reorder(v) for v in node]
        return list(reversed(items)) if parent_key in ("required", "enum") else items
    return node


def test_reordering_keys_required_and_enum_changes_nothing() -> None:
    old = base_doc()
    new = _reorder(old)
    assert list(new["paths"]) != list(old["paths"])
    assert schemas(new)["Create"]["required"] == ["description", "title"]
    assert diff_documents(old, new).changes == ()


def test_ref_and_inline_are_the_same_schema() -> None:
    old = base_doc()
    new = base_doc()
    for operation in (post(new), new["paths"]["/issues/{id}"]["get"]):
        for response in operation["responses"].values():
            for media in response.get("content", {}).values():
                media["schema"] = resolve_refs(media["schema"], new)
    body = post(new)["requestBody"]["content"]["application/json"]
    body["schema"] = resolve_refs(body["schema"], new)
    post(new)["parameters"] = resolve_refs(post(new)["parameters"], new)
    del new["components"]["schemas"]
    assert "$ref" not in json.dumps(new["paths"])
    assert diff_documents(old, new).changes == ()
    assert diff_documents(new, old).changes == ()


def _draft07(doc: dict[str, Any]) -> None:
    """Rewrite the OAS 3.0 spellings the way the vendor's source YAML writes them."""
    number = issue_props(doc)["number"]
    del number["minimum"]
    number["exclusiveMinimum"] = 0
    create_props(doc)["note"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    issue_props(doc)["title"] = {"type": ["string", "null"]}
    create_props(doc)["context"]["propertyNames"] = {"type": "string"}
    create_props(doc)["kind"] = {"const": "incident"}


def _oas30(doc: dict[str, Any]) -> None:
    issue_props(doc)["title"] = {"type": "string", "nullable": True}
    create_props(doc)["kind"] = {"enum": ["incident"]}


def test_draft07_spellings_equal_their_oas30_forms() -> None:
    old, new = base_doc(), base_doc()
    _oas30(old)
    _draft07(new)
    assert diff_documents(old, new).changes == ()
    assert diff_documents(new, old).changes == ()


def test_numeric_exclusive_bounds_keep_their_meaning() -> None:
    norm = Normalizer({})
    draft = norm.schema({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}, "")
    oas30 = norm.schema(
        {
            "type": "integer",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 10,
            "exclusiveMaximum": True,
        },
        "",
    )
    assert canonical(draft) == canonical(oas30)
    # draft-07 with both: the stricter bound wins.
    both = norm.schema({"type": "integer", "minimum": 5, "exclusiveMinimum": 0}, "")
    assert canonical(both) == canonical(norm.schema({"type": "integer", "minimum": 5}, ""))
    # ...and they are not confused with an inclusive bound.
    assert canonical(draft) != canonical(norm.schema({"type": "integer", "minimum": 0}, ""))


def test_a_meaningful_property_names_is_compared() -> None:
    old, new = base_doc(), base_doc()
    create_props(new)["context"]["propertyNames"] = {"pattern": "^[a-z]+$"}
    result = diff_documents(old, new)
    assert [c.id for c in result.changes] == ["request-property-property-names-changed"]


def test_nullable_via_anyof_still_detects_a_real_change() -> None:
    old, new = base_doc(), base_doc()
    issue_props(new)["title"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    result = diff_documents(old, new)
    assert {c.id for c in result.changes} == {"response-property-became-nullable"}
    assert result.breaking


def test_description_summary_example_and_extension_edits_are_info() -> None:
    old, new = base_doc(), base_doc()
    post(new)["summary"] = "Open a new issue"
    post(new)["description"] = "Longer words."
    post(new)["x-codeSamples"] = [{"lang": "Python", "source": "..."}]
    issue_props(new)["uuid"]["description"] = "The issue's UUID"
    create_props(new)["title"]["example"] = "Disk full"
    create_props(new)["title"]["x-order"] = 1
    result = diff_documents(old, new)
    assert result.changes
    assert {c.level for c in result.changes} == {Level.INFO}
    assert {c.id for c in result.changes} == {
        "api-description-changed",
        "extension-changed",
        "response-property-description-changed",
        "request-property-example-changed",
        "request-property-extension-changed",
    }


def test_path_key_ignores_placeholder_names() -> None:
    assert path_key("/issues/{id}/results") == path_key("/issues/{issueId}/results")
    assert path_key("/issues/{id}") != path_key("/issues/by_number/{number}")


def test_vendored_spec_against_itself_is_empty() -> None:
    spec = vendored_spec()
    assert diff_documents(spec.document, spec.document).changes == ()


@needs_vendor
def test_vendor_source_yaml_equals_the_published_json() -> None:
    published = json.loads(VENDOR_JSON.read_text(encoding="utf-8"))
    source = parse_document(VENDOR_YAML.read_text(encoding="utf-8"), source=str(VENDOR_YAML))
    # The two spell nullables, exclusive bounds and key types differently...
    assert "anyOf" in VENDOR_YAML.read_text(encoding="utf-8")
    assert json.dumps(published, sort_keys=True) != json.dumps(source, sort_keys=True)
    # ...and mean the same.
    for a, b in ((published, source), (source, published)):
        result = diff_documents(a, b)
        assert not result.breaking
        assert [c for c in result.changes if c.level is not Level.INFO] == []


def _create_issue_only(document: dict[str, Any]) -> dict[str, Any]:
    """*document* cut down to ``POST /issues`` (what spec/ held before it vendored the whole)."""
    cut = json.loads(json.dumps(document))
    cut["paths"] = {"/issues": {"post": cut["paths"]["/issues"]["post"]}}
    return cut


def test_vendored_spec_is_the_whole_document_a_create_only_one_lacks() -> None:
    whole = vendored_spec().document
    result = diff_documents(_create_issue_only(whole), whole)
    assert not result.breaking
    added = {c.operation for c in result.changes if c.id == "api-operation-added"}
    assert {c.id for c in result.changes} == {"api-operation-added"}
    assert "GET /issues" in added
    assert "GET /issues/{id}" in added
    assert "POST /query" in added
    assert len(added) == 8
    # Back to one operation: every other one is removed, and that breaks.
    back = diff_documents(whole, _create_issue_only(whole))
    assert back.breaking
    removed = {c.operation for c in back.changes if c.level is Level.BREAKING}
    assert removed == added


@needs_vendor
def test_full_document_change_is_reported_for_every_operation_using_it() -> None:
    old = json.loads(VENDOR_JSON.read_text(encoding="utf-8"))
    new = json.loads(VENDOR_JSON.read_text(encoding="utf-8"))
    new["components"]["schemas"]["ErrorResponseDto"]["required"].remove("request_id")
    result = diff_documents(old, new)
    hits = [c for c in result.changes if c.id == "response-property-became-optional"]
    operations = {c.operation for c in hits}
    assert len(operations) >= 8  # every operation documents ErrorResponseDto responses
    assert {c.location for c in hits} == {
        "/components/schemas/ErrorResponseDto/properties/request_id"
    }


def test_collapsed_nullable_keeps_its_own_meaning_and_words() -> None:
    norm = Normalizer({})
    plain = norm.schema({"type": "string"}, "")
    nullable = norm.schema({"anyOf": [{"type": "string"}, {"type": "null"}]}, "")
    described = norm.schema(
        {"description": "why", "anyOf": [{"type": "string"}, {"type": "null"}]}, ""
    )
    assert canonical(plain) != canonical(nullable)
    assert canonical(nullable) == canonical(described)
    assert nullable["@full"] != described["@full"]


def test_all_of_composition_equals_the_flattened_schema() -> None:
    old, new = base_doc(), base_doc()
    create = schemas(new)["Create"]
    schemas(new)["Base"] = {
        "type": "object",
        "required": ["title"],
        "properties": {"title": create["properties"].pop("title")},
    }
    create["required"].remove("title")
    schemas(new)["Create"] = {"allOf": [{"$ref": "#/components/schemas/Base"}, create]}
    assert diff_documents(old, new).changes == ()
    # ...and a real change behind the composition is still seen.
    schemas(new)["Base"]["properties"]["title"]["maxLength"] = 10
    assert {c.id for c in diff_documents(old, new).changes} == {
        "request-property-max-length-decreased"
    }


def test_all_of_with_null_is_not_nullable() -> None:
    norm = Normalizer({})
    both = norm.schema({"allOf": [{"type": "string"}, {"type": "null"}]}, "")
    assert "nullable" not in both
    assert canonical(both) != canonical(norm.schema({"type": "string", "nullable": True}, ""))


def test_lookup_follows_escaped_pointers_and_degrades_on_broken_refs() -> None:
    doc = {"components": {"schemas": {"a/b~c": {"type": "string"}, "L": {"enum": ["x", "y"]}}}}
    normalizer = Normalizer(doc)
    assert normalizer.lookup("#/components/schemas/a~1b~0c") == (
        {"type": "string"},
        "/components/schemas/a~1b~0c",
    )
    assert normalizer.lookup("#/components/schemas/L/enum/1") == (
        "y",
        "/components/schemas/L/enum/1",
    )
    assert normalizer.lookup("#/components/schemas/Missing") == (
        None,
        "/components/schemas/Missing",
    )
    assert normalizer.lookup("#/components/schemas/L/enum/7") == (
        None,
        "/components/schemas/L/enum/7",
    )
    assert normalizer.lookup("other.yaml#/X") == (None, "other.yaml#/X")
    broken = normalizer.schema({"$ref": "#/components/schemas/Missing"}, "/here")
    assert broken["@unresolved"] == "#/components/schemas/Missing"
