"""The fake under hostile or unusual input: linear depth checks, spec-driven 201 bodies,
no double decoding of paths, and ``Content-Encoding``."""

from __future__ import annotations

import copy
import gzip
import json
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import Spec, vendored_spec
from tests.helpers.fake import VALID_BODY, FakeClock, validated

_DATA = json.dumps(VALID_BODY).encode()


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # fixed bytes: stable test ids across xdist workers


def _id(value: object) -> str:
    return value if isinstance(value, str) else "body"


def _headers(fake: FakeAntimetal, **extra: str) -> dict[str, str]:
    return {
        "authorization": f"Bearer {fake.api_key}",
        "content-type": "application/json",
        **extra,
    }


def _client(fake: FakeAntimetal) -> httpx.Client:
    return httpx.Client(
        transport=fake.transport,
        base_url=fake.base_url,
        headers={"Authorization": f"Bearer {fake.api_key}"},
    )


# -- item 1: the depth check is linear ----------------------------------------------------------


def _adversarial(size: int) -> list[bytes]:
    """Bodies that made the old regex pre-scan quadratic: many brackets, then ``\\"`` runs."""
    runs = (size - 200) // 2
    unterminated = b"[]" * 65 + b'"' + b'\\"' * runs
    valid = (
        b'{"title":"t","environment":"e","context":{"metadata":{"x":['
        + b"[]," * 64
        + b'[]]}},"description":"'
        + b'\\"' * ((size - 400) // 2)
        + b'"}'
    )
    return [unterminated, valid]


def _best_time(fake: FakeAntimetal, body: bytes) -> float:
    headers = _headers(fake)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        answer = fake.handle("POST", "/issues", headers, body)
        best = min(best, time.perf_counter() - start)
        assert answer.status in (201, 400)
    return best


def test_depth_check_scales_linearly() -> None:
    fake = FakeAntimetal()
    small, large = _adversarial(8_000), _adversarial(80_000)
    for kind, (a, b) in enumerate(zip(small, large, strict=True)):
        ratio = _best_time(fake, b) / _best_time(fake, a)
        # Linear is ~10x; the old quadratic scan was ~100x (80 KB took 40 s).
        assert ratio < 30, (kind, ratio)
    # The valid adversarial body is really accepted, the other refused.
    assert fake.handle("POST", "/issues", _headers(fake), large[1]).status == 201
    assert fake.handle("POST", "/issues", _headers(fake), large[0]).status == 400


@pytest.mark.parametrize("depth", [65, 200, 5_000])
def test_too_deep_after_parsing_is_400(depth: int) -> None:
    fake = FakeAntimetal()
    body = b'{"title":"t","x":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    answer = fake.handle("POST", "/issues", _headers(fake), body)
    assert answer.status == 400
    assert "deep" in validated(answer)["message"]


# -- item 4: the 201 body comes from the spec -------------------------------------------------


def _changed(change: Callable[[dict[str, Any]], None]) -> Spec:
    document = copy.deepcopy(vendored_spec().document)
    change(document)
    return Spec(document)


def _schemas(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    schemas = document["components"]["schemas"]
    return schemas["CreateIssueDto"], schemas["CreateIssueResponseDto"]


def _response_errors(spec: Spec, body: Any) -> list[str]:
    import jsonschema

    schema = spec.operation("post", "/issues").response_schema(201)
    assert schema is not None
    return [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(body)]


def _with_team(document: dict[str, Any]) -> None:
    request, response = _schemas(document)
    for schema in (request, response):
        schema["properties"]["team"] = {"type": "string", "minLength": 2}
        schema["required"].append("team")
        schema["properties"]["severity"]["enum"].append("critical")
    request["properties"]["severity"]["description"] = "Severity (defaults to LOW)"


def test_201_echoes_new_required_field_and_documented_default() -> None:
    spec = _changed(_with_team)
    fake = FakeAntimetal(spec=spec, clock=FakeClock())
    with _client(fake) as c:
        assert c.post("/issues", json=VALID_BODY).status_code == 400  # team is required
        response = c.post("/issues", json={**VALID_BODY, "team": "sre"})
        critical = c.post("/issues", json={**VALID_BODY, "team": "db", "severity": "critical"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["team"] == "sre"
    assert body["severity"] == "low"
    assert body["status"] == "investigating"
    assert _response_errors(spec, body) == []
    assert critical.json()["severity"] == "critical"


def test_201_default_keyword_beats_description_and_status_is_first_enum() -> None:
    def change(document: dict[str, Any]) -> None:
        request, response = _schemas(document)
        request["properties"]["severity"]["default"] = "high"
        response["properties"]["status"]["enum"] = ["open", "investigating"]

    spec = _changed(change)
    fake = FakeAntimetal(spec=spec)
    answer = fake.handle("POST", "/issues", _headers(fake), json.dumps(VALID_BODY).encode())
    body = answer.json()
    assert answer.status == 201
    assert (body["severity"], body["status"]) == ("high", "open")
    assert _response_errors(spec, body) == []


def test_201_fills_required_fields_the_fake_cannot_know() -> None:
    def change(document: dict[str, Any]) -> None:
        _, response = _schemas(document)
        response["properties"].update(
            {
                "owner": {"type": "string", "minLength": 3},
                "score": {"type": "integer", "minimum": 5, "exclusiveMinimum": True},
                "ratio": {"type": "number", "maximum": -2.5},
                "labels": {"type": "array", "minItems": 2, "items": {"enum": ["a", "b"]}},
                "flags": {
                    "type": "object",
                    "required": ["on", "link"],
                    "properties": {
                        "on": {"type": "boolean"},
                        "link": {"type": "string", "format": "uri"},
                    },
                },
                "optional": {"type": "string"},
            }
        )
        response["required"] += ["owner", "score", "ratio", "labels", "flags"]

    spec = _changed(change)
    fake = FakeAntimetal(spec=spec)
    body = fake.handle("POST", "/issues", _headers(fake), json.dumps(VALID_BODY).encode()).json()
    assert _response_errors(spec, body) == []
    assert body["owner"] == "xxx"
    assert body["score"] == 6
    assert body["labels"] == ["a", "a"]
    assert "optional" not in body


def test_optional_request_body_and_declared_media_types() -> None:
    def change(document: dict[str, Any]) -> None:
        request_body = document["paths"]["/issues"]["post"]["requestBody"]
        request_body["required"] = False
        content = request_body["content"]
        content["application/vnd.antimetal+json"] = content.pop("application/json")

    spec = _changed(change)
    fake = FakeAntimetal(spec=spec)
    auth = {"authorization": f"Bearer {fake.api_key}"}
    empty = fake.handle("POST", "/issues", auth, b"")
    assert empty.status == 201, empty.body
    assert _response_errors(spec, empty.json()) == []
    data = json.dumps(VALID_BODY).encode()
    vendor = {**auth, "content-type": "application/vnd.antimetal+json"}
    assert fake.handle("POST", "/issues", vendor, data).json()["title"] == VALID_BODY["title"]
    plain = fake.handle("POST", "/issues", {**auth, "content-type": "application/json"}, data)
    assert plain.status == 400
    assert "application/vnd.antimetal+json" in plain.json()["message"]


def test_vendored_spec_still_requires_a_body() -> None:
    fake = FakeAntimetal()
    answer = fake.handle("POST", "/issues", _headers(fake), b"")
    assert answer.status == 400
    assert "required" in validated(answer)["message"]


# -- item 8: no double decoding --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/issues%3Fanything", "/issues%23frag", "/issues%3F"])
def test_encoded_query_or_fragment_is_not_a_route(path: str) -> None:
    fake = FakeAntimetal()
    with _client(fake) as c:
        response = c.post(path, json=VALID_BODY)
    assert response.status_code == 404
    assert validated(response)["type"] == "invalid_request_error"
    assert fake.issues == []


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://bff.antimetal.com/api/v2/issues?x=1#f", 201),
        ("http://127.0.0.1:8000/issues%3Fx", 404),
        ("/issues?x=1", 404),  # a bare path is taken as already split and decoded
        ("/issues", 201),
    ],
)
def test_handle_splits_full_urls_only(url: str, status: int) -> None:
    fake = FakeAntimetal()
    answer = fake.handle("POST", url, _headers(fake), json.dumps(VALID_BODY).encode())
    assert answer.status == status


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeAntimetal(max_body_bytes=4096)) as running:
        yield running


def test_asgi_routes_the_decoded_path_as_is(server: FakeServer) -> None:
    headers = {"Authorization": f"Bearer {server.fake.api_key}"}
    with httpx.Client(base_url=server.url, headers=headers) as c:
        assert c.post("/issues%3Fanything", json=VALID_BODY).status_code == 404
        assert c.post("/issues%23frag", json=VALID_BODY).status_code == 404
        assert c.post("/issues?x=1", json=VALID_BODY).status_code == 201
        gz = c.post(
            "/issues",
            content=_gz(json.dumps(VALID_BODY).encode()),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    assert gz.status_code == 201
    assert validated(gz)["title"] == VALID_BODY["title"]


# -- item 9: Content-Encoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", _gz(_DATA)),
        ("x-gzip", _gz(_DATA)),
        ("deflate", zlib.compress(_DATA)),
        ("GZIP", _gz(_DATA)),
        ("identity", _DATA),
        ("gzip, identity", _gz(_DATA)),
        ("deflate, gzip", _gz(zlib.compress(_DATA))),
    ],
    ids=_id,
)
def test_encoded_bodies_are_inflated(encoding: str, body: bytes) -> None:
    fake = FakeAntimetal()
    answer = fake.handle("POST", "/issues", _headers(fake, **{"content-encoding": encoding}), body)
    assert answer.status == 201, answer.body
    assert validated(answer)["title"] == VALID_BODY["title"]
    assert fake.requests[-1].json == VALID_BODY


@pytest.mark.parametrize(
    ("encoding", "body", "words"),
    [
        ("gzip", _DATA, "not valid gzip"),
        ("deflate", _DATA, "not valid deflate"),
        ("gzip", _gz(_DATA)[:-12], "truncated"),
        ("br", _DATA, "unsupported Content-Encoding 'br'"),
        ("compress", _DATA, "unsupported Content-Encoding"),
        ("gzip, br", _gz(_DATA), "unsupported Content-Encoding 'br'"),
    ],
    ids=_id,
)
def test_mislabelled_or_unsupported_encoding_is_400(encoding: str, body: bytes, words: str) -> None:
    fake = FakeAntimetal()
    answer = fake.handle("POST", "/issues", _headers(fake, **{"content-encoding": encoding}), body)
    assert answer.status == 400
    error = validated(answer)
    assert error["type"] == "invalid_request_error"
    assert words in error["message"]
    assert fake.issues == []


def test_size_limit_applies_after_inflation() -> None:
    fake = FakeAntimetal(max_body_bytes=4096)
    padded = _DATA[:-1] + b" " * (4096 - len(_DATA)) + b"}"
    assert len(padded) == 4096
    ok = fake.handle("POST", "/issues", _headers(fake, **{"content-encoding": "gzip"}), _gz(padded))
    assert ok.status == 201
    over = _gz(padded + b" ")
    assert len(over) < 4096
    answer = fake.handle("POST", "/issues", _headers(fake, **{"content-encoding": "gzip"}), over)
    assert answer.status == 400
    assert "too large" in validated(answer)["message"]


def test_zip_bomb_is_refused_without_inflating_it() -> None:
    import tracemalloc

    # 64 MiB of zeros in about 64 KB: inflated whole, it would be 64x the limit.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    bomb = b"".join(packer.compress(chunk) for _ in range(64)) + packer.flush()
    fake = FakeAntimetal()
    assert len(bomb) < fake.max_body_bytes // 8
    headers = _headers(fake, **{"content-encoding": "gzip"})
    tracemalloc.start()
    try:
        answer = fake.handle("POST", "/issues", headers, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 400
    assert "too large" in validated(answer)["message"]
    # Bounded inflation holds about limit + 1 bytes, never the 64 MiB.
    assert peak < 8 * fake.max_body_bytes
