"""Minimal reproductions: the body shrinks while the same root cause reproduces."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import httpx

from pytest_antimetal.contract.checks import ContractRules
from pytest_antimetal.contract.grouping import EntryBook, OperationRef
from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest
from pytest_antimetal.contract.shrink import OperationRouter, Shrinker, headers_to_send
from pytest_antimetal.spec import vendored_spec
from tests.helpers.planted_faults import make_fake, make_operation_fake

KEY = "amk-shrink-test-key-0123456789"
URL = "http://127.0.0.1:8000/issues"
BIG = {
    "title": "outage \U0001f525 in eu-west " * 10,
    "description": "d" * 3000,
    "environment": "production",
    "severity": "high",
    "context": {"service": "api", "tags": ["a", "b", "c"], "metadata": {"k": "v"}},
}


def _setup(fault: str, body: dict[str, object], budget: int = 25) -> tuple[Shrinker, list[str]]:
    fake = make_fake(fault)(vendored_spec(), 1, KEY)
    client = httpx.Client(transport=fake.transport)
    bodies: list[str] = []

    def send(method: str, url: str, headers: dict[str, str], content: bytes) -> ReceivedResponse:
        bodies.append(content.decode())
        got = client.request(
            method, url, headers=headers_to_send(headers, f"Bearer {KEY}"), content=content
        )
        return ReceivedResponse(got.status_code, dict(got.headers), got.content)

    return Shrinker(send, ContractRules.from_spec(vendored_spec()), budget), bodies


def _entry(shrinker: Shrinker, body: dict[str, object], check: str, message: str):  # type: ignore[no-untyped-def]
    content = json.dumps(body).encode()
    headers = {
        "Authorization": "Bearer [REDACTED]",
        "Content-Type": "application/json",
        "Content-Length": str(len(content)),
    }
    sent = SentRequest("POST", URL, headers, content)
    response = shrinker.send("POST", URL, headers, content)
    assert response is not None
    book = EntryBook()
    book.add(Failure(check, message, "case", sent, response), "edge-cases")
    (entry,) = book.entries()
    return entry


def test_server_error_body_shrinks_to_what_triggers_it() -> None:
    shrinker, bodies = _setup("astral-500", BIG)
    entry = _entry(shrinker, BIG, "not_a_server_error", "Server error")
    found = shrinker.shrink(entry)
    assert found.request is not None and found.status == 500
    minimal = json.loads(found.request.body)
    required = set(vendored_spec().operation("post", "/issues").request_schema()["required"])  # type: ignore[index]
    assert set(minimal) == required  # every optional field dropped
    assert any(ord(c) > 0xFFFF for c in minimal["title"])  # the trigger stays
    assert len(found.request.body) < len(json.dumps(BIG)) // 20
    assert found.sent == len(bodies) - 1 <= 25  # the first send made the entry here
    assert "[REDACTED]" not in found.request.body.decode()


def test_resends_say_they_are_minimising() -> None:
    sent = headers_to_send(
        {"Authorization": "Bearer [REDACTED]", "User-Agent": "x", "Content-Length": "9"}, "Bearer k"
    )
    assert sent == {
        "Authorization": "Bearer k",
        "User-Agent": "pytest-antimetal contract suite (minimising)",
    }


def test_budget_is_a_hard_cap() -> None:
    shrinker, bodies = _setup("astral-500", BIG, budget=3)
    entry = _entry(shrinker, BIG, "not_a_server_error", "Server error")
    found = shrinker.shrink(entry)
    assert found.sent == 3 and len(bodies) == 4


def test_a_change_that_loses_the_cause_is_not_kept() -> None:
    # request_reflected on severity: the omitted severity must come back as the documented
    # default; dropping every optional field keeps the failure only while severity stays out.
    body = {"title": "t" * 40, "description": "d", "environment": "e", "context": {"service": "s"}}
    shrinker, _ = _setup("severity-default", body)
    message = "`severity` omitted: expected the documented default 'medium', got 'low'"
    entry = _entry(shrinker, body, "request_reflected", message)
    found = shrinker.shrink(entry)
    assert found.request is not None
    minimal = json.loads(found.request.body)
    assert "severity" not in minimal and "context" not in minimal and len(minimal["title"]) == 1


def test_auth_and_method_causes_are_not_shrunk() -> None:
    shrinker, bodies = _setup("ignores-auth", BIG)
    entry = _entry(shrinker, BIG, "ignored_auth", "resent without credentials got HTTP 201")
    found = shrinker.shrink(entry)
    assert found.request is None and "does not decide" in found.note and len(bodies) == 1


def test_a_bodyless_operation_shrinks_its_query_under_its_own_rules() -> None:
    # listIssues answers 500 to an out-of-range limit: the optional parameters that do not
    # decide it go, the limit stays, and every re-send is a GET to /issues (createIssue's
    # rules would have found no JSON object to shrink).
    spec = vendored_spec()
    fake = make_operation_fake("list-limit-500", spec, 1, KEY)
    client = httpx.Client(transport=fake.transport)
    sent: list[tuple[str, str, bytes]] = []

    def send(method: str, url: str, headers: dict[str, str], content: bytes) -> ReceivedResponse:
        sent.append((method, url, content))
        got = client.request(
            method, url, headers=headers_to_send(headers, f"Bearer {KEY}"), content=content
        )
        return ReceivedResponse(got.status_code, dict(got.headers), got.content)

    router = OperationRouter(spec, "http://127.0.0.1:8000")
    shrinker = Shrinker(send, ContractRules.from_spec(spec), router=router)
    url = "http://127.0.0.1:8000/issues?limit=101&status=open&search=outage%20in%20eu-west"
    headers = {"Authorization": "Bearer [REDACTED]"}
    response = send("GET", url, headers, b"")
    assert response.status == 500
    book = EntryBook()
    request = SentRequest("GET", url, headers, b"")
    book.add(Failure("not_a_server_error", "Server error", "case", request, response), "coverage")
    (entry,) = book.entries()
    found = shrinker.shrink(entry)
    assert entry.operation == OperationRef("listIssues", "GET", "/issues")
    assert found.request is not None and found.status == 500
    assert found.request.method == "GET" and found.request.body == b""
    query = parse_qsl(urlsplit(found.request.url).query)
    assert [name for name, _ in query] == ["limit"], found.request.url
    assert all(m == "GET" and urlsplit(u).path == "/issues" for m, u, _ in sent)
    assert "in listIssues (GET /issues); checks:" in entry.format()


def test_router_names_each_operation_by_its_path_template() -> None:
    router = OperationRouter(vendored_spec(), "http://h/v1")
    uuid = "00000000-0000-4000-8000-000000000000"
    assert router.route("PATCH", f"http://h/v1/issues/{uuid}") == OperationRef(
        "updateIssueStatus", "PATCH", "/issues/{id}"
    )
    assert router.route("GET", "http://h/v1/issues/by_number/7?x=1") == OperationRef(
        "getIssueByNumber", "GET", "/issues/by_number/{number}"
    )
    assert router.route("PUT", "http://h/v1/issues") is None  # undeclared method
    rules = router.rules(OperationRef("updateIssueStatus", "PATCH", "/issues/{id}"))
    assert rules.operation.operation_id == "updateIssueStatus"
