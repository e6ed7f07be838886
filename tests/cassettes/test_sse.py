"""Server-Sent Events: POST /query's stream recorded and replayed event for event, and guarded.

Recorded from :class:`ScriptedServer` on loopback (the stream goes out one event
a write), replayed with no server: an httpx client iterating the stream gets
the same events in the same order.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

from pytest_antimetal.cassettes import AntimetalMatcher, CassetteSecretError, install
from pytest_antimetal.cassettes.sse import (
    Event,
    assembled_fields,
    is_event_stream,
    parse_events,
    wants_event_stream,
)
from pytest_antimetal.spec import Spec
from tests.cassettes.scripted import (
    CONVERSATION,
    DELTAS,
    ScriptedApi,
    ScriptedServer,
    sse,
    stream_events,
    vendor_spec,
)

PROD = "https://bff.antimetal.com/api/v2"
ASK = {"question": "Why did checkout fail?", "stream": True}
WANTS_STREAM = {"Accept": "text/event-stream"}


@pytest.fixture
def spec() -> Spec:
    return vendor_spec()


# --------------------------------------------------------------------- the parser


def test_parse_events_reads_the_stream_as_the_standard_does() -> None:
    text = (
        "\ufeff: a comment\r\n"
        'data: {"text":"a"}\r\n\r\n'
        "event: artifact\rid: 7\rdata: line one\rdata:line two\r\r"
        "data\n\n"  # a field with no colon: empty data
        "id: 8\n\n"  # no data: not dispatched
        'data: {"text":"unfinished"}\n'  # the stream ended before its blank line
    )
    assert parse_events(text) == [
        Event('{"text":"a"}'),
        Event("line one\nline two", "artifact", "7"),
        Event("", "message", "7"),
    ]


def test_parse_events_is_bounded() -> None:
    assert len(parse_events("data: x\n\n" * 50, limit=10)) == 10


def test_media_types() -> None:
    assert is_event_stream("text/event-stream; charset=utf-8")
    assert not is_event_stream("application/json")
    assert wants_event_stream("application/json, text/event-stream;q=0.9")
    assert not wants_event_stream("text/event-stream;q=0, application/json")
    assert not wants_event_stream("*/*")


def test_assembled_fields_join_deltas_in_order() -> None:
    events = parse_events(b"".join(sse(stream_events())).decode())
    fields = assembled_fields(events)
    assert fields["text"] == "".join(DELTAS)
    assert fields["conversation_id"] == CONVERSATION


# --------------------------------------------------------------------- record and replay


def _record_stream(path: Path, api: ScriptedApi, spec: Spec, **options: Any) -> list[bytes]:
    """POST /query streamed from the loopback server through a cassette; the lines read."""
    recorder = install(vcr.VCR(record_mode="once"), spec=spec, environ={})
    with (
        ScriptedServer(api) as server,
        recorder.use_cassette(str(path), **options),
        httpx.Client(base_url=server.url) as client,
        client.stream("POST", "/query", json=ASK, headers=WANTS_STREAM) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        return [line.encode() for line in response.iter_lines()]


def _replay_stream(path: Path, spec: Spec, headers: dict[str, str] | None = None) -> bytes:
    player = install(vcr.VCR(record_mode="none"), spec=spec, environ={})
    with (
        player.use_cassette(str(path)),
        httpx.Client(base_url=PROD) as client,
        client.stream("POST", "/query", json=ASK, headers=headers or WANTS_STREAM) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        return b"".join(response.iter_bytes())


@pytest.mark.parametrize("line_end", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_stream_replays_the_same_events_in_order(tmp_path: Path, spec: Spec, line_end: str) -> None:
    api = ScriptedApi(spec)
    events = stream_events()
    api.stream_chunks = [b": keep-alive\n\n", *sse(events, line_end=line_end)]
    path = tmp_path / "stream.yaml"
    _record_stream(path, api, spec)
    assert api.served == 1

    replayed = _replay_stream(path, spec)
    assert replayed == b"".join(api.stream_chunks)  # byte for byte: boundaries and all
    assert [json.loads(e.data) for e in parse_events(replayed.decode())] == events
    assert api.served == 1


def test_async_client_iterates_the_replayed_events(tmp_path: Path, spec: Spec) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "stream.yaml"
    _record_stream(path, api, spec)

    async def replay() -> list[dict[str, Any]]:
        player = install(vcr.VCR(record_mode="none"), spec=spec, environ={})
        chunks: list[dict[str, Any]] = []
        with player.use_cassette(str(path)):
            async with (
                httpx.AsyncClient(base_url=PROD) as client,
                client.stream("POST", "/query", json=ASK, headers=WANTS_STREAM) as response,
            ):
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        chunks.append(json.loads(line.removeprefix("data: ")))
        return chunks

    chunks = asyncio.run(replay())
    assert chunks == stream_events()
    assert "".join(c.get("text", "") for c in chunks) == "".join(DELTAS)
    assert chunks[-1] == {"conversation_id": CONVERSATION}


def test_the_same_body_without_accept_event_stream_is_another_request(
    tmp_path: Path, spec: Spec
) -> None:
    # The server streams only when asked with Accept: a JSON request must not get the stream.
    api = ScriptedApi(spec)
    path = tmp_path / "stream.yaml"
    _record_stream(path, api, spec)
    with pytest.raises(CannotOverwriteExistingCassetteException):
        _replay_stream(path, spec, headers={"Accept": "application/json"})
    matcher = AntimetalMatcher.from_spec(spec)
    asked = [
        Request("POST", f"{PROD}/query", json.dumps(ASK), {"Accept": accept})
        for accept in ("text/event-stream", "application/json")
    ]
    with pytest.raises(AssertionError, match=r"^only one asks for text/event-stream$"):
        matcher(*asked)


# --------------------------------------------------------------------- the key in a stream


def test_key_inside_one_event_is_scrubbed(tmp_path: Path, spec: Spec, canary_key: str) -> None:
    api = ScriptedApi(spec)
    api.stream_chunks = sse(
        [{"text": f"your key is {canary_key}"}, {"conversation_id": CONVERSATION}]
    )
    path = tmp_path / "stream.yaml"
    recorder = install(
        vcr.VCR(record_mode="once"), spec=spec, environ={"ANTIMETAL_API_KEY": canary_key}
    )
    with (
        ScriptedServer(api) as server,
        recorder.use_cassette(str(path)),
        httpx.Client(base_url=server.url) as client,
    ):
        client.post("/query", json=ASK, headers=WANTS_STREAM).read()
    assert canary_key not in path.read_text()
    replayed = _replay_stream(path, spec)
    assert json.loads(parse_events(replayed.decode())[0].data) == {
        "text": "your key is <ANTIMETAL_API_KEY>"
    }


@pytest.mark.parametrize(
    "spelled",
    ["split", "escaped"],
    ids=["split-across-deltas", "json-escaped"],
)
def test_guard_refuses_a_key_the_events_assemble(
    tmp_path: Path, spec: Spec, canary_key: str, spelled: str
) -> None:
    api = ScriptedApi(spec)
    if spelled == "split":
        half = len(canary_key) // 2
        events = [{"text": canary_key[:half]}, {"text": canary_key[half:]}]
        api.stream_chunks = sse(events)
    else:  # every character escaped: no scrubbing pattern sees it, a JSON parser does
        escaped = "".join(f"\\u{ord(c):04x}" for c in canary_key)
        api.stream_chunks = [f'data: {{"text": "{escaped}"}}\n\n'.encode()]
    path = tmp_path / "stream.yaml"
    recorder = install(
        vcr.VCR(record_mode="once"), spec=spec, environ={"ANTIMETAL_API_KEY": canary_key}
    )
    with (
        pytest.raises(CassetteSecretError) as excinfo,
        ScriptedServer(api) as server,
        recorder.use_cassette(str(path)),
        httpx.Client(base_url=server.url) as client,
    ):
        client.post("/query", json=ASK, headers=WANTS_STREAM).read()
    assert not path.exists()
    message = str(excinfo.value)
    assert "interaction 0 response body (event stream: the 'text' of its events, joined)" in message
    assert canary_key not in message
