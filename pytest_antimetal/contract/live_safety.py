"""A live target is someone's production: what may be sent to it, and what this run created.

:class:`LiveSafety` holds the rules the runner asks before a request goes (a PATCH, PUT or
DELETE only of what this run created, when capped; nothing that can create or change with
``--antimetal-read-only``), the record of what this run created (a ``201`` naming a
one-segment id), and the end-of-run clean-up that deletes it. The live budget itself is the
:class:`~.sending.Sender`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pytest_antimetal.contract.report import ReceivedResponse
from pytest_antimetal.contract.sending import Outgoing
from pytest_antimetal.live_budget import can_create
from pytest_antimetal.spec import Spec

__all__ = ["NOT_OURS", "READ_ONLY", "LiveSafety"]

_CHANGES_EXISTING = frozenset({"PATCH", "PUT", "DELETE"})
NOT_OURS = "changes a resource this run did not create (live target)"
READ_ONLY = "could create or change (--antimetal-read-only)"
_IDENTIFIER = re.compile(r"[A-Za-z0-9._~-]{1,200}")
"""What an identifier must look like to be recorded as created: one plain path segment (a
server's id with a slash or a control character is not ours to build URLs from)."""


class LiveSafety:
    """The live-target rules of one run, and the record of what it created."""

    def __init__(self, *, capped: bool, read_only: bool) -> None:
        self.capped = capped
        """A live target: requests that can create are capped, and only what this run
        created is changed or deleted."""
        self.read_only = read_only
        self.created: dict[str, str] = {}
        """Identifiers of what this run created (a 2xx answer to a POST naming a ``uuid`` or
        ``id``) -> the collection URL it was created at, in order. Against a live target only
        these are ever changed or deleted."""

    def refusal(self, out: Outgoing) -> str | None:
        """Why *out* must not be sent (:data:`NOT_OURS`, :data:`READ_ONLY`); ``None`` when it
        may go (the live budget aside)."""
        if self.not_ours(out):
            return NOT_OURS
        if self.read_only and can_create(out.method):
            return READ_ONLY
        return None

    def not_ours(self, out: Outgoing) -> bool:
        # A PATCH, PUT or DELETE changes a resource that exists: against a live target, only
        # one whose identifier this run was given when it created it.
        if not self.capped or out.method.upper() not in _CHANGES_EXISTING:
            return False
        from urllib.parse import unquote, urlsplit

        segments = {unquote(s) for s in urlsplit(out.url).path.split("/") if s}
        return not segments & self.created.keys()

    def note_answer(self, out: Outgoing, received: ReceivedResponse) -> None:
        """Record what *out*'s answer says this run created."""
        # 201 Created only: a 200 to a POST may hand back something that already existed (a
        # server that deduplicates), which the run must never change or delete as its own.
        if out.method.upper() == "POST" and received.status == 201:
            body = received.json()
            ident = body.get("uuid", body.get("id")) if isinstance(body, dict) else None
            if isinstance(ident, str) and _IDENTIFIER.fullmatch(ident):
                self.created[ident] = out.url.partition("?")[0].rstrip("/")

    def clean_up(
        self,
        spec: Spec,
        base_url: str,
        headers: dict[str, str],
        send: Callable[[Outgoing], ReceivedResponse | None],
    ) -> tuple[list[str], list[str]]:
        """Delete what this run created and still exists (``DELETE <collection>/<id>`` where
        *spec* declares it, sent with *headers* by *send*); the identifiers deleted (or
        already gone) and those that could not be."""
        deletable = [
            op.path.rpartition("/")[0]
            for op in spec.operations()
            if op.method == "delete" and op.path.endswith("}") and op.path.count("{") == 1
        ]
        deleted: list[str] = []
        failed: list[str] = []
        base = base_url.rstrip("/")
        for ident, collection in list(self.created.items()):
            if collection.removeprefix(base) not in deletable:
                continue
            out = Outgoing(
                f"clean-up: delete {ident}",
                "unknown",
                "DELETE",
                f"{collection}/{ident}",
                headers,
                b"",
                None,
            )
            try:
                received = send(out)
            except Exception:
                # One bad answer must not stop the clean-up; and no traceback: its frames hold
                # the request's headers, the key among them.
                received = None
            status = None if received is None else received.status
            if status is not None and (200 <= status < 300 or status in (404, 410)):
                deleted.append(ident)
                del self.created[ident]
            else:
                failed.append(ident)
        return deleted, failed
