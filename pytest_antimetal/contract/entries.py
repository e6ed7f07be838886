"""A root cause as the report shows it: :class:`Entry`, the :class:`OperationRef` it was found on.

An entry is one root cause: every check that failed on it, one representative exchange,
how many requests of each part hit it. This module owns what an entry says (its id, its
headline, its report lines, a failed part's text) and its JSON form; which failures make
one entry is :mod:`.grouping`'s to decide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_antimetal.contract.failure_json import (
    failure_as_dict,
    failure_from_dict,
    request_as_dict,
    request_from_dict,
)
from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest, printable

__all__ = ["Entry", "OperationRef", "format_part"]


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
            "representative": [failure_as_dict(f) for f in self.representative],
            "minimal": None if self.minimal is None else request_as_dict(self.minimal),
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
            representative=[failure_from_dict(d) for d in data["representative"]],
            checks={str(k): int(v) for k, v in data["checks"].items()},
            parts={str(k): int(v) for k, v in data["parts"].items()},
            minimal=None if data.get("minimal") is None else request_from_dict(data["minimal"]),
            minimal_note=str(data.get("minimal_note", "")),
            operation=(
                None if data.get("operation") is None else OperationRef.from_dict(data["operation"])
            ),
        )
