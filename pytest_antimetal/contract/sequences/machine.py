"""The sequences' state machine: its rules (create, retrieve, by number, update, delete, list,
results, query) and what every step checks against the model.

One concept, one class: the rules share the model (the issues and conversations of one
sequence) and the checks it is compared with, so they stay together. Rule names and
strategies are what Hypothesis draws from: renaming, adding or changing one changes every
seed's sequence (cassettes and ``--hypothesis-seed`` replays depend on them;
``tests/contract/test_golden_sequences.py`` pins seeds 1 and 42). Helpers that are not rules
(``_read``, the checks) change no draw.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pytest_antimetal.contract.sequences.driver import Driver
from pytest_antimetal.contract.sequences.model import Issue, Step

if TYPE_CHECKING:
    from pytest_antimetal.contract.report import ReceivedResponse

__all__ = ["build_machine"]

_STATUSES = ("investigating", "ready_to_fix", "resolved", "muted")
_CREATED_FIELDS = ("title", "description", "environment", "severity", "triggeredAt")


def build_machine(driver: Driver) -> type[Any]:
    """The state machine class whose every instance is one sequence sent through *driver*."""
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

    class Sequences(RuleBasedStateMachine):
        """One sequence: a fresh model; issues named so that only this sequence's match."""

        def __init__(self) -> None:
            super().__init__()
            driver.machines += 1
            driver.steps = []
            self.run = f"seq{driver.settings.seed % 100000}x{driver.machines}"
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
            read = self._read(issue, f"/issues/{issue.uuid}", "/issues/{id}")
            if read is None:
                return
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
            self._read(issue, f"/issues/by_number/{issue.number}", "/issues/by_number/{number}")

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

        def _read(self, issue: Issue, path: str, template: str) -> Any:
            """GET *issue* at *path*: ``None`` once deleted (after checking it is gone), else
            the issue read, compared with the model."""
            got = driver.send("GET", path)
            assert got is not None
            if issue.deleted:
                self._gone(got, f"GET {template}")
                return None
            read = driver.expect(got, "GET", template, 200, "read_back")
            self._compare(issue, read, f"GET {template}")
            return read

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
