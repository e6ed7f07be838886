"""One entry per root cause: failures grouped by (check family, response status, message shape).

A response that fails several checks is one exchange; an exchange belongs to the entry of
its most telling failure (a server error before a wrong content type, a refused valid
input before a schema mismatch of the refusal's body). Exchanges whose key is the same are
one entry: it names every check that failed on them, keeps the first exchange as its
representative and counts, per part, how many requests hit it. Counting never stops;
only the representative is kept, so memory stays bounded however long the run.

Everything an entry keeps is redacted when it is added (see :meth:`EntryBook.add`).
The entry itself (its text, its JSON form) is :mod:`.entries`'s; ``Entry``, ``OperationRef``
and ``format_part`` are importable from here too, where they used to live.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pytest_antimetal.contract.entries import Entry, OperationRef, format_part
from pytest_antimetal.contract.report import (
    Failure,
    ReceivedResponse,
    printable,
    redact_headers,
)
from pytest_antimetal.secrets import redact

__all__ = [
    "FAMILIES",
    "Entry",
    "EntryBook",
    "OperationRef",
    "entry_key",
    "family_of",
    "format_part",
    "normalise",
]

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
