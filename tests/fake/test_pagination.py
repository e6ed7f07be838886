"""``GET /issues``: newest first, cursor pages (Stripe's reading of the document), filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_antimetal.fake import FakeAntimetal
from tests.fake.documents import conforms, whole_spec


def _headers(fake: FakeAntimetal) -> dict[str, str]:
    return {"authorization": f"Bearer {fake.api_key}", "content-type": "application/json"}


def _create(fake: FakeAntimetal, **fields: Any) -> dict[str, Any]:
    body = {"title": "t", "description": "d", "environment": "prod", **fields}
    answer = fake.handle("POST", "/issues", _headers(fake), json.dumps(body).encode())
    assert answer.status == 201
    return dict(answer.json())


class _Response:
    def __init__(self, status: int, content: bytes) -> None:
        self.status_code, self.content = status, content


def _list(fake: FakeAntimetal, **query: Any) -> dict[str, Any]:
    from urllib.parse import urlencode

    answer = fake.handle("GET", "http://fake/issues?" + urlencode(query), _headers(fake), b"")
    body = conforms(whole_spec(), "get", "/issues", _Response(answer.status, answer.body))
    assert answer.status == 200, body
    return dict(body)


@pytest.fixture
def fake() -> FakeAntimetal:
    return FakeAntimetal(spec=whole_spec(), investigation="manual", seed=3)


@pytest.fixture
def created(fake: FakeAntimetal) -> list[str]:
    return [_create(fake, title=f"issue {i}")["uuid"] for i in range(25)]


def _walk(fake: FakeAntimetal, **query: Any) -> Iterator[dict[str, Any]]:
    while True:
        page = _list(fake, **query)
        assert len(page["data"]) <= int(query.get("limit", 10))
        yield page
        if not page["has_more"]:
            return
        query = {k: v for k, v in query.items() if k != "startingAfter"}
        query["startingAfter"] = page["after"]


def test_default_page_is_ten_newest_first(fake: FakeAntimetal, created: list[str]) -> None:
    page = _list(fake)
    assert page["object"] == "list"
    assert [i["uuid"] for i in page["data"]] == created[::-1][:10]
    assert page["has_more"] is True
    assert page["after"] == created[-10]
    assert "before" not in page


@pytest.mark.parametrize("limit", [1, 7, 25, 100])
def test_walking_forward_serves_each_issue_once(
    fake: FakeAntimetal, created: list[str], limit: int
) -> None:
    pages = list(_walk(fake, limit=limit))
    seen = [i["uuid"] for page in pages for i in page["data"]]
    assert seen == created[::-1]
    assert pages[-1]["has_more"] is False
    assert "after" not in pages[-1]


def test_walking_backward_with_ending_before(fake: FakeAntimetal, created: list[str]) -> None:
    oldest = created[0]
    page = _list(fake, limit=10, endingBefore=oldest)
    assert [i["uuid"] for i in page["data"]] == created[1:11][::-1]
    assert page["has_more"] is True
    seen = [i["uuid"] for i in page["data"]]
    while page["has_more"]:
        page = _list(fake, limit=10, endingBefore=page["before"])
        seen = [i["uuid"] for i in page["data"]] + seen
    assert seen == created[1:][::-1]
    assert "before" not in page


def test_filters_hold_on_every_item(fake: FakeAntimetal) -> None:
    wanted = [
        _create(fake, title="Checkout DOWN", environment="staging")["uuid"],
        _create(fake, description="the checkout path", environment="staging")["uuid"],
    ]
    _create(fake, title="checkout", environment="prod")
    _create(fake, title="other", environment="staging")
    found = [
        i["uuid"]
        for page in _walk(fake, limit=1, environment="staging", search="CHECKOUT")
        for i in page["data"]
    ]
    assert found == wanted[::-1]
    fake.investigations.complete(wanted[0])
    ready = _list(fake, status="ready_to_fix")["data"]
    assert [i["uuid"] for i in ready] == [wanted[0]]
    assert all(i["status"] == "investigating" for i in _list(fake, status="investigating")["data"])


def test_deleted_issues_leave_pages_and_their_cursor_still_works(
    fake: FakeAntimetal, created: list[str]
) -> None:
    headers = _headers(fake)
    cursor = created[-5]
    for uuid in created[-6:-3]:
        assert fake.handle("DELETE", f"/issues/{uuid}", headers, b"").status == 204
    page = _list(fake, limit=3, startingAfter=cursor)
    assert [i["uuid"] for i in page["data"]] == [created[-7], created[-8], created[-9]]


@pytest.mark.parametrize(
    "query",
    [
        {"startingAfter": "nope"},
        {"endingBefore": "00000000-0000-4000-8000-000000000000"},
    ],
)
def test_unknown_cursor_has_nothing_around_it(
    fake: FakeAntimetal, created: list[str], query: dict[str, str]
) -> None:
    page = _list(fake, **query)
    assert (page["data"], page["has_more"]) == ([], False)


def test_empty_cursor_is_none(fake: FakeAntimetal, created: list[str]) -> None:
    assert _list(fake, startingAfter="", endingBefore="") == _list(fake)


def test_both_cursors_give_what_is_between(fake: FakeAntimetal, created: list[str]) -> None:
    page = _list(fake, limit=5, startingAfter=created[20], endingBefore=created[2])
    assert [i["uuid"] for i in page["data"]] == created[19:14:-1]
    assert page["has_more"] is True
    last = _list(fake, limit=50, startingAfter=created[20], endingBefore=created[2])
    assert [i["uuid"] for i in last["data"]] == created[19:2:-1]
    assert last["has_more"] is False
