"""The project's own cassettes (cassettes/): replayed offline, clean against the spec.

They hold traffic recorded from the embedded fake (seeded, fixed clock, so a
re-record is byte-for-byte reproducible). Re-record them with::

    python -m pytest tests/cassettes/test_project_cassettes.py --record-mode=rewrite
"""

from __future__ import annotations

from pathlib import Path

import pytest

# Imported before the in-process pytester run (see test_cassettes_plugin.py).
import vcr.serialize
import vcr.serializers.yamlserializer  # noqa: F401
import yaml  # noqa: F401

from pytest_antimetal.cassettes import check_cassettes, find_cassettes

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"

CONFTEST = f"""
from datetime import UTC, datetime

import httpx
import pytest

from pytest_antimetal.cassettes.plugin import PLUGIN_NAME, CassettePlugin
from pytest_antimetal.fake import FakeAntimetal


def pytest_configure(config):
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(CassettePlugin(config), PLUGIN_NAME)


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return {str(CASSETTES)!r}


@pytest.fixture
def client(request):
    if request.config.getoption("record_mode") in (None, "none"):
        # Replay: nothing listens there and the network is blocked; only the
        # cassettes can answer, and they were recorded under another host.
        transport, base_url, key = None, "http://127.0.0.1:9/api/v2", ""
    else:
        fake = FakeAntimetal(seed=2026, clock=lambda: datetime(2026, 3, 17, 12, 0, tzinfo=UTC))
        transport, base_url, key = fake.transport, fake.base_url, fake.api_key
    headers = {{"Authorization": f"Bearer {{key}}"}}
    with httpx.Client(transport=transport, base_url=base_url, headers=headers) as client:
        yield client
"""

SCENARIOS = """
import pytest

MINIMAL = {
    "title": "Checkout 500s",
    "description": "Spike of 500s on /checkout",
    "environment": "production",
}


@pytest.mark.vcr
def test_create_issue_minimal(client):
    response = client.post("/issues", json=MINIMAL)
    assert response.status_code == 201
    issue = response.json()
    assert (issue["number"], issue["status"], issue["severity"]) == (1, "investigating", "medium")
    assert issue["createdAt"] == "2026-03-17T12:00:00.000Z"


@pytest.mark.vcr
def test_create_issue_full(client):
    body = {
        **MINIMAL,
        "severity": "high",
        "triggeredAt": "2026-03-17T11:58:00Z",
        "context": {"service": "checkout", "tags": ["payment", "critical"], "metadata": {"pod": 3}},
    }
    response = client.post("/issues", json=body, headers={"Antimetal-Version": "2026-03-17"})
    assert response.status_code == 201
    issue = response.json()
    assert (issue["severity"], issue["triggeredAt"]) == ("high", "2026-03-17T11:58:00.000Z")


@pytest.mark.vcr
def test_create_issue_title_too_long(client):
    response = client.post("/issues", json={**MINIMAL, "title": "x" * 501})
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "invalid_request_error"
    assert "title" in error["details"]


@pytest.mark.vcr
def test_create_issue_unauthenticated(client):
    response = client.post("/issues", json=MINIMAL, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_error"
"""


def test_project_cassettes_replay_offline(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_antimetal_traffic=SCENARIOS)
    record_mode = request.config.getoption("record_mode")
    if record_mode in (None, "none"):
        args = ["--record-mode=none", "--block-network"]
    else:
        args = [f"--record-mode={record_mode}"]
    result = pytester.runpytest("-p", "antimetal", *args)
    result.assert_outcomes(passed=4)
    assert len(find_cassettes([CASSETTES])) == 4


def test_project_cassettes_are_clean_against_the_spec() -> None:
    files = find_cassettes([CASSETTES])
    assert [f.name for f in files] == [
        "test_create_issue_full.yaml",
        "test_create_issue_minimal.yaml",
        "test_create_issue_title_too_long.yaml",
        "test_create_issue_unauthenticated.yaml",
    ]
    assert check_cassettes(files) == []
    authenticated = [f for f in files if "unauthenticated" not in f.name]
    assert all("- Bearer <ANTIMETAL_API_KEY>" in f.read_text() for f in authenticated)
