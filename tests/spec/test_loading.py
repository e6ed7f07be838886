from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pytest_antimetal.spec import (
    DEFAULT_LIMITS,
    VENDORED_SPEC_PATH,
    DocumentLimits,
    Spec,
    SpecError,
    check_refs,
    load_json_bounded,
    load_spec,
    load_yaml_bounded,
    parse_document,
    read_text,
    resolve_refs,
    vendored_spec,
)
from tests.helpers.sessions import REPO_ROOT, SHARED_VENDOR


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


def test_vendored_spec_is_the_vendors_whole_document() -> None:
    spec = vendored_spec()
    assert [(op.label, op.operation_id) for op in spec.operations()] == [
        ("GET /issues", "listIssues"),
        ("POST /issues", "createIssue"),
        ("GET /issues/by_number/{number}", "getIssueByNumber"),
        ("GET /issues/{id}", "getIssue"),
        ("DELETE /issues/{id}", "deleteIssue"),
        ("PATCH /issues/{id}", "updateIssueStatus"),
        ("GET /issues/{id}/results", "getIssueResults"),
        ("GET /artifacts", "batchGetArtifacts"),
        ("POST /query", "query"),
    ]
    # What an `Allow` header or an "undeclared method" check derives from the document.
    assert spec.methods_for("/issues") == ["GET", "POST"]
    assert spec.methods_for("/issues/{id}") == ["GET", "DELETE", "PATCH"]
    assert spec.methods_for("/nowhere") == []
    assert {op.success_status for op in spec.operations()} == {200, 201, 204}
    # Every operation takes the version header, with one documented default.
    for op in spec.operations():
        version = op.header_parameter("Antimetal-Version")
        assert version is not None, op.label
        assert version["schema"]["default"] == "2026-03-17"
    published = SHARED_VENDOR / "openapi.mintlify.json"
    if published.is_file():  # what `antimetal-contract pull` copied, meaning for meaning
        assert spec.document == json.loads(published.read_text(encoding="utf-8"))


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
    with pytest.raises(SpecError, match="no operation PUT /issues"):
        vendored_spec().operation("put", "/issues")
    with pytest.raises(SpecError, match="unresolvable"):
        resolve_refs({"$ref": "#/components/schemas/Missing"}, {})


def test_load_spec_reads_json_too(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(vendored_spec().document))
    spec = load_spec(path)
    assert spec.version == "2026-03-17"
    assert spec.operation("post", "/issues").success_status == 201


# -- bounded parsing (issue 10 item 14) -----------------------------------------------


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The vendored document with a billion-laughs bomb in an ``x-`` extension of POST /issues.

    A few hundred bytes that expand to ``width ** levels`` scalars.
    """
    lines = ["      x-bomb:", f"        a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"        a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    text = VENDORED_SPEC_PATH.read_text(encoding="utf-8")
    anchor = "      operationId: createIssue\n"
    assert anchor in text
    return text.replace(anchor, anchor + "\n".join(lines) + "\n", 1)


def one_line_error(call: object, message: str) -> str:
    assert callable(call)
    with pytest.raises(SpecError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
    return str(info.value)


def test_an_alias_bomb_in_an_extension_is_refused_with_one_line() -> None:
    text = alias_bomb()
    assert len(text) < VENDORED_SPEC_PATH.stat().st_size + 1000
    error = one_line_error(
        lambda: parse_document(text, source="bomb.yaml"),
        "more than 1,000,000 nodes once YAML aliases are expanded",
    )
    assert error.startswith("bomb.yaml: ")


def test_aliases_are_counted_as_what_they_expand_to() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    # Three keys, then 4 + 4*4 + 4*4*4 scalars behind the aliases: about 100 nodes.
    assert load_yaml_bounded(text, "t")["c"][3][3] == [1, 2, 3, 4]
    with pytest.raises(SpecError, match="more than 60 nodes once YAML aliases are expanded"):
        load_yaml_bounded(text, "t", limits=DocumentLimits(max_nodes=60))


def test_ordinary_anchors_and_merge_keys_still_load() -> None:
    text = (
        "openapi: 3.0.0\ninfo: {title: t, version: 2026-03-17}\npaths: {}\n"
        "x-base: &base {type: string, minLength: 1}\n"
        "x-title: {<<: *base, maxLength: 5}\n"
    )
    document = parse_document(text)
    assert document["x-title"] == {"type": "string", "minLength": 1, "maxLength": 5}
    assert document["info"]["version"] == "2026-03-17"  # YAML 1.1 dates stay strings


def test_an_alias_to_its_own_ancestor_is_refused() -> None:
    text = "openapi: 3.0.0\npaths: {}\nx-loop: &loop {again: *loop}\n"
    one_line_error(lambda: parse_document(text, source="loop.yaml"), "nested more than 64")


@pytest.mark.parametrize(
    "text",
    [
        "x: " + "[" * 65 + "]" * 65,  # YAML flow
        "".join("  " * level + "a:\n" for level in range(65)) + "  " * 65 + "leaf\n",  # block
        "[" * 2000 + "]" * 2000,  # past libyaml's own bound (1000)
        "{" + '"a": {' * 65 + "}" * 66,  # JSON
        '{"a": ' + "[" * 5000 + "]" * 5000 + "}",  # JSON past the interpreter's recursion limit
    ],
    ids=["yaml-flow", "yaml-block", "yaml-past-libyaml", "json", "json-past-recursion"],
)
def test_deep_nesting_is_refused_with_one_line(text: str) -> None:
    one_line_error(
        lambda: parse_document(text, source="deep"),
        r"^deep: nested more than 64 levels deep \(the limit for a document\)$",
    )


def test_nesting_up_to_the_limit_loads() -> None:
    assert load_yaml_bounded("[" * 64 + "]" * 64) is not None
    assert load_json_bounded("[" * 64 + "]" * 64) is not None


def test_json_node_count_is_bounded() -> None:
    text = json.dumps({"openapi": "3.0.0", "paths": {}, "x": list(range(100))})
    assert load_json_bounded(text)["x"][99] == 99
    with pytest.raises(SpecError, match="more than 100 nodes"):
        load_json_bounded(text, "t", limits=DocumentLimits(max_nodes=100))


def test_size_is_bounded_before_parsing(tmp_path: Path) -> None:
    limits = DocumentLimits(max_bytes=100)
    text = "openapi: 3.0.0\npaths: {}\ninfo: {description: " + "x" * 100 + "}\n"
    one_line_error(lambda: load_yaml_bounded(text, "big", limits=limits), "over the 100-byte limit")
    one_line_error(lambda: load_json_bounded(json.dumps(text), "big", limits=limits), "100-byte")
    path = tmp_path / "big.yaml"
    path.write_text(text, encoding="utf-8")
    one_line_error(lambda: read_text(path, limits=limits), "big.yaml: over the 100-byte limit")
    assert read_text(path) == text


def test_python_tags_are_refused() -> None:
    one_line_error(
        lambda: parse_document("openapi: !!python/object/apply:os.getcwd []\n", source="t"),
        "^t: not valid JSON or YAML .*python/object/apply:os.getcwd",
    )


def test_the_documented_defaults() -> None:
    assert (
        DocumentLimits(max_bytes=10 * 1024 * 1024, max_depth=64, max_nodes=1_000_000)
        == DEFAULT_LIMITS
    )
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "10 MiB" in readme
    assert "64 levels" in readme
    assert "1,000,000 nodes" in readme


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc are Linux's")
def test_the_plugin_refuses_an_alias_bomb_in_bounded_memory_and_time(
    pytester: pytest.Pytester,
) -> None:
    pytester.path.joinpath("bomb.yaml").write_text(alias_bomb(), encoding="utf-8")
    # Conftests load before the plugin reads the spec: cap this run's address
    # space at what it has now plus 512 MiB (expanding the bomb needs gigabytes).
    pytester.makeconftest(
        """
        import resource

        with open("/proc/self/statm") as statm:
            now = int(statm.read().split()[0]) * resource.getpagesize()
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (now + 512 * 1024 * 1024, hard))
        """
    )
    pytester.makepyfile("def test_create(antimetal_client):\n    pass\n")
    result = pytester.runpytest_subprocess(
        *("-p", "antimetal", "-p", "no:cacheprovider"),
        *("-o", "asyncio_default_fixture_loop_scope=function"),
        *("--antimetal-spec", "bomb.yaml"),
        timeout=120,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert errors == [
        "ERROR: pytest-antimetal: "
        f"{pytester.path / 'bomb.yaml'}: more than 1,000,000 nodes once YAML aliases are "
        "expanded (the limit for a document)"
    ], result.stderr.str()


# -- $refs checked at load (issue 10 item 15) -------------------------------------------


def _with_schemas(**schemas: object) -> dict[str, object]:
    """The vendored document with *schemas* added and ``CreateIssueDto.properties.parent``."""
    document = parse_document(VENDORED_SPEC_PATH.read_text(encoding="utf-8"))
    document["components"]["schemas"].update(schemas)
    return document


def _load(tmp_path: Path, document: dict[str, object]) -> Spec:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_spec(path)


def _parent(document: dict[str, object], ref: str) -> dict[str, object]:
    schemas = document["components"]["schemas"]  # type: ignore[index]
    schemas["CreateIssueDto"]["properties"]["parent"] = {"$ref": ref}  # type: ignore[index]
    return document


def test_a_self_referencing_schema_is_one_line_at_load(tmp_path: Path) -> None:
    document = _parent(_with_schemas(), "#/components/schemas/CreateIssueDto")
    error = one_line_error(lambda: _load(tmp_path, document), "recursive")
    assert error == (
        f"{tmp_path / 'spec.json'}: recursive $ref at "
        "#/components/schemas/CreateIssueDto/properties/parent "
        "(#/components/schemas/CreateIssueDto -> #/components/schemas/CreateIssueDto): "
        "the fake and the issue factory need schemas they can expand in full"
    )


def test_a_two_schema_cycle_names_both_pointers(tmp_path: Path) -> None:
    document = _with_schemas(
        A={"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        B={"type": "array", "items": {"$ref": "#/components/schemas/A"}},
    )
    _parent(document, "#/components/schemas/A")
    one_line_error(
        lambda: _load(tmp_path, document),
        r"recursive \$ref at #/components/schemas/B/items \(#/components/schemas/A -> "
        r"#/components/schemas/B -> #/components/schemas/A\)",
    )


def test_a_cycle_outside_post_issues_is_left_alone(tmp_path: Path) -> None:
    # Nothing the fake, the factory or the contract suite uses expands it.
    document = _with_schemas(
        Node={"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
    )
    document["paths"]["/nodes"] = {  # type: ignore[index]
        "get": {
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}
                    },
                }
            }
        }
    }
    spec = _load(tmp_path, document)
    assert spec.operation("get", "/nodes").response_schema(200) == {
        "type": "object",
        "properties": {"next": {"$ref": "#/components/schemas/Node"}},
    }


def test_a_ref_to_a_missing_pointer_is_one_line_at_load(tmp_path: Path) -> None:
    unused = _with_schemas(Unused={"$ref": "#/components/schemas/Gone"})
    one_line_error(
        lambda: _load(tmp_path, unused),
        r"\$ref '#/components/schemas/Gone' at #/components/schemas/Unused points at nothing$",
    )
    remote = _parent(_with_schemas(), "https://example.com/other.yaml#/Thing")
    one_line_error(
        lambda: _load(tmp_path, remote),
        r"\$ref 'https://example.com/other.yaml#/Thing' at "
        r"#/components/schemas/CreateIssueDto/properties/parent is not local",
    )


def test_a_ref_bomb_is_refused_at_load(tmp_path: Path) -> None:
    # The $ref form of an alias bomb: ten levels of ten references each. JSON,
    # no alias: Spec.operations() would inline 10**10 nodes.
    schemas = {
        f"L{n}": {
            "type": "object",
            "properties": {f"p{i}": {"$ref": f"#/components/schemas/L{n + 1}"} for i in range(10)},
        }
        for n in range(10)
    }
    schemas["L10"] = {"type": "string"}
    document = _parent(_with_schemas(**schemas), "#/components/schemas/L0")
    one_line_error(
        lambda: _load(tmp_path, document), "more than 1,000,000 nodes once its \\$refs are expanded"
    )
    # The same shape, three levels deep, is an ordinary document.
    check_refs(_parent(_with_schemas(**schemas), "#/components/schemas/L7"))


def test_the_shipped_and_the_vendors_documents_pass_the_checks() -> None:
    check_refs(vendored_spec().document)
    from tests.helpers.sessions import SHARED_VENDOR

    for path in sorted(SHARED_VENDOR.glob("openapi.*")):
        assert load_spec(path).operation("post", "/issues").success_status == 201


@pytest.mark.parametrize("kind", ["cycle", "missing"])
def test_the_plugin_reports_a_bad_ref_as_one_usage_line(
    pytester: pytest.Pytester, kind: str
) -> None:
    target = "#/components/schemas/CreateIssueDto" if kind == "cycle" else "#/nope"
    document = _parent(_with_schemas(), target)
    pytester.path.joinpath("spec.json").write_text(json.dumps(document), encoding="utf-8")
    pytester.makepyfile("def test_create(antimetal_client):\n    pass\n")
    from tests.helpers.sessions import run_plugin

    result = run_plugin(pytester, "--antimetal-spec", "spec.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, result.stderr.str()
    assert errors[0].startswith(f"ERROR: pytest-antimetal: {pytester.path / 'spec.json'}: ")
    assert "#/components/schemas/CreateIssueDto/properties/parent" in errors[0]
    assert "does not exist" not in result.stdout.str() + result.stderr.str()
