"""Routing by the document's path templates, parameters validated, 404 / 405, on every operation
of the vendor's whole document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal
from tests.fake.documents import conforms, one_operation_spec, whole_spec

VALID_BODY = {"title": "Checkout 500s", "description": "spike", "environment": "prod"}


@pytest.fixture
def fake() -> FakeAntimetal:
    return FakeAntimetal(spec=whole_spec(), investigation="manual", seed=5)


@pytest.fixture
def client(fake: FakeAntimetal) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as c:
        yield c


def test_the_fake_serves_every_operation_of_its_document() -> None:
    assert FakeAntimetal(spec=whole_spec()).operations == [
        op.label for op in whole_spec().operations()
    ]
    assert FakeAntimetal(spec=one_operation_spec()).operations == ["POST /issues"]


def test_templates_route_literal_segments_first(client: httpx.Client) -> None:
    created = client.post("/issues", json=VALID_BODY).json()
    by_number = client.get("/issues/by_number/1")
    by_id = client.get(f"/issues/{created['uuid']}")
    assert conforms(whole_spec(), "get", "/issues/by_number/{number}", by_number) == conforms(
        whole_spec(), "get", "/issues/{id}", by_id
    )
    # "/issues/by_number" alone is an {id} that is no uuid: a 400 naming path.id.
    wrong = client.get("/issues/by_number")
    assert wrong.status_code == 400
    assert set(wrong.json()["details"]) == {"path.id"}


@pytest.mark.parametrize("base", ["", "/api/v2", "https://bff.dev.antimetal.com/api/v2"])
def test_every_server_base_path_routes(fake: FakeAntimetal, base: str) -> None:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(transport=fake.transport, base_url="http://fake", headers=headers) as c:
        assert c.post(f"{base}/issues", json=VALID_BODY).status_code == 201
        assert c.get(f"{base}/issues/by_number/1").status_code == 200


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/issues?limit=0", "query.limit"),
        ("/issues?limit=101", "query.limit"),
        ("/issues?limit=ten", "query.limit"),
        ("/issues?limit=1&limit=2", "query.limit"),
        ("/issues?status=open", "query.status"),
        ("/issues?environment=", "query.environment"),
        ("/issues?search=", "query.search"),
        ("/issues/not-a-uuid", "path.id"),
        (f"/issues/{uuid.UUID(int=1)}?version=0", "query.version"),
        (f"/issues/{uuid.UUID(int=1)}/results?version=x", "query.version"),
        ("/artifacts", "query.id"),
        ("/artifacts?" + "&".join(f"id=a{i}" for i in range(101)), "query.id"),
    ],
)
def test_bad_parameters_400_with_field_details(client: httpx.Client, path: str, field: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "invalid_request_error"
    assert field in body["details"], body


@pytest.mark.parametrize("number", ["0", "x", "1.5", "-3"])
def test_bad_number_is_a_404_with_details(client: httpx.Client, number: str) -> None:
    # GET /issues/by_number/{number} documents no 400: the typed route does not match.
    response = client.get(f"/issues/by_number/{number}")
    assert response.status_code == 404
    assert set(response.json()["details"]) == {"path.number"}


def test_repeated_ids_are_one_array(client: httpx.Client, fake: FakeAntimetal) -> None:
    first = fake.artifacts.add(type="log")
    second = fake.artifacts.add(type="metric")
    response = client.get("/artifacts", params=[("id", second["id"]), ("id", first["id"])])
    body = conforms(whole_spec(), "get", "/artifacts", response)
    assert [a["id"] for a in body] == [second["id"], first["id"]]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/issues", "GET, POST"),
        ("POST", f"/issues/{uuid.UUID(int=1)}", "GET, DELETE, PATCH"),
        ("DELETE", "/issues/by_number/1", "GET"),
        ("POST", f"/issues/{uuid.UUID(int=1)}/results", "GET"),
        ("DELETE", "/artifacts", "GET"),
        ("GET", "/query", "POST"),
    ],
)
def test_405_allows_the_documented_methods(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("path", ["/issue", "/issues/by_number/1/x", "/api/v3/issues", "/queries"])
def test_unknown_paths_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


OPERATIONS = [
    ("GET", "/issues"),
    ("GET", "/issues/by_number/1"),
    ("GET", "/issues/{id}"),
    ("PATCH", "/issues/{id}"),
    ("DELETE", "/issues/{id}"),
    ("GET", "/issues/{id}/results"),
    ("GET", "/artifacts?id=x"),
    ("POST", "/query"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_auth_and_limits_on_every_operation(fake: FakeAntimetal, method: str, path: str) -> None:
    fake.add_key("forbidden-key", forbidden=True)
    path = path.replace("{id}", str(uuid.UUID(int=1)))
    with httpx.Client(transport=fake.transport, base_url=fake.base_url) as c:
        missing = c.request(method, path)
        forbidden = c.request(method, path, headers={"Authorization": "Bearer forbidden-key"})
        fake.set_rate_limit(1, per=60)
        auth = {"Authorization": f"Bearer {fake.api_key}"}
        c.request(method, path, headers=auth)
        limited = c.request(method, path, headers=auth)
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, "Bearer")
    assert forbidden.status_code == 403
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


def test_fail_next_for_one_operation(client: httpx.Client, fake: FakeAntimetal) -> None:
    created = client.post("/issues", json=VALID_BODY).json()
    fake.fail_next(operation="getIssue", status=503)
    assert client.get("/issues").status_code == 200  # another operation: untouched
    assert client.get(f"/issues/{created['uuid']}").status_code == 503
    assert client.get(f"/issues/{created['uuid']}").status_code == 200
    fake.fail_next(operation="GET /issues/{id}/results", status=500)
    assert client.get(f"/issues/{created['uuid']}/results").status_code == 500
    with pytest.raises(ValueError, match="no operation"):
        fake.fail_next(operation="nope")


def test_latency_per_operation(
    client: httpx.Client, fake: FakeAntimetal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_antimetal.fake import transport

    slept: list[float] = []
    monkeypatch.setattr(transport, "_sleep", slept.append)
    fake.set_latency(0.25, operation="listIssues")
    client.post("/issues", json=VALID_BODY)
    client.get("/issues")
    assert slept == [0.25]
    fake.set_latency(0, operation="listIssues")
    client.get("/issues")
    assert slept == [0.25]


def test_a_query_with_too_many_fields_is_a_400(client: httpx.Client) -> None:
    response = client.get("/artifacts?" + "&".join(f"id=a{i}" for i in range(500)))
    assert response.status_code == 400
    assert "too many query parameters" in response.json()["message"]
