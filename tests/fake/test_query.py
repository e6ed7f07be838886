"""``POST /query``: the agent's answer as JSON, or as a Server-Sent Events stream."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from tests.fake.documents import conforms, whole_spec

UUID_PATTERN = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$"
)
SSE = {"Accept": "text/event-stream"}


@pytest.fixture
def fake() -> FakeAntimetal:
    return FakeAntimetal(spec=whole_spec(), seed=9)


@pytest.fixture
def client(fake: FakeAntimetal) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as c:
        yield c


def _events(text: str) -> list[dict[str, Any]]:
    assert text.endswith("\n\n")
    events = []
    for block in text.strip("\n").split("\n\n"):
        (line,) = block.split("\n")
        assert line.startswith("data: ")
        events.append(json.loads(line[len("data: ") :]))
    return events


def test_default_answer_and_a_stable_conversation(client: httpx.Client) -> None:
    first = conforms(
        whole_spec(), "post", "/query", client.post("/query", json={"question": "why?"})
    )
    assert first["answer"] and first["artifacts"] == []
    assert UUID_PATTERN.match(first["conversation_id"])
    follow = client.post(
        "/query", json={"question": "and then?", "conversation_id": first["conversation_id"]}
    )
    assert (
        conforms(whole_spec(), "post", "/query", follow)["conversation_id"]
        == first["conversation_id"]
    )
    other = client.post("/query", json={"question": "why?"}).json()
    assert other["conversation_id"] != first["conversation_id"]


def test_scripted_replies_in_order(fake: FakeAntimetal, client: httpx.Client) -> None:
    artifact = {"id": "metric:datadog:abc", "tool_name": "datadog_metrics", "data_type": "metric"}
    fake.agent.reply("The pool was exhausted.", artifacts=[artifact])
    fake.agent.reply("Nothing else.")
    first = client.post("/query", json={"question": "why?"}).json()
    second = client.post("/query", json={"question": "more?"}).json()
    assert (first["answer"], first["artifacts"]) == ("The pool was exhausted.", [artifact])
    assert second["answer"] == "Nothing else."
    assert [q for _, q in fake.agent.asked] == ["why?", "more?"]


def test_stream_of_chunks(fake: FakeAntimetal, client: httpx.Client) -> None:
    artifact = {"id": "log:gcp:1", "tool_name": "logs"}
    fake.agent.reply("Root cause: the pool.", artifacts=[artifact])
    response = client.post("/query", json={"question": "why?", "stream": True}, headers=SSE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    events = _events(response.text)
    chunk = whole_spec().schema("QueryChunkDto")
    assert all(set(e) <= set(chunk["properties"]) for e in events)
    assert "".join(e.get("text", "") for e in events) == "Root cause: the pool."
    assert [e["artifact"] for e in events if "artifact" in e] == [artifact]
    assert set(events[-1]) == {"conversation_id"}
    assert UUID_PATTERN.match(events[-1]["conversation_id"])


def test_stream_without_the_accept_header_is_json(client: httpx.Client) -> None:
    response = client.post("/query", json={"question": "why?", "stream": True})
    assert conforms(whole_spec(), "post", "/query", response)["answer"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "q", "conversation_id": "not-a-uuid"}, "conversation_id"),
        ({"question": "q", "stream": "yes"}, "stream"),
    ],
)
def test_bad_questions_400(client: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = client.post("/query", json=body)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_stream_over_the_loopback_server(fake: FakeAntimetal) -> None:
    fake.agent.reply("one two three")
    headers = {"Authorization": f"Bearer {fake.api_key}", **SSE}
    with (
        FakeServer(fake) as server,
        httpx.Client(base_url=server.url, headers=headers) as c,
        c.stream("POST", "/query", json={"question": "q", "stream": True}) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        # A real stream: one event a body chunk, no Content-Length.
        assert response.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.headers
        text = "".join(response.iter_text())
    events = _events(text)
    assert "".join(e.get("text", "") for e in events) == "one two three"
