"""``GET /artifacts``: typed artifacts by id, seeded from tests; unknown ids omitted."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal
from tests.fake.documents import conforms, whole_spec


@pytest.fixture
def fake() -> FakeAntimetal:
    return FakeAntimetal(spec=whole_spec(), seed=8)


@pytest.fixture
def client(fake: FakeAntimetal) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as c:
        yield c


def test_every_type_of_the_document_is_seeded_valid(
    fake: FakeAntimetal, client: httpx.Client
) -> None:
    assert fake.artifacts.types == ["event", "file", "log", "metric", "topology", "trace"]
    added = [fake.artifacts.add(type=kind) for kind in fake.artifacts.types]
    response = client.get("/artifacts", params=[("id", a["id"]) for a in added])
    body = conforms(whole_spec(), "get", "/artifacts", response)
    assert body == added
    assert [a["type"] for a in body] == fake.artifacts.types


def test_overrides_and_whole_bodies(fake: FakeAntimetal, client: httpx.Client) -> None:
    mine = fake.artifacts.add(type="log", id="log:datadog:abc", summary="5xx burst")
    assert (mine["id"], mine["summary"], mine["type"]) == ("log:datadog:abc", "5xx burst", "log")
    whole = dict(mine, id="log:datadog:def")
    assert fake.artifacts.add(whole) == whole
    body = client.get("/artifacts", params=[("id", "log:datadog:def"), ("id", "log:datadog:abc")])
    assert [a["id"] for a in conforms(whole_spec(), "get", "/artifacts", body)] == [
        "log:datadog:def",
        "log:datadog:abc",
    ]
    with pytest.raises(ValueError, match="unknown artifact type"):
        fake.artifacts.add(type="video")
    with pytest.raises(ValueError, match="'id'"):
        fake.artifacts.add({"type": "log"})


def test_unknown_ids_are_omitted_and_duplicates_served_once(
    fake: FakeAntimetal, client: httpx.Client
) -> None:
    known = fake.artifacts.add(type="metric")
    ids = ["nope", known["id"], "metric:fake:x:1:0", known["id"]]
    body = conforms(whole_spec(), "get", "/artifacts", client.get("/artifacts", params={"id": ids}))
    assert [a["id"] for a in body] == [known["id"]]
    empty = client.get("/artifacts", params={"id": "nothing"})
    assert (empty.status_code, empty.json()) == (200, [])


def test_at_most_100_ids(fake: FakeAntimetal, client: httpx.Client) -> None:
    known = fake.artifacts.add(type="trace")
    hundred = client.get("/artifacts", params={"id": [known["id"]] + [f"x{i}" for i in range(99)]})
    assert hundred.status_code == 200
    over = client.get("/artifacts", params={"id": [f"x{i}" for i in range(101)]})
    assert over.status_code == 400
    assert "query.id" in over.json()["details"]


def test_reset_forgets_seeded_artifacts(fake: FakeAntimetal, client: httpx.Client) -> None:
    known = fake.artifacts.add(type="event")
    fake.reset()
    assert client.get("/artifacts", params={"id": known["id"]}).json() == []
