"""Every resource against FakeAntimetal serving the vendor's whole document (in-process).

The client's sleeps advance the fake's clock: waiting for an investigation takes
simulated seconds and no real ones.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
from pytest_antimetal.errors import NotFoundError
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.models import Artifact
from tests.client.scripted import FakeTime, full_spec


def fake_and_time(**kwargs: Any) -> tuple[FakeAntimetal, FakeTime]:
    fake = FakeAntimetal(spec=full_spec(), seed=7, **kwargs)
    time = FakeTime()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        real_sleep(seconds)
        fake.clock.advance(seconds)

    time.sleep = sleep  # type: ignore[method-assign]
    return fake, time


def client_of(fake: FakeAntimetal, time: FakeTime) -> AntimetalClient:
    return AntimetalClient(
        api_key=fake.api_key,
        transport=fake.transport,
        retry_policy=time.policy(),
        spec=full_spec(),
    )


def test_create_wait_read_evidence_fetch_artifacts_resolve_delete() -> None:
    fake, time = fake_and_time(investigation=5.0)
    client = client_of(fake, time)
    issue = client.issues.create(title="Disk full", description="d", environment="production")
    assert client.issues.retrieve(issue.uuid).investigation_done is False
    results = client.issues.wait_for_results(issue.uuid, timeout=60, poll_interval=1)
    assert sum(time.sleeps) >= 5  # simulated seconds only
    assert results.version_status == "SUCCESS" and results.root_cause is not None
    ids = results.evidence_document_ids
    assert ids
    artifacts = client.artifacts.retrieve(ids)
    assert {a.id for a in artifacts} <= set(ids) and artifacts
    assert all(isinstance(a, Artifact) and type(a) is not Artifact for a in artifacts)
    assert client.issues.retrieve(issue.uuid).status == "ready_to_fix"
    assert client.issues.update(issue.uuid, status="resolved").status == "resolved"
    assert client.issues.retrieve_by_number(issue.number).status == "resolved"
    client.issues.delete(issue.uuid)
    with pytest.raises(NotFoundError):
        client.issues.retrieve(issue.uuid)


def test_listing_walks_every_page_exactly_once() -> None:
    fake, time = fake_and_time(investigation="manual")
    client = client_of(fake, time)
    created = [
        client.issues.create(title=f"Issue {n}", description="d", environment="staging").uuid
        for n in range(7)
    ]
    listed = [issue.uuid for issue in client.issues.list(limit=3)]
    assert sorted(listed) == sorted(created) and len(listed) == 7
    first = client.issues.list(limit=3, environment="staging")
    assert len(first.data) == 3 and first.has_more
    assert [i.uuid for i in client.issues.list(search="issue 4")] == [created[4]]


def test_the_agent_answers_as_json_and_as_a_stream() -> None:
    fake, time = fake_and_time()
    client = client_of(fake, time)
    fake.agent.reply("Disk full.", chunks=["Disk ", "full."])
    answer = client.query.create(question="Why?")
    assert answer.answer == "Disk full."
    fake.agent.reply("Disk full.", chunks=["Disk ", "full."])
    with client.query.stream(question="Why?", conversation_id=answer.conversation_id) as stream:
        texts = [chunk.text for chunk in stream if chunk.text]
    assert texts == ["Disk ", "full."]
    assert stream.answer == "Disk full." and stream.conversation_id == answer.conversation_id


@pytest.mark.asyncio
async def test_async_wait_and_page_walk() -> None:
    fake = FakeAntimetal(spec=full_spec(), seed=7, investigation="instant")
    client = AsyncAntimetalClient(
        api_key=fake.api_key,
        transport=fake.transport,
        retry_policy=FakeTime().policy(),
        spec=full_spec(),
    )
    issue = await client.issues.create(title="t", description="d", environment="e")
    results = await client.issues.wait_for_results(issue.uuid, timeout=5)
    assert results.version_status == "SUCCESS"
    assert [i.uuid async for i in client.issues.list(limit=1)] == [issue.uuid]
