"""The project's own checks and the spec facts they derive, one at a time."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.contract.checks import (
    CheckFailed,
    ContractRules,
    Exchange,
    RunState,
    datetime_rules,
    error_response_shape,
    identity_unique,
    parse_instant,
    request_reflected,
    timestamps_ordered,
)
from pytest_antimetal.contract.edge_cases import edge_inputs, malformed_inputs, valid_body
from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest
from pytest_antimetal.contract.spec_rules import classify_datetime, is_rfc3339
from pytest_antimetal.spec import Spec, vendored_spec

NOW = datetime(2026, 3, 17, 12, 0, 0, tzinfo=UTC)
RULES = ContractRules.from_spec(vendored_spec())
SENT = {"title": "t", "description": "d", "environment": "prod"}


def _issue(**changes: Any) -> dict[str, Any]:
    issue = {
        "uuid": "u-1",
        "number": 1,
        "status": "investigating",
        "title": "t",
        "description": "d",
        "environment": "prod",
        "severity": "medium",
        "createdAt": "2026-03-17T12:00:00.000Z",
        "updatedAt": "2026-03-17T12:00:00.000Z",
        "triggeredAt": "2026-03-17T12:00:00.000Z",
        "latestVersion": 1,
    }
    issue.update(changes)
    return issue


def _ex(status: int, payload: Any, sent: Any = None, intent: str = "positive") -> Exchange:
    body = json.dumps(payload).encode()
    response = ReceivedResponse(status, {"content-type": "application/json"}, body)
    return Exchange("case", intent, "POST", SENT if sent is None else sent, NOW, response)  # type: ignore[arg-type]


def test_rules_come_from_the_spec() -> None:
    assert RULES.success_status == 201
    assert set(RULES.echoed) == {"title", "description", "environment", "severity"}
    assert RULES.defaults == {"severity": "medium"}  # from "defaults to MEDIUM" + the enum
    assert RULES.echoed_datetimes == ("triggeredAt",)
    assert RULES.ordered_timestamps == (("createdAt", "updatedAt"),)
    assert [f.dotted for f in RULES.request_datetimes] == ["triggeredAt"]


def test_a_spec_default_keyword_wins() -> None:
    document = copy.deepcopy(vendored_spec().document)
    document["components"]["schemas"]["CreateIssueDto"]["properties"]["severity"]["default"] = "low"
    assert ContractRules.from_spec(Spec(document)).defaults == {"severity": "low"}


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("2026-01-01T10:00:00Z", "both"),
        ("2026-01-01T10:00:00.123456Z", "both"),
        ("0000-02-29T10:00:00Z", "both"),
        ("2026-01-01T10:00Z", "pattern-only"),
        ("2026-01-01T10:00:00+01:00", "format-only"),
        ("2026-02-30T10:00:00Z", "neither"),
        ("yesterday", "neither"),
    ],
)
def test_classify_datetime_against_the_spec_pattern(value: str, verdict: str) -> None:
    pattern = RULES.request_datetimes[0].pattern
    assert classify_datetime(value, pattern) == verdict


def test_rfc3339_and_instants() -> None:
    assert is_rfc3339("2024-02-29T23:59:60Z")
    assert not is_rfc3339("2023-02-29T10:00:00Z")
    a = parse_instant("2026-01-01T11:00:00.1239Z")
    b = parse_instant("2026-01-01T12:00:00.123+01:00")
    assert a is not None and b is not None
    assert abs(a - b) < timedelta(milliseconds=1)


def test_error_shape() -> None:
    state = RunState()
    ok = {"type": "invalid_request_error", "message": "m", "request_id": "r", "details": {"a": "b"}}
    error_response_shape(_ex(400, ok), RULES, state)
    with pytest.raises(CheckFailed, match="without `details`"):
        error_response_shape(
            _ex(400, {k: v for k, v in ok.items() if k != "details"}), RULES, state
        )
    with pytest.raises(CheckFailed, match="not an ErrorResponseDto"):
        error_response_shape(_ex(400, {"error": "bad"}), RULES, state)
    with pytest.raises(CheckFailed, match="expected 'authentication_error'"):
        error_response_shape(_ex(401, {**ok, "details": {}}), RULES, state)
    with pytest.raises(CheckFailed, match="expected 'api_error'"):
        error_response_shape(_ex(500, {**ok, "type": "invalid_request_error"}), RULES, state)
    # A malformed body has no fields to detail.
    error_response_shape(
        _ex(400, {k: v for k, v in ok.items() if k != "details"}, sent=b"{"), RULES, state
    )


def test_reflection() -> None:
    state = RunState()
    request_reflected(_ex(201, _issue()), RULES, state)
    with pytest.raises(CheckFailed, match="`title` sent as 't' came back as 'T'"):
        request_reflected(_ex(201, _issue(title="T")), RULES, state)
    with pytest.raises(CheckFailed, match="documented default 'medium'"):
        request_reflected(_ex(201, _issue(severity="low")), RULES, state)
    sent = {**SENT, "triggeredAt": "2026-01-01T10:00:00.000123Z"}
    request_reflected(_ex(201, _issue(triggeredAt="2026-01-01T10:00:00.000Z"), sent), RULES, state)
    with pytest.raises(CheckFailed, match="another instant"):
        request_reflected(
            _ex(201, _issue(triggeredAt="2026-01-01T10:00:01.000Z"), sent), RULES, state
        )
    with pytest.raises(CheckFailed, match="expected about now"):
        request_reflected(_ex(201, _issue(triggeredAt="2026-03-17T13:00:00.000Z")), RULES, state)


def test_timestamps_and_identity() -> None:
    state = RunState()
    with pytest.raises(CheckFailed, match="is after"):
        timestamps_ordered(_ex(201, _issue(createdAt="2026-03-17T12:00:01.000Z")), RULES, state)
    identity_unique(_ex(201, _issue()), RULES, state)
    with pytest.raises(CheckFailed, match="`uuid` 'u-1' was already given"):
        identity_unique(_ex(201, _issue(number=2)), RULES, state)
    with pytest.raises(CheckFailed, match="`number` 1 was already given"):
        identity_unique(_ex(201, _issue(uuid="u-3")), RULES, state)
    with pytest.raises(CheckFailed, match="must be > 0"):
        identity_unique(_ex(201, _issue(uuid="u-4", number=0)), RULES, state)


def test_timestamps_and_identity_judge_only_a_success_body_that_is_an_object() -> None:
    state = RunState()
    late = _issue(createdAt="2026-03-17T12:00:01.000Z", number=0)
    for ex in (
        _ex(200, late),  # not the operation's success status
        _ex(400, late),
        _ex(201, [late]),  # a success body that is no object: response_schema_conformance's
        _ex(201, "not an issue"),
    ):
        timestamps_ordered(ex, RULES, state)
        identity_unique(ex, RULES, state)
    assert state.created == [] and state.uuids == {} and state.numbers == {}
    identity_unique(_ex(201, _issue()), RULES, state)
    assert state.created == [1] and state.uuids == {"u-1": "case"}


def test_the_rules_moved_to_their_own_module_still_import_from_checks() -> None:
    # ContractRules and the parameter bounds live in contract/rules.py; code written against
    # contract.checks keeps working (CHANGELOG).
    from pytest_antimetal.contract import checks, rules

    for name in ("ContractRules", "ParameterBound", "parameter_bounds"):
        assert name in checks.__all__ and getattr(checks, name) is getattr(rules, name)
    # CONTRIBUTING: a new check is a function in checks.py, appended to OWN_CHECKS.
    assert {c.__module__ for c in checks.OWN_CHECKS} == {checks.__name__}


def test_datetime_rules_name_the_rule_the_server_follows() -> None:
    state = RunState()
    sent = {**SENT, "triggeredAt": "2026-01-01T10:00:00+01:00"}
    with pytest.raises(CheckFailed, match="it follows the format, not the pattern"):
        datetime_rules(_ex(201, _issue(), sent), RULES, state)
    both = {**SENT, "triggeredAt": "2026-01-01T10:00:00Z"}
    rejected = {
        "type": "invalid_request_error",
        "message": "m",
        "request_id": "r",
        "details": {"triggeredAt": "invalid"},
    }
    with pytest.raises(CheckFailed, match="rejected '2026-01-01T10:00:00Z', which satisfies both"):
        datetime_rules(_ex(400, rejected, both), RULES, state)
    datetime_rules(_ex(400, rejected, sent, intent="negative"), RULES, state)


def test_edge_inputs_follow_the_spec() -> None:
    schema = vendored_spec().operation("post", "/issues").request_schema() or {}
    inputs = {item.label: item for item in edge_inputs(schema)}
    assert inputs["title of 500 characters"].intent == "positive"
    assert inputs["title of 501 characters"].intent == "negative"
    assert inputs["title empty"].intent == "negative"
    assert len(inputs["description of 65537 bytes"].content()) > 64 * 1024
    assert inputs["triggeredAt = '2026-01-01T10:00Z' (pattern-only)"].intent == "negative"
    assert "severity = 'LOW' (case differs from the enum)" in inputs
    assert inputs["context.metadata empty"].intent == "positive"
    assert set(valid_body(schema)) == {"title", "description", "environment"}
    assert {item.intent for item in malformed_inputs(schema)} <= {"negative", "unknown"}


def test_failure_text_redacts_and_reproduces() -> None:
    key = "amk-secret-for-report-test-000"
    sent = SentRequest.redacted(
        "POST",
        "https://bff.antimetal.com/api/v2/issues",
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        json.dumps({"title": key}).encode(),
        secrets=[key],
    )
    response = ReceivedResponse(
        500, {"content-type": "application/json"}, f'{{"echo": "{key}"}}'.encode()
    )
    failure = Failure(
        "not_a_server_error", "Server error", "case", sent, response, replay="pytest x"
    )
    text = failure.format([key])
    assert key not in text
    assert "Authorization: Bearer [REDACTED]" in text
    assert '"Authorization: Bearer $ANTIMETAL_API_KEY"' in text
    assert text.startswith("[not_a_server_error] Server error")
    assert "replay:    pytest x" in text


def test_made_up_invalid_key_is_reproduced_verbatim() -> None:
    sent = SentRequest.redacted(
        "POST",
        "http://127.0.0.1:1/issues",
        {"Authorization": "Bearer made-up-invalid"},
        b"{}",
        secrets=["the-real-key-000000"],
        public=["Bearer made-up-invalid"],
    )
    assert "-H 'Authorization: Bearer made-up-invalid'" in sent.curl()
    assert "$ANTIMETAL_API_KEY" not in sent.curl()


def test_error_bodies_are_validated_with_openapi_30_semantics() -> None:
    assert RULES.error_schema is not None
    schema = copy.deepcopy(RULES.error_schema)
    schema["properties"]["details"]["nullable"] = True
    schema["properties"]["retryAfter"] = {
        "type": "integer",
        "minimum": 0,
        "exclusiveMinimum": True,  # OAS 3.0's boolean form (draft 7 wants a number)
    }
    rules = dataclasses.replace(RULES, error_schema=schema)
    ok = {"type": "api_error", "message": "m", "request_id": "r"}
    error_response_shape(_ex(500, {**ok, "details": None}), rules, RunState())
    error_response_shape(_ex(500, {**ok, "retryAfter": 3}), rules, RunState())
    with pytest.raises(CheckFailed, match="retryAfter"):
        error_response_shape(_ex(500, {**ok, "retryAfter": 0}), rules, RunState())
    with pytest.raises(CheckFailed, match="details"):
        error_response_shape(_ex(500, {**ok, "details": None}), RULES, RunState())


# A key whose spellings differ raw, URL-encoded and JSON-escaped (`/` `+` `=`).
ODD_KEY = "canary/KEY+123=="


def test_failure_text_redacts_every_spelling_of_the_key() -> None:
    from urllib.parse import quote

    sent = SentRequest.redacted(
        "POST",
        f"http://127.0.0.1:1/issues?k={quote(ODD_KEY, safe='')}",
        {"Authorization": f"Bearer {ODD_KEY}"},
        json.dumps({"title": ODD_KEY.replace("/", "\\/")}).encode(),
        secrets=[ODD_KEY],
    )
    echoed = json.dumps({"raw": ODD_KEY, "url": quote(ODD_KEY, safe=""), "json": "canary\\/KEY"})
    response = ReceivedResponse(
        500, {"x-echo": quote(ODD_KEY, safe=""), "x-raw": ODD_KEY}, echoed.encode()
    )
    text = Failure("check", f"saw {quote(ODD_KEY, safe='')}", ODD_KEY, sent, response).format(
        [ODD_KEY]
    )
    for spelling in (ODD_KEY, quote(ODD_KEY, safe=""), json.dumps(ODD_KEY)[1:-1], "KEY%2B123"):
        assert spelling not in text
    assert text.count("[REDACTED]") >= 7


def _sent(body: bytes) -> SentRequest:
    return SentRequest.redacted(
        "POST", "http://127.0.0.1:1/issues", {"content-type": "application/json"}, body, secrets=[]
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "\xff\xfe it\'s 100% \\\\ broken"}',  # not UTF-8, quote, percent, backslash
        b'{"title": "a\x00b\nc"}',  # NUL and a newline
        '{"title": "caf\u00e9 \U0001f600"}'.encode(),
    ],
)
def test_reproduction_sends_the_exact_bytes(body: bytes, tmp_path: Any) -> None:
    import shutil
    import subprocess

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    command = _sent(body).curl()
    assert "\n" not in command
    # A stand-in curl that keeps what it would send (stdin for `@-`, else the argument).
    stub = (
        'curl() { for a; do last=$a; done; if [ "$last" = @- ]; then cat > out.bin; '
        'else printf %s "$last" > out.bin; fi; }\n'
    )
    subprocess.run([bash, "-c", stub + command], cwd=tmp_path, check=True)
    assert (tmp_path / "out.bin").read_bytes() == body


def test_large_body_is_written_next_to_the_report(tmp_path: Any) -> None:
    body = json.dumps({"title": "x" * 10_000}).encode()
    command = _sent(body).curl(tmp_path / "bodies")
    path = re.search(r"--data-binary @(\S+)$", command)
    assert path is not None
    assert Path(path.group(1)).read_bytes() == body
    assert "x" * 100 not in command


def test_positive_edge_inputs_are_valid_against_the_spec() -> None:
    from pytest_antimetal.fake.validation import RequestValidator

    schema = copy.deepcopy(vendored_spec().operation("post", "/issues").request_schema() or {})
    schema["properties"]["title"]["maxLength"] = 3
    schema["properties"]["environment"]["pattern"] = "^env-[0-9]{3}$"
    schema["properties"]["context"]["properties"]["metadata"]["minProperties"] = 1
    validator = RequestValidator(schema)
    items = list(edge_inputs(schema))
    assert items == list(edge_inputs(schema))  # the same inputs on every run
    assert validator.is_valid(valid_body(schema))  # pattern and maxLength met
    for item in items:
        if item.intent == "positive":
            assert validator.is_valid(item.body), item.label
    by_label = {item.label.split(" (not valid")[0]: item for item in items}
    astral = by_label["title astral-plane (raw UTF-8)"].body["title"]
    assert len(astral) == 3 and any(ord(c) > 0xFFFF for c in astral)  # cut by code points
    empty = by_label["context.metadata empty"]
    assert empty.intent == "negative"
    assert "not valid per the spec: context.metadata" in empty.label


# -- bounded, clean report text (README, 'Reading a failure') --------------------------


def test_large_body_prints_head_and_tail_with_a_byte_count(tmp_path: Path) -> None:
    body = b"[" * 100_000
    response = ReceivedResponse(400, {"content-type": "application/json"}, body)
    failure = Failure("c", "m", "case", _sent(body), response, body_dir=tmp_path / "bodies")
    text = failure.format()
    assert len(text) < 6_000  # was 2 x 2,000 characters, a 100 KB body printed 100 KB before
    assert text.count("[... 99,104 of 100,000 bytes cut; full body: ") == 2
    path = re.search(r"full body: (\S+) \.\.\.\]", text)
    assert path is not None
    assert Path(path.group(1)).read_bytes() == body  # the whole body, once (named by content)
    assert len(list((tmp_path / "bodies").iterdir())) == 1


def test_control_characters_are_escaped_in_every_line() -> None:
    body = b'{"title": "a\x00b\nc\x1b[31m\xff"}'
    response = ReceivedResponse(500, {"x-odd": "v\x07"}, body)
    text = Failure("c", "got \x00", "case \r", _sent(body), response).format()
    for char in ("\x00", "\x1b", "\x07", "\r"):
        assert char not in text
    assert '"a\\x00b\\nc\\x1b[31m\\xff"' in text
    # One line per header/body: a newline in a body cannot forge report lines.
    assert not any(line.startswith("c\\x1b") for line in text.splitlines())


def test_cut_details_are_marked() -> None:
    schema_dump = "\n".join(f'  "line{i}": {{' for i in range(50))
    failure = Failure("c", "m", "case", _sent(b"{}"), None, details=schema_dump)
    default = failure.format(verbose=False)
    assert "line3" in default and "line4" not in default
    assert "[... 46 more line(s) cut (-v shows more)]" in default
    assert "line49" in failure.format(verbose=True)


def test_part_header_counts_every_failure_not_the_kept_list() -> None:
    from pytest_antimetal.contract.report import format_failures

    kept = [Failure("request_reflected", "m", f"case {i}", _sent(b"{}"), None) for i in range(20)]
    text = format_failures("coverage", kept, counts={"request_reflected": 38})
    assert text.startswith(
        "antimetal-contract::coverage: 38 failure(s) (20 kept): request_reflected x38"
    )
    assert "... and 35 more like this" in text


def test_parameter_bounds_come_from_the_document() -> None:
    """Every documented bound of a query or path parameter, read from the spec layer."""
    from pytest_antimetal.contract.rules import parameter_bounds

    spec = vendored_spec()
    found = {
        (op.operation_id, b.location, b.name, b.keyword, b.limit)
        for op in spec.operations()
        for b in parameter_bounds(op)
    }
    assert ("batchGetArtifacts", "query", "id", "maxItems", 100) in found
    assert ("listIssues", "query", "limit", "maximum", 100) in found
    assert ("getIssueByNumber", "path", "number", "minimum", 1) in found
    assert any(k == "enum" and n == "status" for _, _, n, k, _ in found)
    assert not any(where == "header" for _, where, *_ in found)


@pytest.mark.parametrize(
    ("query", "status", "fails"),
    [
        ({"id": ["x"] * 101}, 200, True),  # over maxItems, accepted
        ({"id": ["x"] * 101}, 400, False),  # refused
        ({"id": ["x"] * 101}, 500, False),  # not_a_server_error's to report
        ({"id": ["x"] * 100}, 200, False),  # within the bound
        ({"id": "AAA"}, 200, False),  # one id: no bound broken
    ],
)
def test_boundary_rejection(query: dict[str, Any], status: int, fails: bool) -> None:
    from pytest_antimetal.contract.checks import boundary_rejection

    rules = ContractRules.from_spec(vendored_spec(), "get", "/artifacts")
    response = ReceivedResponse(status, {"content-type": "application/json"}, b"[]")
    ex = Exchange("case", "negative", "GET", None, NOW, response, {"query": query, "path": {}})
    if fails:
        with pytest.raises(CheckFailed, match="maxItems: 100"):
            boundary_rejection(ex, rules, RunState())
    else:
        boundary_rejection(ex, rules, RunState())
    # Outside a coverage-phase negative case (no parameters) it judges nothing.
    boundary_rejection(dataclasses.replace(ex, parameters=None), rules, RunState())
