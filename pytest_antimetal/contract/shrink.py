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
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pytest_antimetal.contract.checks import OWN_CHECKS, CheckFailed, Exchange, RunState
from pytest_antimetal.contract.coverage import DocumentModel
from pytest_antimetal.contract.entries import Entry, OperationRef
from pytest_antimetal.contract.grouping import entry_key
from pytest_antimetal.contract.report import REDACTED, Failure, ReceivedResponse, SentRequest
from pytest_antimetal.contract.rules import ContractRules

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = [
    "DEFAULT_SHRINK_BUDGET",
    "USER_AGENT",
    "Minimal",
    "OperationRouter",
    "Shrinker",
    "headers_to_send",
]

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


class OperationRouter:
    """Which operation of the document a recorded request went to, and that operation's rules
    (method and path template, as :class:`~.coverage.DocumentModel` routes them)."""

    def __init__(self, spec: Spec, base_url: str = "") -> None:
        self.spec = spec
        self.model = DocumentModel.from_spec(spec)
        self._base_path = urlsplit(base_url).path.rstrip("/")
        self._rules: dict[OperationRef, ContractRules] = {}

    def route(self, method: str, url: str) -> OperationRef | None:
        """The operation of ``method url``; ``None`` for an undeclared method or path."""
        path = urlsplit(url).path
        if self._base_path and path.startswith(self._base_path + "/"):
            path = path[len(self._base_path) :]
        _, model, _ = self.model.route(method, path)
        if model is None:
            return None
        op = self.spec.operation(model.method.lower(), model.path)
        op_id = op.operation_id or f"{op.method}_{op.path}"
        return OperationRef(op_id, model.method, model.path)

    def rules(self, op: OperationRef) -> ContractRules:
        found = self._rules.get(op)
        if found is None:
            found = ContractRules.from_spec(self.spec, op.method.lower(), op.path)
            self._rules[op] = found
        return found


class Shrinker:
    """Shrinks entries' requests against one target, within a per-entry request budget.

    With a *router*, each entry is shrunk by the rules of the operation its request went to
    (:meth:`name` records it on the entry); *rules* serve entries of no known operation.
    """

    def __init__(
        self,
        send: Send,
        rules: ContractRules,
        budget: int = DEFAULT_SHRINK_BUDGET,
        router: OperationRouter | None = None,
    ) -> None:
        self.send = send
        self.rules = rules
        self.budget = budget
        self.router = router

    def name(self, entry: Entry) -> OperationRef | None:
        """Record on *entry* the operation its representative request went to."""
        if entry.operation is None and self.router is not None:
            request = entry.representative[0].request
            entry.operation = self.router.route(request.method, request.url)
        return entry.operation

    def rules_for(self, entry: Entry) -> ContractRules:
        op = self.name(entry)
        if op is None or self.router is None:
            return self.rules
        return self.router.rules(op)

    def shrink(self, entry: Entry) -> Minimal:
        first = entry.representative[0]
        if first.check in _NOT_SHRUNK or first.response is None:
            return Minimal(None, None, 0, "not minimised: the body does not decide this cause")
        rules = self.rules_for(entry)
        body: Any = None
        if first.request.body:
            try:
                body = json.loads(first.request.body)
            except (ValueError, RecursionError):
                body = None
            if not isinstance(body, dict):
                return Minimal(None, None, 0, "not minimised: the body is not a JSON object")
        parts = urlsplit(first.request.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if body is None and not query:
            return Minimal(
                None, None, 0, "not minimised: no body and no query parameters to shrink"
            )
        required_body = frozenset((rules.operation.request_schema() or {}).get("required", []))
        required_query = frozenset(
            str(p.get("name"))
            for p in rules.operation.parameters
            if p.get("in") == "query" and p.get("required")
        )
        key = (entry.family, entry.status, entry.shape)
        sent = 0
        best: tuple[SentRequest, ReceivedResponse] | None = None
        current: tuple[dict[str, Any] | None, list[tuple[str, str]]] = (body, query)
        improved = True
        while improved and sent < self.budget:
            improved = False
            for candidate in _smaller_request(*current, required_body, required_query):
                if sent >= self.budget:
                    break
                cbody, cquery = candidate
                request = replace(
                    first.request,
                    url=urlunsplit(parts._replace(query=urlencode(cquery))),
                    body=first.request.body if cbody is None else json.dumps(cbody).encode(),
                )
                sent += 1
                response = self.send(
                    request.method, request.url, first.request.headers, request.body
                )
                if response is not None and self._same(first, cbody, response, key, rules):
                    current, best, improved = candidate, (request, response), True
                    break
        if best is None:
            what = "body" if body is not None else "query"
            return Minimal(None, None, sent, f"no smaller {what} reproduces it")
        return Minimal(best[0], best[1].status, sent)

    def _same(
        self,
        first: Failure,
        body: dict[str, Any] | None,
        response: ReceivedResponse,
        key: tuple[str, int | None, str],
        rules: ContractRules,
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
                _OWN[check](exchange, rules, RunState())
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


def _smaller_request(
    body: dict[str, Any] | None,
    query: list[tuple[str, str]],
    required_body: frozenset[str],
    required_query: frozenset[str],
) -> Iterator[tuple[dict[str, Any] | None, list[tuple[str, str]]]]:
    """Requests one step smaller: the body first (when there is one), then the query."""
    if body is not None:
        for smaller in _smaller(body, required_body):
            yield smaller, query
    for index, (name, _value) in sorted(enumerate(query), key=lambda iv: -len(iv[1][1])):
        if name not in required_query:
            yield body, query[:index] + query[index + 1 :]
    for index, (name, value) in enumerate(query):
        for shorter in _smaller_text(value):
            yield body, [*query[:index], (name, shorter), *query[index + 1 :]]


def _smaller_text(value: str) -> Iterator[str]:
    """A query value one step smaller: a smaller integer, or a shorter string."""
    if value.lstrip("-").isdigit():
        number = int(value)
        if number != 0:
            yield "0"
            if abs(number) > 1:
                yield str(number // 2)
    elif len(value) > 1:
        yield value[: max(1, len(value) // 2)]
        yield value[:1]


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
