"""The contract report as files a CI page can show: JSON, Markdown, one reproduction per entry.

:func:`write_report` writes, under one directory:

* ``report.json``: entries, counts, seed, spec hash, target (its key masked);
* ``report.md``: the same for a pull-request comment or ``$GITHUB_STEP_SUMMARY``;
* ``test_repro_<id>.py`` per entry: plain pytest + httpx, sending the entry's request to
  ``$ANTIMETAL_BASE_URL`` with the key from ``$ANTIMETAL_API_KEY`` (never written into the
  file) and asserting what the failing check asked; plus ``repro_<id>.sh``, the curl line;
* ``bodies/``: bodies too large to show, named by content.

Everything here comes from :class:`~.grouping.Entry`, which holds redacted data only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_antimetal.contract.checks import ContractRules
from pytest_antimetal.contract.grouping import Entry
from pytest_antimetal.contract.report import Failure, RunStats, bounded_body
from pytest_antimetal.contract.runner import INVALID_KEY

__all__ = ["MARKDOWN_LIMIT", "ReportContext", "markdown", "repro_source", "write_report"]

MARKDOWN_LIMIT = 60_000
"""Bytes of Markdown at most (GitHub caps a step summary at 1 MiB; a comment at 64 KiB)."""
_DROPPED_HEADERS = frozenset(
    {"host", "content-length", "authorization", "user-agent", "accept-encoding", "connection"}
)


@dataclass(frozen=True)
class ReportContext:
    """What a report says about the run besides its entries."""

    seed: int
    spec_document: Mapping[str, Any]
    target: str
    """Base URL, or ``embedded fake``; never holds the key."""
    key: str
    """How the key is shown: ``[REDACTED]``, the fake's public key, or ``none``."""
    rules: ContractRules
    replay: str = ""

    @property
    def spec_sha256(self) -> str:
        text = json.dumps(self.spec_document, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def write_report(
    directory: Path, entries: list[Entry], stats: RunStats, context: ReportContext
) -> list[Path]:
    """Write the report files under *directory*; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    bodies = directory / "bodies"
    written: list[Path] = []
    data = {
        "format": 1,
        "seed": context.seed,
        "spec_sha256": context.spec_sha256,
        "target": {"base_url": context.target, "api_key": context.key},
        "counts": {
            "requests": stats.requests,
            "checks": stats.checks,
            "failures_by_check": dict(stats.failures),
            "root_causes": len(entries),
            "failing_requests": sum(e.requests for e in entries),
        },
        "replay": context.replay,
        "entries": [
            {
                **entry.as_dict(),
                "curl": entry.representative[0].request.curl(bodies),
                "reproduction": f"test_repro_{entry.id}.py",
            }
            for entry in entries
        ],
    }
    path = directory / "report.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    path = directory / "report.md"
    path.write_text(markdown(entries, stats, context, bodies), encoding="utf-8")
    written.append(path)
    for entry in entries:
        path = directory / f"test_repro_{entry.id}.py"
        path.write_text(repro_source(entry, context.rules), encoding="utf-8")
        written.append(path)
        path = directory / f"repro_{entry.id}.sh"
        first = entry.representative[0]
        lines = ["#!/bin/sh", f"# {entry.headline}"]
        if first.setup:
            lines.append(f"# first start the target: {first.setup}")
        lines.append((entry.minimal or first.request).curl(bodies))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


def append_step_summary(text: str) -> bool:
    """Append *text* to ``$GITHUB_STEP_SUMMARY`` when that is set (GitHub Actions)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    try:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text)
    except OSError:
        return False  # a summary that cannot be written must not fail the run
    return True


def _fence(text: str) -> str:
    return "```\n" + text.replace("```", "` ` `") + "\n```"


def markdown(
    entries: list[Entry], stats: RunStats, context: ReportContext, bodies: Path | None = None
) -> str:
    """The report as Markdown, at most :data:`MARKDOWN_LIMIT` bytes (a cut is marked)."""
    status = "failed" if entries else "passed"
    out = [
        f"## antimetal contract: {status}",
        "",
        f"Target `{context.target}`, seed `{context.seed}`, spec sha256 "
        f"`{context.spec_sha256[:12]}`: {stats.requests} request(s) sent, {stats.checks} "
        f"check(s) run, {len(entries)} root cause(s).",
        "",
    ]
    if entries:
        out += ["| id | cause | checks | requests |", "|---|---|---|---|"]
        for e in entries:
            cause = e.headline.split("] ", 1)[1].replace("|", "\\|")
            checks = ", ".join(f"{k} x{n}" for k, n in e.checks.items())
            out.append(f"| `{e.id}` | {cause} | {checks} | {e.hits()} |")
        out.append("")
    for e in entries:
        first = e.representative[0]
        out += [f"### `{e.id}` {e.family}", "", _fence(e.format(verbose=False)), ""]
        out += [f"Reproduce: `test_repro_{e.id}.py` (pytest + httpx), or", ""]
        out += [_fence(first.request.curl(bodies)), ""]
    text = "\n".join(out) + "\n"
    data = text.encode()
    if len(data) > MARKDOWN_LIMIT:
        cut = data[:MARKDOWN_LIMIT].decode("utf-8", errors="ignore")
        text = f"{cut}\n\n[... {len(data) - MARKDOWN_LIMIT:,} more bytes cut: see report.json]\n"
    return text


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


def repro_source(entry: Entry, rules: ContractRules, operation_path: str = "/issues") -> str:
    """A standalone test module (pytest + httpx) that sends the entry's request again."""
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
    lines = [
        f'"""Reproduction of antimetal contract entry {entry.id} ({entry.family}; {checks}).',
        "",
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
