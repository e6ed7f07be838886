"""The fake's core: statuses, bodies and state, through an in-process httpx client."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import (
    DEFAULT_FAKE_API_KEY,
    MAX_JSON_DEPTH,
    FakeAntimetal,
    RecordedRequest,
)
from pytest_antimetal.fake.responses import IssuePlan
from pytest_antimetal.spec import Spec, vendored_spec
from tests.fake.documents import one_operation_spec
from tests.helpers.fake import VALID_BODY, FakeClock, validate_every_response, validated


@pytest.fixture(autouse=True)
def _every_response_matches_the_spec(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    seen = validate_every_response(monkeypatch)
    yield
    assert all(100 <= status < 600 for status in seen)


UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeAntimetal:
    # The one-operation document: what these tests pin (405 on GET /issues, ...).
    return FakeAntimetal(spec=one_operation_spec(), clock=clock)


@pytest.fixture
def client(fake: FakeAntimetal) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=fake.transport,
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as c:
        yield c


def post(client: httpx.Client, body: Any = None, **kwargs: Any) -> httpx.Response:
    if body is not None:
        kwargs["json"] = body
    return client.post("/issues", **kwargs)


def raw(
    client: httpx.Client, content: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return client.post("/issues", content=content, headers=headers)


def assert_error(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    body = validated(response)
    assert response.status_code == status, body
    assert body["type"] == kind
    assert body["message"]
    return body  # type: ignore[no-any-return]


# -- 201 ---------------------------------------------------------------------------------------


def test_create_echoes_and_defaults(client: httpx.Client, clock: FakeClock) -> None:
    body = {"title": "  Ünïcode ✓ title ", "description": "d\nline", "environment": "staging"}
    response = post(client, body)
    assert response.status_code == 201
    issue = validated(response)
    assert UUID4.match(issue["uuid"])
    assert issue["number"] == 1
    assert issue["status"] == "investigating"
    assert (issue["title"], issue["description"], issue["environment"]) == (
        body["title"],
        body["description"],
        body["environment"],
    )
    assert issue["severity"] == "medium"
    assert issue["createdAt"] == issue["updatedAt"] == "2026-03-17T09:30:00.123Z"
    assert issue["triggeredAt"] == issue["createdAt"]
    assert issue["latestVersion"] == 1


@pytest.mark.parametrize("severity", ["low", "medium", "high"])
def test_severity_as_sent(client: httpx.Client, severity: str) -> None:
    assert validated(post(client, {**VALID_BODY, "severity": severity}))["severity"] == severity


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2026-01-01T10:00:00Z", "2026-01-01T10:00:00.000Z"),
        ("2026-01-01T10:00:00.1Z", "2026-01-01T10:00:00.100Z"),
        ("2026-01-01T10:00:00.123456789Z", "2026-01-01T10:00:00.123Z"),
        ("2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"),
        ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"),
        ("9999-12-31T23:59:59.9999Z", "9999-12-31T23:59:59.999Z"),
    ],
)
def test_triggered_at_normalised(client: httpx.Client, sent: str, expected: str) -> None:
    response = post(client, {**VALID_BODY, "triggeredAt": sent})
    assert response.status_code == 201
    assert validated(response)["triggeredAt"] == expected


def test_unknown_properties_allowed(client: httpx.Client) -> None:
    body = {**VALID_BODY, "extra": {"x": [1, 2]}, "context": {"tags": ["a"], "metadata": {"k": 1}}}
    assert post(client, body).status_code == 201


def test_numbers_per_organization_never_reused(fake: FakeAntimetal, client: httpx.Client) -> None:
    fake.add_key("other-org-key", organization="acme")
    numbers = [validated(post(client, VALID_BODY))["number"] for _ in range(3)]
    assert post(client, {"title": ""}).status_code == 400  # a refused request takes no number
    numbers.append(validated(post(client, VALID_BODY))["number"])
    other = client.post(
        "/issues", json=VALID_BODY, headers={"Authorization": "Bearer other-org-key"}
    )
    assert numbers == [1, 2, 3, 4]
    assert validated(other)["number"] == 1
    assert [i["number"] for i in fake.issues] == [1, 2, 3, 4, 1]
    assert len({i["uuid"] for i in fake.issues}) == 5


def test_issues_are_copies(fake: FakeAntimetal, client: httpx.Client) -> None:
    post(client, VALID_BODY)
    fake.issues[0]["title"] = "changed"
    assert fake.issues[0]["title"] == VALID_BODY["title"]


# -- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/issues", "/api/v2/issues", "https://bff.dev.antimetal.com/api/v2/issues", "/issues?x=1"],
)
def test_routes(fake: FakeAntimetal, url: str) -> None:
    with httpx.Client(transport=fake.transport, base_url="http://fake") as c:
        response = c.post(url, json=VALID_BODY, headers={"Authorization": f"Bearer {fake.api_key}"})
    assert response.status_code == 201


@pytest.mark.parametrize("path", ["/", "/issue", "/issues/1", "/api/v3/issues", "/v2/issues"])
def test_unknown_path_404(client: httpx.Client, path: str) -> None:
    assert_error(client.post(path, json=VALID_BODY), 404, "invalid_request_error")


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
def test_other_methods_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/issues")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    if method != "HEAD":
        assert_error(response, 405, "invalid_request_error")


# -- auth --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token k",
        "Bearer a b",
        'Bearer k"y',
    ],
)
def test_missing_or_malformed_auth_401(fake: FakeAntimetal, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        response = c.post("/issues", json=VALID_BODY, headers=headers)
    assert_error(response, 401, "authentication_error")
    assert fake.issues == []


def test_unknown_key_401_and_never_echoed(fake: FakeAntimetal, canary_key: str) -> None:
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        response = c.post(
            "/issues", json=VALID_BODY, headers={"Authorization": f"Bearer {canary_key}"}
        )
    assert_error(response, 401, "authentication_error")
    assert canary_key not in response.text
    assert canary_key not in repr(fake.requests) + repr(fake)
    assert fake.requests[0].headers["authorization"] == "Bearer [REDACTED]"
    assert canary_key not in json.dumps(fake.requests[0].headers)


def test_scheme_case_insensitive(fake: FakeAntimetal) -> None:
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        response = c.post(
            "/issues", json=VALID_BODY, headers={"Authorization": f"bearer {fake.api_key}"}
        )
    assert response.status_code == 201


def test_forbidden_key_403() -> None:
    fake = FakeAntimetal(api_keys=["good-key"], forbidden_keys=["read-only-key"])
    assert fake.api_key == "good-key"
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        response = c.post(
            "/issues", json=VALID_BODY, headers={"Authorization": "Bearer read-only-key"}
        )
    assert_error(response, 403, "authentication_error")
    assert fake.issues == []


def test_auth_checked_before_body(fake: FakeAntimetal) -> None:
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        response = c.post("/issues", content=b"{not json", headers={"Content-Type": "text/plain"})
    assert_error(response, 401, "authentication_error")


def test_default_key_and_add_key_validation() -> None:
    fake = FakeAntimetal()
    assert fake.api_key == DEFAULT_FAKE_API_KEY
    with pytest.raises(ValueError, match="bearer token"):
        fake.add_key("has space")
    with pytest.raises(LookupError):
        _ = FakeAntimetal(api_keys=[], forbidden_keys=["x"]).api_key


# -- body problems: every one a 400 invalid_request_error ---------------------------------------

BAD_BODIES = {
    "malformed": b'{"title": "x",',
    "trailing-garbage": b'{"title": "x"} x',
    "array": b"[]",
    "string": b'"x"',
    "number": b"1",
    "null": b"null",
    "invalid-utf8": b'{"title": "\xff\xfe"}',
    "bom": b'\xef\xbb\xbf{"title": "x"}',
    "nan": b'{"title": "x", "description": NaN}',
    "infinity": b'{"title": "x", "n": Infinity}',
    "minus-infinity": b'{"title": "x", "n": -Infinity}',
    "float-overflow": b'{"title": "x", "n": 1e999}',
    "huge-int": b'{"title": "x", "n": ' + b"9" * 5000 + b"}",
    "too-deep": b'{"context": {"metadata": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}}",
    "too-deep-unbalanced": b"[" * 200_000,
    "lone-surrogate": b'{"title": "\\ud800", "description": "d", "environment": "e"}',
    "empty": b"",
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_bad_body_400(client: httpx.Client, fake: FakeAntimetal, name: str) -> None:
    assert_error(raw(client, BAD_BODIES[name]), 400, "invalid_request_error")
    assert fake.issues == []


def test_depth_limit_is_exact(client: httpx.Client) -> None:
    def nested(depth: int) -> bytes:  # depth counts the top-level object
        inner = b"[" * (depth - 3) + b"]" * (depth - 3)
        return (
            b'{"title":"t","description":"d","environment":"e","context":{"metadata":{"x":'
            + inner
            + b"}}}"
        )

    assert raw(client, nested(MAX_JSON_DEPTH)).status_code == 201
    body = assert_error(raw(client, nested(MAX_JSON_DEPTH + 1)), 400, "invalid_request_error")
    assert "deep" in body["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/json; charset=latin-1",
    ],
)
def test_wrong_content_type_400(client: httpx.Client, content_type: str | None) -> None:
    body = assert_error(
        raw(client, json.dumps(VALID_BODY).encode(), content_type), 400, "invalid_request_error"
    )
    assert "Content-Type" in body["message"] or "charset" in body["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=UTF-8",
        'application/json;charset="utf-8"',
    ],
)
def test_json_content_types_accepted(client: httpx.Client, content_type: str) -> None:
    assert raw(client, json.dumps(VALID_BODY).encode(), content_type).status_code == 201


def test_body_size_limit(clock: FakeClock) -> None:
    fake = FakeAntimetal(clock=clock, max_body_bytes=200)
    body = json.dumps({**VALID_BODY, "title": "x"}).encode()
    exact = body[:-1] + b" " * (200 - len(body)) + b"}"
    assert len(exact) == 200
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        headers = {"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"}
        assert c.post("/issues", content=exact, headers=headers).status_code == 201
        response = c.post("/issues", content=exact + b" ", headers=headers)
    body_json = assert_error(response, 400, "invalid_request_error")
    assert "too large" in body_json["message"]


# -- schema validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({}, {"title", "description", "environment"}),
        ({**VALID_BODY, "title": ""}, {"title"}),
        ({**VALID_BODY, "title": "x" * 501}, {"title"}),
        ({**VALID_BODY, "title": 5}, {"title"}),
        ({**VALID_BODY, "description": None}, {"description"}),
        ({**VALID_BODY, "severity": "HIGH"}, {"severity"}),
        ({**VALID_BODY, "triggeredAt": "2026-01-01T10:00Z"}, {"triggeredAt"}),
        ({**VALID_BODY, "triggeredAt": "2026-01-01T10:00:00+01:00"}, {"triggeredAt"}),
        ({**VALID_BODY, "triggeredAt": "2023-02-29T10:00:00Z"}, {"triggeredAt"}),
        (
            {**VALID_BODY, "triggeredAt": "\u0662\u0660\u0662\u0666-01-01T10:00:00Z"},
            {"triggeredAt"},
        ),
        ({**VALID_BODY, "context": "x"}, {"context"}),
        ({**VALID_BODY, "context": {"tags": "payment"}}, {"context.tags"}),
        (
            {**VALID_BODY, "context": {"tags": ["ok", 1, None]}},
            {"context.tags.1", "context.tags.2"},
        ),
        (
            {**VALID_BODY, "context": {"alertUrl": "not a uri", "metadata": []}},
            {"context.alertUrl", "context.metadata"},
        ),
        ({"title": "", "environment": 1}, {"title", "description", "environment"}),
    ],
)
def test_validation_details(client: httpx.Client, body: dict[str, Any], details: set[str]) -> None:
    error = assert_error(post(client, body), 400, "invalid_request_error")
    assert set(error["details"]) == details
    assert all(isinstance(m, str) and m for m in error["details"].values())


def test_title_max_length_boundary(client: httpx.Client) -> None:
    assert post(client, {**VALID_BODY, "title": "x" * 500}).status_code == 201


def test_long_value_not_quoted_in_message(client: httpx.Client) -> None:
    error = assert_error(
        post(client, {**VALID_BODY, "title": "y" * 100_000}), 400, "invalid_request_error"
    )
    assert len(json.dumps(error)) < 1000


def _modified_spec(change: Any) -> Spec:
    document = copy.deepcopy(vendored_spec().document)
    change(document["components"]["schemas"]["CreateIssueDto"])
    return Spec(document)


def test_spec_drives_max_length(clock: FakeClock) -> None:
    def shorter(schema: dict[str, Any]) -> None:
        schema["properties"]["title"]["maxLength"] = 10

    fake = FakeAntimetal(spec=_modified_spec(shorter), clock=clock)
    with httpx.Client(
        transport=fake.transport,
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as c:
        assert post(c, {**VALID_BODY, "title": "x" * 10}).status_code == 201
        error = assert_error(
            post(c, {**VALID_BODY, "title": "x" * 11}), 400, "invalid_request_error"
        )
    assert error["details"] == {"title": "must be at most 10 characters long"}


def test_spec_drives_required_and_nullable(clock: FakeClock) -> None:
    def change(schema: dict[str, Any]) -> None:
        schema["properties"]["team"] = {"type": "string", "minLength": 2}
        schema["required"].append("team")
        schema["properties"]["severity"]["nullable"] = True

    fake = FakeAntimetal(spec=_modified_spec(change), clock=clock)
    with httpx.Client(
        transport=fake.transport,
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as c:
        error = assert_error(post(c, VALID_BODY), 400, "invalid_request_error")
        assert error["details"] == {"team": "is required"}
        assert set(
            assert_error(post(c, {**VALID_BODY, "team": "x"}), 400, "invalid_request_error")[
                "details"
            ]
        ) == {"team"}
        created = post(c, {**VALID_BODY, "team": "sre", "severity": None})
    assert validated(created)["severity"] == "medium"
    # The vendored document (and other fakes) are untouched.
    assert post_default_missing_team_ok()


def post_default_missing_team_ok() -> bool:
    fake = FakeAntimetal()
    return (
        fake.handle(
            "POST",
            "/issues",
            {"authorization": f"Bearer {fake.api_key}", "content-type": "application/json"},
            json.dumps(VALID_BODY).encode(),
        ).status
        == 201
    )


# -- errors carry unique request ids; requests are recorded ------------------------------------


def test_request_ids_unique_and_recorded(fake: FakeAntimetal, client: httpx.Client) -> None:
    responses = [
        post(client, VALID_BODY),
        post(client, {}),
        client.get("/issues"),
        client.post("/nope"),
    ]
    ids = [r.headers["x-request-id"] for r in responses]
    assert len(set(ids)) == 4
    for r in responses:
        validated(r)
    recorded = fake.requests
    assert [r.request_id for r in recorded] == ids
    assert [r.status for r in recorded] == [201, 400, 405, 404]
    assert isinstance(recorded[0], RecordedRequest)
    assert recorded[0].json == VALID_BODY
    assert json.loads(recorded[0].body) == VALID_BODY
    assert recorded[0].path == "/api/v2/issues"
    assert recorded[0].headers["authorization"] == "Bearer [REDACTED]"
    assert fake.api_key not in repr(recorded)


# -- faults, rate limits, reset, determinism ---------------------------------------------------


def test_fail_next(fake: FakeAntimetal, client: httpx.Client) -> None:
    fake.fail_next(2, status=503)
    fake.fail_next(status=500)
    statuses = [post(client, VALID_BODY) for _ in range(4)]
    assert [r.status_code for r in statuses] == [503, 503, 500, 201]
    for r in statuses[:3]:
        assert_error(r, r.status_code, "api_error")
        assert "retry-after" not in r.headers
    assert len(fake.issues) == 1


@pytest.mark.parametrize(("retry_after", "header"), [(None, "1"), (2.5, "3"), (0.01, "1")])
def test_fail_next_429_retry_after(
    fake: FakeAntimetal, client: httpx.Client, retry_after: float | None, header: str
) -> None:
    fake.fail_next(status=429, retry_after=retry_after)
    response = post(client, VALID_BODY)
    assert_error(response, 429, "api_error")
    assert response.headers["retry-after"] == header


def test_fail_next_validates() -> None:
    fake = FakeAntimetal()
    with pytest.raises(ValueError, match="4xx or 5xx"):
        fake.fail_next(status=200)
    with pytest.raises(ValueError, match=">= 0"):
        fake.fail_next(-1)


def test_rate_limit_with_fake_clock(
    fake: FakeAntimetal, client: httpx.Client, clock: FakeClock
) -> None:
    fake.add_key("second-key")
    fake.set_rate_limit(2, per=10)
    assert [post(client, VALID_BODY).status_code for _ in range(2)] == [201, 201]
    limited = post(client, VALID_BODY)
    assert_error(limited, 429, "api_error")
    assert limited.headers["retry-after"] == "10"
    other = client.post("/issues", json=VALID_BODY, headers={"Authorization": "Bearer second-key"})
    assert other.status_code == 201  # per key
    clock.advance(7.5)
    assert post(client, VALID_BODY).headers["retry-after"] == "3"
    clock.advance(2.5)
    assert post(client, VALID_BODY).status_code == 201
    fake.set_rate_limit(None)
    assert [post(client, VALID_BODY).status_code for _ in range(5)] == [201] * 5


def test_reset(fake: FakeAntimetal, client: httpx.Client) -> None:
    fake.add_key("kept-key")
    post(client, VALID_BODY)
    fake.fail_next(5)
    fake.set_rate_limit(1)
    fake.latency = 1.0
    fake.reset()
    assert (fake.issues, fake.requests, fake.latency) == ([], [], 0.0)
    assert validated(post(client, VALID_BODY))["number"] == 1
    assert post(client, VALID_BODY).status_code == 201
    assert (
        client.post(
            "/issues", json=VALID_BODY, headers={"Authorization": "Bearer kept-key"}
        ).status_code
        == 201
    )


def _run_seeded(fake: FakeAntimetal) -> list[tuple[int, str, bytes]]:
    with httpx.Client(
        transport=fake.transport,
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {fake.api_key}"},
    ) as c:
        answers = [post(c, VALID_BODY), post(c, {}), post(c, {**VALID_BODY, "severity": "low"})]
    return [(r.status_code, r.headers["x-request-id"], r.content) for r in answers]


def test_deterministic_mode() -> None:
    first = FakeAntimetal(seed=42, clock=FakeClock())
    second = FakeAntimetal(seed=42, clock=FakeClock())
    run = _run_seeded(first)
    assert run == _run_seeded(second)
    uuids = [json.loads(body)["uuid"] for status, _, body in run if status == 201]
    assert len(set(uuids)) == 2
    assert all(UUID4.match(u) for u in uuids)
    first.reset()
    assert _run_seeded(first) == run  # seeded sequences restart
    assert _run_seeded(FakeAntimetal(seed=43, clock=FakeClock())) != run
    unseeded = FakeAntimetal(clock=FakeClock())
    assert _run_seeded(unseeded) != _run_seeded(FakeAntimetal(clock=FakeClock()))


def test_unexpected_error_becomes_json_500(
    fake: FakeAntimetal,
    client: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("bug")

    # A bug deep in an operation (building the 201 body), past routing and validation.
    monkeypatch.setattr(IssuePlan, "build", boom)
    response = post(client, VALID_BODY)
    assert_error(response, 500, "api_error")
    assert fake.requests[-1].status == 500
    assert "unexpected error" in caplog.text


def test_handle_direct_and_repr(fake: FakeAntimetal) -> None:
    answer = fake.handle(
        "post",
        "https://bff.antimetal.com/api/v2/issues",
        {"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"},
        json.dumps(VALID_BODY).encode(),
    )
    assert answer.status == 201
    assert answer.json()["number"] == 1
    assert answer.headers["content-type"] == "application/json"
    assert fake.api_key not in repr(fake)


def test_max_recorded_keeps_latest(clock: FakeClock) -> None:
    fake = FakeAntimetal(clock=clock, max_recorded=2)
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        for path in ("/a", "/b", "/c"):
            c.post(path)
    assert [r.path for r in fake.requests] == ["/api/v2/b", "/api/v2/c"]


def test_injected_401_carries_challenge(fake: FakeAntimetal, client: httpx.Client) -> None:
    fake.fail_next(status=401)
    assert_error(post(client, VALID_BODY), 401, "authentication_error")


@pytest.mark.parametrize("url", ["http://[broken/issues", "", "?", "#/issues"])
def test_odd_urls_answer_404_not_raise(fake: FakeAntimetal, url: str) -> None:
    headers = {"Authorization": f"Bearer {fake.api_key}", "Content-Type": "application/json"}
    answer = fake.handle("POST", url, headers, json.dumps(VALID_BODY).encode())
    assert answer.status == 404
    assert answer.json()["type"] == "invalid_request_error"
