"""A root cause's reproduction: ``test_repro_<id>.py``, plain pytest + httpx.

The module sends the entry's request (its minimal one when shrinking found it) to
``$ANTIMETAL_BASE_URL`` with the key from ``$ANTIMETAL_API_KEY``, never written into the
file (only the auth probe's made-up invalid key is sent as recorded), and asserts what the
failing check asked, as plain Python from the operation's :class:`~.rules.ContractRules`.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

from pytest_antimetal.contract.auth_probe import INVALID_KEY
from pytest_antimetal.contract.entries import Entry
from pytest_antimetal.contract.report import Failure, bounded_body
from pytest_antimetal.contract.rules import ContractRules

__all__ = ["repro_source"]

_DROPPED_HEADERS = frozenset(
    {"host", "content-length", "authorization", "user-agent", "accept-encoding", "connection"}
)


def _assertion(first: Failure, rules: ContractRules) -> list[str]:
    """Lines of the reproduction's test body after ``response`` is in hand: what the deciding
    check asked, as plain Python."""
    check = first.check
    status = first.response.status if first.response is not None else None
    if check == "no_response" or status is None:
        return ["assert response is not None"]
    if status >= 500 or check == "not_a_server_error":
        return ["assert response.status_code < 500, response.text"]
    if check == "ignored_auth":
        return ["assert response.status_code in (401, 403), response.text"]
    if check == "unsupported_method":
        return [
            "assert response.status_code == 404 or (",
            '    response.status_code == 405 and "allow" in response.headers',
            "), (response.status_code, dict(response.headers))",
        ]
    if check in ("positive_data_acceptance",) or (
        check in ("edge_cases", "malformed_input", "datetime_rules") and status >= 400
    ):
        return ["assert 200 <= response.status_code < 300, response.text"]
    if check in ("negative_data_rejection", "missing_required_header") or (
        check in ("edge_cases", "malformed_input", "datetime_rules") and status < 300
    ):
        return ["assert 400 <= response.status_code < 500, response.text"]
    if check == "status_code_conformance":
        documented = sorted(rules.operation.responses)
        return [
            f"documented = {documented!r}",
            "code = str(response.status_code)",
            'assert {code, code[0] + "XX", "default"} & set(documented), (code, documented)',
        ]
    if check == "content_type_conformance":
        return [
            'media = response.headers.get("content-type", "").split(";")[0].strip()',
            'assert media == "application/json", media',
        ]
    if check == "request_reflected":
        return [
            f"echoed, defaults = {list(rules.echoed)!r}, {rules.defaults!r}",
            "sent, got = json.loads(BODY), response.json()",
            "for name in echoed:",
            "    if name in sent:",
            "        assert got.get(name) == sent[name], (name, sent[name], got.get(name))",
            "    elif name in defaults:",
            "        assert got.get(name) == defaults[name], (name, got.get(name))",
        ]
    if check == "timestamps_ordered":
        return [
            "got = response.json()",
            "for earlier, later in " + repr([list(p) for p in rules.ordered_timestamps]) + ":",
            "    a = datetime.fromisoformat(got[earlier].replace('Z', '+00:00'))",
            "    b = datetime.fromisoformat(got[later].replace('Z', '+00:00'))",
            "    assert a <= b, (got[earlier], got[later])",
        ]
    if check == "identity_unique":
        return [
            "again = send()",
            f"for name in {list(rules.identity_fields)!r}:",
            "    assert response.json().get(name) != again.json().get(name), name",
        ]
    # Response shape: an error body is an ErrorResponseDto of the right type; a success body
    # has the spec's required properties.
    expected = {400: "invalid_request_error", 401: "authentication_error"}.get(status)
    if status == 403:
        expected = "authentication_error"
    if status >= 400 and rules.error_schema is not None:
        required = list(rules.error_schema.get("required", []))
        lines = [
            "body = response.json()",
            f"assert isinstance(body, dict) and set({required!r}) <= body.keys(), body",
        ]
        if expected:
            lines.append(f'assert body["type"] == {expected!r}, body')
        return lines
    schema = rules.operation.response_schema(status) or {}
    required = list(schema.get("required", []))
    return [
        "body = response.json()",
        f"assert isinstance(body, dict) and set({required!r}) <= body.keys(), body",
    ]


def _after_base(url: str, template: str) -> str:
    """What of *url* follows the run's base URL: the longest tail of its path that the
    operation's path *template* matches, with the query."""
    parts = urlsplit(url)
    pieces = re.split(r"\{[^}]*\}", template)  # the literal text between the parameters
    pattern = re.compile("[^/]+".join(re.escape(piece) for piece in pieces) + "/?")
    path = parts.path
    for at in [i for i, c in enumerate(path) if c == "/"]:
        if pattern.fullmatch(path[at:]):
            path = path[at:]
            break
    else:
        path = template
    return path + (f"?{parts.query}" if parts.query else "")


def repro_source(entry: Entry, rules: ContractRules, operation_path: str = "/issues") -> str:
    """A standalone test module (pytest + httpx) that sends the entry's request again (to
    the entry's operation; *operation_path* serves an entry of no known operation)."""
    first = entry.representative[0]
    request = entry.minimal or first.request  # the smallest request that still triggers it
    # The key (even the fake's public one) comes from the environment, never from this file;
    # only the auth probe's made-up invalid key is sent as recorded.
    auth = next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)
    made_up = auth is not None and INVALID_KEY in auth
    sends_key = auth is not None and not made_up
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in _DROPPED_HEADERS or (k.lower() == "authorization" and made_up)
    }
    # What follows the run's base URL: the operation's path (and any query).
    if entry.operation is not None:
        path = _after_base(request.url, entry.operation.path)
    else:
        at = request.url.rfind(operation_path)
        path = request.url[at:] if at >= 0 else operation_path
    body64 = base64.b64encode(request.body).decode("ascii")
    checks = ", ".join(entry.checks)
    assertion = _assertion(first, rules)
    text = "\n".join(assertion)
    imports = ["import base64"]
    imports += ["import json"] if "json." in text else []
    imports += ["import os"]
    imports += ["from datetime import datetime"] if "datetime." in text else []
    where = "" if entry.operation is None else f"Operation: {entry.operation.title}.\n"
    lines = [
        f'"""Reproduction of antimetal contract entry {entry.id} ({entry.family}; {checks}).',
        "",
        *([where.rstrip()] if where else []),
        "Generated by pytest-antimetal. Run against the server under test:",
        "    ANTIMETAL_BASE_URL=... ANTIMETAL_API_KEY=... pytest THIS_FILE",
        '"""',
        "",
        f"# {bounded_body(entry.headline.encode(), limit=300)}",
        "",
        *imports,
        "",
        "import httpx",
        "",
        f"METHOD = {request.method!r}",
        f"PATH = {path!r}  # appended to the base URL's path",
        f"HEADERS = {headers!r}",
        f"BODY = base64.b64decode({body64!r})",
        f"SENDS_KEY = {sends_key!r}",
        "",
        "",
        "def send() -> httpx.Response:",
        '    base_url = os.environ.get("ANTIMETAL_BASE_URL", "http://127.0.0.1:8000")',
        "    headers = dict(HEADERS)",
        "    if SENDS_KEY:",
        '        headers["Authorization"] = "Bearer " + os.environ["ANTIMETAL_API_KEY"]',
        '    url = base_url.rstrip("/") + PATH',
        "    return httpx.request(METHOD, url, headers=headers, content=BODY, timeout=30)",
        "",
        "",
        f"def test_repro_{entry.id}() -> None:",
        "    response = send()",
        *(f"    {line}" for line in assertion),
    ]
    return "\n".join(lines) + "\n"
