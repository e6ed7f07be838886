"""Leaving ``with``: every context manager closes what it holds, and never swallows the error.

The clients, the query stream managers and the fake server share one ``__exit__``
(``pytest_antimetal._context``); each says only what leaving does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
from pytest_antimetal.fake import FakeServer


class Boom(Exception):
    pass


def test_the_sync_client_closes_its_pool_on_an_error() -> None:
    client = AntimetalClient(
        api_key="k", transport=httpx.MockTransport(lambda r: httpx.Response(204))
    )
    with pytest.raises(Boom), client:
        raise Boom
    assert client.http.is_closed


@pytest.mark.asyncio
async def test_the_async_client_closes_its_pool_on_an_error() -> None:
    client = AsyncAntimetalClient(
        api_key="k", transport=httpx.MockTransport(lambda r: httpx.Response(204))
    )
    with pytest.raises(Boom):
        async with client:
            raise Boom
    assert client.http.is_closed


class Unread(httpx.SyncByteStream, httpx.AsyncByteStream):
    """An event stream nobody reads: only leaving ``with`` closes it."""

    def __iter__(self) -> Iterator[bytes]:
        yield b"data: {}\n\n"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"


def events(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=Unread())


def test_the_query_stream_manager_closes_the_response_on_an_error() -> None:
    with AntimetalClient(api_key="k", transport=httpx.MockTransport(events)) as client:
        manager = client.query.stream(question="why?")
        with pytest.raises(Boom), manager as stream:
            raise Boom
        assert stream.response.is_closed


@pytest.mark.asyncio
async def test_the_async_query_stream_manager_closes_the_response_on_an_error() -> None:
    async with AsyncAntimetalClient(api_key="k", transport=httpx.MockTransport(events)) as client:
        with pytest.raises(Boom):
            async with client.query.stream(question="why?") as stream:
                raise Boom
        assert stream.response.is_closed


def test_the_fake_server_stops_on_an_error() -> None:
    server = FakeServer()

    def serve_then_fail() -> None:
        with server:
            assert server.running
            raise Boom

    with pytest.raises(Boom):
        serve_then_fail()
    assert not server.running
