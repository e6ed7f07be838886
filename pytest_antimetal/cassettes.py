"""Safe, spec-aware VCR.py cassettes for Antimetal traffic (plain logic, no pytest).

Three pieces, installed together on a ``vcr.VCR`` by :func:`install`:

* :class:`Scrubber` - a ``before_save_interaction`` hook replacing the API key
  (``ANTIMETAL_API_KEY`` and any ``Authorization: Bearer`` token) everywhere it
  appears: request and response headers, bodies, URLs;
* :class:`AntimetalMatcher` - matches Antimetal requests on method, path
  relative to the API base, query and JSON body (key order irrelevant), so a
  cassette recorded against dev or loopback replays under production;
* :class:`GuardedPersister` - fail closed: before a cassette is written it is
  scanned for the key and bearer-looking tokens; on a hit nothing is written.

:func:`check_cassettes` validates recorded traffic against the spec.

vcr, yaml and jsonschema_rs are imported inside functions: this module is
imported by the pytest plugin, which loads on every pytest run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AnyStr
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.content_coding import MAX_CODINGS, ContentCodingError, decode_content
from pytest_antimetal.redact import redact, secret_variants
from pytest_antimetal.spec import Operation, Spec, SpecError, vendored_spec
from pytest_antimetal.target import API_KEY_ENV, is_loopback_url, mask_secret

__all__ = [
    "AUTH_PLACEHOLDER",
    "CASSETTE_SUFFIXES",
    "MATCHER_NAME",
    "MAX_DECODED_BYTES",
    "PLACEHOLDER",
    "AntimetalMatcher",
    "CassetteSecretError",
    "Finding",
    "GuardedPersister",
    "IndexOnLoad",
    "Scrubber",
    "SecretHit",
    "check_cassettes",
    "default_vcr_config",
    "find_cassettes",
    "install",
    "refusal_message",
    "scan_interaction",
]

PLACEHOLDER = f"<{API_KEY_ENV}>"
"""What the key is replaced by in a saved cassette."""
AUTH_PLACEHOLDER = f"Bearer {PLACEHOLDER}"
"""What a saved ``Authorization`` header says."""
MATCHER_NAME = "antimetal"
"""The name our matcher is registered under (usable in a user's ``match_on``)."""
CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
MAX_DECODED_BYTES = 16 * 1024 * 1024
"""Largest body the guard and the check decode (per ``Content-Encoding`` layer): 16 MiB."""
UNDECODABLE = "a body it cannot decode"
"""What a :class:`SecretHit` is when a compressed body cannot be decoded, so not scanned."""
_GZIP_MAGIC = b"\x1f\x8b"

# Token characters of RFC 6750's b64token. Twelve or more of them with a digit
# or mixed case look like a credential; "Bearer realm=..." or "Bearer token"
# in a message do not.
_BEARER_RE = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{12,}=*)")


def _looks_like_token(token: str) -> bool:
    return any(c.isdigit() for c in token) or (token.lower() != token and token.upper() != token)


def bearer_token(value: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value, if any."""
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token == PLACEHOLDER:
        return None
    return token


def _variants(secret: str) -> list[str]:
    """*secret* as it may be spelled on the wire (see :func:`redact.secret_variants`)."""
    return secret_variants(secret)


def _as_text(value: Any) -> str | None:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).decode("latin-1")
    if isinstance(value, str):
        return value
    return None


def _body_bytes(body: Any) -> bytes | None:
    """A vcr request body or response ``body.string`` as bytes."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "getvalue"):
        return bytes(body.getvalue())
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, list | tuple):
        return b"".join(p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in body)
    return None


def _decode(data: bytes, encoding: str) -> bytes:
    """*data* with every ``Content-Encoding`` layer undone, bounded; then any gzip layer
    the header does not declare (a body can lie). Raises :class:`ContentCodingError`."""
    plain = decode_content(data, encoding, limit=MAX_DECODED_BYTES)
    layers = len(encoding.split(",")) if encoding else 0
    while plain[:2] == _GZIP_MAGIC and layers < MAX_CODINGS:
        try:
            plain = decode_content(plain, "gzip", limit=MAX_DECODED_BYTES)
        except ContentCodingError:
            break  # binary data that starts like gzip: scanned as it is
        layers += 1
    return plain


def _header_values(headers: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in headers.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = _as_text(item)
            if text is not None:
                yield str(name), text


def _header(headers: Mapping[str, Any], name: str) -> str:
    """Every value of header *name*, joined as one comma-separated value."""
    return ", ".join(value for key, value in _header_values(headers) if key.lower() == name)


# --------------------------------------------------------------------------- scrubbing


class Scrubber:
    """``before_save_interaction`` hook: the key never reaches a cassette.

    Secrets are ``ANTIMETAL_API_KEY`` read at save time (if set) and every
    ``Authorization: Bearer`` token of the cassette's requests. ``Authorization``
    becomes :data:`AUTH_PLACEHOLDER`; each secret is replaced by
    :data:`PLACEHOLDER` wherever else it appears (raw, URL-encoded or
    JSON-escaped): URL and query string, any header, request and response body.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    def env_secrets(self) -> list[str]:
        env = os.environ if self._environ is None else self._environ
        key = env.get(API_KEY_ENV) or ""
        return [key] if key.strip() else []

    def secrets_for(self, requests: Iterable[Any]) -> list[str]:
        found = self.env_secrets()
        for request in requests:
            headers = getattr(request, "headers", {}) or {}
            for name, value in _header_values(headers):
                if name.lower() == "authorization":
                    token = bearer_token(value)
                    if token:
                        found.append(token)
        # Longest first: a key that contains another must be replaced whole.
        return sorted(set(found), key=len, reverse=True)

    def _replace(self, value: Any, secrets: Sequence[str]) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                for form in _variants(secret):
                    value = value.replace(form, PLACEHOLDER)
            return value
        if isinstance(value, bytes | bytearray):
            data = bytes(value)
            for secret in secrets:
                for form in _variants(secret):
                    data = data.replace(form.encode("utf-8"), PLACEHOLDER.encode("utf-8"))
            return data
        if isinstance(value, dict):
            return {self._replace(k, secrets): self._replace(v, secrets) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._replace(item, secrets) for item in value)
        return value

    def scrub_request(self, request: Any, secrets: Sequence[str]) -> Any:
        """Scrub a ``vcr.request.Request`` in place (and return it)."""
        headers: dict[str, Any] = {}
        for name, value in dict(request.headers).items():
            if str(name).lower() == "authorization":
                text = (_as_text(value) or "").strip()
                if not text:
                    headers[name] = value  # an empty header is what the test sent, not a secret
                elif text.lower().startswith("bearer"):
                    headers[name] = AUTH_PLACEHOLDER
                else:
                    headers[name] = PLACEHOLDER
            else:
                headers[name] = self._replace(value, secrets)
        request.headers = headers
        request.uri = self._replace(request.uri, secrets)
        body = _body_bytes(request.body)
        if body is not None:
            request.body = self._replace(body, secrets)
        return request

    def scrub_response(self, response: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
        """Scrub a vcr response dict; a compressed body is decoded first when possible."""
        response = dict(response)
        headers = response.get("headers") or {}
        encoding = _header(headers, "content-encoding")
        body = response.get("body")
        raw = _body_bytes(body.get("string")) if isinstance(body, dict) else None
        if encoding and raw and secrets:
            try:
                plain = _decode(raw, encoding)
            except ContentCodingError:
                plain = raw  # left as it is: the guard refuses a body it cannot read
            if plain != raw and any(f.encode() in plain for s in secrets for f in _variants(s)):
                # A compressed body escapes text replacement: store it decoded (every layer).
                response["body"] = {**body, "string": plain}  # type: ignore[dict-item]
                response["headers"] = {
                    k: v
                    for k, v in headers.items()
                    if k.lower() not in ("content-encoding", "content-length")
                }
        return dict(self._replace(response, secrets))

    def __call__(self, request: Any, response: Any, cassette: Any = None) -> tuple[Any, Any]:
        """The hook: vcrpy passes copies, so scrubbing in place is safe."""
        pool = [request]
        if cassette is not None:
            pool.extend(getattr(cassette, "requests", []))
        secrets = self.secrets_for(pool)
        return self.scrub_request(request, secrets), self.scrub_response(response, secrets)


# --------------------------------------------------------------------------- guard


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
        if any(form in text for form in _variants(secret)):
            hits.append(SecretHit("the API key", where, mask_secret(secret)))
    for match in _BEARER_RE.finditer(text):
        token = match.group(1)
        if _looks_like_token(token) and token not in secrets:
            hits.append(SecretHit("a bearer token", where, mask_secret(token)))
    return hits


def _scan_body(
    body: Any, headers: Mapping[str, Any], secrets: Sequence[str], where: str
) -> list[SecretHit]:
    raw = _body_bytes(body)
    if not raw:
        return []
    hits = _scan_text(raw.decode("latin-1"), secrets, where)
    try:
        plain = _decode(raw, _header(headers, "content-encoding"))
    except ContentCodingError as exc:
        # What cannot be read cannot be shown clean: fail closed.
        return [*hits, SecretHit(UNDECODABLE, where, str(exc))]
    if plain != raw:
        hits += _scan_text(plain.decode("latin-1"), secrets, f"{where} (decompressed)")
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
    for name, value in _header_values(req_headers or {}):
        hits += _scan_text(value, secrets, f"{prefix} request header {name!r}")
        if name.lower() == "authorization":
            token = bearer_token(value)
            if token and not any(hit.where.endswith(f"{name!r}") for hit in hits):
                hits.append(
                    SecretHit(
                        "a bearer token", f"{prefix} request header {name!r}", mask_secret(token)
                    )
                )
    hits += _scan_body(req_body, req_headers or {}, secrets, f"{prefix} request body")
    resp_headers = response.get("headers") or {}
    for name, value in _header_values(resp_headers):
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


# --------------------------------------------------------------------------- matching


def _template_regex(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    body = "".join(
        "[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts
    )
    return re.compile(f"^{body}/?$")


class AntimetalMatcher:
    """A vcrpy matcher: equal keys match.

    For Antimetal traffic (a spec server's host, ``*.antimetal.com``, a
    configured base URL's host, or loopback on a documented path) the key is
    method, path relative to the API base (server path prefix stripped), sorted
    query and the JSON body in canonical form - the host and headers (so
    ``Authorization``) are ignored. Other traffic keeps vcrpy's default
    (method, scheme, host, port, path, query). Keys are computed once per
    request object, so each comparison is a tuple equality.
    """

    def __init__(
        self,
        *,
        hosts: Iterable[str],
        prefixes: Iterable[str],
        paths: Iterable[str],
        secrets: Callable[[], Sequence[str]] = lambda: (),
    ) -> None:
        self.__name__ = MATCHER_NAME  # vcrpy reports matchers by __name__
        # A key in a URL or body was saved as the placeholder: compare it so.
        self._secrets = secrets
        self.hosts = frozenset(h.lower() for h in hosts if h)
        self.prefixes = tuple(
            sorted({p.rstrip("/") for p in prefixes if p and p.rstrip("/")}, key=len, reverse=True)
        )
        self._path_res = tuple(_template_regex(p) for p in paths)

    @classmethod
    def from_spec(
        cls,
        spec: Spec | None = None,
        base_urls: Iterable[str] = (),
        secrets: Callable[[], Sequence[str]] = lambda: (),
    ) -> AntimetalMatcher:
        """Hosts and path prefixes from the spec's servers plus any configured base URLs."""
        spec = vendored_spec() if spec is None else spec
        urls = [*spec.servers, *(u for u in base_urls if u)]
        hosts = [urlsplit(u).hostname or "" for u in urls]
        prefixes = [urlsplit(u).path for u in urls]
        paths = list(dict.fromkeys(op.path for op in spec.operations()))
        return cls(hosts=hosts, prefixes=prefixes, paths=paths, secrets=secrets)

    def relative_path(self, path: str) -> str:
        """*path* with the longest known API base prefix removed."""
        for prefix in self.prefixes:
            if path == prefix:
                return "/"
            if path.startswith(prefix + "/"):
                return path[len(prefix) :]
        return path or "/"

    def is_antimetal(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host in self.hosts or host == "antimetal.com" or host.endswith(".antimetal.com"):
            return True
        if is_loopback_url(url):
            rel = self.relative_path(parts.path)
            return any(r.match(rel) for r in self._path_res)
        return False

    def key(self, request: Any) -> tuple[Any, ...]:
        """The comparison key of a vcr request (cached on the object)."""
        uri, body = request.uri, request.body
        cached = getattr(request, "_antimetal_key", None)
        if cached is not None and cached[0] is uri and cached[1] is body:
            return cached[2]  # type: ignore[no-any-return]
        key = self._compute(request.method, uri, body)
        request._antimetal_key = (uri, body, key)
        return key

    def _compute(self, method: str, uri: str, body: Any) -> tuple[Any, ...]:
        secrets = self._secrets()
        if secrets:
            uri = _mask_all(uri, secrets)
            raw = _body_bytes(body)
            body = None if raw is None else _mask_all(raw, secrets)
        parts = urlsplit(uri)
        query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        if not self.is_antimetal(uri):
            port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
            origin = f"{parts.scheme}://{parts.hostname}:{port}"
            return (origin, method.upper(), parts.path or "/", query)
        return (
            "antimetal",
            method.upper(),
            self.relative_path(parts.path),
            query,
            _canonical_body(body),
        )

    def __call__(self, r1: Any, r2: Any) -> None:
        k1, k2 = self.key(r1), self.key(r2)
        if k1 == k2:
            return
        labels = ("host", "method", "path", "query", "body")
        diffs = [
            f"{label}: {a!r} != {b!r}" if label != "body" else "JSON bodies differ"
            for label, a, b in zip(labels, k1, k2, strict=False)
            if a != b
        ]
        raise AssertionError("; ".join(diffs) or "different kind of request")


def _mask_all(text: AnyStr, secrets: Sequence[str]) -> AnyStr:
    return redact(text, secrets, PLACEHOLDER)


def _canonical_body(body: Any) -> str | bytes | None:
    raw = _body_bytes(body)
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------- wiring


class _IndexedResponses:
    """A loaded cassette's ``_responses`` as a dict lookup on the matcher's key.

    vcrpy compares each request with every recorded one (twice per request:
    ``can_play_response_for`` then ``play_response``), so replaying N requests
    costs O(N^2) matcher calls. Equal keys are exactly what our matcher
    accepts, so candidates can come from an index instead. Only used while
    the cassette matches on our matcher alone; otherwise vcrpy's scan runs.
    """

    def __init__(self, cassette: Any, matcher: AntimetalMatcher) -> None:
        self.cassette = cassette
        self.matcher = matcher
        self.index: dict[tuple[Any, ...], list[int]] = {}
        self.indexed = 0

    def __call__(self, request: Any) -> Iterator[tuple[int, Any]]:
        cassette = self.cassette
        match_on = list(cassette._match_on)
        if len(match_on) != 1 or match_on[0] is not self.matcher:
            yield from type(cassette)._responses(cassette, request)
            return
        request = cassette._before_record_request(request)
        if not request:
            return
        data = cassette.data
        if self.indexed > len(data):  # the list was replaced: start over
            self.index, self.indexed = {}, 0
        while self.indexed < len(data):
            key = self.matcher.key(data[self.indexed][0])
            self.index.setdefault(key, []).append(self.indexed)
            self.indexed += 1
        for position in self.index.get(self.matcher.key(request), ()):
            yield position, data[position][1]


class IndexOnLoad:
    """``after_load_interaction`` hook installing :class:`_IndexedResponses` on the cassette.

    Falls back to vcrpy's own scan when the cassette lacks the internals it relies on.
    """

    def __init__(self, matcher: AntimetalMatcher) -> None:
        self.matcher = matcher

    def __call__(self, request: Any, response: Any, cassette: Any = None) -> tuple[Any, Any]:
        if (
            cassette is not None
            and not isinstance(vars(cassette).get("_responses"), _IndexedResponses)
            and all(hasattr(cassette, a) for a in ("_match_on", "data", "_before_record_request"))
        ):
            cassette._responses = _IndexedResponses(cassette, self.matcher)
        return request, response


def default_vcr_config(
    scrubber: Scrubber | None = None, matcher: AntimetalMatcher | None = None
) -> dict[str, Any]:
    """The ``vcr_config`` keys pytest-antimetal installs (never ``record_mode``).

    A user's ``vcr_config`` may extend them (e.g. add ``filter_headers``) or
    override any of them; :class:`GuardedPersister` still refuses to save a key.
    """
    config: dict[str, Any] = {
        "decode_compressed_response": True,
        "match_on": (MATCHER_NAME,),
        "before_save_interaction": [scrubber or Scrubber()],
    }
    if matcher is not None:
        config["after_load_interaction"] = [IndexOnLoad(matcher)]
    return config


def install(
    vcr: Any,
    *,
    spec: Spec | None = None,
    base_urls: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    on_refusal: Callable[[str, list[SecretHit]], None] | None = None,
) -> Any:
    """Install the defaults, the matcher and the guard on a ``vcr.VCR`` instance.

    Instance attributes are defaults: keyword arguments of ``use_cassette``
    (pytest-recording passes the merged ``vcr_config``) override them.
    """
    scrubber = Scrubber(environ)
    matcher = AntimetalMatcher.from_spec(spec, base_urls, secrets=scrubber.env_secrets)
    vcr.register_matcher(MATCHER_NAME, matcher)
    for name, value in default_vcr_config(scrubber, matcher).items():
        setattr(vcr, name, value)
    if not isinstance(vcr.persister, GuardedPersister):
        vcr.register_persister(
            GuardedPersister(vcr.persister, secrets=scrubber.env_secrets, on_refusal=on_refusal)
        )
    # Cassettes are read as untrusted documents: safe tags, bounded size and alias expansion.
    from pytest_antimetal.cassettes_format import BoundedSerializer

    for name, json_format in (("yaml", False), ("json", True)):
        inner = vcr.serializers.get(name)
        if inner is not None and not isinstance(inner, BoundedSerializer):
            vcr.register_serializer(name, BoundedSerializer(inner, json_format=json_format))
    return vcr


# --------------------------------------------------------------------------- check


@dataclass(frozen=True)
class Finding:
    """One problem in a cassette: stale traffic, an undocumented status, a secret."""

    path: str
    index: int | None
    method: str
    url_path: str
    kind: str
    """``stale``, ``undocumented``, ``secret``, ``undecodable`` (a body that cannot be
    decoded, so not scanned), ``malformed`` (an interaction VCR.py cannot replay) or
    ``unreadable`` (the whole file)."""
    reason: str

    def __str__(self) -> str:
        where = self.path
        if self.index is not None:
            where += f": interaction {self.index}"
            if self.method:
                where += f" ({self.method} {self.url_path})"
        return f"{where}: {self.kind}: {self.reason}"


def find_cassettes(paths: Iterable[str | Path]) -> list[Path]:
    """Cassette files named by *paths* (files as given; directories searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in CASSETTE_SUFFIXES)
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


class _Checker:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.matcher = AntimetalMatcher.from_spec(spec)
        self.operations = [(op, _template_regex(op.path)) for op in spec.operations()]
        self._validators: dict[int, Any] = {}

    def _errors(self, schema: dict[str, Any], instance: Any) -> dict[str, str]:
        from pytest_antimetal.fake.validation import RequestValidator

        validator = self._validators.get(id(schema))
        if validator is None:
            validator = self._validators[id(schema)] = (schema, RequestValidator(schema))
        return dict(validator[1].errors(instance))

    def check(self, path: str, index: int, request: Any, response: dict[str, Any]) -> list[Finding]:
        uri = str(request.uri)
        parts = urlsplit(uri)
        if not self.matcher.is_antimetal(uri):
            return []
        method = str(request.method).upper()
        rel = self.matcher.relative_path(parts.path)

        def finding(kind: str, reason: str) -> Finding:
            return Finding(path, index, method, rel, kind, reason)

        at_path = [op for op, regex in self.operations if regex.match(rel)]
        if not at_path:
            return [finding("stale", f"the spec documents no path matching {rel}")]
        ops = [op for op in at_path if op.method.upper() == method]
        if not ops:
            allowed = ", ".join(op.method.upper() for op in at_path)
            return [
                finding("stale", f"the spec documents {method} {rel} no more (allows {allowed})")
            ]
        op = ops[0]
        status = int(response["status"]["code"])  # an int: read_cassette checked the shape
        findings: list[Finding] = []
        documented = any(k in op.responses for k in (str(status), f"{str(status)[0]}XX", "default"))
        if not documented:
            known = ", ".join(sorted(op.responses))
            findings.append(
                finding(
                    "undocumented", f"status {status} is not documented for {op.label} ({known})"
                )
            )
        if 200 <= status < 300:
            findings += self._check_request(op, request, finding)
        if documented:
            findings += self._check_response(op, status, response, finding)
        return findings

    def _check_headers(
        self, op: Operation, request: Any, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        sent = {name.lower(): value for name, value in _header_values(dict(request.headers))}
        findings: list[Finding] = []
        for param in op.parameters:
            name = str(param.get("name", ""))
            if param.get("in") != "header" or name.lower() == "authorization":
                continue
            value: Any = sent.get(name.lower())
            if value is None:
                if param.get("required"):
                    findings.append(finding("stale", f"required header {name} was not sent"))
                continue
            schema = param.get("schema")
            if not isinstance(schema, dict):
                continue
            kind = schema.get("type")
            try:  # a header is text on the wire; compare typed values as typed
                if kind == "integer":
                    value = int(value)
                elif kind == "number":
                    value = float(value)
            except ValueError:
                pass
            for message in self._errors(schema, value).values():
                findings.append(finding("stale", f"header {name} no longer valid: {message}"))
        return findings

    def _check_request(
        self, op: Operation, request: Any, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        findings = self._check_headers(op, request, finding)
        return findings + self._check_request_body(op, request, finding)

    def _check_request_body(
        self, op: Operation, request: Any, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        schema = op.request_schema()
        raw = _body_bytes(request.body)
        if schema is None:
            return []
        if not raw:
            required = bool(op.request_body and op.request_body.get("required"))
            return (
                [finding("stale", "request body is required but none was sent")] if required else []
            )
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return [finding("stale", "request body is not JSON but the server answered 2xx")]
        errors = self._errors(schema, body)
        return [
            finding("stale", f"request body no longer valid: {field}: {message}")
            for field, message in errors.items()
        ]

    def _check_response(
        self,
        op: Operation,
        status: int,
        response: dict[str, Any],
        finding: Callable[[str, str], Finding],
    ) -> list[Finding]:
        schema = op.response_schema(status)
        if schema is None:
            return []
        headers = response.get("headers") or {}
        body = response.get("body")
        raw = _body_bytes(body.get("string") if isinstance(body, Mapping) else body) or b""
        try:
            raw = _decode(raw, _header(headers, "content-encoding"))
        except ContentCodingError:
            return []  # reported by the scan as undecodable
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            return [finding("stale", f"{status} response body is not JSON")]
        errors = self._errors(schema, parsed)
        return [
            finding("stale", f"{status} response no longer valid: {field}: {message}")
            for field, message in errors.items()
        ]


def check_cassettes(
    paths: Iterable[str | Path], spec: Spec | None = None, environ: Mapping[str, str] | None = None
) -> list[Finding]:
    """Validate every Antimetal interaction of the cassettes at *paths* against *spec*.

    For a 2xx answer the request body must satisfy the operation's request
    schema (a 4xx to an invalid request is the API doing its job); every
    status must be documented and every response must satisfy its status's
    schema. An interaction the current spec no longer allows is ``stale``.
    Each interaction is also scanned for the key (``ANTIMETAL_API_KEY`` from
    *environ*) and bearer-looking tokens.
    """
    from pytest_antimetal.cassettes_format import CassetteFormatError, read_cassette

    spec = vendored_spec() if spec is None else spec
    checker = _Checker(spec)
    secrets = Scrubber(environ).env_secrets()
    findings: list[Finding] = []
    for path in find_cassettes(paths):
        name = str(path)
        try:
            cassette = read_cassette(path)
        except CassetteFormatError as exc:
            findings.append(Finding(name, None, "", "", "unreadable", str(exc)))
            continue
        for index, problem in cassette.problems:
            findings.append(Finding(name, index, "", "", "malformed", problem))
        for index, request, response in cassette.interactions:
            method = str(request.method).upper()
            rel = checker.matcher.relative_path(urlsplit(str(request.uri)).path)
            for hit in scan_interaction(index, request, response, secrets):
                kind = "undecodable" if hit.what == UNDECODABLE else "secret"
                findings.append(Finding(name, index, method, rel, kind, str(hit)))
            try:
                findings += checker.check(name, index, request, response)
            except SpecError as exc:
                findings.append(Finding(name, index, method, rel, "stale", str(exc)))
    return sorted(findings, key=lambda f: (f.path, -1 if f.index is None else f.index))
