"""client.issues.list: cursor pages, walking every page, sync and async."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
from pytest_antimetal.errors import APIResponseValidationError
from pytest_antimetal.models import IssueSummary
from pytest_antimetal.pagination import AsyncPage, SyncPage
from tests.client.scripted import CANARY, CANARY_CORE, FakeTime, Router, full_spec, summary

LIST = r"/issues"


class ListServer:
    """``GET /issues`` over *count* issues, newest first, Stripe's cursor reading."""

    def __init__(self, count: int) -> None:
        self.items = [summary(n) for n in range(count, 0, -1)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        items = [i for i in self.items if params.get("status", i["status"]) == i["status"]]
        limit = int(params.get("limit", "10"))
        ids = [i["uuid"] for i in items]
        if "startingAfter" in params:
            start = ids.index(params["startingAfter"]) + 1
            page, has_more = items[start : start + limit], start + limit < len(items)
        elif "endingBefore" in params:
            end = ids.index(params["endingBefore"])
            page, has_more = items[max(end - limit, 0) : end], end - limit > 0
        else:
            page, has_more = items[:limit], limit < len(items)
        body: dict[str, Any] = {"object": "list", "data": page, "has_more": has_more}
        if page:
            body["after"], body["before"] = page[-1]["uuid"], page[0]["uuid"]
        return httpx.Response(200, json=body, headers={"X-Request-Id": "req_list"})


def clients(router: Router) -> tuple[AntimetalClient, AsyncAntimetalClient]:
    kwargs: dict[str, Any] = {
        "api_key": CANARY,
        "base_url": "https://api.test/v2",
        "transport": httpx.MockTransport(router),
        "retry_policy": FakeTime().policy(),
        "spec": full_spec(),
    }
    return AntimetalClient(**kwargs), AsyncAntimetalClient(**kwargs)


def test_iterating_walks_every_page_with_the_last_items_id_as_cursor() -> None:
    server = ListServer(25)
    router = Router({("GET", LIST): server})
    client, _ = clients(router)
    issues = list(client.issues.list(status="investigating", environment="production", limit=10))
    assert [i.number for i in issues] == list(range(25, 0, -1))  # each once, in order
    assert all(isinstance(i, IssueSummary) for i in issues)
    sent = [dict(r.url.params) for r in router.requests]
    filters = {"status": "investigating", "environment": "production", "limit": "10"}
    assert sent == [
        filters,
        {**filters, "startingAfter": server.items[9]["uuid"]},
        {**filters, "startingAfter": server.items[19]["uuid"]},
    ]


def test_a_page_exposes_data_has_more_and_next_page() -> None:
    router = Router({("GET", LIST): ListServer(3)})
    client, _ = clients(router)
    first = client.issues.list(limit=2, search="disk")
    assert isinstance(first, SyncPage)
    assert [i.number for i in first.data] == [3, 2] and first.has_more is True
    assert first.after == first.data[-1].uuid and first.request_id == "req_list"
    second = first.next_page()
    assert second is not None and [i.number for i in second.data] == [1]
    assert second.has_more is False and second.next_page() is None
    assert len(router.requests) == 2  # the last next_page() sent nothing
    assert router.requests[1].url.params["search"] == "disk"


def test_a_walk_begun_with_ending_before_goes_backwards() -> None:
    server = ListServer(10)
    router = Router({("GET", LIST): server})
    client, _ = clients(router)
    numbers = [i.number for i in client.issues.list(limit=3, ending_before=server.items[8]["uuid"])]
    assert sorted(numbers, reverse=True) == list(range(10, 2, -1))  # everything before item 8
    assert len(numbers) == len(set(numbers))
    assert router.requests[1].url.params["endingBefore"] == uuid_of_number(server, 5)


def uuid_of_number(server: ListServer, number: int) -> str:
    return next(i["uuid"] for i in server.items if i["number"] == number)


def test_has_more_with_no_items_stops_instead_of_looping() -> None:
    body = {"object": "list", "data": [], "has_more": True}
    router = Router({("GET", LIST): httpx.Response(200, json=body)})
    client, _ = clients(router)
    assert list(client.issues.list()) == []
    assert len(router.requests) == 1


def test_an_item_missing_a_required_field_is_named() -> None:
    item = summary(1)
    del item["seedCount"]
    body = {"object": "list", "data": [item], "has_more": False}
    router = Router({("GET", LIST): httpx.Response(200, json=body)})
    client, _ = clients(router)
    with pytest.raises(APIResponseValidationError, match="missing required field 'seedCount'"):
        client.issues.list()


def test_a_page_without_has_more_is_a_validation_error() -> None:
    router = Router({("GET", LIST): httpx.Response(200, json={"object": "list", "data": []})})
    client, _ = clients(router)
    with pytest.raises(APIResponseValidationError, match="has_more"):
        client.issues.list()


def test_repr_of_a_page_shows_items_never_the_key() -> None:
    router = Router({("GET", LIST): ListServer(2)})
    client, async_client = clients(router)
    page = client.issues.list()
    text = repr(page) + str(page) + repr(async_client.issues.list())
    assert "has_more=False" in text and "Issue 2" in text
    assert CANARY_CORE not in text


@pytest.mark.asyncio
async def test_async_for_walks_every_page() -> None:
    server = ListServer(25)
    router = Router({("GET", LIST): server})
    _, client = clients(router)
    numbers = [issue.number async for issue in client.issues.list(limit=10)]
    assert numbers == list(range(25, 0, -1))
    assert [r.url.params.get("startingAfter") for r in router.requests] == [
        None,
        server.items[9]["uuid"],
        server.items[19]["uuid"],
    ]


@pytest.mark.asyncio
async def test_async_await_gives_the_first_page() -> None:
    router = Router({("GET", LIST): ListServer(3)})
    _, client = clients(router)
    request = client.issues.list(limit=2)
    assert router.requests == []  # nothing sent before it is awaited or iterated
    page = await request
    assert isinstance(page, AsyncPage) and [i.number for i in page.data] == [3, 2]
    second = await page.next_page()
    assert second is not None and second.has_more is False
    assert await second.next_page() is None
    pages = [p async for p in page.iter_pages()]
    assert [len(p.data) for p in pages] == [2, 1]
