"""Every operation through a user's pytest run: record from loopback, replay offline, check.

A downstream project calls the nine operations with plain httpx (the stream
iterated line by line) under ``@pytest.mark.vcr``; it records against
:class:`ScriptedServer` and replays under the production URL with the network
blocked and its query parameters sent in another order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Imported here so in-process pytester runs (which drop modules first imported
# inside them) never mix two copies of yaml's classes (EmitterError).
import vcr.serialize
import vcr.serializers.yamlserializer  # noqa: F401
import yaml  # noqa: F401

from pytest_antimetal.cassettes import check, recorder  # noqa: F401
from tests.cassettes.scripted import VENDOR, ScriptedApi, ScriptedServer, vendor_spec

PROD = "https://bff.antimetal.com/api/v2"

CONFTEST = """
from pytest_antimetal.cassettes.plugin import PLUGIN_NAME, CassettePlugin


def pytest_configure(config):
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(CassettePlugin(config), PLUGIN_NAME)
"""

DOWNSTREAM = """
import json
import os

import httpx
import pytest

ISSUE = "3f0c6a52-9a4e-4c1b-8d2f-5e7a9b1c0d3e"
REORDER = bool(os.environ.get("DOWNSTREAM_REORDER"))


def _client():
    key = os.environ.get("ANTIMETAL_API_KEY", "")
    return httpx.Client(
        base_url=os.environ["DOWNSTREAM_BASE_URL"], headers={"Authorization": f"Bearer {key}"}
    )


def _ordered(pairs):
    return pairs[::-1] if REORDER else pairs


@pytest.mark.vcr
def test_triage():
    search = os.environ.get("DOWNSTREAM_SEARCH", "checkout")
    with _client() as client:
        page = client.get(
            "/issues", params=_ordered([("status", "investigating"), ("search", search)])
        )
        assert page.status_code == 200
        assert page.json()["data"][0]["title"].startswith("status=investigating&search=")
        ids = _ordered([("id", "metric:datadog:mem"), ("id", "log:gcp:oom")])
        artifacts = client.get("/artifacts", params=ids).json()
        assert sorted(a["id"] for a in artifacts) == ["log:gcp:oom", "metric:datadog:mem"]
        assert client.get("/issues/by_number/7").json()["number"] == 7
        patched = client.patch(f"/issues/{ISSUE}", json={"status": "resolved"})
        assert patched.json()["status"] == "resolved"
        deleted = client.delete(f"/issues/{ISSUE}")
        assert (deleted.status_code, deleted.content) == (204, b"")


@pytest.mark.vcr
def test_ask_streamed():
    ask = {"question": "why?", "stream": True}
    with _client() as client, client.stream(
        "POST", "/query", json=ask, headers={"Accept": "text/event-stream"}
    ) as response:
        assert response.headers["content-type"] == "text/event-stream"
        chunks = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    answer = "".join(chunk.get("text", "") for chunk in chunks)
    assert answer == "The checkout pods ran out of memory."
    assert chunks[1]["artifact"]["id"] == "metric:datadog:mem"
    assert "conversation_id" in chunks[-1]
"""


@pytest.fixture
def downstream(pytester: pytest.Pytester) -> pytest.Pytester:
    vendor_spec()  # skips when the vendor's document is absent
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    return pytester


def _files_containing(root: Path, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_every_operation_records_replays_offline_and_checks_clean(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    spec_option = f"--antimetal-spec={VENDOR}"
    api = ScriptedApi(vendor_spec())
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.setenv("DOWNSTREAM_SEARCH", canary_key)  # the key in a query string
    with ScriptedServer(api) as server:
        monkeypatch.setenv("DOWNSTREAM_BASE_URL", server.url)
        recorded = downstream.runpytest("-p", "antimetal", spec_option, "--record-mode=once")
    recorded.assert_outcomes(passed=2)
    assert api.served == 6
    cassettes = downstream.path / "cassettes" / "test_downstream"
    assert sorted(p.name for p in cassettes.iterdir()) == [
        "test_ask_streamed.yaml",
        "test_triage.yaml",
    ]
    assert _files_containing(downstream.path, canary_key) == []
    assert "search=<ANTIMETAL_API_KEY>" in (cassettes / "test_triage.yaml").read_text()

    # Server gone, network blocked, production URL, query parameters in another order.
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    monkeypatch.setenv("DOWNSTREAM_REORDER", "1")
    replayed = downstream.runpytest(
        "-p",
        "antimetal",
        spec_option,
        "--record-mode=none",
        "--block-network",
        "--antimetal-check-cassettes=cassettes",
        "-v",
    )
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(["*antimetal-cassettes-check PASSED*"])
    assert api.served == 6


def test_guard_refuses_a_key_in_a_query_string_when_the_scrubber_is_replaced(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    downstream.makeconftest(
        CONFTEST
        + """
import pytest


@pytest.fixture
def vcr_config():
    return {"before_save_interaction": []}
"""
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.setenv("DOWNSTREAM_SEARCH", canary_key)
    with ScriptedServer(ScriptedApi(vendor_spec())) as server:
        monkeypatch.setenv("DOWNSTREAM_BASE_URL", server.url)
        result = downstream.runpytest(
            "-p", "antimetal", f"--antimetal-spec={VENDOR}", "--record-mode=once", "-k", "triage"
        )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*refused to write cassette *test_triage.yaml: found the API key (*) in interaction 0 request URL*"
        ]
    )
    assert _files_containing(downstream.path, canary_key) == []
    assert not (downstream.path / "cassettes" / "test_downstream" / "test_triage.yaml").exists()


LIFECYCLE = """
import json
import os

import httpx
import pytest


def _client():
    key = os.environ.get("ANTIMETAL_API_KEY", "")
    return httpx.Client(
        base_url=os.environ["DOWNSTREAM_BASE_URL"], headers={"Authorization": f"Bearer {key}"}
    )


@pytest.mark.vcr
def test_lifecycle():
    body = {"title": "Checkout 500s", "description": "spike", "environment": "prod"}
    query = [("limit", "5"), ("status", "investigating")]
    if os.environ.get("DOWNSTREAM_REORDER"):
        query.reverse()
    with _client() as client:
        created = client.post("/issues", json=body).json()
        uuid = created["uuid"]
        page = client.get("/issues", params=query).json()
        assert [issue["uuid"] for issue in page["data"]] == [uuid]
        assert client.get(f"/issues/{uuid}").json()["number"] == created["number"]
        assert client.delete(f"/issues/{uuid}").status_code == 204
        assert client.get(f"/issues/{uuid}").status_code == 404  # the same request, a later answer
        ask = {"question": "why?", "stream": True}
        with client.stream(
            "POST", "/query", json=ask, headers={"Accept": "text/event-stream"}
        ) as response:
            lines = list(response.iter_lines())
    chunks = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert len(chunks) > 2 and all("text" in chunk for chunk in chunks[:-1])
    assert "conversation_id" in chunks[-1]
    print("ANSWER", "".join(chunk.get("text", "") for chunk in chunks))
"""


def test_fake_lifecycle_records_and_replays_event_for_event(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    from datetime import UTC, datetime

    from pytest_antimetal.fake import FakeAntimetal, FakeServer

    spec = vendor_spec()
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_lifecycle=LIFECYCLE)
    fake = FakeAntimetal(
        spec=spec,
        api_keys=[canary_key],
        seed=13,
        clock=lambda: datetime(2026, 3, 17, 12, 0, tzinfo=UTC),
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    spec_option = f"--antimetal-spec={VENDOR}"
    with FakeServer(fake) as server:
        monkeypatch.setenv("DOWNSTREAM_BASE_URL", f"{server.url}/api/v2")
        recorded = pytester.runpytest("-p", "antimetal", spec_option, "--record-mode=once", "-rP")
    recorded.assert_outcomes(passed=1)
    answer = [line for line in recorded.stdout.lines if line.startswith("ANSWER ")]
    assert len(answer) == 1 and len(answer[0]) > len("ANSWER ")
    assert len(fake.requests) == 6
    assert _files_containing(pytester.path, canary_key) == []

    monkeypatch.delenv("ANTIMETAL_API_KEY")
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    monkeypatch.setenv("DOWNSTREAM_REORDER", "1")
    replayed = pytester.runpytest(
        "-p",
        "antimetal",
        spec_option,
        "--record-mode=none",
        "--block-network",
        "--antimetal-check-cassettes=cassettes",
        "-rP",
        "-v",
    )
    replayed.assert_outcomes(passed=2)
    # The same events in the same order: the assembled answer is the recorded one.
    assert [line for line in replayed.stdout.lines if line.startswith("ANSWER ")] == answer
    replayed.stdout.fnmatch_lines(["*antimetal-cassettes-check PASSED*"])
    assert len(fake.requests) == 6
