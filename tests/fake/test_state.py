"""State per organisation: issues by id and number, PATCH, DELETE, as the whole document shows them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal
from tests.fake.documents import conforms, whole_spec

VALID_BODY = {"title": "Checkout 500s", "description": "spike", "environment": "prod"}


@pytest.fixture
def fake() -> FakeAntimetal:
    fake = FakeAntimetal(spec=whole_spec(), investigation="manual", seed=11)
    fake.add_key("other-org-key", organization="other")
    return fake


def _client(fake: FakeAntimetal, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers)


@pytest.fixture
def client(fake: FakeAntimetal) -> Iterator[httpx.Client]:
    with _client(fake, fake.api_key) as c:
        yield c


def test_get_by_id_and_number_is_the_created_issue(client: httpx.Client) -> None:
    spec = whole_spec()
    body = {**VALID_BODY, "severity": "high", "triggeredAt": "2026-03-01T10:00:00Z"}
    created = conforms(spec, "post", "/issues", client.post("/issues", json=body))
    by_id = conforms(spec, "get", "/issues/{id}", client.get(f"/issues/{created['uuid']}"))
    by_number = conforms(
        spec,
        "get",
        "/issues/by_number/{number}",
        client.get(f"/issues/by_number/{created['number']}"),
    )
    assert by_id == by_number
    for name, value in created.items():
        if name != "latestVersion":
            assert by_id[name] == value, name
    assert by_id["status"] == "investigating"
    assert by_id["triggeredAt"] == "2026-03-01T10:00:00.000Z"
    assert by_id["latestVersion"] == 1
    assert [(v["version"], v["status"]) for v in by_id["versions"]] == [(1, "PENDING")]


def test_unknown_ids_and_numbers_404(client: httpx.Client) -> None:
    client.post("/issues", json=VALID_BODY)
    missing = str(uuid.UUID(int=7))
    for method, path in [
        ("GET", f"/issues/{missing}"),
        ("GET", "/issues/by_number/2"),
        ("PATCH", f"/issues/{missing}"),
        ("DELETE", f"/issues/{missing}"),
        ("GET", f"/issues/{missing}/results"),
    ]:
        kwargs = {"json": {"status": "resolved"}} if method == "PATCH" else {}
        response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 404, (method, path)
        assert response.json()["type"] == "invalid_request_error"


def test_organisations_are_apart(fake: FakeAntimetal, client: httpx.Client) -> None:
    mine = client.post("/issues", json=VALID_BODY).json()
    with _client(fake, "other-org-key") as other:
        theirs = other.post("/issues", json=VALID_BODY).json()
        assert theirs["number"] == 1 == mine["number"]
        assert other.get(f"/issues/{mine['uuid']}").status_code == 404
        assert [i["uuid"] for i in other.get("/issues").json()["data"]] == [theirs["uuid"]]
    assert client.get("/issues/by_number/1").json()["uuid"] == mine["uuid"]


def test_patch_persists_status_and_bumps_updated_at(client: httpx.Client) -> None:
    spec = whole_spec()
    created = client.post("/issues", json=VALID_BODY).json()
    path = f"/issues/{created['uuid']}"
    patched = conforms(spec, "patch", "/issues/{id}", client.patch(path, json={"status": "muted"}))
    assert patched["status"] == "muted"
    assert patched["updatedAt"] > created["updatedAt"]
    again = client.get(path).json()
    assert (again["status"], again["updatedAt"]) == ("muted", patched["updatedAt"])
    assert again["createdAt"] == created["createdAt"]
    listed = client.get("/issues", params={"status": "muted"}).json()["data"]
    assert [i["uuid"] for i in listed] == [created["uuid"]]


@pytest.mark.parametrize(
    "body", [{}, {"status": "closed"}, {"status": None}, {"status": "muted", "extra": [1] * 70}]
)
def test_patch_refuses_bad_bodies(client: httpx.Client, body: object) -> None:
    created = client.post("/issues", json=VALID_BODY).json()
    response = client.patch(f"/issues/{created['uuid']}", json=body)
    if body == {"status": "muted", "extra": [1] * 70}:  # extra members are allowed by the schema
        assert response.status_code == 200
        assert "extra" not in response.json()  # ... and not kept
        return
    assert response.status_code == 400
    assert "status" in response.json()["details"]
    assert client.get(f"/issues/{created['uuid']}").json()["status"] == "investigating"


def test_delete_204_then_404_everywhere(fake: FakeAntimetal, client: httpx.Client) -> None:
    first = client.post("/issues", json=VALID_BODY).json()
    second = client.post("/issues", json=VALID_BODY).json()
    deleted = client.delete(f"/issues/{first['uuid']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    for path in (
        f"/issues/{first['uuid']}",
        "/issues/by_number/1",
        f"/issues/{first['uuid']}/results",
    ):
        assert client.get(path).status_code == 404, path
    assert client.delete(f"/issues/{first['uuid']}").status_code == 404
    assert client.patch(f"/issues/{first['uuid']}", json={"status": "muted"}).status_code == 404
    assert [i["uuid"] for i in client.get("/issues").json()["data"]] == [second["uuid"]]
    assert [i["uuid"] for i in fake.issues] == [second["uuid"]]
    # Numbers are never reused.
    assert client.post("/issues", json=VALID_BODY).json()["number"] == 3


def test_the_one_operation_document_keeps_the_201_bodies() -> None:
    from tests.fake.documents import one_operation_spec

    fake = FakeAntimetal(spec=one_operation_spec())
    with _client(fake, fake.api_key) as c:
        created = c.post("/issues", json=VALID_BODY).json()
        assert c.get(f"/issues/{created['uuid']}").status_code == 404
    assert fake.issues == [created]


def test_issues_dropped_by_the_byte_cap_leave_every_lookup() -> None:
    fake = FakeAntimetal(spec=whole_spec(), investigation="manual", max_stored_bytes=60_000)
    with _client(fake, fake.api_key) as c:
        created = [
            c.post("/issues", json={**VALID_BODY, "description": "d" * 2_000}).json()
            for _ in range(40)
        ]
        kept = [i["uuid"] for i in fake.issues]
        assert 0 < len(kept) < 40
        assert kept == [i["uuid"] for i in created[-len(kept) :]]
        assert fake.stored_bytes <= 60_000
        page = c.get("/issues", params={"limit": 100}).json()
        listed = [i["uuid"] for i in page["data"]]
        assert listed == kept[::-1]
        dropped = created[0]
        assert c.get(f"/issues/{dropped['uuid']}").status_code == 404
        assert c.get(f"/issues/by_number/{dropped['number']}").status_code == 404
        # Its cursor is gone too: nothing around it.
        assert c.get("/issues", params={"startingAfter": dropped["uuid"]}).json()["data"] == []


def test_patch_within_the_same_millisecond_still_moves_updated_at() -> None:
    from datetime import UTC, datetime, timedelta

    from pytest_antimetal.fake import FakeClock

    now = [datetime(2026, 5, 1, 0, 0, 0, 100, tzinfo=UTC)]
    fake = FakeAntimetal(spec=whole_spec(), clock=FakeClock(lambda: now[0]), investigation="manual")
    with _client(fake, fake.api_key) as c:
        created = c.post("/issues", json=VALID_BODY).json()
        now[0] += timedelta(microseconds=300)  # later, but the same millisecond on the wire
        patched = c.patch(f"/issues/{created['uuid']}", json={"status": "muted"}).json()
    assert patched["updatedAt"] > created["updatedAt"]
