"""What a sequence is made of: the part's operations and invariants, the steps a sequence took
(and how a report shows each one), the issues the model holds, and the failure that carries
the steps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_antimetal.contract.report import ReceivedResponse
    from pytest_antimetal.contract.sending import Outgoing

__all__ = ["INVARIANTS", "OPERATIONS", "PART", "STEPS", "Issue", "SequenceFailed", "Step"]

PART = "sequences"
OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/issues"),
        ("GET", "/issues"),
        ("GET", "/issues/{id}"),
        ("GET", "/issues/by_number/{number}"),
        ("PATCH", "/issues/{id}"),
        ("DELETE", "/issues/{id}"),
        ("GET", "/issues/{id}/results"),
        ("GET", "/artifacts"),
        ("POST", "/query"),
    }
)
"""The operations the state machine drives (method, path template): a run has the part by
default only when it selects every one of them."""
STEPS = 8
"""Rules per sequence (Hypothesis' ``stateful_step_count``)."""

INVARIANTS: dict[str, str] = {
    "read_back": "an issue read back (by id, by number, in a PATCH answer) equals what was "
    "created, defaults included, with the model's status",
    "list_exactly_once": "walking every page of a filtered list serves each matching issue "
    "exactly once, nothing deleted and nothing the filters exclude",
    "list_pages": "no page holds more than `limit` items and `has_more` is false on the last page",
    "update_kept": "a PATCH answered 200 is kept, bumps `updatedAt` and touches nothing else",
    "versions_agree": "`latestVersion` is the highest of `versions`, and `?version=N` answers "
    "for each listed N, on the issue and its results",
    "delete_gone": "after DELETE, 404 by id, by number, for results and for PATCH/DELETE",
    "results_valid": "results are schema-valid at every step, and once present their "
    "evidence artifacts are retrievable from GET /artifacts",
    "conversation_kept": "a conversation_id passed back is the one answered",
    "stream_complete": "a stream's chunks are schema-valid, add up to a non-empty answer, "
    "and the final chunk carries the conversation id",
    "sequence_response": "every answer is a documented status with a schema-valid body",
}
"""The part's invariants (the check names its failures carry) and what each asks."""


class SequenceFailed(AssertionError):
    """An invariant did not hold at the last step of :attr:`steps`."""

    def __init__(self, invariant: str, message: str, steps: list[Step]) -> None:
        super().__init__(f"[{invariant}] {message}")
        self.invariant = invariant
        self.message = message
        self.steps = list(steps)


@dataclass
class Step:
    """One rule of a sequence: what it sent, what came back."""

    rule: str
    exchanges: list[tuple[Outgoing, ReceivedResponse]] = field(default_factory=list)

    def line(self, number: int) -> str:
        """``3. update: PATCH /issues/<id> {...} -> HTTP 200 status=...; then GET ...``: the
        step's first exchange and, when it made more, its last (the one judged last)."""
        if not self.exchanges:
            return f"{number}. {self.rule}: not sent (live budget reached)"
        shown = [self.exchanges[0]]
        if len(self.exchanges) > 1:
            shown.append(self.exchanges[-1])
        parts = [
            f"{out.method} {_path(out.url)}{_body(out.body)} -> HTTP {got.status}{_said(got)}"
            for out, got in shown
        ]
        more = len(self.exchanges) - len(shown)
        tail = f" (+{more} between)" if more else ""
        return f"{number}. {self.rule}: " + "; then ".join(parts) + tail


def _path(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def _body(body: Any) -> str:
    if body is None:
        return ""
    text = json.dumps(body, separators=(",", ":"))
    return f" {text if len(text) <= 60 else text[:57] + '...'}"


def _said(got: ReceivedResponse) -> str:
    body = got.json()
    if isinstance(body, dict):
        for key in ("number", "status", "conversation_id"):
            if key in body and not isinstance(body[key], (dict, list)):
                return f" {key}={body[key]}"
        if "data" in body and isinstance(body["data"], list):
            return f" {len(body['data'])} item(s), has_more={body.get('has_more')}"
    return ""


@dataclass
class Issue:
    """What the model holds of one issue this part created."""

    uuid: str
    number: int
    created: dict[str, Any]
    """The created fields as the server must read them back (defaults filled in)."""
    status: str
    updated_at: str
    deleted: bool = False
    patched: bool = False
    """The model's status came from a PATCH answered 200 (a status read back otherwise means
    the PATCH was not kept)."""
