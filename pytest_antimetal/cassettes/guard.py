"""The guard: a vcrpy persister that refuses to write a cassette holding a secret.

Fail closed: before a cassette is written it is scanned (bodies decoded; an
event stream also as the text its events assemble) for the key and for
bearer-looking tokens; on a hit nothing is written. vcr is imported
when a cassette is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.cassettes.scrub import sent_token
from pytest_antimetal.cassettes.sse import assembled_fields, is_event_stream, parse_events
from pytest_antimetal.cassettes.wire import (
    MAX_DECODED_BYTES,
    body_bytes,
    decode_body,
    header_value,
    header_values,
)
from pytest_antimetal.content_coding import MAX_CODINGS, ContentCodingError
from pytest_antimetal.secrets import bearer_tokens_in, mask_secret, secret_variants

__all__ = [
    "UNDECODABLE",
    "CassetteSecretError",
    "GuardedPersister",
    "SecretHit",
    "refusal_message",
    "scan_interaction",
]

UNDECODABLE = "a body it cannot decode"
"""What a :class:`SecretHit` is when a compressed body cannot be decoded, so not scanned."""


@dataclass(frozen=True)
class SecretHit:
    """A secret found in a cassette about to be written (value masked)."""

    what: str
    where: str
    masked: str

    def __str__(self) -> str:
        return f"{self.what} ({self.masked}) in {self.where}"


class CassetteSecretError(Exception):
    """A cassette was not written because it contained a secret."""

    def __init__(self, path: str, hits: Sequence[SecretHit]) -> None:
        self.path = path
        self.hits = tuple(hits)
        super().__init__(refusal_message(path, hits))


def refusal_message(path: str, hits: Sequence[SecretHit]) -> str:
    """One message naming every hit (values masked) and what to do."""
    listed = "; ".join(str(hit) for hit in hits[:10])
    more = f" (and {len(hits) - 10} more)" if len(hits) > 10 else ""
    advice = (
        "Keep the default scrubbing (do not replace before_save_interaction / "
        "decode_compressed_response in vcr_config) or add a filter_sensitive_data entry for "
        "the value."
    )
    if any(hit.what == UNDECODABLE for hit in hits):
        advice += (
            f" A body is scanned once decoded: gzip or deflate, at most {MAX_CODINGS} "
            f"Content-Encoding layers, at most {MAX_DECODED_BYTES:,} bytes decoded."
        )
    return f"pytest-antimetal refused to write cassette {path}: found {listed}{more}. " + (
        f"Nothing was written. {advice}"
    )


def _scan_text(text: str, secrets: Sequence[str], where: str) -> list[SecretHit]:
    hits: list[SecretHit] = []
    for secret in secrets:
        if any(form in text for form in secret_variants(secret)):
            hits.append(SecretHit("the API key", where, mask_secret(secret)))
    for token in bearer_tokens_in(text):
        if token not in secrets:
            hits.append(SecretHit("a bearer token", where, mask_secret(token)))
    return hits


def _scan_body(
    body: Any, headers: Mapping[str, Any], secrets: Sequence[str], where: str
) -> list[SecretHit]:
    raw = body_bytes(body)
    if not raw:
        return []
    hits = _scan_text(raw.decode("latin-1"), secrets, where)
    try:
        plain = decode_body(raw, header_value(headers, "content-encoding"))
    except ContentCodingError as exc:
        # What cannot be read cannot be shown clean: fail closed.
        return [*hits, SecretHit(UNDECODABLE, where, str(exc))]
    if plain != raw:
        hits += _scan_text(plain.decode("latin-1"), secrets, f"{where} (decompressed)")
    if is_event_stream(header_value(headers, "content-type")):
        hits += _scan_event_stream(plain, secrets, where)
    return hits


def _scan_event_stream(plain: bytes, secrets: Sequence[str], where: str) -> list[SecretHit]:
    """The text a client assembles from the stream's events, scanned as one text.

    A streamed answer arrives in deltas: a key split across two events (or
    spelled with JSON escapes) is in no single line of the body.
    """
    events = parse_events(plain.decode("utf-8", errors="replace"))
    hits: list[SecretHit] = []
    for name, text in assembled_fields(events).items():
        field = f"{name!r} of its events" if name else "data of its non-JSON events"
        hits += _scan_text(text, secrets, f"{where} (event stream: the {field}, joined)")
    return hits


def scan_interaction(
    index: int, request: Any, response: Mapping[str, Any], secrets: Sequence[str]
) -> list[SecretHit]:
    """Every secret in one interaction (a vcr Request, or its dict form, and a response dict)."""
    prefix = f"interaction {index}"
    if isinstance(request, Mapping):
        uri, req_headers, req_body = (
            request.get("uri", ""),
            request.get("headers", {}),
            request.get("body"),
        )
    else:
        uri, req_headers, req_body = request.uri, dict(request.headers), request.body
    hits = _scan_text(str(uri), secrets, f"{prefix} request URL")
    for name, value in header_values(req_headers or {}):
        hits += _scan_text(value, secrets, f"{prefix} request header {name!r}")
        if name.lower() == "authorization":
            token = sent_token(value)
            if token and not any(hit.where.endswith(f"{name!r}") for hit in hits):
                hits.append(
                    SecretHit(
                        "a bearer token", f"{prefix} request header {name!r}", mask_secret(token)
                    )
                )
    hits += _scan_body(req_body, req_headers or {}, secrets, f"{prefix} request body")
    resp_headers = response.get("headers") or {}
    for name, value in header_values(resp_headers):
        hits += _scan_text(value, secrets, f"{prefix} response header {name!r}")
    body = response.get("body")
    string = body.get("string") if isinstance(body, Mapping) else body
    hits += _scan_body(string, resp_headers, secrets, f"{prefix} response body")
    status = response.get("status")
    if isinstance(status, Mapping):
        hits += _scan_text(str(status.get("message", "")), secrets, f"{prefix} response status")
    return hits


class GuardedPersister:
    """Wraps a vcrpy persister: a cassette containing a secret is never written.

    ``save_cassette`` serializes the cassette, scans the interactions (a
    compressed body is decompressed for the scan) and the serialized text for
    the key and bearer-looking tokens, and writes only when clean. On a hit,
    *on_refusal* is called with the path and the hits (the pytest plugin turns
    that into a test failure); without one :class:`CassetteSecretError` is raised
    (vcrpy then skips unpatching until its suspended patcher is garbage-collected,
    as after any exception from a persister: prefer *on_refusal* in long runs).
    """

    def __init__(
        self,
        inner: Any,
        *,
        secrets: Callable[[], Sequence[str]],
        on_refusal: Callable[[str, list[SecretHit]], None] | None = None,
    ) -> None:
        self.inner = inner
        self._secrets = secrets
        self._on_refusal = on_refusal

    def load_cassette(self, cassette_path: Any, serializer: Any) -> Any:
        return self.inner.load_cassette(cassette_path, serializer)

    def save_cassette(
        self, cassette_path: Any, cassette_dict: dict[str, Any], serializer: Any
    ) -> None:
        from vcr.serialize import serialize

        secrets = list(self._secrets())
        hits: list[SecretHit] = []
        for index, (request, response) in enumerate(
            zip(cassette_dict.get("requests", []), cassette_dict.get("responses", []), strict=False)
        ):
            hits += scan_interaction(index, request, response, secrets)
        text = serialize(cassette_dict, serializer)
        for number, line in enumerate(text.splitlines(), start=1):
            hits += _scan_text(line, secrets, f"serialized cassette line {number}")
        if hits:
            unique = list(dict.fromkeys(hits))
            if self._on_refusal is None:
                raise CassetteSecretError(str(cassette_path), unique) from None
            self._on_refusal(str(cassette_path), unique)
            return
        self.inner.save_cassette(cassette_path, cassette_dict, serializer=serializer)
