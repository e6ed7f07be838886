"""Every operation of the vendor's full document records and replays (VCR.py with our defaults).

Recorded from :class:`ScriptedApi` on a loopback base URL, replayed under the
production URL with no transport behind the client: only the cassette can
answer, and a request it cannot answer raises VCR.py's "can't play back".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from pytest_antimetal.cassettes import CassetteSecretError, install
from pytest_antimetal.spec import Spec
from tests.cassettes.scripted import ISSUE_ID, ScriptedApi, vendor_spec

LOOPBACK = "http://127.0.0.1:9/api/v2"
PROD = "https://bff.antimetal.com/api/v2"
TOKEN = "amk-recording-0123456789abcdef"


@pytest.fixture
def spec() -> Spec:
    return vendor_spec()


def _record(
    path: Path,
    api: ScriptedApi,
    spec: Spec,
    send: Callable[[httpx.Client], Any],
    *,
    environ: dict[str, str] | None = None,
    token: str = TOKEN,
    **options: Any,
) -> Any:
    recorder = install(vcr.VCR(record_mode="once"), spec=spec, environ=environ or {})
    headers = {"Authorization": f"Bearer {token}"}
    with (
        recorder.use_cassette(str(path), **options),
        httpx.Client(transport=api.transport, base_url=LOOPBACK, headers=headers) as client,
    ):
        return send(client)


def _replay(
    path: Path,
    spec: Spec,
    send: Callable[[httpx.Client], Any],
    *,
    environ: dict[str, str] | None = None,
    token: str = "",
) -> Any:
    player = install(vcr.VCR(record_mode="none"), spec=spec, environ=environ or {})
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with (
        player.use_cassette(str(path), allow_playback_repeats=True),
        httpx.Client(base_url=PROD, headers=headers) as client,
    ):
        return send(client)


def _seen(response: httpx.Response) -> tuple[int, str, bytes]:
    return response.status_code, response.headers.get("content-type", ""), response.content


def _all_nine(client: httpx.Client, *, reorder: bool = False) -> list[tuple[int, str, bytes]]:
    """One call of each operation (the stream read whole); *reorder* sends the same
    query parameters and repeated ids in another order."""
    listing = [("status", "investigating"), ("limit", "2"), ("search", "checkout pods")]
    ids = [("id", "metric:datadog:mem"), ("id", "log:gcp:oom"), ("id", "trace:x")]
    if reorder:
        listing, ids = listing[::-1], ids[::-1]
    answers = [
        client.post("/issues", json={"title": "t", "description": "d", "environment": "prod"}),
        client.get("/issues", params=listing),
        client.get("/issues/by_number/7"),
        client.get(f"/issues/{ISSUE_ID}", params={"version": "2"}),
        client.patch(f"/issues/{ISSUE_ID}", json={"status": "resolved"}),
        client.get(f"/issues/{ISSUE_ID}/results"),
        client.get("/artifacts", params=ids),
        client.delete(f"/issues/{ISSUE_ID}"),
        client.post("/query", json={"question": "why?"}),
    ]
    seen = [_seen(r) for r in answers]
    stream = {"question": "why?", "stream": True}
    with client.stream(
        "POST", "/query", json=stream, headers={"Accept": "text/event-stream"}
    ) as response:
        response.read()
        seen.append(_seen(response))
    return seen


def test_every_operation_replays_under_production_with_queries_reordered(
    tmp_path: Path, spec: Spec
) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "nine.yaml"
    recorded = _record(path, api, spec, _all_nine)
    assert api.served == 10
    assert [status for status, _, _ in recorded] == [
        201,
        200,
        200,
        200,
        200,
        200,
        200,
        204,
        200,
        200,
    ]

    replayed = _replay(path, spec, lambda client: _all_nine(client, reorder=True))
    assert replayed == recorded
    assert api.served == 10  # nothing reached the API
    # The list answer shows the order the query was recorded in: replay did not re-ask.
    assert b"status=investigating&limit=2&search=checkout pods" in replayed[1][2]
    assert replayed[7] == (204, "", b"")
    assert replayed[9][1] == "text/event-stream"


def test_delete_204_replays_with_no_body(tmp_path: Path, spec: Spec) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "delete.yaml"
    _record(path, api, spec, lambda client: client.delete(f"/issues/{ISSUE_ID}"))
    response = _replay(path, spec, lambda client: client.delete(f"/issues/{ISSUE_ID}"))
    assert (response.status_code, response.reason_phrase, response.content) == (
        204,
        "No Content",
        b"",
    )
    assert "content-type" not in response.headers
    with pytest.raises(CannotOverwriteExistingCassetteException):
        _replay(path, spec, lambda client: client.delete("/issues/another"))


@pytest.mark.parametrize(
    ("ids", "replays"),
    [
        (["a", "b", "c"], True),
        (["c", "a", "b"], True),  # a set of ids: order is not meaning
        (["a", "b"], False),
        (["a", "b", "c", "c"], False),  # a duplicate is a different request
        (["a", "b", "d"], False),
    ],
    ids=["same", "reordered", "fewer", "duplicate", "other"],
)
def test_repeated_ids_match_as_a_multiset(
    tmp_path: Path, spec: Spec, ids: list[str], replays: bool
) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "artifacts.yaml"
    recorded = _record(
        path, api, spec, lambda c: c.get("/artifacts", params={"id": ["a", "b", "c"]})
    )

    def send(client: httpx.Client) -> httpx.Response:
        return client.get("/artifacts", params={"id": ids})

    if replays:
        assert _replay(path, spec, send).json() == recorded.json()
    else:
        with pytest.raises(CannotOverwriteExistingCassetteException):
            _replay(path, spec, send)


def test_patch_is_matched_on_its_body(tmp_path: Path, spec: Spec) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "patch.yaml"

    def send(status: str) -> Callable[[httpx.Client], Any]:
        return lambda client: client.patch(f"/issues/{ISSUE_ID}", json={"status": status})

    _record(path, api, spec, send("muted"))
    assert _replay(path, spec, send("muted")).json()["status"] == "muted"
    with pytest.raises(CannotOverwriteExistingCassetteException):
        _replay(path, spec, send("resolved"))


def test_loopback_under_the_api_prefix_is_antimetal_traffic_for_any_document(
    tmp_path: Path, spec: Spec
) -> None:
    # A document with POST /issues only (the vendored one before the full API): a
    # GET /issues/{id} recorded from the fake on loopback still replays under production.
    document = copy.deepcopy(spec.document)
    document["paths"] = {"/issues": {"post": document["paths"]["/issues"]["post"]}}
    small = Spec(document, source="one-operation")
    api = ScriptedApi(spec)
    path = tmp_path / "retrieve.yaml"

    def send(client: httpx.Client) -> Any:
        return client.get(f"/issues/{ISSUE_ID}").json()

    _record(path, api, small, send)
    assert _replay(path, small, send)["uuid"] == ISSUE_ID
    assert api.served == 1


# --------------------------------------------------------------------- the key in a query string


def _key_everywhere(key: str) -> Callable[[httpx.Client], list[Any]]:
    def send(client: httpx.Client) -> list[Any]:
        return [
            client.get("/issues", params={"search": key, "limit": "1"}).json(),
            client.get("/artifacts", params={"id": ["a", key]}).json(),
            client.get(f"/issues/{key}").json(),
        ]

    return send


@pytest.mark.parametrize("source", ["environment", "authorization-header"])
def test_key_in_query_string_and_path_is_scrubbed_and_still_replays(
    tmp_path: Path, spec: Spec, canary_key: str, source: str
) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "key.yaml"
    environ = {"ANTIMETAL_API_KEY": canary_key} if source == "environment" else {}
    recorded = _record(
        path, api, spec, _key_everywhere(canary_key), environ=environ, token=canary_key
    )
    text = path.read_text()
    assert canary_key not in text
    assert canary_key[len(canary_key) // 2 :] not in text
    assert "search=%3CANTIMETAL_API_KEY%3E" in text or "search=<ANTIMETAL_API_KEY>" in text
    # Replay sends the key again (as the test does): the matcher compares it as saved,
    # whether the key comes from the environment or only from the request's own header.
    replayed = _replay(path, spec, _key_everywhere(canary_key), environ=environ, token=canary_key)
    assert len(replayed) == len(recorded) == 3
    assert api.served == 3


def test_guard_refuses_a_key_in_a_query_string_when_scrubbing_is_turned_off(
    tmp_path: Path, spec: Spec, canary_key: str
) -> None:
    api = ScriptedApi(spec)
    path = tmp_path / "leak.yaml"

    def send(client: httpx.Client) -> Any:
        return client.get("/artifacts", params={"id": ["metric:a", canary_key]})

    with pytest.raises(CassetteSecretError) as excinfo:
        _record(
            path,
            api,
            spec,
            send,
            environ={"ANTIMETAL_API_KEY": canary_key},
            token="amk-other-token-0123456789",
            before_save_interaction=[],
        )
    assert not path.exists()
    message = str(excinfo.value)
    assert "the API key" in message and "interaction 0 request URL" in message
    assert canary_key not in message
