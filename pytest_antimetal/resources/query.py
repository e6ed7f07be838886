"""``client.query``: ``POST /query``, the agent, as JSON (``create``) or a stream.

``stream()`` sends ``stream: true`` with ``Accept: text/event-stream`` and reads
the Server-Sent Events as they arrive (bounded: see :mod:`._sse`); each event of
the default ``message`` type carries one ``QueryChunkDto``. Other event types are
skipped, a ``[DONE]`` data line ends the stream. The stream's ``answer`` is the
concatenated ``text`` deltas, ``conversation_id`` the final chunk's, ``artifacts``
every ``artifact`` seen. A server that ignores ``stream`` and answers
``application/json`` is read as one chunk holding the whole answer.

``POST /query`` keeps the ``POST`` retry rule (a 5xx or a read timeout is not
retried unless ``retry_post_on_server_error``); a stream is never retried once its
2xx headers have arrived.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from pytest_antimetal._context import OnAsyncExit, OnExit
from pytest_antimetal.errors import APIResponseValidationError
from pytest_antimetal.models import QueryArtifact, QueryChunk, QueryResponse
from pytest_antimetal.resources._resource import AsyncAPIResource, SyncAPIResource
from pytest_antimetal.resources._sse import ServerSentEvent, SSEDecoder, SSEError

if TYPE_CHECKING:
    from pytest_antimetal._base_client import AsyncAPIClient, SyncAPIClient, _BaseClient

__all__ = [
    "AsyncQuery",
    "AsyncQueryStream",
    "AsyncQueryStreamManager",
    "Query",
    "QueryStream",
    "QueryStreamManager",
]

QUERY = "/query"
EVENT_STREAM = "text/event-stream"


def _request(
    client: _BaseClient[Any],
    *,
    question: str,
    conversation_id: str | None,
    stream: bool,
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: float | httpx.Timeout | None,
) -> httpx.Request:
    body: dict[str, Any] = {"question": question}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    if stream:
        body["stream"] = True
    if extra_body:
        body.update(extra_body)
    return client._build_request(
        "POST",
        QUERY,
        body=body,
        accept=EVENT_STREAM if stream else None,
        extra_headers=extra_headers,
        timeout=timeout,
    )


def _response(client: _BaseClient[Any], response: httpx.Response) -> QueryResponse:
    schema = client._response_schema("POST", QUERY)
    request_id = response.headers.get("x-request-id")
    return client._parse(
        response,
        "QueryResponseDto",
        lambda body: QueryResponse.from_json(body, schema=schema, request_id=request_id),
    )


def _chunk_schema(client: _BaseClient[Any]) -> dict[str, Any]:
    """``QueryChunkDto`` of the run's spec (no operation refers to it: looked up by name)."""
    from pytest_antimetal.spec import SpecError

    try:
        return client.spec.schema("QueryChunkDto")
    except SpecError:
        return {}


class _Assembly:
    """What a stream has said so far; shared by the sync and async streams."""

    def __init__(self, client: _BaseClient[Any], response: httpx.Response) -> None:
        self._client = client
        self.response = response
        self.request_id: str | None = response.headers.get("x-request-id")
        self.texts: list[str] = []
        self.conversation_id: str | None = None
        self.artifacts: list[QueryArtifact] = []
        self.done = False
        self.is_event_stream = (
            response.headers.get("content-type", "").lower().startswith(EVENT_STREAM)
        )
        self.decoder = SSEDecoder()
        self.schema = _chunk_schema(client)

    def fail(self, message: str) -> APIResponseValidationError:
        secrets = self._client._secrets(self.response.request)
        return APIResponseValidationError(message, response=self.response, secrets=secrets)

    def chunks(self, data: bytes) -> list[QueryChunk]:
        """The chunks of the events completed by *data*."""
        try:
            events = self.decoder.feed(data)
        except SSEError as exc:
            raise self.fail(str(exc)) from None
        return [chunk for event in events if (chunk := self._chunk(event)) is not None]

    def _chunk(self, event: ServerSentEvent) -> QueryChunk | None:
        if self.done or event.event != "message":
            return None
        if event.data.strip() == "[DONE]":
            self.done = True
            return None
        try:
            chunk = QueryChunk.from_json(json.loads(event.data), schema=self.schema)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise self.fail(f"stream event does not match QueryChunkDto: {exc}") from None
        return self.add(chunk)

    def add(self, chunk: QueryChunk) -> QueryChunk:
        if chunk.text:
            self.texts.append(chunk.text)
        if chunk.conversation_id is not None:
            self.conversation_id = chunk.conversation_id
        if chunk.artifact is not None:
            self.artifacts.append(chunk.artifact)
        return chunk

    def whole(self) -> QueryChunk:
        """A JSON answer (the server ignored ``stream``; its body read) as one chunk."""
        answer = _response(self._client, self.response)
        self.artifacts.extend(answer.artifacts)
        self.done = True
        chunk = QueryChunk(
            text=answer.answer, conversation_id=answer.conversation_id, raw=dict(answer.raw)
        )
        return self.add(chunk)


class _StreamState:
    """Read-only views of an assembly (the public half of both stream classes)."""

    _assembly: _Assembly

    @property
    def response(self) -> httpx.Response:
        return self._assembly.response

    @property
    def request_id(self) -> str | None:
        return self._assembly.request_id

    @property
    def answer(self) -> str:
        """The text so far (all of it once the stream is consumed)."""
        return "".join(self._assembly.texts)

    @property
    def conversation_id(self) -> str | None:
        """The conversation id (the final chunk's; ``None`` until it arrives)."""
        return self._assembly.conversation_id

    @property
    def artifacts(self) -> list[QueryArtifact]:
        return list(self._assembly.artifacts)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} conversation_id={self.conversation_id!r} "
            f"answer_chars={len(self.answer)}>"
        )


class QueryStream(_StreamState):
    """A streamed answer: iterate for :class:`QueryChunk` s; ``answer``,
    ``conversation_id`` and ``artifacts`` hold what has arrived."""

    def __init__(self, client: SyncAPIClient, response: httpx.Response) -> None:
        self._assembly = _Assembly(client, response)
        self._iterator = self._chunks()

    def _chunks(self) -> Iterator[QueryChunk]:
        assembly = self._assembly
        if not assembly.is_event_stream:
            assembly.response.read()
            yield assembly.whole()
            return
        for data in assembly.response.iter_bytes():
            yield from assembly.chunks(data)
            if assembly.done:
                break
        assembly.decoder.close()

    def __iter__(self) -> Iterator[QueryChunk]:
        return self._iterator

    def __next__(self) -> QueryChunk:
        return next(self._iterator)

    def until_done(self) -> QueryStream:
        """Read the rest of the stream; returns ``self`` (then read ``answer``)."""
        for _ in self._iterator:
            pass
        return self

    def close(self) -> None:
        self._assembly.response.close()


class AsyncQueryStream(_StreamState):
    """The async :class:`QueryStream`: ``async for`` the chunks."""

    def __init__(self, client: AsyncAPIClient, response: httpx.Response) -> None:
        self._assembly = _Assembly(client, response)
        self._iterator = self._chunks()

    async def _chunks(self) -> AsyncIterator[QueryChunk]:
        assembly = self._assembly
        if not assembly.is_event_stream:
            await assembly.response.aread()
            yield assembly.whole()
            return
        async for data in assembly.response.aiter_bytes():
            for chunk in assembly.chunks(data):
                yield chunk
            if assembly.done:
                break
        assembly.decoder.close()

    def __aiter__(self) -> AsyncIterator[QueryChunk]:
        return self._iterator

    async def __anext__(self) -> QueryChunk:
        return await self._iterator.__anext__()

    async def until_done(self) -> AsyncQueryStream:
        """Read the rest of the stream; returns ``self``."""
        async for _ in self._iterator:
            pass
        return self

    async def close(self) -> None:
        await self._assembly.response.aclose()


class QueryStreamManager(OnExit):
    """``with client.query.stream(...) as stream``: sends on enter, closes on exit."""

    def __init__(self, client: SyncAPIClient, request: httpx.Request) -> None:
        self._client = client
        self._request = request
        self._stream: QueryStream | None = None

    def __enter__(self) -> QueryStream:
        response = self._client._send(self._request, stream=True)
        self._stream = QueryStream(self._client, response)
        return self._stream

    def _on_exit(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (not sent until entered)>"


class AsyncQueryStreamManager(OnAsyncExit):
    """``async with client.query.stream(...) as stream``: sends on enter, closes on exit."""

    def __init__(self, client: AsyncAPIClient, request: httpx.Request) -> None:
        self._client = client
        self._request = request
        self._stream: AsyncQueryStream | None = None

    async def __aenter__(self) -> AsyncQueryStream:
        response = await self._client._send(self._request, stream=True)
        self._stream = AsyncQueryStream(self._client, response)
        return self._stream

    async def _on_exit(self) -> None:
        if self._stream is not None:
            await self._stream.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (not sent until entered)>"


class Query(SyncAPIResource):
    """``client.query``: ask Antimetal's agent."""

    def create(
        self,
        *,
        question: str,
        conversation_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> QueryResponse:
        """``POST /query``: the whole answer as JSON (pass ``conversation_id`` to continue)."""
        client = self._client
        request = _request(
            client,
            question=question,
            conversation_id=conversation_id,
            stream=False,
            extra_headers=extra_headers,
            extra_body=extra_body,
            timeout=timeout,
        )
        return _response(client, client._send(request))

    def stream(
        self,
        *,
        question: str,
        conversation_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> QueryStreamManager:
        """``POST /query`` with ``stream: true``: a context manager yielding a
        :class:`QueryStream` (iterate for chunks; ``answer``/``conversation_id`` at the end)."""
        client = self._client
        request = _request(
            client,
            question=question,
            conversation_id=conversation_id,
            stream=True,
            extra_headers=extra_headers,
            extra_body=extra_body,
            timeout=timeout,
        )
        return QueryStreamManager(client, request)


class AsyncQuery(AsyncAPIResource):
    """``client.query`` of the async client."""

    async def create(
        self,
        *,
        question: str,
        conversation_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> QueryResponse:
        """``POST /query``; see :meth:`Query.create`."""
        client = self._client
        request = _request(
            client,
            question=question,
            conversation_id=conversation_id,
            stream=False,
            extra_headers=extra_headers,
            extra_body=extra_body,
            timeout=timeout,
        )
        return _response(client, await client._send(request))

    def stream(
        self,
        *,
        question: str,
        conversation_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> AsyncQueryStreamManager:
        """``POST /query`` streamed; see :meth:`Query.stream` (``async with``/``async for``)."""
        client = self._client
        request = _request(
            client,
            question=question,
            conversation_id=conversation_id,
            stream=True,
            extra_headers=extra_headers,
            extra_body=extra_body,
            timeout=timeout,
        )
        return AsyncQueryStreamManager(client, request)
