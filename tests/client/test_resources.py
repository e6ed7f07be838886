"""client.issues beyond create: retrieve, by number, update, delete, results, wait_for_results."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytest_antimetal.client import AntimetalClient
from pytest_antimetal.errors import (
    APIResponseValidationError,
    InternalServerError,
    InvestigationTimeoutError,
    NotFoundError,
)
from pytest_antimetal.models import Issue, IssueResults, IssueVersion, Seed
from pytest_antimetal.spec import Spec, vendored_spec
from pytest_antimetal.spec.validation import RequestValidator
from tests.client.scripted import (
    CANARY,
    CANARY_CORE,
    ISSUE_ID,
    FakeTime,
    Router,
    error_body,
    full_spec,
    issue_dto,
    results_dto,
)

ISSUE = r"/issues/[^/]+"
RESULTS = r"/issues/[^/]+/results"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


def client_for(router: Router, time: FakeTime | None = None, **kwargs: Any) -> AntimetalClient:
    kwargs.setdefault("spec", full_spec())
    return AntimetalClient(
        api_key=CANARY,
        base_url="https://api.test/v2",
        transport=httpx.MockTransport(router),
        retry_policy=(time or FakeTime()).policy(),
        **kwargs,
    )


def test_the_scripted_bodies_are_valid_against_the_full_document() -> None:
    # Otherwise the checks the tests below expect could be checks of a broken fixture.
    spec = full_spec()
    for method, path, status, body in [
        ("get", "/issues/{id}", 200, issue_dto(runs=("SUCCESS", "PENDING"))),
        ("get", "/issues/{id}/results", 200, results_dto("metric:datadog:1")),
        ("get", "/issues/{id}/results", 200, results_dto(root=False)),
    ]:
        schema = spec.operation(method, path).response_schema(status)
        assert schema is not None
        assert RequestValidator(schema).errors(body) == {}


def test_retrieve_sends_the_version_and_returns_the_full_issue() -> None:
    router = Router(
        {("GET", ISSUE): httpx.Response(200, json=issue_dto(runs=("SUCCESS", "PENDING")))}
    )
    issue = client_for(router).issues.retrieve(ISSUE_ID, version=2)
    request = router.requests[0]
    assert str(request.url) == f"https://api.test/v2/issues/{ISSUE_ID}?version=2"
    assert request.headers["Antimetal-Version"] == "2026-03-17"
    assert request.headers["Authorization"] == f"Bearer {CANARY}"
    assert isinstance(issue, Issue) and issue.number == 7 and issue.seed_count == 1
    assert issue.versions == (
        IssueVersion("v-1", 1, "SUCCESS"),
        IssueVersion("v-2", 2, "PENDING"),
    )
    assert issue.latest == IssueVersion("v-2", 2, "PENDING")
    assert isinstance(issue.seeds[0], Seed) and issue.seeds[0].tags == ("disk",)
    assert issue.seeds[0].provider == "datadog"


def test_an_id_cannot_reach_another_path() -> None:
    router = Router({("GET", r"/issues/.+"): httpx.Response(200, json=issue_dto())})
    client_for(router).issues.retrieve("../artifacts?id=x")
    assert router.paths() == ["GET /issues/..%2Fartifacts%3Fid%3Dx"]
    with pytest.raises(ValueError, match="id must not be empty"):
        client_for(router).issues.retrieve("")


def test_retrieve_by_number() -> None:
    router = Router({("GET", r"/issues/by_number/\d+"): httpx.Response(200, json=issue_dto())})
    client = client_for(router)
    assert client.issues.retrieve_by_number(7).uuid == ISSUE_ID
    assert router.paths() == ["GET /issues/by_number/7"]
    with pytest.raises(TypeError, match="number must be an int"):
        client.issues.retrieve_by_number("7")  # type: ignore[arg-type]


def test_a_body_missing_a_field_the_runs_spec_requires_is_a_validation_error() -> None:
    body = issue_dto()
    del body["seeds"]
    router = Router({("GET", ISSUE): httpx.Response(200, json=body)})
    with pytest.raises(
        APIResponseValidationError, match="IssueDto: missing required field 'seeds'"
    ):
        client_for(router).issues.retrieve(ISSUE_ID)


def test_an_operation_the_runs_spec_lacks_is_sent_and_its_answer_read_unchecked() -> None:
    # A spec of POST /issues only (the vendored document before the whole one): no crash,
    # no check; with the whole document the same body is refused.
    document = json.loads(json.dumps(full_spec().document))
    document["paths"] = {"/issues": {"post": document["paths"]["/issues"]["post"]}}
    body = issue_dto()
    del body["seeds"]
    router = Router({("GET", ISSUE): httpx.Response(200, json=body)})
    issue = client_for(router, spec=Spec(document)).issues.retrieve(ISSUE_ID)
    assert issue.uuid == ISSUE_ID and issue.seeds == ()
    with pytest.raises(APIResponseValidationError):
        client_for(router).issues.retrieve(ISSUE_ID)


def test_update_patches_the_status_and_is_retried_after_a_5xx() -> None:
    updated = issue_dto(status="resolved")
    router = Router({("PATCH", ISSUE): [error_body(503), httpx.Response(200, json=updated)]})
    time = FakeTime()
    issue = client_for(router, time).issues.update(ISSUE_ID, status="resolved")
    assert issue.status == "resolved"
    assert [json.loads(r.content) for r in router.requests] == [{"status": "resolved"}] * 2
    assert len(time.sleeps) == 1  # one backoff before the second attempt


def test_create_is_still_not_retried_after_a_5xx() -> None:
    router = Router({("POST", r"/issues"): [error_body(503), error_body(503)]})
    with pytest.raises(InternalServerError):
        client_for(router).issues.create(title="t", description="d", environment="e")
    assert len(router.requests) == 1


def test_delete_answers_none_and_404_is_not_found() -> None:
    router = Router({("DELETE", ISSUE): [error_body(500), httpx.Response(204), error_body(404)]})
    client = client_for(router)
    assert client.issues.delete(ISSUE_ID) is None  # retried after the 500
    assert router.paths() == [f"DELETE /issues/{ISSUE_ID}"] * 2
    with pytest.raises(NotFoundError) as info:
        client.issues.delete(ISSUE_ID)
    assert info.value.status_code == 404


def test_not_found_on_retrieve_and_results() -> None:
    router = Router({("GET", ISSUE): error_body(404), ("GET", RESULTS): error_body(404)})
    client = client_for(router)
    with pytest.raises(NotFoundError):
        client.issues.retrieve(ISSUE_ID)
    with pytest.raises(NotFoundError):
        client.issues.results(ISSUE_ID, version=9)
    assert router.paths()[-1] == f"GET /issues/{ISSUE_ID}/results?version=9"


def test_results_are_typed_and_name_their_evidence_documents() -> None:
    body = results_dto("metric:datadog:1", "log:loki:2", "metric:datadog:1")
    router = Router({("GET", RESULTS): httpx.Response(200, json=body)})
    results = client_for(router).issues.results(ISSUE_ID)
    assert isinstance(results, IssueResults)
    assert results.root_cause is not None
    assert results.root_cause.root_cause_summary == "Logs were never rotated"
    assert results.root_cause.relevant_evidence[0].confidence == "likely"
    assert results.evidence_document_ids == ["metric:datadog:1", "log:loki:2"]
    assert results.causal_tree == {"nodes": [], "edges": []}


def test_results_without_a_root_cause_yet() -> None:
    router = Router({("GET", RESULTS): httpx.Response(200, json=results_dto(root=False))})
    results = client_for(router).issues.results(ISSUE_ID)
    assert results.root_cause is None and results.evidence_document_ids == []


def test_a_nested_evidence_item_missing_a_field_is_named() -> None:
    body = results_dto("metric:datadog:1")
    del body["rootCause"]["relevantEvidence"][0]["artifacts"][0]["documentId"]
    router = Router({("GET", RESULTS): httpx.Response(200, json=body)})
    with pytest.raises(APIResponseValidationError, match="missing required field 'documentId'"):
        client_for(router).issues.results(ISSUE_ID)


# --- wait_for_results ----------------------------------------------------------------


def test_wait_polls_with_backoff_until_the_latest_run_finishes() -> None:
    polls = [issue_dto(runs=("PENDING",))] * 3 + [
        issue_dto(status="ready_to_fix", runs=("SUCCESS",))
    ]
    router = Router(
        {
            ("GET", RESULTS): httpx.Response(200, json=results_dto("metric:datadog:1")),
            ("GET", ISSUE): [httpx.Response(200, json=body) for body in polls],
        }
    )
    time = FakeTime()
    results = client_for(router, time).issues.wait_for_results(
        ISSUE_ID, timeout=60, poll_interval=1.0, max_poll_interval=2.0
    )
    assert time.sleeps == [1.0, 1.5, 2.0]  # grows by half, capped
    assert router.paths()[-1] == f"GET /issues/{ISSUE_ID}/results?version=1"
    assert (results.version, results.version_status) == (1, "SUCCESS")
    assert results.evidence_document_ids == ["metric:datadog:1"]


def test_wait_follows_the_latest_run_not_the_issue_status() -> None:
    # A re-run: the issue stays ready_to_fix while version 2 works.
    rerun = issue_dto(status="ready_to_fix", runs=("SUCCESS", "PENDING"))
    done = issue_dto(status="ready_to_fix", runs=("SUCCESS", "ERROR"))
    router = Router(
        {
            ("GET", RESULTS): httpx.Response(200, json=results_dto(root=False)),
            ("GET", ISSUE): [httpx.Response(200, json=rerun), httpx.Response(200, json=done)],
        }
    )
    results = client_for(router).issues.wait_for_results(ISSUE_ID)
    assert (results.version, results.version_status) == (2, "ERROR")
    assert len([p for p in router.paths() if p.startswith(f"GET /issues/{ISSUE_ID}?")]) == 0
    assert router.paths().count(f"GET /issues/{ISSUE_ID}") == 2


def test_wait_without_runs_falls_back_to_the_issue_status() -> None:
    router = Router(
        {
            ("GET", RESULTS): httpx.Response(200, json=results_dto(root=False)),
            ("GET", ISSUE): [
                httpx.Response(200, json=issue_dto(runs=())),
                httpx.Response(200, json=issue_dto(status="ready_to_fix", runs=())),
            ],
        }
    )
    results = client_for(router).issues.wait_for_results(ISSUE_ID)
    assert results.version is None
    assert router.paths()[-1] == f"GET /issues/{ISSUE_ID}/results"


def test_wait_times_out_naming_the_last_status_and_never_oversleeps() -> None:
    router = Router({("GET", ISSUE): httpx.Response(200, json=issue_dto(runs=("PENDING",)))})
    time = FakeTime()
    with pytest.raises(InvestigationTimeoutError) as info:
        client_for(router, time).issues.wait_for_results(
            ISSUE_ID, timeout=10, poll_interval=3, max_poll_interval=4
        )
    error = info.value
    assert time.sleeps == [3, 4, 3]  # the last sleep is cut to the deadline
    assert sum(time.sleeps) == 10
    assert (error.last_status, error.last_version, error.last_version_status) == (
        "investigating",
        1,
        "PENDING",
    )
    assert error.polls == 4 and isinstance(error, TimeoutError)
    assert "last status: investigating, latest version 1: PENDING" in str(error)
    assert ISSUE_ID in str(error) and CANARY_CORE not in str(error) + repr(error)


def test_wait_rejects_nonsense_intervals() -> None:
    client = client_for(Router({}))
    with pytest.raises(ValueError, match="poll_interval"):
        client.issues.wait_for_results(ISSUE_ID, poll_interval=0)
    with pytest.raises(ValueError, match="timeout"):
        client.issues.wait_for_results(ISSUE_ID, timeout=-1)


# --- the version header ---------------------------------------------------------------


def test_the_version_header_is_the_documents_and_overridable() -> None:
    router = Router({("GET", ISSUE): httpx.Response(200, json=issue_dto())})
    client = client_for(router)
    assert client.api_version == full_spec().version == "2026-03-17"
    client.issues.retrieve(ISSUE_ID)
    client.with_options(api_version="2099-01-01").issues.retrieve(ISSUE_ID)
    client_for(router, api_version="2098-01-01").issues.retrieve(ISSUE_ID)
    sent = [r.headers["Antimetal-Version"] for r in router.requests]
    assert sent == ["2026-03-17", "2099-01-01", "2098-01-01"]


def test_a_custom_spec_without_the_operation_still_sends_its_version() -> None:
    document = json.loads(json.dumps(vendored_spec().document))
    document["info"]["version"] = "2030-01-01"
    router = Router({("GET", ISSUE): httpx.Response(200, json=issue_dto())})
    client_for(router, spec=Spec(document)).issues.retrieve(ISSUE_ID)
    assert router.requests[0].headers["Antimetal-Version"] == "2030-01-01"
