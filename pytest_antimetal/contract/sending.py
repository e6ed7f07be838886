"""Sending: requests built from cases and hand-written inputs, the live budget, the wire.

:class:`RequestBuilder` turns a schemathesis case or an :class:`~.edge_cases.EdgeInput`
into an :class:`Outgoing` request (our headers, the credential, the run tag on live
targets). :class:`Sender` takes every request that can create from the live budget
first, sends it with httpx, and keeps track of whether the target can be reached; with a
:class:`~.dispatch.Pacer` it also keeps to a rate and, after a ``429``, holds every sender
for the ``Retry-After`` and sends the request again (:meth:`Sender.attempts`). A
:class:`Sender` is safe to share between threads (:class:`~.dispatch.Dispatcher`).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.dispatch import DEFAULT_RETRY_WAIT, MAX_RETRY_AFTER, Pacer
from pytest_antimetal.contract.edge_cases import EdgeInput
from pytest_antimetal.contract.reach import is_connect_error
from pytest_antimetal.contract.spec_rules import Intent, classify_datetime, get_path
from pytest_antimetal.errors import parse_retry_after
from pytest_antimetal.live_budget import can_create
from pytest_antimetal.spec.formats import now_utc

if TYPE_CHECKING:
    import httpx

    from pytest_antimetal.contract.rules import ContractRules

__all__ = [
    "RETRIES_ON_429",
    "USER_AGENT",
    "Attempt",
    "NoResponse",
    "Outgoing",
    "RequestBuilder",
    "Sender",
    "can_create",
]

USER_AGENT = "pytest-antimetal contract suite"
UNREACHABLE_AFTER = 3
"""Connection failures in a row (with no answer between) after which a target that did answer
earlier counts as unreachable."""
RETRIES_ON_429 = 3
"""How many times a request answered ``429`` is sent again (after the pause it set)."""


@dataclass(frozen=True)
class Outgoing:
    """A request about to be sent, with what the checks need to judge its response."""

    label: str
    intent: Intent
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)
    """As sent (the credential included): out of the repr, so a ``-l`` traceback showing the
    request never shows the key; reports show them through ``SentRequest.redacted``."""
    content: bytes
    body: Any
    case: Any = None
    """The schemathesis Case, when there is one."""

    @property
    def creates(self) -> bool:
        """Whether the request can create (or change) something, whatever it was meant to
        test."""
        return can_create(self.method)


class RequestBuilder:
    """Builds the requests of one operation for one target."""

    def __init__(
        self,
        base_url: str,
        method: str,
        path: str,
        *,
        authorization: Callable[[], str],
        rules: ContractRules,
        make_case: Callable[..., Any],
        tag: str | None = None,
    ) -> None:
        self.base_url = base_url
        self.method = method.upper()
        self.url = base_url.rstrip("/") + path
        self._authorization = authorization  # the key is unwrapped only when a header is built
        self.rules = rules
        self._make_case = make_case
        self.tag = tag

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization()}

    def from_case(self, case: Any, label: str) -> Outgoing | None:
        """The request for a schemathesis case; ``None`` for a positive case whose timestamp
        only one of the spec's two date-time rules admits (valid means both hold)."""
        mode = case.meta.generation.mode.value if case.meta is not None else "unknown"
        intent: Intent = (
            "positive" if mode == "positive" else "negative" if mode == "negative" else "unknown"
        )
        body = case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else None
        if intent == "positive" and isinstance(body, dict):
            for dt in self.rules.request_datetimes:
                value = get_path(body, dt.path)
                if isinstance(value, str) and classify_datetime(value, dt.pattern) != "both":
                    return None
        if self.tag and can_create(case.method) and isinstance(body, dict):
            body = tagged(body, self.tag)
            case.body = body
        kwargs = case.as_transport_kwargs(base_url=self.base_url, headers=self.auth_headers())
        headers = {
            k: str(v)
            for k, v in kwargs.get("headers", {}).items()
            if k.lower() not in ("x-schemathesis-testcaseid", "user-agent", "connection")
        }
        headers["User-Agent"] = USER_AGENT
        content: bytes
        if "json" in kwargs:
            content = json.dumps(kwargs["json"]).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(kwargs.get("data"), bytes):
            content = kwargs["data"]
        elif isinstance(kwargs.get("data"), str):
            content = kwargs["data"].encode()
        elif "data" in kwargs or "files" in kwargs:
            import httpx

            built = httpx.Request(
                "POST", "http://x", data=kwargs.get("data"), files=kwargs.get("files")
            )
            content = built.read()
            headers["Content-Type"] = built.headers.get("Content-Type", "")
        else:
            content = b""
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if "json" not in content_type.lower():
            body = None  # not a JSON request: the server must not read it as one
        url = str(kwargs["url"])
        params = kwargs.get("params") or {}
        if params:
            from urllib.parse import urlencode

            url = f"{url}?{urlencode(params, doseq=True)}"
        return Outgoing(
            label=label,
            intent=intent,
            method=str(kwargs["method"]).upper(),
            url=url,
            headers=headers,
            content=content,
            body=body,
            case=case,
        )

    def from_edge(self, item: EdgeInput, label: str) -> Outgoing:
        """The request for a hand-written input (with a Case, so schemathesis's response
        checks judge it too)."""
        headers = {"User-Agent": USER_AGENT, **self.auth_headers(), **item.extra_headers}
        if item.content_type is not None:
            headers["Content-Type"] = item.content_type
        body = item.body
        tag = self.tag if can_create(self.method) else None
        if tag and (isinstance(body, dict) or item.raw is not None):
            if isinstance(body, dict):
                body = tagged(body, tag)
            item = EdgeInput(
                item.label,
                item.intent,
                body,
                None if item.raw is None else tagged_raw(item.raw, tag),
                item.content_type,
                item.extra_headers,
                item.ascii_only,
            )
        case = self._make_case(
            method=self.method,
            body=body if item.raw is None else item.raw,
            media_type=item.content_type or "application/octet-stream",
            headers={k: v for k, v in headers.items() if k.lower() == "content-type"},
        )
        return Outgoing(
            label=label,
            intent=item.intent,
            method=self.method,
            url=self.url,
            headers=headers,
            content=item.content(),
            body=body if item.raw is None else None,
            case=case,
        )


class NoResponse(Exception):
    """A request got no answer; ``request`` is what was (or would have been) sent."""

    def __init__(self, request: httpx.Request, error: BaseException) -> None:
        super().__init__(f"no response: {type(error).__name__}: {error}")
        self.request = request
        self.error = error


@dataclass(frozen=True)
class Attempt:
    """One time a request went out: when, and its answer (or why there was none)."""

    sent_at: datetime
    """The run's clock just before this attempt was sent (each request's own, whatever
    else was in flight: the checks that compare a timestamp with "now" read it)."""
    response: httpx.Response | None = None
    error: NoResponse | None = None


class Sender:
    """Sends requests to one target, within the run's live budget.

    With a *pacer*, every request waits for it (a rate, a pause); with *retries_on_429*
    (and a pacer) a ``429`` pauses every sender for its ``Retry-After`` (at most
    :data:`~.dispatch.MAX_RETRY_AFTER` s; :data:`~.dispatch.DEFAULT_RETRY_WAIT` s without
    one) and :meth:`attempts` sends the request again. *clock* stamps each attempt;
    *wall* (POSIX seconds) reads an HTTP-date ``Retry-After``.
    """

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        live_budget: int | None = None,
        budget_claim: Callable[[], bool] | None = None,
        pacer: Pacer | None = None,
        retries_on_429: int = 0,
        clock: Callable[[], datetime] = now_utc,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.base_url = base_url
        self.live_budget = live_budget
        self.budget_claim = budget_claim
        self.pacer = pacer
        self.retries_on_429 = retries_on_429 if pacer is not None else 0
        self.clock = clock
        self._wall = wall
        self.creating_sent = 0
        self.retried = 0
        """Requests sent again after a ``429``."""
        self.unreachable = ""
        """Why the target cannot be connected to (``""``: it can, as far as we know)."""
        self._connected = False
        self._connect_failures = 0
        self._lock = threading.Lock()  # the budget and the reachability, across senders

    def claim(self) -> bool:
        """Take one request that can create from the budget; ``False`` when it is spent."""
        cap = self.live_budget
        if cap is None:
            return True
        with self._lock:  # check and take at once: never over the cap, whatever the threads
            if self.creating_sent >= cap:
                return False
            if self.budget_claim is not None and not self.budget_claim():
                return False
            self.creating_sent += 1
            return True

    def send(self, out: Outgoing) -> httpx.Response:
        """*out*'s response (once the pacer lets it go); :class:`NoResponse` when none came
        (see :attr:`unreachable`)."""
        if self.pacer is not None:
            self.pacer.acquire()
        return self._wire(out)

    def _wire(self, out: Outgoing) -> httpx.Response:
        request = self.client.build_request(
            out.method, out.url, headers=out.headers, content=out.content
        )
        try:
            response = self.client.send(request)
        except Exception as exc:  # httpx's errors, and anything an in-process app raises
            if is_connect_error(exc):
                # Not sent. Before any answer (or for a whole part), the target is unreachable.
                with self._lock:
                    self._connect_failures += 1
                    if not self._connected or self._connect_failures >= UNREACHABLE_AFTER:
                        self.unreachable = f"{self.base_url}: {type(exc).__name__}: {exc}"
            raise NoResponse(request, exc) from exc
        with self._lock:
            self._connected, self._connect_failures = True, 0
        if response.status_code == 429 and self.retries_on_429 and self.pacer is not None:
            self.pacer.pause(self.retry_after(response))
        return response

    def retry_after(self, response: httpx.Response) -> float:
        """How long a ``429`` holds the run: its ``Retry-After`` (seconds or HTTP-date) up to
        :data:`~.dispatch.MAX_RETRY_AFTER`, else :data:`~.dispatch.DEFAULT_RETRY_WAIT`."""
        wait = parse_retry_after(response.headers.get("retry-after"), now=self._wall())
        return DEFAULT_RETRY_WAIT if wait is None else min(wait, MAX_RETRY_AFTER)

    def attempts(self, out: Outgoing, *, claim: bool = True) -> list[Attempt]:
        """Send *out*; after each ``429`` (up to *retries_on_429*) send it again.

        Every attempt is returned, in order, ``429`` answers included: each is an exchange
        the checks judge (a ``429`` must carry ``Retry-After``). A retry of a request that
        can create takes from the live budget again when *claim* (the first attempt's
        unit is the caller's to take); none is sent when the budget is spent.
        """
        done: list[Attempt] = []
        while True:
            if self.pacer is not None:
                self.pacer.acquire()
            sent_at = self.clock()
            try:
                response = self._wire(out)
            except NoResponse as missing:
                done.append(Attempt(sent_at, error=missing))
                return done
            done.append(Attempt(sent_at, response=response))
            if response.status_code != 429 or len(done) > self.retries_on_429:
                return done
            if claim and out.creates and not self.claim():
                return done
            with self._lock:
                self.retried += 1


def tagged(body: dict[str, Any], tag: str) -> dict[str, Any]:
    """*body* with *tag* appended to ``context.tags``, so created issues are recognisable.

    The tag goes only where it changes nothing the request tests: ``context`` and
    ``context.tags`` are added when absent and extended when an object and a list, and left
    as they are otherwise (a ``null`` or a string there is what an invalid input tests).
    """
    out = copy.deepcopy(body)
    context = out.setdefault("context", {})
    if isinstance(context, dict):
        tags = context.setdefault("tags", [])
        if isinstance(tags, list) and tag not in tags:
            tags.append(tag)
    return out


_BOM = b"\xef\xbb\xbf"


def tagged_raw(raw: bytes, tag: str) -> bytes:
    """A malformed input's bytes with *tag* in it, when they hold a JSON object that a lax
    server could take (a wrong or missing Content-Type, a BOM, a ``NaN``); as they are
    otherwise. What made them malformed is kept: the BOM, the ``NaN``, invalid UTF-8 (read
    and written back byte for byte as Latin-1)."""
    prefix = _BOM if raw.startswith(_BOM) else b""
    try:
        value = json.loads(raw[len(prefix) :].decode("latin-1"))
    except (ValueError, RecursionError):  # not JSON: nothing could take it as an issue
        return raw
    if not isinstance(value, dict):
        return raw
    return prefix + json.dumps(tagged(value, tag), ensure_ascii=False).encode("latin-1")
