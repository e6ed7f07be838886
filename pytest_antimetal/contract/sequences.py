"""The ``sequences`` part: a Hypothesis state machine over the whole API, checked against a model.

Every response of a stateful API can be schema-valid while the sequence is wrong: a created
issue missing from the list, a page repeating an item, a status change answered but not kept,
a deleted issue still readable, a conversation that forgets its id. This part drives create /
list (paged) / retrieve / by-number / update / delete / results / artifacts / query in
sequences Hypothesis draws, keeps a model of what this run created, and checks after every
step that the server agrees with it (the invariants are listed in :data:`INVARIANTS`).

Why a :class:`hypothesis.stateful.RuleBasedStateMachine` rather than schemathesis's stateful
engine fed with OpenAPI links from an overlay we ship:

* schemathesis's engine checks each response against its schema and a few generic
  properties; the invariants here (read back equals created, exactly once across pages, a
  ``PATCH`` kept, a conversation kept, a stream that adds up) need a model of the server's
  state, which links cannot express;
* it sends with its own transport: our :class:`~.sending.Sender` (the live budget, the run
  tag, the redaction, cassettes, the created-issues log) would be bypassed;
* an overlay of links is a second document to keep in step with every refresh of the
  vendor's, which declares none.

Hypothesis still does what made schemathesis attractive: it draws the sequences, runs them
deterministically for a seed, and shrinks a failing one to the shortest that still fails,
which the report shows as numbered steps.

Safety: every request that can create or change (``POST``, ``PATCH``, ``DELETE``) is taken
from the live budget first; only issues created by this part in this run are ever updated or
deleted; against a capped (live) target nothing is shrunk (each replay would create again) and
what is left of the part's issues is deleted at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from pytest_antimetal.contract.sending import USER_AGENT, Outgoing, tagged

if TYPE_CHECKING:
    from pytest_antimetal.contract.report import ReceivedResponse

PartResult = Any
"""The runner's ``PartResult`` (typed loosely: this module must not import the runner, which
imports the part table, which imports this module)."""


class ContractRunner(Protocol):
    """What this part uses of :class:`~pytest_antimetal.contract.runner.ContractRunner`."""

    settings: Any
    builder: Any
    sender: Any

    def send(
        self, out: Outgoing, result: PartResult, *, budget: bool = True
    ) -> ReceivedResponse | None: ...

    def record(
        self,
        out: Outgoing,
        result: PartResult,
        *,
        check: str,
        message: str,
        received: ReceivedResponse | None,
        details: str = "",
    ) -> None: ...


__all__ = ["INVARIANTS", "SequenceFailed", "run_sequences"]

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

_STATUSES = ("investigating", "ready_to_fix", "resolved", "muted")
_CREATED_FIELDS = ("title", "description", "environment", "severity", "triggeredAt")


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


class Driver:
    """Sends a sequence's requests through the runner (budget, stats, redaction, cassettes)."""

    def __init__(self, runner: ContractRunner, result: PartResult) -> None:
        from pytest_antimetal.spec.validation import RequestValidator

        self.runner = runner
        self.result = result
        self.base = runner.settings.base_url.rstrip("/")
        self.spec = runner.settings.spec
        self.tag = runner.settings.tag
        self.capped = runner.settings.live_budget is not None
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
        headers = {"User-Agent": USER_AGENT, **self.runner.builder.auth_headers()}
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
        got = self.runner.send(out, self.result)
        if got is None:
            if self.runner.sender.unreachable or not out.creates:
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


def _machine(driver: Driver) -> type[Any]:
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

    class Sequences(RuleBasedStateMachine):
        """One sequence: a fresh model; issues named so that only this sequence's match."""

        def __init__(self) -> None:
            super().__init__()
            driver.machines += 1
            driver.steps = []
            self.run = f"seq{driver.runner.settings.seed % 100000}x{driver.machines}"
            self.issues: list[Issue] = []
            self.conversations: list[str] = []

        def _step(self, rule: str) -> None:
            driver.steps.append(Step(rule))

        def _env(self, k: int) -> str:
            return f"pytest-antimetal-{self.run}-env{k}"

        def _pick(self, i: int) -> Issue:
            return self.issues[i % len(self.issues)]

        # -- rules -----------------------------------------------------------

        @initialize(severity=st.sampled_from([None, "low", "high"]))
        def first(self, severity: str | None) -> None:
            # Every sequence starts with two issues in one environment: the rules that need one
            # run from step 2, and a list with limit=1 has a second page.
            self.create(severity, 0, step="create two")
            self.create(None, 0, step="")

        @rule(severity=st.sampled_from([None, "low", "high"]), env=st.sampled_from([0, 0, 0, 1]))
        def create(self, severity: str | None, env: int, step: str = "create") -> None:
            if step:
                self._step(step)
            n = len(self.issues) + 1
            body: dict[str, Any] = {
                "title": f"{self.run}n{n}q sequence check",
                "description": "created by the pytest-antimetal contract suite",
                "environment": self._env(env),
            }
            if severity:
                body["severity"] = severity
            got = driver.send("POST", "/issues", body=body)
            if got is None:
                return
            made = driver.expect(got, "POST", "/issues", 201, "sequence_response")
            driver.result.stats.created.append(made["number"])
            driver.created[made["uuid"]] = made["number"]
            expected = {k: v for k, v in body.items() if k in _CREATED_FIELDS}
            expected.setdefault("severity", "medium")
            expected["triggeredAt"] = made["triggeredAt"]  # defaults to "now": the server's
            issue = Issue(made["uuid"], made["number"], expected, made["status"], made["updatedAt"])
            self._compare(issue, made, "POST /issues")
            self.issues.append(issue)

        @precondition(lambda self: self.issues)
        @rule(i=st.integers(0, 7), pinned=st.booleans())
        def retrieve(self, i: int, pinned: bool) -> None:
            self._step("retrieve")
            issue = self._pick(i)
            got = driver.send("GET", f"/issues/{issue.uuid}")
            assert got is not None
            if issue.deleted:
                self._gone(got, "GET /issues/{id}")
                return
            read = driver.expect(got, "GET", "/issues/{id}", 200, "read_back")
            self._compare(issue, read, "GET /issues/{id}")
            self._versions(read)
            if pinned:
                version = read["latestVersion"]
                again = driver.send("GET", f"/issues/{issue.uuid}", query={"version": version})
                assert again is not None
                pinned_read = driver.expect(again, "GET", "/issues/{id}", 200, "versions_agree")
                if pinned_read.get("uuid") != issue.uuid:
                    raise driver.fail(
                        "versions_agree", f"?version={version} answered another issue"
                    )

        @precondition(lambda self: self.issues)
        @rule(i=st.integers(0, 7))
        def by_number(self, i: int) -> None:
            self._step("by number")
            issue = self._pick(i)
            got = driver.send("GET", f"/issues/by_number/{issue.number}")
            assert got is not None
            if issue.deleted:
                self._gone(got, "GET /issues/by_number/{number}")
                return
            read = driver.expect(got, "GET", "/issues/by_number/{number}", 200, "read_back")
            self._compare(issue, read, "GET /issues/by_number/{number}")

        @precondition(lambda self: self.issues)
        @rule(i=st.integers(0, 7), status=st.sampled_from(_STATUSES))
        def update(self, i: int, status: str) -> None:
            self._step("update")
            issue = self._pick(i)
            got = driver.send("PATCH", f"/issues/{issue.uuid}", body={"status": status})
            if got is None:
                return
            if issue.deleted:
                self._gone(got, "PATCH /issues/{id}")
                return
            read = driver.expect(got, "PATCH", "/issues/{id}", 200, "update_kept")
            if read.get("status") != status:
                raise driver.fail(
                    "update_kept", f"PATCH answered status {read.get('status')!r}, sent {status!r}"
                )
            if str(read.get("updatedAt", "")) < issue.updated_at:
                raise driver.fail(
                    "update_kept",
                    f"PATCH moved updatedAt back: {read.get('updatedAt')!r} < {issue.updated_at!r}",
                )
            issue.status, issue.patched = status, True
            self._compare(issue, read, "PATCH /issues/{id}", invariant="update_kept")
            issue.updated_at = str(read["updatedAt"])
            # Kept, not only answered: read it back at once.
            again = driver.send("GET", f"/issues/{issue.uuid}")
            assert again is not None
            self._compare(
                issue,
                driver.expect(again, "GET", "/issues/{id}", 200, "update_kept"),
                "GET /issues/{id} after PATCH",
                invariant="update_kept",
            )

        @precondition(lambda self: self.issues)
        @rule(i=st.integers(0, 7))
        def delete(self, i: int) -> None:
            self._step("delete")
            issue = self._pick(i)
            got = driver.send("DELETE", f"/issues/{issue.uuid}")
            if got is None:
                return
            if issue.deleted:
                self._gone(got, "DELETE /issues/{id}")
                return
            if got.status != 204:
                raise driver.fail("delete_gone", f"DELETE answered HTTP {got.status}, expected 204")
            issue.deleted = True
            driver.deleted.add(issue.uuid)
            after = driver.send("GET", f"/issues/{issue.uuid}")
            assert after is not None
            self._gone(after, "GET /issues/{id}")

        @rule(
            i=st.integers(0, 7),
            narrow=st.sampled_from(["none", "status", "search"]),
            limit=st.integers(1, 2),
        )
        def list(self, i: int, narrow: str, limit: int) -> None:
            # Filtered by one of this sequence's environments, so only its issues can match
            # (a live organisation's others never do); then by status or search, or not.
            self._step("list")
            target = self._pick(i) if self.issues else None
            env = target.created["environment"] if target else self._env(0)
            query: dict[str, Any] = {"environment": env, "limit": limit}
            status = target.status if target and narrow == "status" else None
            if status:
                query["status"] = status
            # Under a status filter only an issue whose status a PATCH set is surely in it (the
            # server moves the others' when their investigation ends).
            wanted = [
                x
                for x in self.issues
                if x.created["environment"] == env
                and (status is None or (x.patched and x.status == status))
            ]
            if target and narrow == "search":
                # What `search` matches is not documented: only that the issue whose title
                # holds the token is among the answers.
                query["search"] = target.created["title"].split()[0]
                wanted = [target]
            seen: dict[str, int] = {}
            cursor: str | None = None
            for _page in range(len(self.issues) + 3):
                got = driver.send(
                    "GET",
                    "/issues",
                    query={**query, **({"startingAfter": cursor} if cursor else {})},
                )
                assert got is not None
                page = driver.expect(got, "GET", "/issues", 200, "sequence_response")
                data = page["data"]
                if len(data) > limit:
                    raise driver.fail(
                        "list_pages", f"a page of {len(data)} items for limit={limit}"
                    )
                for item in data:
                    self._filtered(item, query, status)
                    seen[item["uuid"]] = seen.get(item["uuid"], 0) + 1
                    if seen[item["uuid"]] > 1:
                        raise driver.fail(
                            "list_exactly_once", f"issue #{item.get('number')} served twice"
                        )
                if not page["has_more"]:
                    break
                if not data:
                    raise driver.fail("list_pages", "an empty page says has_more: true")
                after = page.get("after")
                cursor = after if isinstance(after, str) and after else data[-1]["uuid"]
            else:
                raise driver.fail("list_pages", "has_more stayed true past the last issue")
            for issue in wanted:
                if issue.deleted and issue.uuid in seen:
                    raise driver.fail("list_exactly_once", f"deleted issue #{issue.number} listed")
                if not issue.deleted and issue.uuid not in seen:
                    raise driver.fail(
                        "list_exactly_once", f"created issue #{issue.number} missing from the list"
                    )

        @precondition(lambda self: self.issues)
        @rule(i=st.integers(0, 7), pinned=st.booleans())
        def results(self, i: int, pinned: bool) -> None:
            self._step("results")
            issue = self._pick(i)
            query = {"version": 1} if pinned else None
            got = driver.send("GET", f"/issues/{issue.uuid}/results", query=query)
            assert got is not None
            if issue.deleted:
                self._gone(got, "GET /issues/{id}/results")
                return
            invariant = "versions_agree" if pinned else "results_valid"
            body = driver.expect(got, "GET", "/issues/{id}/results", 200, invariant)
            ids = sorted(
                {
                    str(a["documentId"])
                    for e in ((body.get("rootCause") or {}).get("relevantEvidence") or [])
                    for a in e.get("artifacts", [])
                }
            )[:100]
            if not ids:
                return
            fetched = driver.send("GET", "/artifacts", query={"id": ids})
            assert fetched is not None
            found = driver.expect(fetched, "GET", "/artifacts", 200, "results_valid")
            missing = set(ids) - {a.get("id") for a in found if isinstance(a, dict)}
            if missing:
                raise driver.fail(
                    "results_valid", f"evidence artifacts not retrievable: {sorted(missing)[:3]}"
                )

        @rule(follow=st.sampled_from([True, True, False]), stream=st.booleans())
        def query(self, follow: bool, stream: bool, step: str = "query") -> None:
            if step:
                self._step(step)
            body: dict[str, Any] = {"question": "Why did checkout latency rise?"}
            if follow and not self.conversations:
                # Start one first, in the same step: "passed back, kept" needs two requests.
                self.query(False, False, step="")
            passed = self.conversations[-1] if follow and self.conversations else None
            if passed:
                body["conversation_id"] = passed
            if stream:
                body["stream"] = True
            accept = "text/event-stream" if stream else None
            got = driver.send("POST", "/query", body=body, accept=accept)
            if got is None:
                return
            if stream:
                answered = self._stream(got)
            else:
                answer = driver.expect(got, "POST", "/query", 200, "sequence_response")
                answered = answer["conversation_id"]
            if passed and answered != passed:
                raise driver.fail(
                    "conversation_kept", f"passed conversation_id {passed!r}, answered {answered!r}"
                )
            self.conversations.append(answered)

        # -- what every step checks -------------------------------------------

        def _stream(self, got: ReceivedResponse) -> str:
            if got.status != 200:
                raise driver.fail("stream_complete", f"a stream answered HTTP {got.status}")
            chunks = [json.loads(data) for data in _events(got.body)]
            for chunk in chunks:
                errors = driver._chunk.errors(chunk)
                if errors:
                    raise driver.fail("stream_complete", f"a chunk off schema: {errors}")
            text = "".join(str(c.get("text", "")) for c in chunks if isinstance(c, dict))
            last = chunks[-1] if chunks else {}
            cid = last.get("conversation_id") if isinstance(last, dict) else None
            if not text.strip() or not isinstance(cid, str):
                raise driver.fail(
                    "stream_complete",
                    f"{len(chunks)} chunk(s), {len(text)} chars of answer, final chunk "
                    f"conversation_id={cid!r}",
                )
            return cid

        def _gone(self, got: ReceivedResponse, what: str) -> None:
            if got.status != 404:
                raise driver.fail("delete_gone", f"{what} of a deleted issue: HTTP {got.status}")

        def _compare(
            self, issue: Issue, read: Any, what: str, *, invariant: str = "read_back"
        ) -> None:
            expected = {**issue.created, "uuid": issue.uuid, "number": issue.number}
            expected["status"] = issue.status
            if not issue.patched and read.get("status") in _STATUSES:
                # Until a PATCH sets it, the status is the server's: a finished investigation
                # moves it (`investigating` -> `ready_to_fix`), which is no fault.
                issue.status = expected["status"] = read["status"]
            for key, value in expected.items():
                if read.get(key) != value:
                    if key == "status":
                        invariant = "update_kept"
                    raise driver.fail(
                        invariant, f"{what}: {key} is {read.get(key)!r}, the model says {value!r}"
                    )

        def _versions(self, read: Any) -> None:
            versions = [v.get("version") for v in read.get("versions", [])]
            if versions and read.get("latestVersion") != max(versions):
                raise driver.fail(
                    "versions_agree",
                    f"latestVersion {read.get('latestVersion')} but versions {versions}",
                )

        def _filtered(self, item: Any, query: dict[str, Any], status: str | None) -> None:
            if item.get("environment") != query["environment"] or (
                status is not None and item.get("status") != status
            ):
                raise driver.fail(
                    "list_exactly_once",
                    f"issue #{item.get('number')} listed against the filters "
                    f"({item.get('environment')!r}, {item.get('status')!r})",
                )
            known = {x.uuid: x for x in self.issues}
            if item["uuid"] not in known:
                raise driver.fail(
                    "list_exactly_once", f"issue #{item.get('number')} was not created here"
                )

    return Sequences


def _events(body: bytes) -> Iterator[str]:
    for block in body.decode("utf-8", errors="replace").split("\n\n"):
        data = "\n".join(
            line[5:].lstrip() for line in block.splitlines() if line.startswith("data:")
        )
        if data:
            yield data


def run_sequences(runner: ContractRunner, result: PartResult) -> None:
    """Run the part: the state machine (shrunk on failure), then the clean-up."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis import seed as with_seed
    from hypothesis.stateful import run_state_machine_as_test

    from pytest_antimetal.contract.generation import part_seed

    driver = Driver(runner, result)
    machine = with_seed(part_seed(runner.settings.seed, PART))(_machine(driver))
    phases = [Phase.explicit, Phase.generate]
    if not driver.capped:  # every replay would create again on a live target
        phases.append(Phase.shrink)
    config = settings(
        max_examples=max(5, runner.settings.max_examples // 5),
        stateful_step_count=STEPS,
        database=None,
        deadline=None,
        derandomize=False,  # the seed above fixes the draws
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    try:
        run_state_machine_as_test(machine, settings=config)
    except SequenceFailed as failed:
        _record(runner, result, failed)
    except BaseException as other:  # Hypothesis' Flaky wraps ours when a replay differs
        found = _find(other)
        if found is None:
            raise
        _record(runner, result, found)
    finally:
        if driver.capped:
            _clean_up(driver)


def _find(error: BaseException) -> SequenceFailed | None:
    if isinstance(error, SequenceFailed):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _find(inner)
        if found is not None:
            return found
    return None


def _record(runner: ContractRunner, result: PartResult, failed: SequenceFailed) -> None:
    steps = failed.steps
    # One line a step, so a shrunk sequence (<= 4 steps) shows whole at default verbosity.
    lines = [step.line(k) for k, step in enumerate(steps, 1)]
    last = next((s.exchanges[-1] for s in reversed(steps) if s.exchanges), None)
    if last is None:
        return
    out, got = last
    runner.record(
        out,
        result,
        check=failed.invariant,
        message=f"{failed.message} (shortest failing sequence, {len(steps)} step(s))",
        received=got,
        details="\n".join(lines),
    )


def _clean_up(driver: Driver) -> None:
    """Delete what the part created and did not delete (live targets): not counted against
    the budget, which caps what can create; leaving issues behind is the worse outcome."""
    left = [u for u in driver.created if u not in driver.deleted]
    for uuid in left:
        driver.steps = [Step("clean-up")]
        out = Outgoing(
            f"{PART} clean-up",
            "positive",
            "DELETE",
            f"{driver.base}/issues/{uuid}",
            {"User-Agent": USER_AGENT, **driver.runner.builder.auth_headers()},
            b"",
            None,
        )
        got = driver.runner.send(out, driver.result, budget=False)
        if got is not None and got.status in (204, 404):
            driver.deleted.add(uuid)
    driver.result.notes.append(
        f"sequences: {len(driver.created)} issue(s) created, {len(driver.deleted)} deleted "
        f"({len(left)} at the end)"
    )
