"""client.query: the JSON answer, the Server-Sent Events stream and its bounds."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
from pytest_antimetal.errors import APIResponseValidationError, InternalServerError
from pytest_antimetal.models import QueryArtifact, QueryChunk, QueryResponse
from pytest_antimetal.resources._sse import MAX_LINE_BYTES, SSEDecoder, SSEError
from tests.client.scripted import (
    CANARY,
    CANARY_CORE,
    CONVERSATION,
    FakeTime,
    Router,
    chunked,
    error_body,
    full_spec,
    query_dto,
    sse,
)

QUERY = r"/query"
ARTIFACT = {"id": "metric:datadog:1", "tool_name": "metrics", "data_type": "metric"}
STREAM = sse(
    ": a comment the client skips",
    {"text": "The disk "},
    {"artifact": ARTIFACT},
    {"text": "is full."},
    "event: ping",
    "data: {}",
    "",
    {"conversation_id": CONVERSATION},
)


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives in pieces (sync and async), like a server's flushes."""

    def __init__(self, data: bytes, size: int) -> None:
        self.parts = list(chunked(data, size))
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for part in self.parts:
            self.sent += 1
            yield part

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            self.sent += 1
            yield part


def event_stream(data: bytes, size: int = 7) -> httpx.Response:
    return httpx.Response(
        200, headers={"Content-Type": "text/event-stream"}, stream=Chunks(data, size)
    )


def make(router: Router) -> AntimetalClient:
    return AntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        retry_policy=FakeTime().policy(),
        spec=full_spec(),
    )


def make_async(router: Router) -> AsyncAntimetalClient:
    return AsyncAntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        retry_policy=FakeTime().policy(),
        spec=full_spec(),
    )


def test_create_sends_the_question_and_returns_the_typed_answer() -> None:
    router = Router({("POST", QUERY): httpx.Response(200, json=query_dto())})
    answer = make(router).query.create(question="Why?", conversation_id=CONVERSATION)
    assert json.loads(router.requests[0].content) == {
        "question": "Why?",
        "conversation_id": CONVERSATION,
    }
    assert router.requests[0].headers["Accept"] == "application/json"
    assert isinstance(answer, QueryResponse)
    assert answer.conversation_id == CONVERSATION and answer.answer == "The disk is full."
    assert answer.artifacts == (QueryArtifact("metric:datadog:1", "metrics", "metric"),)


def test_create_checks_the_answer_against_the_document() -> None:
    body = query_dto()
    del body["artifacts"]
    router = Router({("POST", QUERY): httpx.Response(200, json=body)})
    with pytest.raises(APIResponseValidationError, match="missing required field 'artifacts'"):
        make(router).query.create(question="Why?")


def test_stream_yields_chunks_and_assembles_the_answer() -> None:
    router = Router({("POST", QUERY): lambda request: event_stream(STREAM)})
    with make(router).query.stream(question="Why?") as stream:
        assert stream.conversation_id is None  # not before the final chunk
        chunks = list(stream)
    request = router.requests[0]
    assert json.loads(request.content) == {"question": "Why?", "stream": True}
    assert request.headers["Accept"] == "text/event-stream"
    assert all(isinstance(c, QueryChunk) for c in chunks)
    assert [c.text for c in chunks] == ["The disk ", None, "is full.", None]
    assert chunks[1].artifact == QueryArtifact("metric:datadog:1", "metrics", "metric")
    assert stream.answer == "The disk is full."
    assert stream.conversation_id == CONVERSATION
    assert [a.id for a in stream.artifacts] == ["metric:datadog:1"]
    assert stream.response.is_closed
    assert CANARY_CORE not in repr(stream) + repr(make(router).query.stream(question="q"))


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_crlf_and_any_chunking_give_the_same_events(size: int) -> None:
    data = sse({"text": "a"}, {"text": "b"}, {"conversation_id": CONVERSATION}, crlf=True)
    router = Router({("POST", QUERY): lambda request: event_stream(data, size)})
    with make(router).query.stream(question="q") as stream:
        stream.until_done()
    assert (stream.answer, stream.conversation_id) == ("ab", CONVERSATION)


def test_done_sentinel_ends_the_stream_and_other_events_are_skipped() -> None:
    data = sse(
        {"text": "a"}, "event: error", 'data: {"text": "not a chunk"}', "", "data: [DONE]", ""
    )
    data += sse({"text": "after done"})
    router = Router({("POST", QUERY): lambda request: event_stream(data)})
    with make(router).query.stream(question="q") as stream:
        assert [c.text for c in stream] == ["a"]
    assert stream.answer == "a"


def test_an_unterminated_last_event_is_dropped() -> None:
    data = sse({"text": "a"}) + b'data: {"text": "cut'
    router = Router({("POST", QUERY): lambda request: event_stream(data)})
    with make(router).query.stream(question="q") as stream:
        assert stream.until_done().answer == "a"


def test_a_json_answer_to_a_stream_request_is_one_chunk() -> None:
    router = Router({("POST", QUERY): httpx.Response(200, json=query_dto("whole"))})
    with make(router).query.stream(question="q") as stream:
        chunks = list(stream)
    assert [c.text for c in chunks] == ["whole"]
    assert stream.conversation_id == CONVERSATION and len(stream.artifacts) == 1


def test_a_bad_event_is_a_validation_error() -> None:
    router = Router({("POST", QUERY): lambda request: event_stream(b"data: {nope\n\n")})
    with (
        make(router).query.stream(question="q") as stream,
        pytest.raises(APIResponseValidationError, match="QueryChunkDto"),
    ):
        list(stream)


def test_an_endless_line_is_refused_before_it_fills_memory() -> None:
    body = Chunks(b"data: " + b"x" * (MAX_LINE_BYTES * 4), 64 * 1024)  # 17 pieces
    response = httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=body)
    router = Router({("POST", QUERY): response})
    with (
        make(router).query.stream(question="q") as stream,
        pytest.raises(APIResponseValidationError, match="longer than"),
    ):
        list(stream)
    assert body.sent <= MAX_LINE_BYTES // (64 * 1024) + 1  # stopped reading at the limit


def test_an_event_too_large_is_refused() -> None:
    decoder = SSEDecoder(max_line_bytes=100, max_event_bytes=50)
    with pytest.raises(SSEError, match="larger than 50"):
        decoder.feed(b"data: 0123456789\n" * 10)


def test_the_decoder_keeps_a_trailing_cr_until_it_knows_the_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []
    events = decoder.feed(b"\r\n")
    assert [(e.event, e.data) for e in events] == [("message", "a")]
    assert [e.data for e in decoder.feed(b"data: x\ndata: y\n\n")] == ["x\ny"]


def test_an_error_status_on_a_stream_is_the_status_error_with_its_message() -> None:
    router = Router({("POST", QUERY): [error_body(500, f"echo {CANARY}")]})
    with (
        pytest.raises(InternalServerError, match="echo") as info,
        make(router).query.stream(question="q"),
    ):
        pass
    assert len(router.requests) == 1  # a POST: not retried
    assert CANARY_CORE not in str(info.value)


@pytest.mark.asyncio
async def test_async_stream() -> None:
    router = Router({("POST", QUERY): lambda request: event_stream(STREAM, 5)})
    client = make_async(router)
    async with client.query.stream(question="Why?") as stream:
        texts = [chunk.text async for chunk in stream]
    assert texts == ["The disk ", None, "is full.", None]
    assert (stream.answer, stream.conversation_id) == ("The disk is full.", CONVERSATION)
    answer: Any = await make_async(
        Router({("POST", QUERY): httpx.Response(200, json=query_dto())})
    ).query.create(question="q")
    assert answer.answer == "The disk is full."
