"""Failures and their text: what was sent, what came back, how to replay it.

The API key is removed here, once, before anything is stored for a report:
:class:`SentRequest` never holds it, so no formatting path can leak it.
Redaction is :mod:`pytest_antimetal.secrets`'s, which also catches the key
URL-encoded, JSON-escaped or HTML-escaped in what a server echoes back.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_antimetal.secrets import DEFAULT_PLACEHOLDER, redact
from pytest_antimetal.secrets import redacted_headers as redact_headers
from pytest_antimetal.target import README_REF

__all__ = [
    "REDACTED",
    "Failure",
    "ReceivedResponse",
    "RunStats",
    "SentRequest",
    "format_failures",
    "redact_headers",
]

REDACTED = DEFAULT_PLACEHOLDER
BODY_LIMIT = 1024
"""Bodies longer than this (bytes) print as head and tail with a byte count (README, 'Reading a
failure'); the whole body goes to a file."""
_HEAD_BYTES = 640
_TAIL_BYTES = 256
DETAIL_LINES = 4
"""Lines of a check's details (e.g. a schema dump) shown at default verbosity; ``-v`` shows
up to :data:`VERBOSE_DETAIL_LINES`."""
VERBOSE_DETAIL_LINES = 200
INLINE_LIMIT = 4_096
"""Bodies larger than this (bytes) go to a file in the reproduction, not on the line."""


def _write_body(body: bytes, body_dir: Path) -> Path:
    # Named by content: the same body is written once, however many failures show it.
    path = body_dir / f"{hashlib.sha256(body).hexdigest()[:20]}.bin"
    if not path.exists():
        body_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return path


def _octal_escaped(body: bytes) -> str:
    """*body* for ``printf '%b' '...'``: printable ASCII as is, every other byte ``\\0NNN``."""
    safe = frozenset(range(0x20, 0x7F)) - {ord("\\"), ord("'")}
    return "".join(chr(b) if b in safe else f"\\0{b:03o}" for b in body)


def printable(text: str) -> str:
    """*text* on one line, safe for a CI log: control and invisible format characters escaped.

    A raw NUL makes ``grep`` call the whole log binary; a raw newline or carriage return
    inside a body would forge lines of the report.
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char.isprintable() or char == " ":
            out.append(char)
        elif char in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[char])
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _decoded(body: bytes) -> str:
    # Invalid UTF-8 (or a multi-byte character cut at the head/tail boundary) shows as \xNN.
    return printable(body.decode("utf-8", errors="backslashreplace"))


def bounded_body(body: bytes, body_dir: Path | None = None, limit: int = BODY_LIMIT) -> str:
    """*body* for a report line: whole up to *limit* bytes, else head and tail with a byte count.

    Above the limit the full body is written to *body_dir* (when given, named by content)
    and the cut says where. The caller redacts *body* first.
    """
    if len(body) <= limit:
        return _decoded(body)
    head, tail = body[:_HEAD_BYTES], body[-_TAIL_BYTES:]
    cut = len(body) - len(head) - len(tail)
    where = ""
    if body_dir is not None:
        where = f"; full body: {_write_body(body, body_dir)}"
    return f"{_decoded(head)} [... {cut:,} of {len(body):,} bytes cut{where} ...] {_decoded(tail)}"


def cut_lines(lines: list[str], keep: int, hint: str = "") -> list[str]:
    """The first *keep* of *lines*, then a line saying how many were left out."""
    if len(lines) <= keep:
        return lines
    more = f" ({hint})" if hint else ""
    return [*lines[:keep], f"[... {len(lines) - keep} more line(s) cut{more}]"]


@dataclass(frozen=True)
class SentRequest:
    """A request as reports show it: credentials already redacted."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def redacted(
        cls,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        secrets: Iterable[str],
        public: Iterable[str] = (),
    ) -> SentRequest:
        secrets = tuple(s for s in secrets if s)
        clean = redact(body, secrets)
        shown = redact_headers(headers, secrets, public)
        return cls(method, redact(url, secrets), shown, clean)

    def curl(self, body_dir: Path | None = None) -> str:
        """A shell command that sends this request (the key as ``$ANTIMETAL_API_KEY``).

        A body over :data:`INLINE_LIMIT` bytes is written to *body_dir* (when given) and
        sent from there; bytes that are not printable UTF-8 go through ``printf '%b'``.
        """
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.headers.items():
            if name.lower() in (
                "content-length",
                "host",
                "user-agent",
                "accept-encoding",
                "accept",
                "connection",
            ):
                continue
            if name.lower() == "authorization" and REDACTED in value:
                # Double quotes so the shell expands the variable; never the key itself.
                parts += ["-H", '"Authorization: Bearer $ANTIMETAL_API_KEY"']
            else:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        command = " ".join(parts)
        if not self.body:
            return command
        if len(self.body) > INLINE_LIMIT and body_dir is not None:
            path = _write_body(self.body, body_dir)
            return f"{command} --data-binary {shlex.quote('@' + str(path))}"
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and text.isprintable():
            return f"{command} --data-binary {shlex.quote(text)}"
        # Bytes a shell argument cannot carry as they are (invalid UTF-8, NUL, controls):
        # printf's %b turns the octal escapes back into exactly the bytes sent.
        return f"printf '%b' '{_octal_escaped(self.body)}' | {command} --data-binary @-"

    def describe(self, *, verbose: bool = True, body_dir: Path | None = None) -> str:
        """Request line, headers (``verbose=False``: the content type; the curl line has the
        rest) and bounded body."""
        lines = [printable(f"{self.method} {self.url}")]
        lines += [
            printable(f"  {k}: {v}")
            for k, v in self.headers.items()
            if verbose or k.lower() == "content-type"
        ]
        if self.body:
            lines.append(f"  body: {bounded_body(self.body, body_dir)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ReceivedResponse:
    """A response as reports show it."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def describe(
        self,
        secrets: Iterable[str] = (),
        *,
        verbose: bool = True,
        body_dir: Path | None = None,
    ) -> str:
        """Status, headers (``verbose=False``: content type and ``Allow``) and bounded body."""
        secrets = tuple(secrets)
        lines = [f"HTTP {self.status}"]
        lines += [
            printable(f"  {k}: {v}")
            for k, v in redact_headers(self.headers, secrets).items()
            if verbose or k.lower() in ("content-type", "allow", "www-authenticate")
        ]
        lines.append(f"  body: {bounded_body(redact(self.body, secrets), body_dir)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Failure:
    """One check that did not hold for one exchange."""

    check: str
    message: str
    """One line: what was wrong."""
    case: str
    """Where the input came from (phase, mode, description)."""
    request: SentRequest
    response: ReceivedResponse | None
    details: str = ""
    replay: str = ""
    setup: str = ""
    """A command to run before the curl (start a local fake), shown on the line before it."""
    body_dir: Path | None = None
    """Where the reproduction writes bodies too large to inline."""

    def format(self, secrets: Iterable[str] = (), *, verbose: bool = True) -> str:
        """The failure as report lines: message, case, details, request, response, commands.

        Every line is bounded and printable; cut details say how many lines were left out.
        """
        secrets = tuple(secrets)
        out = [
            printable(f"[{self.check}] {redact(self.message, secrets)}"),
            printable(f"  case: {redact(self.case, secrets)}"),
        ]
        out += self.detail_lines(secrets, verbose=verbose)
        out.append("  request:")
        described = self.request.describe(verbose=verbose, body_dir=self.body_dir)
        out += [f"    {line}" for line in described.splitlines()]
        if self.response is not None:
            out.append("  response:")
            text = self.response.describe(secrets, verbose=verbose, body_dir=self.body_dir)
            out += [f"    {line}" for line in text.splitlines()]
        out += self.command_lines(secrets)
        return "\n".join(out)

    def detail_lines(self, secrets: Iterable[str] = (), *, verbose: bool = False) -> list[str]:
        """The check's details (e.g. a schema dump), bounded, each cut marked."""
        if not self.details:
            return []
        secrets = tuple(secrets)
        said = redact(self.message, secrets)
        # Blank lines and lines the message already says are left out.
        lines = [
            printable(f"  {line}")
            for line in redact(self.details, secrets).splitlines()
            if line.strip() and (verbose or line.strip() not in said)
        ]
        keep = VERBOSE_DETAIL_LINES if verbose else DETAIL_LINES
        return cut_lines(lines, keep, "" if verbose else "-v shows more")

    def command_lines(self, secrets: Iterable[str] = ()) -> list[str]:
        """How to start the target (a local fake), resend the request, and replay the part."""
        out: list[str] = []
        if self.setup:
            out.append(f"  start:     {redact(self.setup, tuple(secrets))}")
        out.append(f"  reproduce: {self.request.curl(self.body_dir)}")
        if self.replay:
            out.append(f"  replay:    {self.replay}")
        return out


@dataclass
class RunStats:
    """Counters for the terminal summary (merged across items and xdist workers)."""

    requests: int = 0
    checks: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    created: list[int | str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    budget_used: int = 0
    """Issue-creating requests sent against a capped (live) target."""

    def merge(self, other: Mapping[str, Any]) -> None:
        self.requests += int(other.get("requests", 0))
        self.budget_used += int(other.get("budget_used", 0))
        self.checks += int(other.get("checks", 0))
        self.failures.update(other.get("failures", {}))
        self.created.extend(other.get("created", []))
        self.skipped.update(other.get("skipped", {}))

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "checks": self.checks,
            "failures": dict(self.failures),
            "created": list(self.created),
            "skipped": dict(self.skipped),
            "budget_used": self.budget_used,
        }


def format_failures(
    part: str,
    failures: list[Failure],
    secrets: Iterable[str] = (),
    per_check: int = 3,
    counts: Mapping[str, int] | None = None,
) -> str:
    """The text of a failed item: failures grouped by check, the first few shown in full.

    *counts* are every failure the part found per check (the list may keep fewer): the
    header and the "more like this" lines count those, and say how many were kept.
    """
    secrets = tuple(secrets)
    by_check: dict[str, list[Failure]] = {}
    for failure in failures:
        by_check.setdefault(failure.check, []).append(failure)
    totals = dict(counts) if counts else {name: len(items) for name, items in by_check.items()}
    summary = ", ".join(f"{name} x{n}" for name, n in totals.items())
    total = sum(totals.values())
    kept = "" if total == len(failures) else f" ({len(failures)} kept)"
    out = [f"antimetal-contract::{part}: {total} failure(s){kept}: {summary}", ""]
    for name, items in by_check.items():
        for failure in items[:per_check]:
            out.append(failure.format(secrets))
            out.append("")
        more = totals.get(name, len(items)) - min(len(items), per_check)
        if more > 0:
            out.append(f"[{name}] ... and {more} more like this")
            out.append("")
    out.append(
        f"what each check asks of the server: {README_REF}, 'The contract suite'; "
        "the spec's own inconsistencies: antimetal-contract lint"
    )
    return "\n".join(out).rstrip() + "\n"
