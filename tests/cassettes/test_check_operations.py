"""`cassettes check` over every operation of the vendor's full document.

Each interaction is routed to its operation by path template, its 2xx request
checked (path, query, header parameters, body) and its response validated
against the status's schema; a Server-Sent Events answer event by event.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr

from pytest_antimetal import cli
from pytest_antimetal.cassettes import check_cassettes, install
from pytest_antimetal.cassettes.check import Finding, event_schema
from pytest_antimetal.spec import Spec
from tests.cassettes.scripted import CONVERSATION, ISSUE_ID, ScriptedApi, sse, vendor_spec
from tests.cassettes.test_operations import LOOPBACK, _all_nine


@pytest.fixture
def spec() -> Spec:
    return vendor_spec()


@pytest.fixture
def nine(tmp_path: Path, spec: Spec) -> Path:
    """A cassette holding one call of each of the nine operations (and the streamed query)."""
    path = tmp_path / "nine" / "nine.yaml"
    recorder = install(vcr.VCR(record_mode="once"), spec=spec, environ={})
    api = ScriptedApi(spec)
    with (
        recorder.use_cassette(str(path)),
        httpx.Client(transport=api.transport, base_url=LOOPBACK) as client,
    ):
        _all_nine(client)
    return path


def _edited(path: Path, target: Path, change: Callable[[list[dict[str, Any]]], None]) -> Path:
    import yaml

    data = yaml.safe_load(path.read_text())
    change(data["interactions"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data))
    return target


def _entry(interactions: list[dict[str, Any]], method: str, fragment: str) -> dict[str, Any]:
    return next(
        i
        for i in interactions
        if i["request"]["method"] == method and fragment in i["request"]["uri"]
    )


def _spec_with(spec: Spec, change: Callable[[dict[str, Any]], None]) -> Spec:
    document = copy.deepcopy(spec.document)
    change(document)
    return Spec(document, source="modified")


def _summary(findings: list[Finding]) -> list[tuple[int | None, str, str, str]]:
    return [(f.index, f"{f.method} {f.url_path}", f.kind, f.reason) for f in findings]


def test_all_nine_operations_are_clean_against_the_full_document(nine: Path, spec: Spec) -> None:
    assert check_cassettes([nine], spec) == []


@pytest.mark.usefixtures("registered")
def test_cli_checks_the_full_document(
    nine: Path, spec: Spec, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["cassettes", "check", "--spec", spec.source, str(nine)]) == 0
    assert capsys.readouterr().out == "1 cassette clean against spec 2026-03-17\n"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        cli.SUBCOMMANDS,
        "cassettes",
        ("pytest_antimetal.cassettes.cli", "check recorded cassettes against the spec"),
    )


def test_every_response_is_validated_against_its_operation(
    nine: Path, tmp_path: Path, spec: Spec
) -> None:
    def break_each(interactions: list[dict[str, Any]]) -> None:
        for method, fragment, field in [
            ("GET", "/issues?", "has_more"),
            ("GET", "/by_number/7", "seedCount"),
            ("PATCH", ISSUE_ID, "status"),
            ("GET", "/results", "causalTree"),
        ]:
            response = _entry(interactions, method, fragment)["response"]
            body = json.loads(response["body"]["string"])
            del body[field]
            response["body"]["string"] = json.dumps(body)
        artifacts = _entry(interactions, "GET", "/artifacts")["response"]
        listed = json.loads(artifacts["body"]["string"])
        listed[1]["type"] = "spreadsheet"
        artifacts["body"]["string"] = json.dumps(listed)

    broken = _edited(nine, tmp_path / "broken.yaml", break_each)
    found = {(f.method, f.url_path): f.reason for f in check_cassettes([broken], spec)}
    assert found[("GET", "/issues")] == "200 response no longer valid: has_more: is required"
    assert found[("GET", "/issues/by_number/7")] == (
        "200 response no longer valid: seedCount: is required"
    )
    assert found[("PATCH", f"/issues/{ISSUE_ID}")] == (
        "200 response no longer valid: status: is required"
    )
    assert found[("GET", f"/issues/{ISSUE_ID}/results")] == (
        "200 response no longer valid: causalTree: is required"
    )
    assert found[("GET", "/artifacts")].startswith("200 response no longer valid: 1: ")
    assert len(found) == 5


def test_stream_events_are_validated_against_query_chunk_dto(
    nine: Path, tmp_path: Path, spec: Spec
) -> None:
    def bad_events(interactions: list[dict[str, Any]]) -> None:
        stream = [i for i in interactions if "/query" in i["request"]["uri"]][1]
        events = [{"text": "a"}, {"artifact": {"id": "m:1"}}, {"conversation_id": "not-a-uuid"}]
        body = b"".join(sse(events)).decode() + "data: [DONE]\n\n"
        stream["response"]["body"]["string"] = body

    broken = _edited(nine, tmp_path / "events.yaml", bad_events)
    findings = check_cassettes([broken], spec)
    assert [(f.method, f.url_path, f.kind) for f in findings] == [("POST", "/query", "stale")] * 3
    assert [f.reason for f in findings] == [
        "200 event 1 no longer valid against QueryChunkDto: artifact.tool_name: is required",
        "200 event 2 no longer valid against QueryChunkDto: conversation_id: "
        "does not match the required pattern",
        "200 event 3 data is not JSON",
    ]


def test_event_schema_comes_from_the_document_else_the_finding_says_what_was_looked_for(
    nine: Path, spec: Spec
) -> None:
    query = spec.operation("post", "/query")
    assert event_schema(spec, query, 200)[1] == "QueryChunkDto"

    def item_schema(document: dict[str, Any]) -> None:
        content = document["paths"]["/query"]["post"]["responses"]["200"]["content"]
        content["text/event-stream"] = {"itemSchema": {"type": "object", "required": ["delta"]}}

    documented = _spec_with(spec, item_schema)
    schema, name, _ = event_schema(documented, documented.operation("post", "/query"), 200)
    assert (schema, name) == (
        {"type": "object", "required": ["delta"]},
        "POST /query 200 text/event-stream itemSchema",
    )
    assert {f.reason for f in check_cassettes([nine], documented)} == {
        "200 event 0 no longer valid against POST /query 200 text/event-stream itemSchema: "
        "delta: is required",
        "200 event 1 no longer valid against POST /query 200 text/event-stream itemSchema: "
        "delta: is required",
        "200 event 2 no longer valid against POST /query 200 text/event-stream itemSchema: "
        "delta: is required",
        "200 event 3 no longer valid against POST /query 200 text/event-stream itemSchema: "
        "delta: is required",
        "200 event 4 no longer valid against POST /query 200 text/event-stream itemSchema: "
        "delta: is required",
    }

    def unnamed(document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        schemas["QueryAnswerChunk"] = schemas.pop("QueryChunkDto")

    findings = check_cassettes([nine], _spec_with(spec, unnamed))
    assert _summary(findings) == [
        (
            9,
            "POST /query",
            "undocumented",
            "200 answered text/event-stream, but the spec names no schema for POST /query's "
            "events (looked for text/event-stream content under 200 or a schema named "
            "QueryChunkDto)",
        )
    ]


def test_an_operation_the_spec_does_not_document_is_a_finding(nine: Path, spec: Spec) -> None:
    def only_create(document: dict[str, Any]) -> None:
        document["paths"] = {"/issues": {"post": document["paths"]["/issues"]["post"]}}

    findings = check_cassettes([nine], _spec_with(spec, only_create))
    assert [(f.index, f.kind) for f in findings] == [(i, "undocumented") for i in range(1, 10)]
    reasons = {f"{f.method} {f.url_path}": f.reason for f in findings}
    assert reasons["GET /issues"] == (
        "the spec (2026-03-17) documents no operation GET /issues (/issues allows POST)"
    )
    assert reasons[f"DELETE /issues/{ISSUE_ID}"] == (
        f"the spec (2026-03-17) documents no operation DELETE /issues/{ISSUE_ID} "
        "(no documented path matches)"
    )


def test_a_method_the_path_does_not_document_is_a_finding(nine: Path, spec: Spec) -> None:
    def no_delete(document: dict[str, Any]) -> None:
        del document["paths"]["/issues/{id}"]["delete"]

    findings = check_cassettes([nine], _spec_with(spec, no_delete))
    assert _summary(findings) == [
        (
            7,
            f"DELETE /issues/{ISSUE_ID}",
            "undocumented",
            f"the spec (2026-03-17) documents no operation DELETE /issues/{ISSUE_ID} "
            "(/issues/{id} allows GET, PATCH)",
        )
    ]


def test_routing_prefers_the_most_specific_template(spec: Spec) -> None:
    from pytest_antimetal.cassettes.check import _Checker

    def results_by_number(document: dict[str, Any]) -> None:
        # /issues/by_number/results matches both templates below: by_number is literal.
        paths = document["paths"]
        paths["/issues/{id}/{part}"] = {"get": paths["/issues/{id}/results"]["get"]}

    checker = _Checker(_spec_with(spec, results_by_number))
    op, values, _ = checker.route("GET", "/issues/by_number/results")
    assert (op and op.path, values) == ("/issues/by_number/{number}", {"number": "results"})
    op, values, _ = checker.route("GET", f"/issues/{ISSUE_ID}/results")
    assert (op and op.path, values) == ("/issues/{id}/results", {"id": ISSUE_ID})
    op, values, _ = checker.route("GET", "/issues/a%2Fb")
    assert (op and op.path, values) == ("/issues/{id}", {"id": "a/b"})


def test_path_and_query_parameters_of_2xx_are_validated(
    nine: Path, tmp_path: Path, spec: Spec
) -> None:
    def change(interactions: list[dict[str, Any]]) -> None:
        listing = _entry(interactions, "GET", "/issues?")["request"]
        listing["uri"] = f"{LOOPBACK}/issues?limit=500&status=open&sort=asc&search=a&search=b"
        by_number = _entry(interactions, "GET", "/by_number/7")["request"]
        by_number["uri"] = f"{LOOPBACK}/issues/by_number/seven"
        artifacts = _entry(interactions, "GET", "/artifacts")["request"]
        artifacts["uri"] = f"{LOOPBACK}/artifacts?" + "&".join(f"id={n}" for n in range(101))

    changed = _edited(nine, tmp_path / "params.yaml", change)
    found = sorted((f.index, f.reason) for f in check_cassettes([changed], spec))
    assert found == [
        (1, "query parameter limit no longer valid: 500 is greater than the maximum of 100"),
        (1, "query parameter search was sent 2 times; the spec documents one value"),
        (1, "query parameter sort is not documented for GET /issues"),
        (
            1,
            "query parameter status no longer valid: must be one of "
            '"investigating", "ready_to_fix", "resolved", "muted"',
        ),
        (2, "path parameter number no longer valid: must be of type integer"),
        (6, "query parameter id was sent 101 times; the spec allows at most 100"),
    ]


def test_a_4xx_request_is_not_judged_but_its_answer_is(
    nine: Path, tmp_path: Path, spec: Spec
) -> None:
    def not_found(interactions: list[dict[str, Any]]) -> None:
        entry = _entry(interactions, "GET", "/by_number/7")
        entry["request"]["uri"] = f"{LOOPBACK}/issues/by_number/seven"
        entry["response"]["status"] = {"code": 404, "message": "Not Found"}
        error = {"type": "invalid_request_error", "message": "no issue", "request_id": "r"}
        entry["response"]["body"]["string"] = json.dumps(error)

    assert check_cassettes([_edited(nine, tmp_path / "404.yaml", not_found)], spec) == []


def test_a_204_with_a_body_is_a_finding(nine: Path, tmp_path: Path, spec: Spec) -> None:
    def body(interactions: list[dict[str, Any]]) -> None:
        entry = _entry(interactions, "DELETE", ISSUE_ID)
        entry["response"]["body"]["string"] = json.dumps({"deleted": True})

    findings = check_cassettes([_edited(nine, tmp_path / "204.yaml", body)], spec)
    assert _summary(findings) == [
        (
            7,
            f"DELETE /issues/{ISSUE_ID}",
            "stale",
            "204 response holds a 17-byte body; HTTP sends none with 204",
        )
    ]


def test_a_key_in_a_recorded_stream_is_a_finding(
    nine: Path, tmp_path: Path, spec: Spec, canary_key: str
) -> None:
    def leak(interactions: list[dict[str, Any]]) -> None:
        stream = [i for i in interactions if "/query" in i["request"]["uri"]][1]
        half = len(canary_key) // 2
        events = [{"text": canary_key[:half]}, {"text": canary_key[half:]}]
        events.append({"conversation_id": CONVERSATION})
        stream["response"]["body"]["string"] = b"".join(sse(events)).decode()

    leaky = _edited(nine, tmp_path / "leak.yaml", leak)
    findings = check_cassettes([leaky], spec, environ={"ANTIMETAL_API_KEY": canary_key})
    assert [(f.index, f.kind) for f in findings] == [(9, "secret")]
    assert "response body (event stream: the 'text' of its events, joined)" in findings[0].reason
    assert canary_key not in str(findings[0])


def test_a_401_the_document_implies_by_its_security_is_not_undocumented(
    nine: Path, tmp_path: Path, spec: Spec
) -> None:
    # The vendor's GET /issues/by_number/{number} lists 200, 404, 500 only, yet the
    # document-level security requires the bearer: a real server answers 401 there.
    assert "401" not in spec.operation("get", "/issues/by_number/{number}").responses

    def unauthorised(error: dict[str, Any]) -> Callable[[list[dict[str, Any]]], None]:
        def change(interactions: list[dict[str, Any]]) -> None:
            entry = _entry(interactions, "GET", "/by_number/7")
            entry["response"]["status"] = {"code": 401, "message": "Unauthorized"}
            entry["response"]["body"]["string"] = json.dumps(error)

        return change

    good = {"type": "authentication_error", "message": "no key", "request_id": "r"}
    answered = _edited(nine, tmp_path / "401.yaml", unauthorised(good))
    assert check_cassettes([answered], spec) == []

    bad = _edited(nine, tmp_path / "401-bad.yaml", unauthorised({"message": "no key"}))
    assert [f.reason for f in check_cassettes([bad], spec)] == [
        "401 response (implied by GET /issues/by_number/{number}'s security) no longer valid: "
        "type: is required",
        "401 response (implied by GET /issues/by_number/{number}'s security) no longer valid: "
        "request_id: is required",
    ]

    def anonymous(document: dict[str, Any]) -> None:
        document["security"] = []

    findings = check_cassettes([answered], _spec_with(spec, anonymous))
    assert [(f.index, f.kind) for f in findings] == [(2, "undocumented")]
    assert findings[0].reason.startswith(
        "status 401 is not documented for GET /issues/by_number/{number}"
    )
