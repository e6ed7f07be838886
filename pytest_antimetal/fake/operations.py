"""The fake's operations, one handler each: what happens once a request is routed and admitted.

:class:`~pytest_antimetal.fake.core.FakeAntimetal` routes, authenticates,
rate-limits, reads path and query parameters (``routing``) and records; an
operation gets them in a :class:`FakeRequest`, reads its body (``requests``),
changes what the fake keeps (``store``, ``investigations``) and builds its
answer (``responses``). :data:`HANDLERS` lists them by (method, documented
path); the fake serves those its document has.

``?version=N`` on ``GET /issues/{id}`` selects run N: the issue is answered
as it is (the document gives no per-version fields beyond ``versions``), and
a version the issue never had is a 404 on both that operation and
``GET /issues/{id}/results``.

List cursors (the document is silent; Stripe's reading): newest first;
``startingAfter`` gives the issues after the cursor in list order (older),
``endingBefore`` those before it (newer, the ``limit`` nearest it), both
together the issues between them; ``has_more`` is about the direction of
travel; ``after`` / ``before`` are the cursors of the next page each way,
present when there is one. A cursor may name a deleted issue (it still
pages); one the organisation never had has nothing around it (an empty page,
200: the document allows no 404 there and the request is schema-valid); an
empty cursor is none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pytest_antimetal.fake.handler import FakeResponse
from pytest_antimetal.fake.requests import BodyError, BodyReader
from pytest_antimetal.fake.responses import IssuePlan, dumps, error
from pytest_antimetal.fake.store import IssueRecord

if TYPE_CHECKING:
    from pytest_antimetal.fake.agent import Agent
    from pytest_antimetal.fake.artifacts import Artifacts
    from pytest_antimetal.fake.investigations import Investigations
    from pytest_antimetal.fake.store import Store
    from pytest_antimetal.spec import Operation

__all__ = ["HANDLERS", "CreateIssue", "FakeRequest", "OperationHandler", "Outcome", "Services"]

Outcome = tuple[FakeResponse, Any, int]
"""An operation's answer, the parsed request body (``None`` if none) and its decoded size."""


@dataclass(frozen=True)
class FakeRequest:
    """One admitted request as an operation sees it."""

    organization: str
    """The organisation of the request's key."""
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes
    request_id: str
    limit: int
    """The largest body accepted, in bytes."""
    path: Mapping[str, Any] = field(default_factory=dict)
    """Path parameters, validated and typed."""
    query: Mapping[str, Any] = field(default_factory=dict)
    """Documented query parameters present, validated and typed (arrays as lists)."""


class OperationHandler(Protocol):
    """What the core calls once a request is routed to an operation, authenticated and admitted."""

    def __call__(self, request: FakeRequest) -> Outcome:
        """Answer *request*."""
        ...


@dataclass(frozen=True)
class Services:
    """What the operations share: the store and the fake's controls."""

    store: Store
    investigations: Investigations
    artifacts: Artifacts
    agent: Agent
    now: Callable[[], str]
    new_uuid: Callable[[], str]


def _json(status: int, payload: Any, request_id: str) -> FakeResponse:
    headers = {"content-type": "application/json", "x-request-id": request_id}
    return FakeResponse(status, headers, dumps(payload))


def _not_found(what: str, request_id: str) -> Outcome:
    return error(404, "invalid_request_error", f"no such {what}", request_id), None, 0


class _BodyOperation:
    """An operation with a JSON body (on the fake's services): read, bound and validate it."""

    def __init__(self, operation: Operation, services: Services) -> None:
        self.reader = BodyReader(operation)
        self.success = operation.success_status
        self._services = services

    def _read(self, request: FakeRequest) -> tuple[Any, int, FakeResponse | None]:
        request_id = request.request_id
        try:
            data, media, size = self.reader.read(request.headers, request.body, request.limit)
        except BodyError as exc:
            return None, 0, error(400, "invalid_request_error", str(exc), request_id)
        try:
            details = self.reader.errors(data, media)
        except (ValueError, OverflowError, TypeError) as exc:
            message = f"the body holds a value that cannot be validated ({type(exc).__name__})"
            return data, size, error(400, "invalid_request_error", message, request_id)
        if details:
            message = "invalid request body: " + ", ".join(sorted(details))
            answer = error(400, "invalid_request_error", message, request_id, details=details)
            return data, size, answer
        return data, size, None


class CreateIssue(_BodyOperation):
    """``POST /issues``: validate the body, number the issue, start its investigation."""

    def __init__(self, operation: Operation, services: Services) -> None:
        super().__init__(operation, services)
        self.plan = IssuePlan(operation.response_schema(self.success) or {}, self.reader.properties)

    def __call__(self, request: FakeRequest) -> Outcome:
        data, size, refused = self._read(request)
        if refused is not None:
            return refused, data, size
        fields = data or {}
        services = self._services
        investigations = services.investigations

        def build(number: int) -> tuple[IssueRecord, bytes]:
            now = services.now()
            issue = self.plan.build(fields, number, now, services.new_uuid)
            payload = dumps(issue)
            investigations.complete_record(issue, now)
            return IssueRecord(request.organization, 0, issue), payload

        with services.store.lock:
            record, payload = services.store.create_issue(request.organization, build)
            investigations.start(record)
        headers_out = {"content-type": "application/json", "x-request-id": request.request_id}
        return FakeResponse(self.success, headers_out, payload), data, size


class ListIssues:
    """``GET /issues``: newest first, cursor pages (Stripe's reading), filters."""

    def __init__(self, operation: Operation, services: Services) -> None:
        self._services = services
        summary = ((operation.response_schema(200) or {}).get("properties") or {}).get("data") or {}
        self._fields = tuple((summary.get("items") or {}).get("properties") or {})
        limit = next((p for p in operation.parameters if p.get("name") == "limit"), {})
        self._default_limit = int((limit.get("schema") or {}).get("default") or 10)

    def __call__(self, request: FakeRequest) -> Outcome:
        query, request_id = request.query, request.request_id
        # An empty cursor is no cursor (a client that always sends the parameter).
        after = query.get("startingAfter") or None
        before = query.get("endingBefore") or None
        store = self._services.store
        status, environment = query.get("status"), query.get("environment")
        search = query.get("search")
        needle = search.lower() if isinstance(search, str) else None

        def match(record: IssueRecord) -> bool:
            data = record.data
            if status is not None and data.get("status") != status:
                return False
            if environment is not None and data.get("environment") != environment:
                return False
            if needle is not None:
                title, description = data.get("title"), data.get("description")
                return needle in str(title).lower() or needle in str(description).lower()
            return True

        filtered = status is not None or environment is not None or needle is not None
        page = store.page(
            request.organization,
            int(query.get("limit", self._default_limit)),
            starting_after=None if after is None else str(after),
            ending_before=None if before is None else str(before),
            match=match if filtered else None,
        )
        with store.lock:  # an entry is built from data no PATCH changes meanwhile
            items = b",".join(self._entry(record) for record in page.items)
        tail: dict[str, Any] = {"has_more": page.has_more}
        if page.items and page.more_after:
            tail["after"] = page.items[-1].uuid
        if page.items and page.more_before:
            tail["before"] = page.items[0].uuid
        # The entries' JSON is kept per issue: a page costs its own items only.
        payload = b'{"object":"list","data":[' + items + b"]," + dumps(tail)[1:]
        headers = {"content-type": "application/json", "x-request-id": request_id}
        return FakeResponse(200, headers, payload), None, 0

    def _entry(self, record: IssueRecord) -> bytes:
        entry = record.summary
        if entry is None:
            fields = self._fields
            data = record.data
            summary = {k: data[k] for k in fields if k in data} if fields else dict(data)
            entry = record.summary = dumps(summary)
        return entry


class _IssueOperation:
    """An operation on one issue, by ``{id}`` (or ``{number}``): 404 when there is none."""

    def __init__(self, operation: Operation, services: Services) -> None:
        self._services = services

    def __call__(self, request: FakeRequest) -> Outcome:
        record = self._record(request)
        if record is None:
            return _not_found("issue", request.request_id)
        return self._on_issue(request, record)

    def _on_issue(self, request: FakeRequest, record: IssueRecord) -> Outcome:
        raise NotImplementedError

    def _record(self, request: FakeRequest) -> IssueRecord | None:
        store = self._services.store
        if "number" in request.path:
            return store.get_by_number(request.organization, int(request.path["number"]))
        return store.get(request.organization, str(request.path.get("id")))


class GetIssue(_IssueOperation):
    """``GET /issues/{id}`` and ``GET /issues/by_number/{number}``: the ``IssueDto``."""

    def _on_issue(self, request: FakeRequest, record: IssueRecord) -> Outcome:
        investigations = self._services.investigations
        version = request.query.get("version")
        if version is not None and investigations.run_of(record, int(version)) is None:
            return _not_found(f"version {version} of this issue", request.request_id)
        return _json(200, investigations.view(record), request.request_id), None, 0


class GetIssueResults(_IssueOperation):
    """``GET /issues/{id}/results``: the ``IssueResultsDto`` of a run (default the latest)."""

    def _on_issue(self, request: FakeRequest, record: IssueRecord) -> Outcome:
        investigations = self._services.investigations
        version = request.query.get("version")
        run = investigations.run_of(record, None if version is None else int(version))
        if run is None:
            return _not_found(f"version {version} of this issue", request.request_id)
        return _json(200, investigations.results(record, run), request.request_id), None, 0


class DeleteIssue(_IssueOperation):
    """``DELETE /issues/{id}``: 204; then 404 everywhere and out of every list."""

    def _on_issue(self, request: FakeRequest, record: IssueRecord) -> Outcome:
        self._services.store.delete(record)
        return FakeResponse(204, {"x-request-id": request.request_id}, b""), None, 0


class UpdateIssueStatus(_BodyOperation):
    """``PATCH /issues/{id}``: persist the status, bump ``updatedAt``; answer the ``IssueDto``."""

    def __call__(self, request: FakeRequest) -> Outcome:
        services = self._services
        record = services.store.get(request.organization, str(request.path.get("id")))
        if record is None:
            return _not_found("issue", request.request_id)
        data, size, refused = self._read(request)
        if refused is not None:
            return refused, data, size
        with services.store.lock:
            if record.deleted:
                answer, _, _ = _not_found("issue", request.request_id)
                return answer, data, size
            # Only what the body documents (an extra member is allowed, not kept).
            known = self.reader.properties
            record.data.update({k: v for k, v in (data or {}).items() if k in known})
            services.investigations.touch(record)
            view = services.investigations.view(record)
        return _json(200, view, request.request_id), data, size


class BatchGetArtifacts:
    """``GET /artifacts?id=...``: the known ones, in order (see ``artifacts``)."""

    def __init__(self, operation: Operation, services: Services) -> None:
        self._services = services

    def __call__(self, request: FakeRequest) -> Outcome:
        ids = [str(i) for i in request.query.get("id") or ()]
        if not ids:  # explode with no value: the schema's array is empty
            message = "at least one id is required"
            details = {"query.id": message}
            return (
                error(400, "invalid_request_error", message, request.request_id, details=details),
                None,
                0,
            )
        found = self._services.artifacts.batch(request.organization, ids)
        return _json(200, found, request.request_id), None, 0


class Query(_BodyOperation):
    """``POST /query``: the agent's answer, as JSON or as a Server-Sent Events stream."""

    def __call__(self, request: FakeRequest) -> Outcome:
        data, size, refused = self._read(request)
        if refused is not None:
            return refused, data, size
        fields = data or {}
        agent = self._services.agent
        conversation_id = fields.get("conversation_id")
        reply, conversation = agent.answer(str(fields.get("question", "")), conversation_id)
        accept = request.headers.get("accept", "")
        if fields.get("stream") is True and "text/event-stream" in accept.lower():
            headers = {
                "content-type": "text/event-stream",
                "cache-control": "no-cache",
                "x-request-id": request.request_id,
            }
            return FakeResponse(200, headers, agent.events(reply, conversation)), data, size
        return _json(200, agent.body(reply, conversation), request.request_id), data, size


HandlerFactory = Callable[["Operation", Services], OperationHandler]

HANDLERS: dict[tuple[str, str], HandlerFactory] = {
    ("POST", "/issues"): CreateIssue,
    ("GET", "/issues"): ListIssues,
    ("GET", "/issues/by_number/{number}"): GetIssue,
    ("GET", "/issues/{id}"): GetIssue,
    ("PATCH", "/issues/{id}"): UpdateIssueStatus,
    ("DELETE", "/issues/{id}"): DeleteIssue,
    ("GET", "/issues/{id}/results"): GetIssueResults,
    ("GET", "/artifacts"): BatchGetArtifacts,
    ("POST", "/query"): Query,
}
"""The operations the fake implements, by (method, documented path)."""
