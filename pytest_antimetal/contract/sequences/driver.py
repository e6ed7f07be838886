"""The sequences' driver: builds each step's requests, sends them through the runner, and
judges an answer's status and schema (the invariant a mismatch breaks is the caller's)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pytest_antimetal.contract.sending import USER_AGENT, Outgoing, tagged
from pytest_antimetal.contract.sequences.model import PART, SequenceFailed, Step

if TYPE_CHECKING:
    from pytest_antimetal.contract.part_result import PartResult
    from pytest_antimetal.contract.report import ReceivedResponse
    from pytest_antimetal.contract.settings import ContractSettings

__all__ = ["Driver"]


class Driver:
    """Sends a sequence's requests through the runner (budget, stats, redaction, cassettes)."""

    def __init__(
        self,
        settings: ContractSettings,
        result: PartResult,
        *,
        send: Callable[[Outgoing, bool], ReceivedResponse | None],
        auth_headers: Callable[[], dict[str, str]],
        unreachable: Callable[[], bool],
    ) -> None:
        """The runner's side, bound to *result* by :func:`~.run.run_sequences`: *send* sends
        one request (counted, redacted, in the cassettes; taken from the live budget when the
        flag is true and it can create) and answers ``None`` when it was not sent or not
        answered; *auth_headers* builds the credential's header (unwrapped only there);
        *unreachable* says whether the target stopped answering."""
        from pytest_antimetal.spec.validation import RequestValidator

        self.settings = settings
        self.result = result
        self.transmit = send
        self.auth_headers = auth_headers
        self.unreachable = unreachable
        self.base = settings.base_url.rstrip("/")
        self.spec = settings.spec
        self.tag = settings.tag
        self.capped = settings.live_budget is not None
        self.machines = 0
        self.created: dict[str, int] = {}
        """uuid -> number of every issue the part created (for the clean-up)."""
        self.deleted: set[str] = set()
        self._validators: dict[tuple[str, str, int], Any] = {}
        self._chunk = RequestValidator(
            self.spec.schema("QueryChunkDto"), document=self.spec.document
        )
        self.steps: list[Step] = []

    def validator(self, method: str, path: str, status: int) -> Any:
        from pytest_antimetal.spec.validation import RequestValidator

        key = (method, path, status)
        if key not in self._validators:
            schema = self.spec.operation(method, path).response_schema(status)
            self._validators[key] = (
                None if schema is None else RequestValidator(schema, document=self.spec.document)
            )
        return self._validators[key]

    def fail(self, invariant: str, message: str) -> SequenceFailed:
        return SequenceFailed(invariant, message, self.steps)

    def send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        accept: str | None = None,
    ) -> ReceivedResponse | None:
        """Send one request of the current step; ``None`` when the budget refused it."""
        headers = {"User-Agent": USER_AGENT, **self.auth_headers()}
        content = b""
        if body is not None:
            if self.tag and method == "POST" and path == "/issues":
                body = tagged(body, self.tag)
            content = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if accept:
            headers["Accept"] = accept
        url = self.base + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        step = self.steps[-1]
        out = Outgoing(
            f"{PART} step {len(self.steps)} ({step.rule})",
            "positive",
            method,
            url,
            headers,
            content,
            body,
        )
        got = self.transmit(out, True)
        if got is None:
            if self.unreachable() or not out.creates:
                raise self.fail("sequence_response", f"{method} {path}: no response")
            return None
        step.exchanges.append((out, got))
        return got

    def expect(
        self, got: ReceivedResponse, method: str, template: str, status: int, invariant: str
    ) -> Any:
        """*got*'s JSON body, after checking its status and its schema."""
        if got.status != status:
            raise self.fail(invariant, f"{method} {template}: HTTP {got.status}, expected {status}")
        body = got.json() if got.body else None
        validator = self.validator(method.lower(), template, status)
        if validator is not None:
            errors = validator.errors(body)
            if errors:
                first = "; ".join(f"{k}: {v}" for k, v in list(errors.items())[:2])
                check = "results_valid" if template.endswith("/results") else "sequence_response"
                raise self.fail(check, f"{method} {template} {status}: body off schema: {first}")
        return body
