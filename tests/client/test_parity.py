"""Sync/async parity of every resource method (surface and behaviour), and key canaries."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
from pytest_antimetal.errors import InvestigationTimeoutError, NotFoundError
from pytest_antimetal.resources import (
    Artifacts,
    AsyncArtifacts,
    AsyncIssues,
    AsyncQuery,
    Issues,
    Query,
)
from tests.client.scripted import (
    CANARY,
    CANARY_CORE,
    CONVERSATION,
    ISSUE_ID,
    FakeTime,
    Router,
    artifact,
    full_spec,
    issue_dto,
    query_dto,
    results_dto,
    sse,
    summary,
)

PAIRS = [(Issues, AsyncIssues), (Artifacts, AsyncArtifacts), (Query, AsyncQuery)]
# Not coroutines on the async side: they return something to await or enter.
NOT_AWAITED = {"list", "stream"}


def public(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=lambda c: c.__name__)
def test_same_methods_and_parameters(sync: type, async_: type) -> None:
    assert public(sync) == public(async_)
    for name in public(sync):
        sync_sig = inspect.signature(getattr(sync, name))
        async_sig = inspect.signature(getattr(async_, name))
        assert sync_sig.parameters == async_sig.parameters, name
        assert not inspect.iscoroutinefunction(getattr(sync, name)), name
        awaited = inspect.iscoroutinefunction(getattr(async_, name))
        assert awaited == (name not in NOT_AWAITED), name


def test_both_clients_carry_the_same_resources() -> None:
    kwargs: dict[str, Any] = {"api_key": "k", "base_url": "https://api.test"}
    sync, async_ = AntimetalClient(**kwargs), AsyncAntimetalClient(**kwargs)
    pairs = {name: (type(getattr(sync, name)), type(getattr(async_, name))) for name in PAIR_NAMES}
    assert pairs == {
        "issues": (Issues, AsyncIssues),
        "artifacts": (Artifacts, AsyncArtifacts),
        "query": (Query, AsyncQuery),
    }
    sync_params = inspect.signature(AntimetalClient).parameters
    async_params = inspect.signature(AsyncAntimetalClient).parameters
    assert list(sync_params) == list(async_params)
    assert "api_version" in sync_params


PAIR_NAMES = ("issues", "artifacts", "query")


def routes() -> Router:
    """Every operation, answered the same way every time (fresh streams per request)."""
    stream = sse({"text": "a"}, {"text": "b"}, {"conversation_id": CONVERSATION})
    page = {"object": "list", "data": [summary(2), summary(1)], "has_more": False}
    done = issue_dto(status="ready_to_fix", runs=("SUCCESS",))
    return Router(
        {
            ("POST", r"/issues"): httpx.Response(201, json=issue_dto()),
            ("GET", r"/issues"): lambda r: httpx.Response(200, json=page),
            ("GET", r"/issues/by_number/\d+"): lambda r: httpx.Response(200, json=issue_dto()),
            ("GET", r"/issues/[^/]+/results"): lambda r: httpx.Response(
                200, json=results_dto("metric:datadog:1")
            ),
            ("GET", r"/issues/[^/]+"): lambda r: httpx.Response(200, json=done),
            ("PATCH", r"/issues/[^/]+"): lambda r: httpx.Response(200, json=done),
            ("DELETE", r"/issues/[^/]+"): lambda r: httpx.Response(204),
            ("GET", r"/artifacts"): lambda r: httpx.Response(
                200, json=[artifact("log", i) for i in r.url.params.get_list("id")]
            ),
            ("POST", r"/query"): lambda r: (
                httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=stream)
                if b'"stream"' in r.content
                else httpx.Response(200, json=query_dto())
            ),
        }
    )


def run_sync(router: Router, call: Callable[[AntimetalClient], Any]) -> Any:
    client = AntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        retry_policy=FakeTime().policy(),
        spec=full_spec(),
    )
    return call(client)


def run_async(router: Router, call: Callable[[AsyncAntimetalClient], Any]) -> Any:
    client = AsyncAntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        retry_policy=FakeTime().policy(),
        spec=full_spec(),
    )
    return asyncio.run(call(client))


def stream_sync(client: AntimetalClient) -> Any:
    with client.query.stream(question="q", conversation_id=CONVERSATION) as stream:
        chunks = list(stream)
    return chunks, stream.answer, stream.conversation_id


async def stream_async(client: AsyncAntimetalClient) -> Any:
    async with client.query.stream(question="q", conversation_id=CONVERSATION) as stream:
        chunks = [chunk async for chunk in stream]
    return chunks, stream.answer, stream.conversation_id


async def list_async(client: AsyncAntimetalClient) -> Any:
    return [issue async for issue in client.issues.list(status="investigating", limit=2)]


CALLS: dict[str, tuple[Callable[[AntimetalClient], Any], Callable[[AsyncAntimetalClient], Any]]] = {
    "issues.create": (
        lambda c: c.issues.create(title="t", description="d", environment="e", severity="low"),
        lambda c: c.issues.create(title="t", description="d", environment="e", severity="low"),
    ),
    "issues.list": (
        lambda c: list(c.issues.list(status="investigating", limit=2)),
        list_async,
    ),
    "issues.retrieve": (
        lambda c: c.issues.retrieve(ISSUE_ID, version=1),
        lambda c: c.issues.retrieve(ISSUE_ID, version=1),
    ),
    "issues.retrieve_by_number": (
        lambda c: c.issues.retrieve_by_number(7),
        lambda c: c.issues.retrieve_by_number(7),
    ),
    "issues.update": (
        lambda c: c.issues.update(ISSUE_ID, status="resolved"),
        lambda c: c.issues.update(ISSUE_ID, status="resolved"),
    ),
    "issues.delete": (lambda c: c.issues.delete(ISSUE_ID), lambda c: c.issues.delete(ISSUE_ID)),
    "issues.results": (
        lambda c: c.issues.results(ISSUE_ID, version=1),
        lambda c: c.issues.results(ISSUE_ID, version=1),
    ),
    "issues.wait_for_results": (
        lambda c: c.issues.wait_for_results(ISSUE_ID, timeout=5),
        lambda c: c.issues.wait_for_results(ISSUE_ID, timeout=5),
    ),
    "artifacts.retrieve": (
        lambda c: c.artifacts.retrieve(["a", "b"]),
        lambda c: c.artifacts.retrieve(["a", "b"]),
    ),
    "query.create": (
        lambda c: c.query.create(question="q", conversation_id=CONVERSATION),
        lambda c: c.query.create(question="q", conversation_id=CONVERSATION),
    ),
    "query.stream": (stream_sync, stream_async),
}


def test_every_public_method_has_a_parity_run() -> None:
    methods = {
        f"{name}.{m}"
        for name in PAIR_NAMES
        for m in public(
            type(getattr(AntimetalClient(api_key="k", base_url="https://api.test"), name))
        )
    }
    assert methods == set(CALLS)


def wire(router: Router) -> list[tuple[str, str, bytes, dict[str, str]]]:
    return [
        (r.method, str(r.url), r.content, {k: v for k, v in r.headers.items() if k != "user-agent"})
        for r in router.requests
    ]


@pytest.mark.parametrize("name", sorted(CALLS))
def test_sync_and_async_send_the_same_and_return_equal_results(name: str) -> None:
    sync_call, async_call = CALLS[name]
    sync_router, async_router = routes(), routes()
    sync_result = run_sync(sync_router, sync_call)
    async_result = run_async(async_router, async_call)
    assert sync_router.requests, name
    assert wire(sync_router) == wire(async_router)
    assert sync_result == async_result
    if name != "issues.delete":
        assert sync_result is not None


# --- the key never leaks through the new paths ---------------------------------------


def test_errors_of_every_new_operation_never_show_the_key() -> None:
    echo = {"type": "api_error", "message": f"bad key {CANARY}", "request_id": CANARY}
    router = Router({("GET", r".*"): httpx.Response(404, json=echo)})
    texts = []
    for call in (
        lambda c: c.issues.retrieve(ISSUE_ID),
        lambda c: c.issues.results(ISSUE_ID),
        lambda c: c.issues.retrieve_by_number(1),
        lambda c: c.artifacts.retrieve(["a"]),
        lambda c: list(c.issues.list()),
    ):
        with pytest.raises(NotFoundError) as info:
            run_sync(router, call)
        texts.append(str(info.value) + repr(info.value) + str(info.value.args))
    assert all("bad key" in t for t in texts)
    assert not [t for t in texts if CANARY_CORE in t]


def test_reprs_of_resources_pages_streams_and_timeouts_never_show_the_key() -> None:
    router = routes()
    client = AntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        spec=full_spec(),
        retry_policy=FakeTime().policy(),
    )
    pending = Router({("GET", r"/issues/[^/]+"): httpx.Response(200, json=issue_dto())})
    with pytest.raises(InvestigationTimeoutError) as info:
        run_sync(pending, lambda c: c.issues.wait_for_results(ISSUE_ID, timeout=1))
    with client.query.stream(question="q") as stream:
        stream.until_done()
    shown = [
        repr(client.issues),
        repr(client.artifacts),
        repr(client.query),
        repr(client.issues.list()),
        repr(stream),
        repr(client.query.stream(question="q")),
        str(info.value),
        repr(info.value),
        repr(vars(info.value)),
    ]
    assert "api_key='…ZQXW'" in shown[0]  # the masked form, as the client's own repr
    assert not [text for text in shown if CANARY_CORE in text]
