"""The contract report as files a CI page can show: JSON, Markdown, one reproduction per entry.

:func:`write_report` writes, under one directory:

* ``report.json``: entries, counts, seed, spec hash, target (its key masked);
* ``report.md``: the same for a pull-request comment or ``$GITHUB_STEP_SUMMARY``;
* ``report.html``: the coverage of the document, an operation x status matrix (self-contained:
  no scripts, no external assets, every value escaped);
* ``test_repro_<id>.py`` per entry: plain pytest + httpx, sending the entry's request to
  ``$ANTIMETAL_BASE_URL`` with the key from ``$ANTIMETAL_API_KEY`` (never written into the
  file) and asserting what the failing check asked; plus ``repro_<id>.sh``, the curl line;
* ``bodies/``: bodies too large to show, named by content.

Everything here comes from :class:`~.grouping.Entry`, which holds redacted data only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_antimetal.contract.checks import ContractRules
from pytest_antimetal.contract.coverage import COVERAGE_DEFINITION, CoverageReport
from pytest_antimetal.contract.grouping import Entry, OperationRef
from pytest_antimetal.contract.report import Failure, RunStats, bounded_body
from pytest_antimetal.contract.runner import INVALID_KEY

__all__ = [
    "MARKDOWN_LIMIT",
    "ReportContext",
    "coverage_html",
    "markdown",
    "repro_source",
    "write_report",
]

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
    """The rules of an entry of no known operation (the settings' operation)."""
    replay: str = ""
    rules_for: Callable[[OperationRef], ContractRules] | None = None
    """An operation's rules: each entry's reproduction asserts what its own operation's
    checks asked."""

    def rules_of(self, entry: Entry) -> ContractRules:
        if entry.operation is None or self.rules_for is None:
            return self.rules
        return self.rules_for(entry.operation)

    @property
    def spec_sha256(self) -> str:
        text = json.dumps(self.spec_document, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def write_report(
    directory: Path,
    entries: list[Entry],
    stats: RunStats,
    context: ReportContext,
    *,
    coverage: CoverageReport | None = None,
    coverage_min: float | None = None,
) -> list[Path]:
    """Write the report files under *directory*; returns the paths written.

    With *coverage*, report.json has a ``coverage`` section and report.html is written.
    """
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
                "curl": (entry.minimal or entry.representative[0].request).curl(bodies),
                "reproduction": f"test_repro_{entry.id}.py",
            }
            for entry in entries
        ],
    }
    if coverage is not None:
        data["coverage"] = coverage.as_dict(coverage_min)
    path = directory / "report.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    path = directory / "report.md"
    path.write_text(markdown(entries, stats, context, bodies, coverage), encoding="utf-8")
    written.append(path)
    if coverage is not None:
        path = directory / "report.html"
        path.write_text(coverage_html(coverage, context, coverage_min), encoding="utf-8")
        written.append(path)
    for entry in entries:
        path = directory / f"test_repro_{entry.id}.py"
        path.write_text(repro_source(entry, context.rules_of(entry)), encoding="utf-8")
        written.append(path)
        path = directory / f"repro_{entry.id}.sh"
        first = entry.representative[0]
        lines = ["#!/bin/sh", f"# {entry.headline}"]
        if entry.operation is not None:
            lines.append(f"# operation: {entry.operation.title}")
        if first.setup:
            lines.append(f"# first start the target: {first.setup}")
        lines.append((entry.minimal or first.request).curl(bodies))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


_HTML_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: center; }
th.op, td.op { text-align: left; font-family: monospace; white-space: nowrap; }
td.seen { background: #c8f0c8; }
td.never { background: #f6c6c6; font-weight: bold; }
td.extra { background: #ffe0a0; }
td.none { background: #f2f2f2; color: #aaa; }
.legend span { padding: 2px 8px; margin-right: 6px; }
li { font-family: monospace; }
"""


def _status_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (int(key[0]) * 100 + 99, key)


def coverage_html(
    coverage: CoverageReport, context: ReportContext, minimum: float | None = None
) -> str:
    """report.html: the document's coverage as an operation x status matrix, one page, no
    scripts or external assets; every value from the spec or the run is escaped."""
    e = html.escape
    keys: set[str] = set()
    for op in coverage.operations:
        keys.update(op.model.statuses)
        keys.update(str(s) for s in op.undocumented)
    columns = sorted(keys, key=_status_order)
    gate = ""
    if minimum is not None:
        verdict = "passed" if coverage.meets(minimum) else "FAILED"
        gate = f" Gate (--antimetal-coverage-min): {e(f'{minimum:g}')}% - {verdict}."
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>antimetal contract: coverage</title>",
        f"<style>{_HTML_STYLE}</style></head><body>",
        f"<h1>Coverage of the document: {e(coverage.shown_percent())}</h1>",
        f"<p>Target <code>{e(context.target)}</code>, seed <code>{context.seed}</code>, spec "
        f"sha256 <code>{e(context.spec_sha256[:12])}</code>. {coverage.covered} of "
        f"{coverage.declared} counted: {e(COVERAGE_DEFINITION)}.{gate}</p>",
        '<p class="legend"><span class="seen" style="background:#c8f0c8">n: seen n times'
        '</span><span style="background:#f6c6c6">never seen (documented)</span>'
        '<span style="background:#ffe0a0">seen, not documented</span>'
        '<span style="background:#f2f2f2">not documented</span></p>',
        '<table><thead><tr><th class="op">operation</th><th>requests</th>',
        *(f"<th>{e(c)}</th>" for c in columns),
        "<th>parameters</th><th>enum values</th><th>boundary values</th></tr></thead><tbody>",
    ]
    for op in coverage.operations:
        cells = [f'<tr><td class="op">{e(op.label)}</td><td>{op.sent}</td>']
        for column in columns:
            extra = op.undocumented.get(int(column)) if column.isdigit() else None
            if column in op.seen:
                cells.append(f'<td class="seen">{op.seen[column]}</td>')
            elif column in op.model.statuses:
                cells.append('<td class="never" title="never seen">&#x2717;</td>')
            elif extra:
                cells.append(f'<td class="extra" title="not documented">{extra}</td>')
            else:
                cells.append('<td class="none">&ndash;</td>')
        enums, bounds = op.enum_counts(), op.bound_counts()
        cells.append(
            f"<td>{len(op.parameters)}/{len(op.model.parameters)}</td>"
            f"<td>{enums[0]}/{enums[1]}</td><td>{bounds[0]}/{bounds[1]}</td></tr>"
        )
        out.append("".join(cells))
    out.append("</tbody></table>")
    missing = list(coverage.never_exercised())
    out.append(f"<h2>Never exercised ({len(missing)})</h2><ul>")
    out += [f"<li>{e(line)}</li>" for line in missing]
    out.append("</ul><h2>Parameters, enum and boundary values</h2><ul>")
    for op in coverage.operations:
        details = op.as_dict()
        for name in op.model.parameters:
            state = "sent" if name in op.parameters else "never sent"
            out.append(f"<li>{e(op.label)} {e(name)}: {state}</li>")
        for kind in ("enum_values", "boundary_values"):
            for location, values in details[kind].items():
                sent = set(values["sent"])
                shown = ", ".join(
                    e(v) if v in sent else f"<s>{e(v)}</s>" for v in values["declared"]
                )
                what = kind.replace("_", " ")
                out.append(f"<li>{e(op.label)} {e(location)} {what}: {shown}</li>")
    if coverage.undocumented:
        out.append("</ul><h2>Requests to no documented operation</h2><ul>")
        out += [f"<li>{e(k)}: {v}</li>" for k, v in sorted(coverage.undocumented.items())]
    out.append("</ul><p>Struck-through values were never sent.</p></body></html>")
    return "\n".join(out) + "\n"


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
    entries: list[Entry],
    stats: RunStats,
    context: ReportContext,
    bodies: Path | None = None,
    coverage: CoverageReport | None = None,
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
    if coverage is not None:
        never = sum(1 for _ in coverage.never_exercised())
        out += [
            f"Coverage of the document: {coverage.shown_percent()} ({coverage.covered} of "
            f"{coverage.declared} documented statuses seen and parameters sent); {never} "
            "thing(s) never exercised (report.html, report.json).",
            "",
        ]
    if entries:
        out += ["| id | operation | cause | checks | requests |", "|---|---|---|---|---|"]
        for e in entries:
            cause = e.headline.split("] ", 1)[1].replace("|", "\\|")
            checks = ", ".join(f"{k} x{n}" for k, n in e.checks.items())
            op = "?" if e.operation is None else e.operation.title
            out.append(f"| `{e.id}` | `{op}` | {cause} | {checks} | {e.hits()} |")
        out.append("")
    for e in entries:
        request = e.minimal or e.representative[0].request
        op = "" if e.operation is None else f" in `{e.operation.title}`"
        out += [f"### `{e.id}` {e.family}{op}", "", _fence(e.format(verbose=False)), ""]
        out += [f"Reproduce: `test_repro_{e.id}.py` (pytest + httpx), or", ""]
        out += [_fence(request.curl(bodies)), ""]
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
