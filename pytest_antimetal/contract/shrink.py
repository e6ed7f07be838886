"""The smallest request that still triggers an entry: shrink the body while the failure holds.

:class:`Shrinker` takes an entry's representative request and tries smaller JSON bodies
(optional fields dropped, strings shortened, numbers made smaller), one change at a time,
re-sending each to the target; a change is kept when the answer still belongs to the same
entry (same family, status and message shape, judged as :mod:`.grouping` judges it). It
stops after a small per-entry budget of requests.

It never runs against a live (non-loopback) target: the caller decides (see
:class:`~pytest_antimetal.contract.plugin.ContractPlugin`). Causes whose body does not matter
(ignored auth, an undeclared method) or that depend on earlier requests (a reused identity)
are not shrunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pytest_antimetal.contract.checks import (
    OWN_CHECKS,
    CheckFailed,
    ContractRules,
    Exchange,
    RunState,
)
from pytest_antimetal.contract.grouping import Entry, entry_key
from pytest_antimetal.contract.report import REDACTED, Failure, ReceivedResponse, SentRequest

__all__ = ["DEFAULT_SHRINK_BUDGET", "USER_AGENT", "Minimal", "Shrinker", "headers_to_send"]

DEFAULT_SHRINK_BUDGET = 25
"""Requests at most per entry."""
USER_AGENT = "pytest-antimetal contract suite (minimising)"

_NOT_SHRUNK = frozenset({"ignored_auth", "unsupported_method", "identity_unique", "no_response"})
_OWN = {check.__name__: check for check in OWN_CHECKS}

Send = Callable[[str, str, dict[str, str], bytes], ReceivedResponse | None]
"""(method, url, headers, body) -> the answer; headers as recorded (credentials redacted)."""


@dataclass(frozen=True)
class Minimal:
    """What shrinking found for one entry."""

    request: SentRequest | None
    """The smallest request that still triggers the entry (``None``: nothing smaller)."""
    status: int | None
    sent: int
    """Requests spent."""
    note: str = ""
    """Why the entry was not shrunk, when it was not."""


class Shrinker:
    """Shrinks entries' requests against one target, within a per-entry request budget."""

    def __init__(
        self, send: Send, rules: ContractRules, budget: int = DEFAULT_SHRINK_BUDGET
    ) -> None:
        self.send = send
        self.rules = rules
        self.budget = budget

    def shrink(self, entry: Entry) -> Minimal:
        first = entry.representative[0]
        if first.check in _NOT_SHRUNK or first.response is None:
            return Minimal(None, None, 0, "not minimised: the body does not decide this cause")
        try:
            body = json.loads(first.request.body)
        except (ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            return Minimal(None, None, 0, "not minimised: the body is not a JSON object")
        key = (entry.family, entry.status, entry.shape)
        sent = 0
        best: tuple[dict[str, Any], ReceivedResponse] | None = None
        current = body
        improved = True
        while improved and sent < self.budget:
            improved = False
            for candidate in _smaller(current, self._required(current)):
                if sent >= self.budget:
                    break
                content = json.dumps(candidate).encode()
                sent += 1
                response = self.send(
                    first.request.method, first.request.url, first.request.headers, content
                )
                if response is not None and self._same(first, candidate, response, key):
                    current, best, improved = candidate, (candidate, response), True
                    break
        if best is None:
            return Minimal(None, None, sent, "no smaller body reproduces it")
        request = replace(first.request, body=json.dumps(best[0]).encode())
        return Minimal(request, best[1].status, sent)

    def _required(self, body: dict[str, Any]) -> frozenset[str]:
        schema = self.rules.operation.request_schema() or {}
        return frozenset(schema.get("required", []))

    def _same(
        self,
        first: Failure,
        body: dict[str, Any],
        response: ReceivedResponse,
        key: tuple[str, int | None, str],
    ) -> bool:
        """Whether *response* to *body* belongs to the entry *key* (by its deciding check)."""
        if first.response is None or response.status != first.response.status:
            return False
        check = first.check
        message = first.message
        if check in _OWN:
            exchange = Exchange(
                first.case, "positive", first.request.method, body, datetime.now(UTC), response
            )
            try:
                _OWN[check](exchange, self.rules, RunState())
            except CheckFailed as failed:
                message = failed.message
            else:
                return False
        elif check == "content_type_conformance":
            ctype = response.headers.get("content-type", "")
            if first.response is None or ctype != first.response.headers.get("content-type", ""):
                return False
        candidate = Failure(check, message, first.case, first.request, response)
        found, _ = entry_key([candidate])
        return found == key


def _smaller(body: dict[str, Any], required: frozenset[str]) -> Iterator[dict[str, Any]]:
    """Bodies one step smaller than *body*: an optional field dropped, a string or list
    shortened, a number made smaller (at the top level, then one level down)."""
    for name in sorted(body, key=lambda n: -len(json.dumps(body[n], default=str))):
        if name not in required:
            yield {k: v for k, v in body.items() if k != name}
    for name, value in body.items():
        for smaller in _smaller_value(value):
            yield {**body, name: smaller}


def _smaller_value(value: Any) -> Iterator[Any]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str) and len(value) > 1:
        yield value[: max(1, len(value) // 2)]
        yield value[:1]
    elif isinstance(value, (int, float)) and value != 0:
        yield 0
        yield type(value)(value / 2) if isinstance(value, float) else value // 2
    elif isinstance(value, list) and value:
        yield value[: len(value) // 2]
    elif isinstance(value, dict) and value:
        for name in list(value):
            yield {k: v for k, v in value.items() if k != name}


def headers_to_send(headers: dict[str, str], authorization: str) -> dict[str, str]:
    """*headers* as recorded, with a redacted credential replaced by the real one, and without
    those the new body changes (length) or the client sets (host)."""
    out = {
        k: (authorization if k.lower() == "authorization" and REDACTED in v else v)
        for k, v in headers.items()
        if k.lower() not in ("content-length", "host", "transfer-encoding", "user-agent")
    }
    out["User-Agent"] = USER_AGENT  # a server's log tells these re-sends from the run's requests
    return out
