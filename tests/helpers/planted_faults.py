"""Variants of the embedded fake, each with one planted fault, and the check that must catch it.

Every variant wraps :meth:`FakeAntimetal.handle` (the one core all transports
call), so the same faulty fake serves the in-process transport and a
loopback :class:`FakeServer`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from pytest_antimetal.fake import FakeAntimetal, FakeResponse
from pytest_antimetal.spec import Spec

Handler = Callable[["FaultyFake", str, str, Mapping[str, str], bytes], FakeResponse]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _with_json(response: FakeResponse, payload: Any, **headers: str) -> FakeResponse:
    return FakeResponse(
        response.status, {**response.headers, **headers}, json.dumps(payload).encode()
    )


def _error(status: int, kind: str, message: str = "planted") -> FakeResponse:
    payload = {"type": kind, "message": message, "request_id": "req_planted"}
    return FakeResponse(status, {"content-type": "application/json"}, json.dumps(payload).encode())


class FaultyFake(FakeAntimetal):
    """A fake whose answers pass through one fault."""

    def __init__(self, fault: Handler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fault = fault

    def handle(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        return self._fault(self, method, url_or_path, headers, body)

    def honest(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        return super().handle(method, url_or_path, headers, body)


# -- the faults ------------------------------------------------------------------------


def title_echo(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    response = fake.honest(m, u, h, b)
    if response.status == 201:
        issue = response.json()
        issue["title"] = issue["title"].strip() + "!"
        return _with_json(response, issue)
    return response


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def astral_500(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    data = _json(b)
    if data is not None and _ASTRAL.search(json.dumps(data, ensure_ascii=False)):
        return _error(500, "api_error", "utf8mb3 column")
    return fake.honest(m, u, h, b)


def reuse_number(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    response = fake.honest(m, u, h, b)
    if response.status == 201:
        issue = response.json()
        issue["number"] = 1
        return _with_json(response, issue)
    return response


def pattern_only_datetime(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Validates ``triggeredAt`` with the pattern only: accepts ``2026-01-01T10:00Z``."""
    data = _json(b)
    value = data.get("triggeredAt") if isinstance(data, dict) else None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", value):
        patched = {**data, "triggeredAt": value[:-1] + ":00Z"}
        response = fake.honest(m, u, h, json.dumps(patched).encode())
        if response.status == 201:
            issue = response.json()
            issue["triggeredAt"] = value[:-1] + ":00.000Z"
            return _with_json(response, issue)
        return response
    return fake.honest(m, u, h, b)


def reject_max_title(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Off by one: ``maxLength: 500`` enforced as < 500."""
    data = _json(b)
    title = data.get("title") if isinstance(data, dict) else None
    if isinstance(title, str) and len(title) == 500:
        payload = {
            "type": "invalid_request_error",
            "message": "title too long",
            "request_id": "req_planted",
            "details": {"title": "must be shorter than 500 characters"},
        }
        return FakeResponse(400, {"content-type": "application/json"}, json.dumps(payload).encode())
    return fake.honest(m, u, h, b)


def bad_400_body(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    response = fake.honest(m, u, h, b)
    if response.status == 400:
        return _with_json(response, {"error": "Bad Request", "statusCode": 400})
    return response


def wrong_401_type(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Still a valid ErrorResponseDto (plain schemathesis is satisfied), wrong ``type``."""
    response = fake.honest(m, u, h, b)
    if response.status == 401:
        payload = response.json()
        payload["type"] = "invalid_request_error"
        return _with_json(response, payload)
    return response


def severity_default(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    data = _json(b)
    response = fake.honest(m, u, h, b)
    if response.status == 201 and isinstance(data, dict) and "severity" not in data:
        issue = response.json()
        issue["severity"] = "low"
        return _with_json(response, issue)
    return response


def created_after_updated(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    response = fake.honest(m, u, h, b)
    if response.status == 201:
        issue = response.json()
        later = datetime.now(UTC) + timedelta(hours=1)
        issue["createdAt"] = later.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return _with_json(response, issue)
    return response


def malformed_500(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    if m.upper() == "POST" and b and _json(b) is None:
        return _error(500, "api_error", "Unexpected token in JSON")
    return fake.honest(m, u, h, b)


def ignores_auth(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    headers = {k: v for k, v in h.items() if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {fake.api_key}"
    return fake.honest(m, u, headers, b)


def no_405(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """Not a fault: NestJS/Express answer an unrouted method with 404 (the spec has no 405)."""
    if m.upper() != "POST":
        return _error(404, "invalid_request_error", f"Cannot {m.upper()} /issues")
    return fake.honest(m, u, h, b)


def no_allow(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """A 405 without the ``Allow`` header RFC 9110 requires."""
    response = fake.honest(m, u, h, b)
    if response.status == 405:
        headers = {k: v for k, v in response.headers.items() if k.lower() != "allow"}
        return FakeResponse(405, headers, response.body)
    return response


def get_accepted(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """An undeclared method answered 200."""
    if m.upper() != "POST":
        return FakeResponse(200, {"content-type": "application/json"}, b"[]")
    return fake.honest(m, u, h, b)


def text_content_type(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    response = fake.honest(m, u, h, b)
    if response.status == 201:
        return FakeResponse(201, {**response.headers, "content-type": "text/plain"}, response.body)
    return response


def no_www_authenticate(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Not a fault: the spec does not require ``WWW-Authenticate`` (the suite must pass)."""
    response = fake.honest(m, u, h, b)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "www-authenticate"}
    return FakeResponse(response.status, headers, response.body)


def echo_key(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """A 500 that echoes the bearer token raw, URL-encoded and JSON-escaped, body and header."""
    auth = next((v for k, v in h.items() if k.lower() == "authorization"), "")
    key = auth.partition(" ")[2]
    response = fake.honest(m, u, h, b)
    if not key or response.status >= 300:
        return response
    escaped = json.dumps(key)[1:-1].replace("/", "\\/")
    body = (
        '{"type": "api_error", "request_id": "req_planted", '
        f'"message": "boom for {escaped} ({quote(key, safe="")}) {key}"}}'
    )
    headers = {"content-type": "application/json", "x-debug-key": quote(key, safe=""), "x-raw": key}
    return FakeResponse(500, headers, body.encode())


def no_retry_after(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """The rate limit answers 429 without ``Retry-After`` (the document declares 429 on every
    operation and no header): a client can only guess when to try again."""
    response = fake.honest(m, u, h, b)
    if response.status == 429:
        headers = {k: v for k, v in response.headers.items() if k.lower() != "retry-after"}
        return FakeResponse(429, headers, response.body)
    return response


@dataclass(frozen=True)
class Planted:
    """A fault, the part of the suite that reaches it, and the checks that must name it."""

    handler: Handler
    part: str
    checks: frozenset[str]


FAULTS: dict[str, Planted] = {
    "title-echo": Planted(title_echo, "examples", frozenset({"request_reflected"})),
    "astral-500": Planted(
        astral_500, "edge-cases", frozenset({"not_a_server_error", "edge_cases"})
    ),
    "reuse-number": Planted(reuse_number, "edge-cases", frozenset({"identity_unique"})),
    "pattern-only-datetime": Planted(
        pattern_only_datetime, "edge-cases", frozenset({"datetime_rules"})
    ),
    "reject-max-title": Planted(
        reject_max_title, "edge-cases", frozenset({"edge_cases", "positive_data_acceptance"})
    ),
    "bad-400-body": Planted(
        bad_400_body,
        "malformed",
        frozenset({"response_schema_conformance", "error_response_shape"}),
    ),
    "wrong-401-type": Planted(wrong_401_type, "examples", frozenset({"error_response_shape"})),
    "severity-default": Planted(severity_default, "examples", frozenset({"request_reflected"})),
    "created-after-updated": Planted(
        created_after_updated, "examples", frozenset({"timestamps_ordered"})
    ),
    "malformed-500": Planted(
        malformed_500, "malformed", frozenset({"malformed_input", "not_a_server_error"})
    ),
    "ignores-auth": Planted(ignores_auth, "examples", frozenset({"ignored_auth"})),
    "no-allow": Planted(no_allow, "coverage", frozenset({"unsupported_method"})),
    "get-accepted": Planted(get_accepted, "coverage", frozenset({"unsupported_method"})),
    "echo-key": Planted(echo_key, "examples", frozenset({"not_a_server_error"})),
    "text-content-type": Planted(
        text_content_type, "examples", frozenset({"content_type_conformance"})
    ),
}
"""name -> planted fault; each must be caught, naming one of its checks."""

NOT_FAULTS: dict[str, Handler] = {
    "no-www-authenticate": no_www_authenticate,
    "no-405": no_405,
}


def make_fake(name: str) -> Callable[[Spec, int, str], FakeAntimetal]:
    """A ``ContractPlugin.fake_factory`` building the fake with fault *name*."""
    handler = FAULTS[name].handler if name in FAULTS else NOT_FAULTS[name]

    def factory(spec: Spec, seed: int, api_key: str) -> FakeAntimetal:
        return FaultyFake(handler, spec=spec, seed=seed, api_keys=[api_key])

    return factory


# -- sequence faults: every answer schema-valid, the sequence wrong --------------------


def _route(url_or_path: str) -> tuple[str, dict[str, list[str]]]:
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url_or_path)
    return parts.path, parse_qs(parts.query)


def _lists(m: str, u: str) -> bool:
    return m.upper() == "GET" and _route(u)[0].endswith("/issues")


def missing_from_list(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Lists leave out the newest issue (created, readable, never listed)."""
    response = fake.honest(m, u, h, b)
    if _lists(m, u) and response.status == 200:
        page = response.json()
        newest = max((i["number"] for i in fake.issues), default=None)
        kept = [i for i in page["data"] if i["number"] != newest]
        if not kept and page["data"] and page["has_more"]:
            # The page held only the newest issue: answer the page after it instead.
            from urllib.parse import urlencode

            query = {**_route(u)[1], "startingAfter": [page["data"][0]["uuid"]]}
            url = f"{u.partition('?')[0]}?{urlencode(query, doseq=True)}"
            return missing_from_list(fake, m, url, h, b)
        page["data"] = kept
        return _with_json(response, page)
    return response


def page_repeats(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """A cursor is ignored: the page after the first is the first again."""
    if _lists(m, u) and "startingAfter" in _route(u)[1]:
        from urllib.parse import urlencode

        query = _route(u)[1]
        query.pop("startingAfter")
        return fake.honest(m, f"{u.partition('?')[0]}?{urlencode(query, doseq=True)}", h, b)
    return fake.honest(m, u, h, b)


def has_more_last_page(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Every page says there is more."""
    response = fake.honest(m, u, h, b)
    if _lists(m, u) and response.status == 200:
        return _with_json(response, {**response.json(), "has_more": True})
    return response


def patch_not_kept(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """PATCH answers the new status, and the issue keeps the old one."""
    if m.upper() != "PATCH":
        return fake.honest(m, u, h, b)
    before = fake.honest("GET", u, h, b"")
    response = fake.honest(m, u, h, b)
    if response.status == 200 and before.status == 200:
        old = json.dumps({"status": before.json()["status"]}).encode()
        headers = {k: v for k, v in h.items() if k.lower() != "content-length"}
        fake.honest("PATCH", u, headers, old)
    return response


def deleted_readable(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """DELETE answers 204 and deletes nothing."""
    if m.upper() == "DELETE":
        found = fake.honest("GET", u, h, b"")
        if found.status == 200:
            return FakeResponse(204, {"x-request-id": "req_planted"}, b"")
        return found
    return fake.honest(m, u, h, b)


def conversation_forgets(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """A conversation_id passed back starts a new conversation (a new id)."""
    data = _json(b)
    if m.upper() == "POST" and _route(u)[0].endswith("/query") and isinstance(data, dict):
        data.pop("conversation_id", None)
        return fake.honest(m, u, h, json.dumps(data).encode())
    return fake.honest(m, u, h, b)


def evidence_missing(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """Results cite evidence artifacts that ``GET /artifacts`` never returns."""
    response = fake.honest(m, u, h, b)
    if m.upper() == "GET" and _route(u)[0].endswith("/artifacts") and response.status == 200:
        return _with_json(response, [])
    return response


SEQUENCE_FAULTS: dict[str, Planted] = {
    "missing-from-list": Planted(missing_from_list, "sequences", frozenset({"list_exactly_once"})),
    "page-repeats": Planted(page_repeats, "sequences", frozenset({"list_exactly_once"})),
    "has-more-last-page": Planted(has_more_last_page, "sequences", frozenset({"list_pages"})),
    "patch-not-kept": Planted(patch_not_kept, "sequences", frozenset({"update_kept"})),
    "deleted-readable": Planted(deleted_readable, "sequences", frozenset({"delete_gone"})),
    "conversation-forgets": Planted(
        conversation_forgets, "sequences", frozenset({"conversation_kept"})
    ),
    "evidence-missing": Planted(evidence_missing, "sequences", frozenset({"results_valid"})),
}
"""name -> a fault only a sequence shows (each response alone is schema-valid), and the
invariant of the ``sequences`` part that must name it. Kept apart from :data:`FAULTS`, whose
hand counts (``fault_counts``) cover the single-request parts."""


def make_sequence_fake(name: str) -> Callable[[Spec, int, str], FakeAntimetal]:
    """A ``ContractPlugin.fake_factory`` building the fake with sequence fault *name*
    (investigations end at once, so results and their evidence are there to check)."""
    handler = SEQUENCE_FAULTS[name].handler

    def factory(spec: Spec, seed: int, api_key: str) -> FakeAntimetal:
        return FaultyFake(
            handler, spec=spec, seed=seed, api_keys=[api_key], investigation="instant"
        )

    return factory


# -- error-handling faults of the other eight operations -------------------------------
# Each breaks one thing the spec documents for one operation, on a path the stateless
# parts reach without an existing issue (their ids are random: unknown to the server).


def _is(m: str, u: str, method: str, pattern: str) -> bool:
    return m.upper() == method and re.fullmatch(pattern, _route(u)[0]) is not None


def _query(u: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(u).query, keep_blank_values=True)  # `?id=&id=` is two ids


_ISSUE_PATH = r".*/issues/[^/]+"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def list_limit_500(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``GET /issues?limit=101`` (or 0): an unchecked ``limit`` reaches the database, 500."""
    if _is(m, u, "GET", r".*/issues"):
        for value in _query(u).get("limit", []):
            if not (value.isdigit() and 1 <= int(value) <= 100):
                return _error(500, "api_error", "LIMIT out of range")
    return fake.honest(m, u, h, b)


def get_404_body(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """``GET /issues/{id}`` of an unknown issue: the framework's default 404 body, not an
    ErrorResponseDto (no ``type``, no ``request_id``)."""
    response = fake.honest(m, u, h, b)
    if _is(m, u, "GET", _ISSUE_PATH) and response.status == 404:
        return _with_json(response, {"statusCode": 404, "message": "Not Found"})
    return response


def by_number_zero(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``GET /issues/by_number/0`` (or a negative number) answers 200 with the latest issue
    (``number: minimum 1``: the request is invalid)."""
    found = re.fullmatch(r"(.*/issues)/by_number/(-\d+|0+)", _route(u)[0])
    if m.upper() == "GET" and found:
        if not fake.issues:
            issue = {"title": "latest", "description": "planted", "environment": "prod"}
            auth = {k: v for k, v in h.items() if k.lower() == "authorization"}
            headers = {**auth, "content-type": "application/json"}
            fake.honest("POST", found.group(1), headers, json.dumps(issue).encode())
        latest = max((i["number"] for i in fake.issues), default=1)
        return fake.honest(
            m, u.replace(f"/by_number/{found.group(2)}", f"/by_number/{latest}"), h, b
        )
    return fake.honest(m, u, h, b)


def patch_400_no_details(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``PATCH /issues/{id}`` refuses a JSON object with a 400 that does not say which field
    was wrong (no ``details``)."""
    response = fake.honest(m, u, h, b)
    if _is(m, u, "PATCH", _ISSUE_PATH) and response.status == 400:
        payload = response.json()
        payload.pop("details", None)
        return _with_json(response, payload)
    return response


def delete_bad_id_500(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``DELETE /issues/{id}`` with an id that is not a UUID: the database's cast fails, 500."""
    last = _route(u)[0].rsplit("/", 1)[1]
    if _is(m, u, "DELETE", _ISSUE_PATH) and not _UUID.fullmatch(last):
        return _error(500, "api_error", "invalid input syntax for type uuid")
    return fake.honest(m, u, h, b)


def results_unknown_204(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``GET /issues/{id}/results`` of an unknown issue answers 204 (no results), a status
    the spec does not document for it (404 is)."""
    response = fake.honest(m, u, h, b)
    if _is(m, u, "GET", r".*/issues/[^/]+/results") and response.status == 404:
        return FakeResponse(204, {"x-request-id": "req_planted"}, b"")
    return response


def artifacts_over_100(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``GET /artifacts`` with more than 100 ids (``maxItems: 100``) answers 200 (the first
    100 looked up, the rest dropped)."""
    if _is(m, u, "GET", r".*/artifacts") and len(_query(u).get("id", [])) > 100:
        return FakeResponse(200, {"content-type": "application/json"}, b"[]")
    return fake.honest(m, u, h, b)


def artifacts_unknown_404(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``GET /artifacts`` with an id it does not hold answers 404 for the whole batch, a
    status the spec does not document for it (200 with the artifacts found is)."""
    response = fake.honest(m, u, h, b)
    if _is(m, u, "GET", r".*/artifacts") and response.status == 200:
        held = {a.get("id") for a in response.json() if isinstance(a, dict)}
        if any(i not in held for i in _query(u).get("id", [])):
            return _error(404, "invalid_request_error", "artifact not found")
    return response


def query_malformed_500(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``POST /query`` with a body that is not JSON: the parser's exception escapes, 500."""
    if _is(m, u, "POST", r".*/query") and b and _json(b) is None:
        return _error(500, "api_error", "Unexpected token in JSON")
    return fake.honest(m, u, h, b)


def query_401_text(
    fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes
) -> FakeResponse:
    """``POST /query`` without a valid key: a bare ``Unauthorized`` in text/plain (a proxy's
    answer), not the documented ErrorResponseDto a client reads ``type`` from."""
    response = fake.honest(m, u, h, b)
    if _is(m, u, "POST", r".*/query") and response.status == 401:
        return FakeResponse(401, {"content-type": "text/plain"}, b"Unauthorized")
    return response


@dataclass(frozen=True)
class OperationFault:
    """A fault in one operation's error handling: the operation and part that reach it,
    and the checks that must name it (all of them, and no other)."""

    handler: Handler
    method: str
    path: str
    part: str
    checks: frozenset[str]


OPERATION_FAULTS: dict[str, OperationFault] = {
    "list-limit-500": OperationFault(
        list_limit_500, "get", "/issues", "coverage", frozenset({"not_a_server_error"})
    ),
    "get-404-body": OperationFault(
        get_404_body,
        "get",
        "/issues/{id}",
        "examples",
        frozenset({"response_schema_conformance", "error_response_shape"}),
    ),
    "by-number-zero": OperationFault(
        by_number_zero,
        "get",
        "/issues/by_number/{number}",
        "coverage",
        # `number: 0` breaks the documented `minimum: 1`: both judge it.
        frozenset({"negative_data_rejection", "boundary_rejection"}),
    ),
    "patch-400-no-details": OperationFault(
        patch_400_no_details,
        "patch",
        "/issues/{id}",
        "coverage",
        frozenset({"error_response_shape"}),
    ),
    "delete-bad-id-500": OperationFault(
        delete_bad_id_500, "delete", "/issues/{id}", "coverage", frozenset({"not_a_server_error"})
    ),
    "results-unknown-204": OperationFault(
        results_unknown_204,
        "get",
        "/issues/{id}/results",
        "examples",
        frozenset({"status_code_conformance"}),
    ),
    "artifacts-unknown-404": OperationFault(
        artifacts_unknown_404,
        "get",
        "/artifacts",
        "coverage",
        frozenset({"status_code_conformance"}),
    ),
    "query-malformed-500": OperationFault(
        query_malformed_500,
        "post",
        "/query",
        "malformed",
        frozenset({"malformed_input", "not_a_server_error"}),
    ),
    "query-401-text": OperationFault(
        query_401_text, "post", "/query", "examples", frozenset({"error_response_shape"})
    ),
    # The coverage part sends 101 ids (`maxItems: 100` + 1); schemathesis judges none of its
    # negative query arrays (`has_only_additional_properties_in_non_body_parameters` passes
    # over serialization-sensitive parameters): our boundary_rejection does.
    "artifacts-over-100": OperationFault(
        artifacts_over_100, "get", "/artifacts", "coverage", frozenset({"boundary_rejection"})
    ),
    # No request of it is accepted (its random ids name no issue): the auth probes go with
    # its first valid request, and must get 401 before the 404.
    "get-ignores-auth": OperationFault(
        ignores_auth, "get", "/issues/{id}", "examples", frozenset({"ignored_auth"})
    ),
}
"""name -> a fault in the error handling of an operation other than ``createIssue`` (whose
faults are :data:`FAULTS`)."""


MISSED_OPERATION_FAULTS: dict[str, OperationFault] = {}
"""Faults in the error handling of an operation that the suite misses today, and the check
that should catch them (the tests expect them to fail until it does)."""


def make_operation_fake(name: str, spec: Spec, seed: int, api_key: str) -> FaultyFake:
    """The embedded fake with operation fault *name* planted."""
    fault = OPERATION_FAULTS.get(name) or MISSED_OPERATION_FAULTS[name]
    return FaultyFake(fault.handler, spec=spec, seed=seed, api_keys=[api_key])
