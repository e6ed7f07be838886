"""Each drift rule, in both directions, on small hand-built documents."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pytest_antimetal.drift import RULES, DiffResult, Level, diff_documents

Doc = dict[str, Any]


def base_doc() -> Doc:
    """A small document shaped like the vendor's: two paths, refs, shared error schema."""
    issue_ref = {"$ref": "#/components/schemas/Issue"}
    error_ref = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Test API", "version": "2026-03-17"},
        "servers": [{"url": "https://api.example.test/v2"}],
        "security": [{"bearer": []}],
        "paths": {
            "/issues": {
                "post": {
                    "operationId": "createIssue",
                    "summary": "Create an issue",
                    "parameters": [{"$ref": "#/components/parameters/Version"}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Create"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {"application/json": {"schema": issue_ref}},
                        },
                        "400": {
                            "description": "bad request",
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    },
                }
            },
            "/issues/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {
                    "operationId": "getIssue",
                    "parameters": [
                        {"name": "expand", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": "the issue",
                            "content": {"application/json": {"schema": issue_ref}},
                        },
                        "404": {
                            "description": "not found",
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    },
                },
                "delete": {
                    "operationId": "deleteIssue",
                    "responses": {"204": {"description": "deleted"}},
                },
            },
        },
        "components": {
            "parameters": {
                "Version": {
                    "name": "Antimetal-Version",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "default": "2026-03-17"},
                }
            },
            "schemas": {
                "Create": {
                    "type": "object",
                    "required": ["title", "description"],
                    "properties": {
                        "title": {"type": "string", "minLength": 1, "maxLength": 500},
                        "description": {"type": "string", "minLength": 1},
                        "severity": {"type": "string", "enum": ["low", "medium", "high"]},
                        "triggeredAt": {"type": "string", "format": "date-time"},
                        "count": {"type": "number", "minimum": 0},
                        "note": {"type": "string", "nullable": True},
                        "context": {
                            "type": "object",
                            "properties": {"service": {"type": "string"}},
                            "additionalProperties": {"type": "string"},
                        },
                    },
                },
                "Issue": {
                    "type": "object",
                    "required": ["uuid", "number", "status"],
                    "properties": {
                        "uuid": {"type": "string", "description": "Issue id"},
                        "number": {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
                        "status": {"type": "string", "enum": ["open", "closed"]},
                        "title": {"type": "string"},
                        "closedAt": {"type": "string", "format": "date-time"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["type", "message"],
                    "properties": {
                        "type": {"type": "string", "enum": ["api_error", "invalid_request_error"]},
                        "message": {"type": "string"},
                    },
                },
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def schemas(doc: Doc) -> dict[str, Any]:
    return doc["components"]["schemas"]  # type: ignore[no-any-return]


def create_props(doc: Doc) -> dict[str, Any]:
    return schemas(doc)["Create"]["properties"]  # type: ignore[no-any-return]


def issue_props(doc: Doc) -> dict[str, Any]:
    return schemas(doc)["Issue"]["properties"]  # type: ignore[no-any-return]


def post(doc: Doc) -> dict[str, Any]:
    return doc["paths"]["/issues"]["post"]  # type: ignore[no-any-return]


def get_one(doc: Doc) -> dict[str, Any]:
    return doc["paths"]["/issues/{id}"]["get"]  # type: ignore[no-any-return]


def ids(result: DiffResult) -> set[str]:
    return {change.id for change in result.changes}


def _noop(doc: Doc) -> None:
    del doc


Mutation = Callable[[Doc], object]

# (rule id, turn base into OLD, turn base into NEW, id the reverse diff reports)
# The reverse id is "same" for changes that break in both directions by nature
# (an edited pattern or default, a swapped status or scheme type).
CASES: list[tuple[str, Mutation, Mutation, str]] = [
    (
        "api-path-removed",
        _noop,
        lambda d: d["paths"].pop("/issues/{id}"),
        "api-operation-added",
    ),
    (
        "api-operation-removed",
        _noop,
        lambda d: d["paths"]["/issues/{id}"].pop("delete"),
        "api-operation-added",
    ),
    (
        "response-success-status-removed",
        lambda d: post(d)["responses"].update({"200": {"description": "existing"}}),
        _noop,
        "response-success-status-added",
    ),
    (
        "new-required-request-property",
        _noop,
        lambda d: (
            create_props(d).update({"environment": {"type": "string"}}),
            schemas(d)["Create"]["required"].append("environment"),
        ),
        "request-property-removed",
    ),
    (
        "request-property-became-required",
        _noop,
        lambda d: schemas(d)["Create"]["required"].append("severity"),
        "request-property-became-optional",
    ),
    (
        "request-property-enum-value-removed",
        _noop,
        lambda d: create_props(d)["severity"]["enum"].remove("high"),
        "request-property-enum-value-added",
    ),
    (
        "request-property-type-changed",
        _noop,
        lambda d: create_props(d)["count"].update(type="integer"),
        "request-property-type-widened",
    ),
    (
        "request-property-format-changed",
        _noop,
        lambda d: create_props(d)["note"].update(format="email"),
        "request-property-format-removed",
    ),
    (
        "request-property-max-length-decreased",
        _noop,
        lambda d: create_props(d)["title"].update(maxLength=200),
        "request-property-max-length-increased",
    ),
    (
        "request-property-min-length-increased",
        _noop,
        lambda d: create_props(d)["title"].update(minLength=5),
        "request-property-min-length-decreased",
    ),
    (
        "request-property-pattern-added",
        _noop,
        lambda d: create_props(d)["title"].update(pattern="^[A-Z]"),
        "request-property-pattern-removed",
    ),
    (
        "request-property-pattern-changed",
        lambda d: create_props(d)["title"].update(pattern="^[A-Z]"),
        lambda d: create_props(d)["title"].update(pattern="^[a-z]"),
        "same",
    ),
    (
        "request-property-min-increased",
        _noop,
        lambda d: create_props(d)["count"].update(exclusiveMinimum=True),
        "request-property-min-decreased",
    ),
    (
        "request-property-became-not-nullable",
        _noop,
        lambda d: create_props(d)["note"].pop("nullable"),
        "request-property-became-nullable",
    ),
    (
        "request-body-media-type-removed",
        lambda d: post(d)["requestBody"]["content"].update({"text/yaml": {"schema": {}}}),
        _noop,
        "request-body-media-type-added",
    ),
    (
        "request-body-became-required",
        lambda d: post(d)["requestBody"].update(required=False),
        _noop,
        "request-body-became-optional",
    ),
    (
        "new-required-request-body",
        lambda d: get_one(d).update(requestBody=None),
        lambda d: get_one(d).update(
            requestBody={"required": True, "content": {"application/json": {"schema": {}}}}
        ),
        "request-body-removed",
    ),
    (
        "new-required-request-parameter",
        _noop,
        lambda d: post(d)["parameters"].append(
            {"name": "org", "in": "query", "required": True, "schema": {"type": "string"}}
        ),
        "request-parameter-removed",
    ),
    (
        "request-parameter-removed",
        _noop,
        lambda d: get_one(d)["parameters"].clear(),
        "new-optional-request-parameter",
    ),
    (
        "request-parameter-became-required",
        _noop,
        lambda d: get_one(d)["parameters"][0].update(required=True),
        "request-parameter-became-optional",
    ),
    (
        "api-version-default-changed",
        _noop,
        lambda d: d["components"]["parameters"]["Version"]["schema"].update(default="2026-09-01"),
        "same",
    ),
    (
        "request-parameter-default-changed",
        _noop,
        lambda d: get_one(d)["parameters"][0]["schema"].update(default="all"),
        "same",
    ),
    (
        "request-parameter-enum-value-removed",
        lambda d: get_one(d)["parameters"][0]["schema"].update(enum=["a", "b"]),
        lambda d: get_one(d)["parameters"][0]["schema"].update(enum=["a"]),
        "request-parameter-enum-value-added",
    ),
    (
        "response-required-property-removed",
        _noop,
        lambda d: (
            issue_props(d).pop("status"),
            schemas(d)["Issue"]["required"].remove("status"),
        ),
        "response-property-added",
    ),
    (
        "response-optional-property-removed",
        _noop,
        lambda d: issue_props(d).pop("closedAt"),
        "response-property-added",
    ),
    (
        "response-property-became-optional",
        _noop,
        lambda d: schemas(d)["Issue"]["required"].remove("number"),
        "response-property-became-required",
    ),
    (
        "response-property-became-nullable",
        _noop,
        lambda d: issue_props(d)["title"].update(nullable=True),
        "response-property-became-not-nullable",
    ),
    (
        "response-property-type-changed",
        _noop,
        lambda d: issue_props(d)["number"].update(type="number"),
        "response-property-type-narrowed",
    ),
    (
        "response-property-enum-value-added",
        _noop,
        lambda d: issue_props(d)["status"]["enum"].append("archived"),
        "response-property-enum-value-removed",
    ),
    (
        "response-property-max-increased",
        lambda d: issue_props(d)["number"].update(maximum=100),
        lambda d: issue_props(d)["number"].update(maximum=1000),
        "response-property-max-decreased",
    ),
    (
        "response-non-success-status-removed",
        _noop,
        lambda d: post(d)["responses"].pop("400"),
        "response-non-success-status-added",
    ),
    (
        "response-media-type-removed",
        lambda d: post(d)["responses"]["201"]["content"].update({"text/csv": {"schema": {}}}),
        _noop,
        "response-media-type-added",
    ),
    (
        "response-header-removed",
        lambda d: post(d)["responses"]["201"].update(
            headers={"Location": {"schema": {"type": "string"}}}
        ),
        _noop,
        "response-header-added",
    ),
    (
        "api-security-added",
        lambda d: post(d).update(security=[]),
        _noop,
        "api-security-removed",
    ),
    (
        "api-security-removed",
        _noop,
        lambda d: post(d).update(security=[]),
        "api-security-added",
    ),
    (
        "security-scheme-type-changed",
        _noop,
        lambda d: d["components"]["securitySchemes"].update(
            bearer={"type": "apiKey", "in": "header", "name": "X-Api-Key"}
        ),
        "same",
    ),
    (
        "api-operation-id-changed",
        _noop,
        lambda d: post(d).update(operationId="issuesCreate"),
        "same",
    ),
]


def _pair(old_fn: Mutation, new_fn: Mutation) -> tuple[Doc, Doc]:
    old, new = base_doc(), base_doc()
    old_fn(old)
    new_fn(new)
    # A None requestBody stands for "absent" in the table above.
    for doc in (old, new):
        operation = doc["paths"].get("/issues/{id}", {}).get("get", {})
        if operation.get("requestBody", 0) is None:
            del operation["requestBody"]
    return old, new


@pytest.mark.parametrize(
    ("rule_id", "old_fn", "new_fn", "reverse_id"), CASES, ids=[case[0] for case in CASES]
)
def test_rule_fires_with_its_level_and_not_in_reverse(
    rule_id: str, old_fn: Mutation, new_fn: Mutation, reverse_id: str
) -> None:
    old, new = _pair(old_fn, new_fn)
    forward = diff_documents(old, new)
    hits = [c for c in forward.changes if c.id == rule_id]
    assert hits, f"{rule_id} not reported; got {sorted(ids(forward))}"
    assert all(c.level is RULES[rule_id].level for c in hits)
    assert all(c.operation for c in hits)

    backward = diff_documents(new, old)
    if reverse_id == "same":
        # Symmetric by nature: an edited value is a change either way.
        assert rule_id in ids(backward)
    else:
        assert rule_id not in ids(backward)
        assert reverse_id in ids(backward)
        reverse_level = RULES[reverse_id].level
        # Security is the exception: adding and removing a scheme both break clients.
        if RULES[rule_id].level is Level.BREAKING and not reverse_id.startswith("api-security"):
            assert reverse_level is not Level.BREAKING


def test_every_case_names_a_declared_rule_and_issue_rules_are_covered() -> None:
    tested = {case[0] for case in CASES} | {case[3] for case in CASES} - {"same"}
    assert tested <= set(RULES)
    # The issue's list, by our ids.
    required = {
        "api-path-removed",
        "api-operation-removed",
        "response-success-status-removed",
        "new-required-request-property",
        "request-property-became-required",
        "request-property-enum-value-removed",
        "request-property-type-changed",
        "request-property-format-changed",
        "request-property-max-length-decreased",
        "request-property-min-length-increased",
        "request-property-pattern-added",
        "request-property-pattern-changed",
        "request-body-media-type-removed",
        "request-body-became-required",
        "new-required-request-parameter",
        "request-parameter-removed",
        "api-version-default-changed",
        "request-parameter-default-changed",
        "response-required-property-removed",
        "response-property-became-optional",
        "response-property-became-nullable",
        "response-property-type-changed",
        "response-property-enum-value-added",
        "response-non-success-status-removed",
        "api-security-added",
        "api-security-removed",
        "security-scheme-type-changed",
    }
    assert required <= tested
    for rule_id in required - {"request-parameter-default-changed"}:
        expected = (
            Level.WARNING
            if rule_id
            in {
                "request-parameter-removed",
                "response-property-enum-value-added",
                "response-non-success-status-removed",
            }
            else Level.BREAKING
        )
        assert RULES[rule_id].level is expected, rule_id


def test_ids_are_kebab_case() -> None:
    for rule_id in RULES:
        assert rule_id == rule_id.lower()
        assert all(part.isalnum() for part in rule_id.split("-")), rule_id


def test_success_status_changed_is_breaking_both_ways() -> None:
    old, new = base_doc(), base_doc()
    responses = post(new)["responses"]
    responses["200"] = responses.pop("201")
    for a, b in ((old, new), (new, old)):
        result = diff_documents(a, b)
        assert "response-success-status-removed" in ids(result)
        assert result.breaking


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda d: create_props(d).update(tags={"type": "array"}), id="new-optional-property"
        ),
        pytest.param(
            lambda d: create_props(d)["severity"]["enum"].append("critical"), id="request-enum-add"
        ),
        pytest.param(lambda d: create_props(d)["title"].update(maxLength=1000), id="max-length-up"),
        pytest.param(lambda d: create_props(d)["title"].pop("minLength"), id="min-length-removed"),
        pytest.param(
            lambda d: d["paths"].update(
                {"/artifacts": {"get": {"responses": {"200": {"description": "ok"}}}}}
            ),
            id="new-operation",
        ),
        pytest.param(
            lambda d: issue_props(d).update(assignee={"type": "string"}),
            id="new-response-property",
        ),
        pytest.param(
            lambda d: issue_props(d)["status"]["enum"].remove("closed"), id="response-enum-shrinks"
        ),
        pytest.param(
            lambda d: schemas(d)["Create"]["required"].remove("description"),
            id="request-property-optional",
        ),
    ],
)
def test_relaxations_are_not_breaking(mutate: Mutation) -> None:
    old, new = base_doc(), base_doc()
    mutate(new)
    result = diff_documents(old, new)
    assert result.changes, "the relaxation must still be reported"
    assert not result.breaking, [c.to_dict() for c in result.changes]
    assert all(c.level is not Level.WARNING for c in result.changes)


def test_shared_schema_change_is_reported_per_operation() -> None:
    old, new = base_doc(), base_doc()
    schemas(new)["Issue"]["required"].remove("uuid")
    result = diff_documents(old, new)
    hits = [c for c in result.changes if c.id == "response-property-became-optional"]
    assert {c.operation for c in hits} == {"POST /issues", "GET /issues/{id}"}
    assert {c.location for c in hits} == {"/components/schemas/Issue/properties/uuid"}


def test_direction_matters_for_the_same_edit() -> None:
    # Making a property optional: harmless in a request, breaking in a response.
    old, new = base_doc(), base_doc()
    schemas(new)["Create"]["required"].remove("title")
    assert not diff_documents(old, new).breaking
    old, new = base_doc(), base_doc()
    schemas(new)["Issue"]["required"].remove("status")
    assert diff_documents(old, new).breaking


def test_inline_request_schema_edits_are_located_in_the_new_document() -> None:
    old, new = base_doc(), base_doc()
    inline = copy.deepcopy(schemas(new)["Create"])
    inline["required"].append("severity")
    post(new)["requestBody"]["content"]["application/json"]["schema"] = inline
    result = diff_documents(old, new)
    (hit,) = [c for c in result.changes if c.id == "request-property-became-required"]
    assert hit.location == (
        "/paths/~1issues/post/requestBody/content/application~1json/schema/properties/severity"
    )
    assert hit.operation == "POST /issues"
    assert "severity" in hit.message


def test_removals_are_located_in_the_old_document() -> None:
    old, new = base_doc(), base_doc()
    del new["paths"]["/issues/{id}"]
    result = diff_documents(old, new)
    locations = {c.location for c in result.changes if c.id == "api-path-removed"}
    assert locations == {"/paths/~1issues~1{id}/get", "/paths/~1issues~1{id}/delete"}


def test_path_template_rename_is_the_same_operation() -> None:
    old, new = base_doc(), base_doc()
    item = new["paths"].pop("/issues/{id}")
    item["parameters"][0]["name"] = "issueId"
    new["paths"]["/issues/{issueId}"] = item
    result = diff_documents(old, new)
    assert not result.breaking
    assert ids(result) == {"api-path-parameter-renamed"}
    assert {c.operation for c in result.changes} == {
        "GET /issues/{issueId}",
        "DELETE /issues/{issueId}",
    }


def test_path_level_parameters_apply_to_every_operation_of_the_path() -> None:
    old, new = base_doc(), base_doc()
    new["paths"]["/issues/{id}"]["parameters"].append(
        {"name": "X-Org", "in": "header", "required": True, "schema": {"type": "string"}}
    )
    result = diff_documents(old, new)
    hits = [c for c in result.changes if c.id == "new-required-request-parameter"]
    assert {c.operation for c in hits} == {"GET /issues/{id}", "DELETE /issues/{id}"}
    assert {c.location for c in hits} == {"/paths/~1issues~1{id}/parameters/1"}
    # An operation-level parameter overrides the path-level one of the same name.
    old, new = base_doc(), base_doc()
    get_one(new)["parameters"].append(
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    )
    result = diff_documents(old, new)
    assert {c.operation for c in result.changes if c.id == "request-parameter-type-changed"} == {
        "GET /issues/{id}"
    }


def test_nested_and_array_properties_are_compared() -> None:
    old, new = base_doc(), base_doc()
    create_props(new)["context"]["properties"]["service"]["maxLength"] = 10
    create_props(new)["context"]["additionalProperties"] = {"type": "integer"}
    issue_props(old)["tags"] = {"type": "array", "items": {"type": "string"}}
    issue_props(new)["tags"] = {"type": "array", "items": {"type": "string", "enum": ["a"]}}
    result = diff_documents(old, new)
    by_id = {c.id: c for c in result.changes}
    assert "context.service" in by_id["request-property-max-length-decreased"].message
    assert "request-property-type-changed" in by_id
    assert by_id["response-property-enum-added"].level is Level.INFO


def test_recursive_schemas_terminate() -> None:
    old, new = base_doc(), base_doc()
    for doc in (old, new):
        schemas(doc)["Issue"]["properties"]["parent"] = {"$ref": "#/components/schemas/Issue"}
    schemas(new)["Issue"]["properties"]["status"]["enum"].append("new")
    result = diff_documents(old, new)
    assert "response-property-enum-value-added" in ids(result)


def test_output_order_is_deterministic() -> None:
    old, new = base_doc(), base_doc()
    schemas(new)["Error"]["properties"]["type"]["enum"].append("rate_limit_error")
    schemas(new)["Create"]["required"].append("severity")
    del new["paths"]["/issues/{id}"]["delete"]
    first = diff_documents(old, new)
    second = diff_documents(copy.deepcopy(old), copy.deepcopy(new))
    assert first == second
    keys = [(c.operation or "", c.location, c.id) for c in first.changes]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_document_level_changes_have_no_operation() -> None:
    old, new = base_doc(), base_doc()
    new["info"]["version"] = "2026-09-01"
    new["servers"] = [{"url": "https://api2.example.test/v2"}]
    result = diff_documents(old, new)
    by_id = {c.id: c for c in result.changes}
    assert by_id["info-version-changed"].operation is None
    assert by_id["server-removed"].level is Level.WARNING
    assert by_id["server-added"].location == "/servers/0"


def test_summary_counts_per_level() -> None:
    old, new = base_doc(), base_doc()
    schemas(new)["Create"]["required"].append("severity")  # breaking
    post(new)["responses"].pop("400")  # warning
    post(new)["summary"] = "Open an issue"  # info
    summary = diff_documents(old, new).summary()
    assert summary == {
        "counts": {"breaking": 1, "warning": 1, "info": 1},
        "total": 3,
        "breaking": True,
        "notes": [
            "info.version is still '2026-03-17' although 1 breaking change landed: clients "
            "pinning '2026-03-17' (as Antimetal-Version) get the new behaviour"
        ],
    }
    # A new date for the breaking change: nothing to remark on.
    new["info"]["version"] = "2026-06-01"
    assert "notes" not in diff_documents(old, new).summary()


def test_read_only_properties_do_not_count_in_requests() -> None:
    old, new = base_doc(), base_doc()
    create_props(new)["id"] = {"type": "string", "readOnly": True}
    schemas(new)["Create"]["required"].append("id")
    assert not diff_documents(old, new).breaking
    # ...but the same property in a response is read by clients.
    issue_props(new)["secret"] = {"type": "string", "writeOnly": True}
    old2 = copy.deepcopy(new)
    issue_props(old2)["secret"] = {"type": "string", "writeOnly": True}
    schemas(old2)["Issue"]["required"].append("secret")
    assert not diff_documents(old2, new).breaking
    schemas(old2)["Issue"]["required"].append("title")
    assert diff_documents(old2, new).breaking
