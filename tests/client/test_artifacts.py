"""client.artifacts.retrieve: batching, repeated id parameters, typed models by ``type``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient, AsyncAntimetalClient
from pytest_antimetal.errors import APIResponseValidationError
from pytest_antimetal.models import (
    ARTIFACT_TYPES,
    Artifact,
    EventArtifact,
    FileArtifact,
    LogArtifact,
    MetricArtifact,
    TopologyArtifact,
    TraceArtifact,
)
from pytest_antimetal.spec.validation import RequestValidator
from tests.client.scripted import CANARY, FakeTime, Router, artifact, full_spec

ARTIFACTS = r"/artifacts"


def echo(request: httpx.Request) -> httpx.Response:
    """Answers each asked id with a metric artifact of that id (unknown ids: none)."""
    ids = request.url.params.get_list("id")
    return httpx.Response(200, json=[artifact("metric", i) for i in ids if not i.startswith("x")])


def make(router: Router, **kwargs: Any) -> AntimetalClient:
    return AntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        retry_policy=FakeTime().policy(),
        spec=kwargs.pop("spec", None) or full_spec(),
        **kwargs,
    )


def test_scripted_artifacts_are_valid_against_the_document() -> None:
    spec = full_spec()
    schema = spec.operation("get", "/artifacts").response_schema(200)
    assert schema is not None
    # The metric attribute schemas are recursive: their $refs stay, resolved from here.
    schema = {**schema, "components": spec.document["components"]}
    body = [artifact(kind) for kind in ARTIFACT_TYPES]
    assert RequestValidator(schema).errors(body) == {}


def test_more_than_100_ids_go_in_batches_of_repeated_id_parameters() -> None:
    router = Router({("GET", ARTIFACTS): echo})
    ids = [f"metric:datadog:{n}" for n in range(250)]
    found = make(router).artifacts.retrieve(ids)
    assert [a.id for a in found] == ids
    batches = [r.url.params.get_list("id") for r in router.requests]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert batches[0][0] == "metric:datadog:0" and batches[2][-1] == "metric:datadog:249"
    assert str(router.requests[0].url).count("id=") == 100  # repeated, not comma-joined


def test_ids_are_asked_once_and_none_means_no_request() -> None:
    router = Router({("GET", ARTIFACTS): echo})
    client = make(router)
    assert [a.id for a in client.artifacts.retrieve(["a", "b", "a"])] == ["a", "b"]
    assert router.requests[0].url.params.get_list("id") == ["a", "b"]
    assert client.artifacts.retrieve([]) == []
    assert len(router.requests) == 1
    assert [a.id for a in client.artifacts.retrieve("single:id")] == ["single:id"]
    assert router.requests[-1].url.params.get_list("id") == ["single:id"]


def test_unknown_ids_are_left_out_as_the_server_answers() -> None:
    router = Router({("GET", ARTIFACTS): echo})
    assert [a.id for a in make(router).artifacts.retrieve(["a", "x-unknown", "b"])] == ["a", "b"]


def test_each_type_gets_its_model() -> None:
    body = [artifact(kind) for kind in ARTIFACT_TYPES]
    router = Router({("GET", ARTIFACTS): httpx.Response(200, json=body)})
    found = make(router).artifacts.retrieve([a["id"] for a in body])
    assert [type(a) for a in found] == [
        MetricArtifact,
        TraceArtifact,
        LogArtifact,
        FileArtifact,
        EventArtifact,
        TopologyArtifact,
    ]
    file = found[3]
    assert file.data["content"] == "x = 1\n" and file.provider == "datadog"
    assert file.provider_url is None and file.created_at == "2026-03-17T10:00:00.000Z"


def test_an_unknown_type_is_a_plain_artifact_and_topology_data_defaults() -> None:
    topology = artifact("topology")
    del topology["data"]
    body = [artifact("profile", extra="kept"), topology]
    router = Router({("GET", ARTIFACTS): httpx.Response(200, json=body)})
    newer, topo = make(router).artifacts.retrieve(["a", "b"])
    assert type(newer) is Artifact and newer.type == "profile" and newer.raw["extra"] == "kept"
    assert isinstance(topo, TopologyArtifact) and topo.data == {}


def test_a_missing_field_the_types_schema_requires_is_named() -> None:
    log = artifact("log")
    del log["providerUrl"]
    router = Router({("GET", ARTIFACTS): httpx.Response(200, json=[log])})
    with pytest.raises(APIResponseValidationError, match=r"log artifact.*'providerUrl'"):
        make(router).artifacts.retrieve(["log:datadog:1"])


def test_a_body_that_is_not_a_list_is_a_validation_error() -> None:
    router = Router({("GET", ARTIFACTS): httpx.Response(200, json={"data": []})})
    with pytest.raises(APIResponseValidationError, match="expected a JSON array"):
        make(router).artifacts.retrieve(["a"])


def test_ids_must_be_strings() -> None:
    with pytest.raises(TypeError, match="non-empty strings"):
        make(Router({})).artifacts.retrieve([1])  # type: ignore[list-item]


@pytest.mark.asyncio
async def test_async_batches_alike() -> None:
    router = Router({("GET", ARTIFACTS): echo})
    client = AsyncAntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        spec=full_spec(),
    )
    found = await client.artifacts.retrieve([f"m{n}" for n in range(101)])
    assert len(found) == 101 and all(isinstance(a, MetricArtifact) for a in found)
    assert [len(r.url.params.get_list("id")) for r in router.requests] == [100, 1]
