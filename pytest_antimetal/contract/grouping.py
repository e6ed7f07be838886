"""One entry per root cause: failures grouped by (check family, response status, message shape).

A response that fails several checks is one exchange; an exchange belongs to the entry of
its most telling failure (a server error before a wrong content type, a refused valid
input before a schema mismatch of the refusal's body). Exchanges whose key is the same are
one entry: it names every check that failed on them, keeps the first exchange as its
representative and counts, per part, how many requests hit it. Counting never stops;
only the representative is kept, so memory stays bounded however long the run.

Everything an entry keeps is redacted when it is added (see :meth:`EntryBook.add`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_antimetal.contract.report import (
    Failure,
    ReceivedResponse,
    SentRequest,
    printable,
    redact_headers,
)
from pytest_antimetal.secrets import redact

__all__ = ["FAMILIES", "Entry", "EntryBook", "OperationRef", "entry_key", "family_of", "normalise"]

FAMILIES = (
    "no response",
    "server error",
    "auth not enforced",
    "undeclared method",
    "timestamp rules",
    "invalid input accepted",
    "valid input refused",
    "response content",
    "response format",
)
"""Check families, most telling first: an exchange goes to the entry of its first family."""

_BY_CHECK = {
    "no_response": "no response",
    "not_a_server_error": "server error",
    "ignored_auth": "auth not enforced",
    "unsupported_method": "undeclared method",
    "datetime_rules": "timestamp rules",
    "negative_data_rejection": "invalid input accepted",
    "missing_required_header": "invalid input accepted",
    "positive_data_acceptance": "valid input refused",
    "request_reflected": "response content",
    "timestamps_ordered": "response content",
    "identity_unique": "response content",
}
# Within a family, the check whose message names the cause best comes first.
_CHECK_ORDER = (
    "no_response",
    "not_a_server_error",
    "ignored_auth",
    "unsupported_method",
    "datetime_rules",
    "request_reflected",
    "timestamps_ordered",
    "identity_unique",
    "error_response_shape",
    "response_schema_conformance",
    "content_type_conformance",
    "status_code_conformance",
    "response_headers_conformance",
)

# An opening quote follows no letter: the apostrophe of "the spec's" opens nothing.
_QUOTED = re.compile(r"(?<!\w)'(?:[^'\\]|\\.)*'|(?<!\w)\"(?:[^\"\\]|\\.)*\"")
# Double-quoted identifiers are names (schemathesis quotes properties so); a single-quoted
# string is a Python repr of a value.
_IDENTIFIER = re.compile(r"\"[A-Za-z_][A-Za-z0-9_.-]{0,40}\"")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])")
_LENGTH_NOTE = re.compile(r"\.{3}\s*\(\d+ chars\)|\s*\(\+?[\d,]+ (?:more )?(?:chars|characters)\)")
_METHOD = re.compile(r"\b(?:GET|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE|CONNECT|QUERY)\b")


def family_of(check: str, status: int | None) -> str:
    """The family of *check* failing on a response with *status* (``None``: no response)."""
    if check == "no_response" or status is None:
        return "no response"
    if status >= 500:
        return "server error"  # whatever else is wrong with it follows from the crash
    if check in _BY_CHECK:
        return _BY_CHECK[check]
    if check in ("edge_cases", "malformed_input"):
        return "invalid input accepted" if status < 300 else "valid input refused"
    return "response format"


def normalise(message: str, case: str = "") -> str:
    """The shape of *message*: the case label, quoted values and numbers taken out.

    Names (backticked, or double-quoted identifiers such as ``"type"``) stay: they say what
    is wrong; values (reprs, numbers) vary from request to request.
    """
    text = message.replace(case, "<case>") if case else message
    text = _LENGTH_NOTE.sub("", text)
    text = _QUOTED.sub(lambda m: m.group(0) if _IDENTIFIER.fullmatch(m.group(0)) else "<v>", text)
    return _NUMBER.sub("<n>", text)


def _error_fields(response: ReceivedResponse | None) -> str:
    body = response.json() if response is not None else None
    details = body.get("details") if isinstance(body, dict) else None
    return ", ".join(sorted(str(k) for k in details)) if isinstance(details, dict) else ""


def _server_message(response: ReceivedResponse | None) -> str:
    if response is None:
        return ""
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return normalise(body["message"][:200])
    return normalise(response.body[:200].decode("utf-8", errors="replace"))


def _server_said(response: ReceivedResponse) -> str:
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return repr(body["message"][:120])
    return ""


def format_part(
    part: str,
    entries: list[Entry],
    counts: Mapping[str, int],
    *,
    verbose: bool = False,
    shown: Mapping[str, str] | None = None,
) -> str:
    """A failed part: one line of counts, then one entry per root cause.

    An entry in *shown* (id -> the part whose report showed it in full, earlier in this
    run) is one line here.
    """
    shown = {k: v for k, v in (shown or {}).items() if v != part}
    total = sum(counts.values())
    requests = sum(e.requests for e in entries)
    by_check = ", ".join(f"{name} x{n}" for name, n in counts.items())
    head = (
        f"antimetal-contract::{part}: {len(entries)} root cause(s), {requests} failing "
        f"request(s), {total} failed check(s): {by_check}"
    )
    if not verbose and entries and all(e.id in shown for e in entries):
        # Nothing new here: one line, pointing to where each cause is shown.
        where = ", ".join(f"[{e.id}] under ::{shown[e.id]}" for e in entries)
        return f"{head}; all shown before: {where}"
    out = [head]
    for entry in entries:
        if entry.id in shown and not verbose:
            out.append(
                f"{entry.headline} - {entry.requests} request(s) here; "
                f"shown under antimetal-contract::{shown[entry.id]}"
            )
        else:
            out.append(entry.format(verbose=verbose, part=part))
    # No trailing newline: pytest adds the blank line between sections itself.
    return "\n".join(out).rstrip()


def entry_key(failures: list[Failure]) -> tuple[tuple[str, int | None, str], Failure]:
    """(family, status, shape) of one exchange's failures, and the failure that decides it."""
    status = failures[0].response.status if failures[0].response is not None else None

    def rank(f: Failure) -> tuple[int, int]:
        order = _CHECK_ORDER.index(f.check) if f.check in _CHECK_ORDER else len(_CHECK_ORDER)
        return FAMILIES.index(family_of(f.check, status)), order

    primary = min(failures, key=rank)
    family = family_of(primary.check, status)
    if family == "server error":
        shape = _server_message(primary.response)
    elif family == "no response":
        shape = normalise(primary.message.split(":", 2)[1] if ":" in primary.message else "")
    elif family == "auth not enforced":
        shape = ""
    elif family == "valid input refused":
        fields = _error_fields(primary.response)
        shape = f"fields: {fields}" if fields else ""
    elif family == "invalid input accepted":
        shape = ""
    else:
        shape = normalise(_METHOD.sub("<method>", primary.message), primary.case)
    return (family, status, shape), primary


@dataclass(frozen=True)
class OperationRef:
    """The operation a request was sent to: what shrinking re-sends to and a report names."""

    operation_id: str
    method: str
    """Upper case."""
    path: str
    """The document's path template (``/issues/{id}``)."""

    @property
    def title(self) -> str:
        """``"getIssue (GET /issues/{id})"``."""
        return f"{self.operation_id} ({self.method} {self.path})"

    def as_dict(self) -> dict[str, str]:
        return {"operation_id": self.operation_id, "method": self.method, "path": self.path}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationRef:
        return cls(str(data["operation_id"]), str(data["method"]).upper(), str(data["path"]))


@dataclass
class Entry:
    """One root cause: every check that failed on it, one exchange, who hit it how often."""

    family: str
    status: int | None
    shape: str
    title: str
    """The deciding failure's message, as it read for the representative exchange."""
    representative: list[Failure]
    """The first exchange's failures (redacted), the deciding one first."""
    checks: dict[str, int] = field(default_factory=dict)
    """check -> failures (in order of first appearance)."""
    parts: dict[str, int] = field(default_factory=dict)
    """part -> requests that hit this entry."""
    minimal: SentRequest | None = None
    """The smallest request found that still triggers it (see :mod:`.shrink`)."""
    minimal_note: str = ""
    """How the minimal request was found, or why there is none."""
    operation: OperationRef | None = None
    """The operation of the representative exchange (``None``: not known, e.g. a request to
    an undeclared method or path)."""

    @property
    def id(self) -> str:
        """Stable across runs (a hash of the key): the same cause keeps its name in CI history."""
        key = json.dumps([self.family, self.status, self.shape])
        return hashlib.sha256(key.encode()).hexdigest()[:8]

    @property
    def requests(self) -> int:
        return sum(self.parts.values())

    @property
    def failures(self) -> int:
        return sum(self.checks.values())

    def absorb(self, other: Entry) -> None:
        """Add *other*'s counts (same key: another part, or another xdist worker)."""
        for name, n in other.checks.items():
            self.checks[name] = self.checks.get(name, 0) + n
        for part, n in other.parts.items():
            self.parts[part] = self.parts.get(part, 0) + n

    def hits(self) -> str:
        """``118 requests (examples 1, coverage 42, ...)``."""
        where = ", ".join(f"{part} {n}" for part, n in self.parts.items())
        return f"{self.requests} request(s) ({where})"

    @property
    def headline(self) -> str:
        """``[id] family, HTTP status | [check] what was wrong`` (a server error: what it said)."""
        status = "no response" if self.status is None else f"HTTP {self.status}"
        first = self.representative[0]
        title = f"[{first.check}] {self.title}"
        if self.family == "server error" and first.response is not None:
            said = _server_said(first.response)
            title = f"{title}: the server said {said}" if said else title
        return printable(f"[{self.id}] {self.family}, {status} | {title}")

    def format(self, *, verbose: bool = False, part: str | None = None) -> str:
        """The entry as report lines: what, which checks, who hit it, one exchange, commands.

        Default verbosity shows the deciding check's details (bounded) and one line per other
        check; ``verbose`` adds every check's details and every header.
        """
        first, *others = self.representative
        checks = ", ".join(f"{name} x{n}" for name, n in self.checks.items())
        # The operation shares the checks line: a root cause stays on one screen.
        where = "" if self.operation is None else printable(f"in {self.operation.title}; ")
        lines = [self.headline, f"  {where}checks: {checks}; hit by {self.hits()}"]
        lines += first.detail_lines(verbose=verbose)
        for other in others:
            lines.append(printable(f"  also [{other.check}] {other.message}"))
            if verbose:
                lines += [f"  {line}" for line in other.detail_lines(verbose=True)]
        if self.minimal is not None:
            lines.append(f"  minimal request ({self.minimal_note}):")
            shown = self.minimal.describe(verbose=verbose, body_dir=first.body_dir)
            # The request line too when that is what shrank (a query) or all there is.
            url_shrank = not self.minimal.body or self.minimal.url != first.request.url
            lines += [
                f"    {line}"
                for i, line in enumerate(shown.splitlines())
                if verbose or "body:" in line or (i == 0 and url_shrank)
            ]
        elif self.minimal_note and (verbose or "live" in self.minimal_note):
            lines.append(f"  minimal request: {self.minimal_note}")
        label = "original request" if self.minimal is not None else "request"
        lines.append(printable(f"  {label} ({first.case}):"))
        described = first.request.describe(verbose=verbose, body_dir=first.body_dir)
        lines += [f"    {line}" for line in described.splitlines()]
        if first.response is not None:
            lines.append("  response:")
            text = first.response.describe(verbose=verbose, body_dir=first.body_dir)
            lines += [f"    {line}" for line in text.splitlines()]
        if self.minimal is not None:
            lines += replace(first, request=self.minimal).command_lines()
        else:
            lines += first.command_lines()
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (xdist transport, report.json); bodies base64, everything redacted."""
        return {
            "id": self.id,
            "family": self.family,
            "status": self.status,
            "shape": self.shape,
            "title": self.title,
            "checks": dict(self.checks),
            "parts": dict(self.parts),
            "requests": self.requests,
            "failures": self.failures,
            "representative": [_failure_dict(f) for f in self.representative],
            "minimal": None if self.minimal is None else _request_dict(self.minimal),
            "minimal_note": self.minimal_note,
            "operation": None if self.operation is None else self.operation.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entry:
        return cls(
            family=str(data["family"]),
            status=data["status"],
            shape=str(data["shape"]),
            title=str(data["title"]),
            representative=[_failure_from(d) for d in data["representative"]],
            checks={str(k): int(v) for k, v in data["checks"].items()},
            parts={str(k): int(v) for k, v in data["parts"].items()},
            minimal=None if data.get("minimal") is None else _request_from(data["minimal"]),
            minimal_note=str(data.get("minimal_note", "")),
            operation=(
                None if data.get("operation") is None else OperationRef.from_dict(data["operation"])
            ),
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _request_dict(r: SentRequest) -> dict[str, Any]:
    return {"method": r.method, "url": r.url, "headers": r.headers, "body_base64": _b64(r.body)}


def _request_from(d: Mapping[str, Any]) -> SentRequest:
    return SentRequest(
        str(d["method"]), str(d["url"]), dict(d["headers"]), base64.b64decode(d["body_base64"])
    )


def _failure_dict(f: Failure) -> dict[str, Any]:
    response = None
    if f.response is not None:
        response = {
            "status": f.response.status,
            "headers": f.response.headers,
            "body_base64": _b64(f.response.body),
        }
    return {
        "check": f.check,
        "message": f.message,
        "case": f.case,
        "details": f.details,
        "replay": f.replay,
        "setup": f.setup,
        "request": _request_dict(f.request),
        "response": response,
    }


def _failure_from(d: Mapping[str, Any]) -> Failure:
    request = _request_from(d["request"])
    resp = d.get("response")
    response = None
    if resp is not None:
        response = ReceivedResponse(
            int(resp["status"]), dict(resp["headers"]), base64.b64decode(resp["body_base64"])
        )
    return Failure(
        str(d["check"]),
        str(d["message"]),
        str(d["case"]),
        request,
        response,
        details=str(d["details"]),
        replay=str(d["replay"]),
        setup=str(d["setup"]),
    )


def _redacted(f: Failure, secrets: tuple[str, ...]) -> Failure:
    if not secrets:
        return f
    response = f.response
    if response is not None:
        response = ReceivedResponse(
            response.status,
            redact_headers(response.headers, secrets),
            redact(response.body, secrets),
        )
    return Failure(
        f.check,
        redact(f.message, secrets),
        redact(f.case, secrets),
        f.request,  # SentRequest holds no secret (see report.SentRequest.redacted)
        response,
        details=redact(f.details, secrets),
        replay=f.replay,
        setup=redact(f.setup, secrets),
        body_dir=f.body_dir,
    )


class EntryBook:
    """Collects one part's (or a whole run's) failures into entries, as they come."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int | None, str], Entry] = {}
        self._pending: list[Failure] = []
        self._pending_part = ""
        self._secrets: tuple[str, ...] = ()

    def add(self, failure: Failure, part: str, secrets: Iterable[str] = ()) -> None:
        """One failed check. Consecutive failures on the same request are one exchange."""
        if self._pending and failure.request is not self._pending[0].request:
            self._flush()
        self._pending.append(failure)
        self._pending_part = part
        self._secrets = tuple(s for s in secrets if s)

    def _flush(self) -> None:
        if not self._pending:
            return
        failures = [_redacted(f, self._secrets) for f in self._pending]
        self._pending = []
        key, primary = entry_key(failures)
        entry = self._entries.get(key)
        if entry is None:
            ordered = [primary, *(f for f in failures if f is not primary)]
            entry = Entry(key[0], key[1], key[2], printable(primary.message), ordered)
            self._entries[key] = entry
        for f in failures:
            entry.checks[f.check] = entry.checks.get(f.check, 0) + 1
        part = self._pending_part
        entry.parts[part] = entry.parts.get(part, 0) + 1

    def merge(self, entries: Iterable[Entry]) -> list[Entry]:
        """Add entries found elsewhere; returns those whose cause was new to this book."""
        self._flush()
        new: list[Entry] = []
        for other in entries:
            key = (other.family, other.status, other.shape)
            mine = self._entries.get(key)
            if mine is None:
                self._entries[key] = Entry(
                    other.family,
                    other.status,
                    other.shape,
                    other.title,
                    other.representative,
                    dict(other.checks),
                    dict(other.parts),
                    other.minimal,
                    other.minimal_note,
                    other.operation,
                )
                new.append(other)
            else:
                mine.absorb(other)
        return new

    def entries(self) -> list[Entry]:
        """Every entry, in order of first appearance."""
        self._flush()
        return list(self._entries.values())

    def __contains__(self, entry: Entry) -> bool:
        return (entry.family, entry.status, entry.shape) in self._entries
