"""Simulated investigations: a fake clock, runs as versions, results that match the document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.fake.clock import FakeClock
from tests.fake.documents import conforms, whole_spec

VALID_BODY = {"title": "Checkout 500s", "description": "spike", "environment": "prod"}


def _fake(**kwargs: Any) -> FakeAntimetal:
    return FakeAntimetal(spec=whole_spec(), **kwargs)


def _client(fake: FakeAntimetal) -> httpx.Client:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    return httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers)


@pytest.fixture
def fake() -> FakeAntimetal:
    # A clock that moves only when advanced: "29 s is not 30 s" holds on any machine.
    return _fake(seed=2, investigation=30, clock=FakeClock.seeded(2))


@pytest.fixture
def client(fake: FakeAntimetal) -> Iterator[httpx.Client]:
    with _client(fake) as c:
        yield c


def _issue(client: httpx.Client, uuid: str, **params: Any) -> Any:
    return conforms(
        whole_spec(), "get", "/issues/{id}", client.get(f"/issues/{uuid}", params=params)
    )


def _results(client: httpx.Client, uuid: str, **params: Any) -> Any:
    response = client.get(f"/issues/{uuid}/results", params=params)
    return conforms(whole_spec(), "get", "/issues/{id}/results", response)


def _evidence_ids(results: Any) -> list[str]:
    """The evidence's artifact ids, once each, in order."""
    ids = [
        artifact["documentId"]
        for key in ("relevantEvidence", "irrelevantEvidence")
        for evidence in results["rootCause"][key]
        for artifact in evidence["artifacts"]
    ]
    return list(dict.fromkeys(ids))


def test_pending_until_the_clock_passes_the_delay(
    fake: FakeAntimetal, client: httpx.Client
) -> None:
    created = client.post("/issues", json=VALID_BODY).json()
    uuid = created["uuid"]
    pending = _results(client, uuid)
    # "No results yet": rootCause null, the required objects empty, never null.
    assert pending["rootCause"] is None
    assert pending["causalTree"] == {"nodes": [], "edges": []}
    assert pending["timeline"] == []
    fake.clock.advance(29)
    issue = _issue(client, uuid)
    assert (issue["status"], issue["versions"][0]["status"]) == ("investigating", "PENDING")
    fake.clock.advance(1)
    issue = _issue(client, uuid)
    assert (issue["status"], issue["versions"][0]["status"]) == ("ready_to_fix", "SUCCESS")
    assert issue["updatedAt"] > created["updatedAt"]
    done = _results(client, uuid)
    assert done["rootCause"]["rootCauseSummary"]
    ids = _evidence_ids(done)
    assert ids
    artifacts = client.get("/artifacts", params=[("id", i) for i in ids])
    body = conforms(whole_spec(), "get", "/artifacts", artifacts)
    assert [a["id"] for a in body] == ids
    assert {a["type"] for a in body} == {i.split(":")[0] for i in ids}


def test_instant_and_manual_modes() -> None:
    instant = _fake(investigation="instant")
    manual = _fake(investigation="manual")
    for fake, expected in ((instant, "ready_to_fix"), (manual, "investigating")):
        with _client(fake) as c:
            uuid = c.post("/issues", json=VALID_BODY).json()["uuid"]
            fake.clock.advance(10**6)
            assert c.get(f"/issues/{uuid}").json()["status"] == expected
    with pytest.raises(ValueError, match="investigation"):
        _fake(investigation="soon")  # type: ignore[arg-type]


def test_complete_with_a_root_cause(fake: FakeAntimetal, client: httpx.Client) -> None:
    created = client.post("/issues", json=VALID_BODY).json()
    returned = fake.investigations.complete(created, root_cause="the pool was exhausted")
    results = _results(client, created["uuid"])
    assert results == returned
    assert results["rootCause"]["rootCauseSummary"] == "the pool was exhausted"
    assert _issue(client, created["uuid"])["status"] == "ready_to_fix"


def test_fail_and_noop(fake: FakeAntimetal, client: httpx.Client) -> None:
    first = client.post("/issues", json=VALID_BODY).json()
    second = client.post("/issues", json=VALID_BODY).json()
    fake.investigations.fail(first["uuid"], "the agent timed out")
    fake.investigations.noop(second["uuid"])
    failed = _issue(client, first["uuid"])
    assert failed["versions"][0]["status"] == "ERROR"
    assert failed["status"] == "investigating"
    results = _results(client, first["uuid"])
    assert results["rootCause"] is None
    assert results["timeline"][0]["description"] == "the agent timed out"
    assert _issue(client, second["uuid"])["versions"][0]["status"] == "NOOP"
    assert _results(client, second["uuid"])["rootCause"] is None
    # A run that ended stays ended when its due time passes.
    fake.clock.advance(60)
    assert _issue(client, first["uuid"])["versions"][0]["status"] == "ERROR"


def test_rerun_makes_a_version_and_version_selects_it(
    fake: FakeAntimetal, client: httpx.Client
) -> None:
    uuid = client.post("/issues", json=VALID_BODY).json()["uuid"]
    fake.investigations.complete(uuid, root_cause="first")
    assert fake.investigations.rerun(uuid) == 2
    issue = _issue(client, uuid)
    assert issue["latestVersion"] == 2
    assert [(v["version"], v["status"]) for v in issue["versions"]] == [
        (1, "SUCCESS"),
        (2, "PENDING"),
    ]
    assert issue["status"] == "investigating"
    assert _results(client, uuid)["rootCause"] is None  # latest: pending
    assert _results(client, uuid, version=1)["rootCause"]["rootCauseSummary"] == "first"
    assert _issue(client, uuid, version=1)["uuid"] == uuid
    for path in (f"/issues/{uuid}?version=3", f"/issues/{uuid}/results?version=3"):
        assert client.get(path).status_code == 404, path
    fake.clock.advance(30)
    assert fake.investigations.status(uuid) == "SUCCESS"
    assert _results(client, uuid)["rootCause"]["rootCauseSummary"] != "first"


def test_evidence_of_one_organisation_is_not_another_s(fake: FakeAntimetal) -> None:
    fake.add_key("other-key", organization="other")
    with _client(fake) as mine:
        uuid = mine.post("/issues", json=VALID_BODY).json()["uuid"]
        ids = _evidence_ids(fake.investigations.complete(uuid))
        assert len(mine.get("/artifacts", params={"id": ids[0]}).json()) == 1
    headers = {"Authorization": "Bearer other-key"}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as other:
        assert other.get("/artifacts", params={"id": ids[0]}).json() == []


def _run_seeded(seed: int) -> list[bytes]:
    fake = _fake(seed=seed, investigation=5, clock=FakeClock.seeded(seed))
    with _client(fake) as c:
        uuid = c.post("/issues", json=VALID_BODY).json()["uuid"]
        fake.clock.advance(5)
        results = c.get(f"/issues/{uuid}/results")
        ids = _evidence_ids(results.json())
        return [
            c.get(f"/issues/{uuid}").content,
            results.content,
            c.get("/artifacts", params=[("id", i) for i in ids]).content,
            c.post("/query", json={"question": "why?"}).content,
        ]


def test_seeded_fakes_generate_the_same_everything() -> None:
    assert _run_seeded(4) == _run_seeded(4)
    assert _run_seeded(4) != _run_seeded(5)


def test_an_injected_clock_is_advanced_too() -> None:
    from datetime import UTC, datetime

    clock = FakeClock.frozen(datetime(2026, 5, 1, tzinfo=UTC))
    fake = _fake(clock=clock, investigation=10)
    assert fake.clock is clock
    with _client(fake) as c:
        uuid = c.post("/issues", json=VALID_BODY).json()["uuid"]
        clock.advance(10)
        assert c.get(f"/issues/{uuid}").json()["status"] == "ready_to_fix"
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_controls_name_unknown_issues() -> None:
    fake = _fake()
    with pytest.raises(LookupError):
        fake.investigations.complete("00000000-0000-4000-8000-000000000000")
    with pytest.raises(TypeError):
        fake.investigations.complete(42)
