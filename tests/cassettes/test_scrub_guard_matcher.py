"""Plain-logic tests of pytest_antimetal.cassettes: scrubbing, guard, matcher (real vcrpy)."""

from __future__ import annotations

import gc
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_antimetal.cassettes import (
    AUTH_PLACEHOLDER,
    PLACEHOLDER,
    AntimetalMatcher,
    CassetteSecretError,
    GuardedPersister,
    Scrubber,
    install,
)
from pytest_antimetal.target import mask_secret

BODY = {"title": "Checkout 500s", "description": "spike", "environment": "prod"}
PROD = "https://bff.antimetal.com/api/v2"


def _vcr(record_mode: str, environ: dict[str, str], **kwargs: Any) -> Any:
    import vcr

    return install(vcr.VCR(record_mode=record_mode, **kwargs), environ=environ)


def _echo_handler(
    key: str, *, gzip_body: bool = False
) -> Callable[[httpx.Request], httpx.Response]:
    """A server that leaks the key everywhere it can: header, JSON and text bodies."""

    def handle(request: httpx.Request) -> httpx.Response:
        payload = json.dumps({"seen": request.headers.get("authorization"), "key": key}).encode()
        headers = {"content-type": "application/json", "x-echo-key": key}
        if gzip_body:
            payload = gzip.compress(payload)
            headers["content-encoding"] = "gzip"
        if request.url.path.endswith("/text"):
            payload, headers["content-type"] = f"your key is {key}".encode(), "text/plain"
        return httpx.Response(201, headers=headers, content=payload)

    return handle


def _record(
    tmp_path: Path,
    key: str,
    send: Callable[[httpx.Client], object],
    *,
    gzip_body: bool = False,
    **use_kwargs: Any,
) -> Path:
    cassette = tmp_path / "c.yaml"
    vcr = _vcr("once", {"ANTIMETAL_API_KEY": key})
    transport = httpx.MockTransport(_echo_handler(key, gzip_body=gzip_body))
    with (
        vcr.use_cassette(str(cassette), **use_kwargs),
        httpx.Client(
            transport=transport, base_url=PROD, headers={"Authorization": f"Bearer {key}"}
        ) as client,
    ):
        send(client)
    return cassette


def _assert_clean(cassette: Path, key: str) -> str:
    text = cassette.read_text(encoding="utf-8")
    assert key not in text
    assert key[-8:] not in text
    assert AUTH_PLACEHOLDER in text
    return text


def _interaction(cassette: Path, index: int = 0) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    return dict(data["interactions"][index])


# --------------------------------------------------------------------- scrubbing paths


def test_request_authorization_header_is_replaced(tmp_path: Path, canary_key: str) -> None:
    cassette = _record(tmp_path, canary_key, lambda c: c.post("/issues", json=BODY))
    _assert_clean(cassette, canary_key)
    assert _interaction(cassette)["request"]["headers"]["authorization"] == [AUTH_PLACEHOLDER]


def test_response_header_echoing_the_key_is_scrubbed(tmp_path: Path, canary_key: str) -> None:
    cassette = _record(tmp_path, canary_key, lambda c: c.post("/issues", json=BODY))
    _assert_clean(cassette, canary_key)
    assert _interaction(cassette)["response"]["headers"]["x-echo-key"] == [PLACEHOLDER]


def test_json_bodies_are_scrubbed(tmp_path: Path, canary_key: str) -> None:
    body = {**BODY, "description": f"token {canary_key}"}
    cassette = _record(tmp_path, canary_key, lambda c: c.post("/issues", json=body))
    _assert_clean(cassette, canary_key)
    interaction = _interaction(cassette)
    assert json.loads(interaction["request"]["body"])["description"] == f"token {PLACEHOLDER}"
    assert json.loads(interaction["response"]["body"]["string"])["key"] == PLACEHOLDER


def test_text_bodies_are_scrubbed(tmp_path: Path, canary_key: str) -> None:
    cassette = _record(
        tmp_path, canary_key, lambda c: c.post("/text", content=f"plain {canary_key}".encode())
    )
    _assert_clean(cassette, canary_key)
    interaction = _interaction(cassette)
    assert interaction["request"]["body"] == f"plain {PLACEHOLDER}"
    assert interaction["response"]["body"]["string"] == f"your key is {PLACEHOLDER}"


def test_url_query_string_is_scrubbed(tmp_path: Path, canary_key: str) -> None:
    key = canary_key + "+/="  # needs URL-encoding: the encoded form is scrubbed too
    cassette = _record(tmp_path, key, lambda c: c.get("/issues", params={"api_key": key}))
    text = _assert_clean(cassette, key)
    assert _interaction(cassette)["request"]["uri"] == f"{PROD}/issues?api_key={PLACEHOLDER}"
    assert canary_key not in text


def test_gzip_response_body_is_decoded_then_scrubbed(tmp_path: Path, canary_key: str) -> None:
    cassette = _record(tmp_path, canary_key, lambda c: c.post("/issues", json=BODY), gzip_body=True)
    text = _assert_clean(cassette, canary_key)
    assert "!!binary" not in text
    response = _interaction(cassette)["response"]
    assert "content-encoding" not in response["headers"]
    assert json.loads(response["body"]["string"])["key"] == PLACEHOLDER


def test_bearer_token_other_than_the_env_key_is_scrubbed(tmp_path: Path) -> None:
    # ANTIMETAL_API_KEY unset: the token is still known from the Authorization header.
    import vcr as vcrpy

    token = "sk-Other-Token-99887766"
    vcr = install(vcrpy.VCR(record_mode="once"), environ={})
    cassette = tmp_path / "c.yaml"
    with (
        vcr.use_cassette(str(cassette)),
        httpx.Client(
            transport=httpx.MockTransport(_echo_handler(token)),
            base_url=PROD,
            headers={"Authorization": f"Bearer {token}"},
        ) as client,
    ):
        client.post("/issues", json=BODY)
    _assert_clean(cassette, token)


# --------------------------------------------------------------------- fail-closed guard


@pytest.fixture
def finalize_vcr() -> Iterator[None]:
    """Unpatch now after a save that raised.

    vcrpy skips its unpatching when saving raises; the suspended patcher runs
    when garbage-collected, which could undo a later test's cassette patches.
    """
    yield
    gc.collect()


@pytest.mark.usefixtures("finalize_vcr")
def test_guard_refuses_when_user_disables_scrubbing(tmp_path: Path, canary_key: str) -> None:
    def keep(request: Any, response: Any) -> tuple[Any, Any]:
        return request, response

    with pytest.raises(CassetteSecretError) as excinfo:
        _record(
            tmp_path,
            canary_key,
            lambda c: c.post("/issues", json=BODY),
            before_save_interaction=[keep],
        )
    message = str(excinfo.value)
    assert not (tmp_path / "c.yaml").exists()
    assert canary_key not in message
    assert mask_secret(canary_key) in message
    assert "interaction 0 request header 'authorization'" in message
    assert "interaction 0 response header 'x-echo-key'" in message
    assert "interaction 0 response body" in message


@pytest.mark.usefixtures("finalize_vcr")
def test_guard_finds_key_inside_gzip_body_kept_compressed(tmp_path: Path, canary_key: str) -> None:
    def keep(request: Any, response: Any) -> tuple[Any, Any]:
        request.headers = {}
        response["headers"] = {"content-encoding": ["gzip"]}
        return request, response

    with pytest.raises(CassetteSecretError) as excinfo:
        _record(
            tmp_path,
            canary_key,
            lambda c: c.post("/issues", json=BODY),
            gzip_body=True,
            decode_compressed_response=False,
            before_save_interaction=[keep],
        )
    assert "interaction 0 response body (decompressed)" in str(excinfo.value)
    assert not (tmp_path / "c.yaml").exists()


def test_guard_flags_bearer_looking_tokens_without_env_key(tmp_path: Path) -> None:
    import vcr as vcrpy

    refusals: list[tuple[str, list[Any]]] = []
    inner = vcrpy.VCR().persister
    persister = GuardedPersister(
        inner, secrets=lambda: [], on_refusal=lambda p, h: refusals.append((p, h))
    )
    request = vcrpy.request.Request("GET", f"{PROD}/issues", b"", {})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {},
        "body": {"string": b'{"note": "use Bearer abcDEF123456789xyz"}'},
    }
    from vcr.serializers import yamlserializer

    path = tmp_path / "x.yaml"
    persister.save_cassette(path, {"requests": [request], "responses": [response]}, yamlserializer)
    assert not path.exists()
    assert len(refusals) == 1
    masked = mask_secret("abcDEF123456789xyz")
    assert f"a bearer token ({masked}) in interaction 0 response body" in str(refusals[0][1][0])


def test_guard_ignores_placeholders_and_challenges(tmp_path: Path) -> None:
    import vcr as vcrpy
    from vcr.serializers import yamlserializer

    persister = GuardedPersister(vcrpy.VCR().persister, secrets=lambda: [])
    request = vcrpy.request.Request(
        "POST", f"{PROD}/issues", b"{}", {"Authorization": AUTH_PLACEHOLDER}
    )
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {"www-authenticate": ['Bearer realm="antimetal"']},
        "body": {"string": b"missing Authorization header (expected 'Bearer <API key>')"},
    }
    path = tmp_path / "ok.yaml"
    persister.save_cassette(path, {"requests": [request], "responses": [response]}, yamlserializer)
    assert path.exists()


# --------------------------------------------------------------------- matcher


def _req(method: str, url: str, body: bytes | None = None, **headers: str) -> Any:
    from vcr.request import Request

    return Request(method, url, body, headers)


@pytest.fixture
def matcher() -> AntimetalMatcher:
    return AntimetalMatcher.from_spec(base_urls=["https://staging.example.net/v9"])


def _matches(m: AntimetalMatcher, a: Any, b: Any) -> bool:
    try:
        m(a, b)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize(
    "url",
    [
        "https://bff.antimetal.com/api/v2/issues",
        "https://bff.dev.antimetal.com/api/v2/issues",
        "http://127.0.0.1:8123/api/v2/issues",
        "http://127.0.0.1:8123/issues",
        "https://staging.example.net/v9/issues",
    ],
)
def test_matcher_is_host_independent_for_antimetal(matcher: AntimetalMatcher, url: str) -> None:
    recorded = _req("POST", "https://bff.antimetal.com/api/v2/issues", b'{"a": 1, "b": [1, 2]}')
    incoming = _req("POST", url, b'{"b":[1,2],"a":1}', Authorization="Bearer other")
    assert _matches(matcher, incoming, recorded)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "https://bff.antimetal.com/api/v2/issues", b'{"a": 1}'),
        ("POST", "https://bff.antimetal.com/api/v2/issues/x", b'{"a": 1}'),
        ("POST", "https://bff.antimetal.com/api/v2/issues?x=1", b'{"a": 1}'),
        ("POST", "https://bff.antimetal.com/api/v2/issues", b'{"a": 2}'),
        ("POST", "https://bff.antimetal.com/api/v2/issues", b'{"a": 1, "c": null}'),
        ("POST", "https://bff.antimetal.com/api/v2/issues", b"not json"),
    ],
)
def test_matcher_distinguishes(
    matcher: AntimetalMatcher, method: str, url: str, body: bytes
) -> None:
    recorded = _req("POST", "https://bff.antimetal.com/api/v2/issues", b'{"a": 1}')
    assert not _matches(matcher, _req(method, url, body), recorded)


def test_matcher_query_order_is_irrelevant(matcher: AntimetalMatcher) -> None:
    a = _req("GET", f"{PROD}/issues?b=2&a=1")
    b = _req("GET", "http://127.0.0.1:1/issues?a=1&b=2")
    assert _matches(matcher, a, b)


def test_matcher_keeps_host_for_other_traffic(matcher: AntimetalMatcher) -> None:
    a = _req("POST", "https://api.github.com/issues", b"{}")
    b = _req("POST", "https://api.gitlab.com/issues", b"{}")
    assert not _matches(matcher, a, b)
    # ... and vcrpy's default of ignoring bodies there.
    assert _matches(matcher, a, _req("POST", "https://api.github.com/issues", b'{"x": 1}'))
    # Loopback off the API's paths is not Antimetal traffic either.
    assert not _matches(
        matcher, _req("GET", "http://127.0.0.1:1/health"), _req("GET", "http://127.0.0.1:2/health")
    )


def test_matcher_failure_explains(matcher: AntimetalMatcher) -> None:
    with pytest.raises(AssertionError, match=r"path: '/issues' != '/nope'; JSON bodies differ"):
        matcher(_req("POST", f"{PROD}/issues", b"{}"), _req("POST", f"{PROD}/nope", b"[]"))


def test_matcher_key_is_recomputed_when_request_changes(matcher: AntimetalMatcher) -> None:
    request = _req("POST", f"{PROD}/issues", b'{"a": 1}')
    first = matcher.key(request)
    assert matcher.key(request) is first
    request.body = b'{"a": 2}'
    assert matcher.key(request) != first


def test_scrubber_is_a_vcr_hook_that_takes_the_cassette() -> None:
    import inspect

    inspect.signature(Scrubber()).bind(None, None, None)


# --------------------------------------------------------------------- indexed replay


def _record_numbers(path: Path, bodies: list[dict[str, Any]]) -> None:
    from pytest_antimetal.fake import FakeAntimetal

    fake = FakeAntimetal(seed=3)
    import vcr as vcrpy

    recorder = install(vcrpy.VCR(record_mode="once"), environ={})
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with (
        recorder.use_cassette(str(path)),
        httpx.Client(transport=fake.transport, base_url=PROD, headers=headers) as client,
    ):
        for body in bodies:
            assert client.post("/issues", json=body).status_code == 201


def test_indexed_replay_plays_identical_requests_in_order(tmp_path: Path) -> None:
    import vcr as vcrpy
    from vcr.errors import CannotOverwriteExistingCassetteException

    from pytest_antimetal.cassettes.matcher import _IndexedResponses

    other = {**BODY, "title": "other"}
    path = tmp_path / "c.yaml"
    _record_numbers(path, [BODY, other, BODY, BODY])
    player = install(vcrpy.VCR(record_mode="none"), environ={})
    with (
        player.use_cassette(str(path)) as cassette,
        httpx.Client(base_url="http://127.0.0.1:9/api/v2") as client,
    ):
        assert isinstance(vars(cassette)["_responses"], _IndexedResponses)
        numbers = [
            client.post("/issues", json=b).json()["number"] for b in (BODY, BODY, other, BODY)
        ]
        assert numbers == [1, 3, 2, 4]
        with pytest.raises(CannotOverwriteExistingCassetteException):
            client.post("/issues", json=BODY)


def test_user_match_on_falls_back_to_vcr_scan(tmp_path: Path) -> None:
    import vcr as vcrpy

    path = tmp_path / "c.yaml"
    _record_numbers(path, [BODY, {**BODY, "title": "other"}])
    player = install(vcrpy.VCR(record_mode="none"), environ={})
    with (
        player.use_cassette(str(path), match_on=("method", "path")) as cassette,
        httpx.Client(base_url=PROD) as client,
    ):
        # method+path ignore the body: the first recorded answer comes first.
        assert client.post("/issues", json={"title": "x"}).json()["number"] == 1
        assert cassette.play_count == 1


# --------------------------------------------------------------------- stacked Content-Encoding


def _deflate(data: bytes) -> bytes:
    import zlib

    return zlib.compress(data)


_CODERS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "deflate": _deflate}


def _encoded(data: bytes, header: str) -> bytes:
    for coding in header.split(","):  # the first one listed was applied first
        data = _CODERS[coding.strip()](data)
    return data


def _record_401_echo(tmp_path: Path, key: str, header: str, **use_kwargs: Any) -> Path:
    """A 401 echoing the bearer token, its body encoded per *header* (e.g. ``deflate, gzip``)."""

    def handle(request: httpx.Request) -> httpx.Response:
        echo = json.dumps({"message": f"invalid token: {request.headers['authorization']}"})
        headers = {"content-type": "application/json", "content-encoding": header}
        return httpx.Response(401, headers=headers, content=_encoded(echo.encode(), header))

    cassette = tmp_path / "c.yaml"
    vcr = _vcr("once", {"ANTIMETAL_API_KEY": key})
    with (
        vcr.use_cassette(str(cassette), **use_kwargs),
        httpx.Client(
            transport=httpx.MockTransport(handle),
            base_url=PROD,
            headers={"Authorization": f"Bearer {key}"},
        ) as client,
    ):
        response = client.post("/issues", json=BODY)
        assert key in response.text  # the client decoded every layer: the echo is real
    return cassette


@pytest.mark.parametrize("header", ["deflate, gzip", "gzip, gzip", "gzip, deflate, gzip"])
def test_stacked_encodings_are_decoded_then_scrubbed(
    tmp_path: Path, canary_key: str, header: str
) -> None:
    cassette = _record_401_echo(tmp_path, canary_key, header)
    text = _assert_clean(cassette, canary_key)
    assert "!!binary" not in text
    response = _interaction(cassette)["response"]
    assert "content-encoding" not in response["headers"]
    message = json.loads(response["body"]["string"])["message"]
    assert message == f"invalid token: {AUTH_PLACEHOLDER}"


@pytest.mark.usefixtures("finalize_vcr")
@pytest.mark.parametrize("header", ["deflate, gzip", "gzip, gzip"])
def test_guard_decodes_every_layer_of_a_body_kept_compressed(
    tmp_path: Path, canary_key: str, header: str
) -> None:
    def keep(request: Any, response: Any) -> tuple[Any, Any]:
        request.headers = {}
        return request, response

    with pytest.raises(CassetteSecretError) as excinfo:
        _record_401_echo(
            tmp_path,
            canary_key,
            header,
            decode_compressed_response=False,
            before_save_interaction=[keep],
        )
    message = str(excinfo.value)
    assert "interaction 0 response body (decompressed)" in message
    assert canary_key not in message
    assert not (tmp_path / "c.yaml").exists()


@pytest.mark.usefixtures("finalize_vcr")
@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        ("br", b"\x8b\x02\x80key\x03", "unsupported Content-Encoding 'br'"),
        ("gzip", b"\x1f\x8bnot really gzip", "not valid gzip data"),
        ("gzip", gzip.compress(b"x" * 100)[:-12], "not valid gzip data (truncated)"),
        ("gzip, gzip, gzip, gzip, gzip", b"", "5 Content-Encoding layers (at most 4)"),
        ("gzip", gzip.compress(b"0" * (16 * 1024 * 1024 + 1)), "too large once decoded"),
    ],
    ids=["unsupported", "corrupt", "truncated", "too-many-layers", "bomb"],
)
def test_guard_refuses_a_body_it_cannot_decode(
    tmp_path: Path, canary_key: str, header: str, body: bytes, reason: str
) -> None:
    import vcr as vcrpy
    from vcr.serializers import yamlserializer

    refusals: list[tuple[str, list[Any]]] = []
    persister = GuardedPersister(
        vcrpy.VCR().persister,
        secrets=lambda: [canary_key],
        on_refusal=lambda p, h: refusals.append((p, h)),
    )
    request = vcrpy.request.Request("POST", f"{PROD}/issues", b"{}", {})
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {"content-encoding": [header]},
        "body": {"string": body or b"\x00"},
    }
    path = tmp_path / "x.yaml"
    persister.save_cassette(path, {"requests": [request], "responses": [response]}, yamlserializer)
    assert not path.exists()
    assert len(refusals) == 1
    hits = [str(hit) for hit in refusals[0][1]]
    assert len(hits) == 1
    assert hits[0].startswith("a body it cannot decode (")
    assert reason in hits[0]
    assert hits[0].endswith("in interaction 0 response body")
