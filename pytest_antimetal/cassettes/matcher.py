"""The matcher: Antimetal requests match on method, API-relative path, query, JSON body, Accept.

A cassette recorded against dev or loopback replays under production. Also
:class:`IndexOnLoad`, which makes replay a dict lookup on the matcher's key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.cassettes.scrub import PLACEHOLDER, sent_token
from pytest_antimetal.cassettes.sse import wants_event_stream
from pytest_antimetal.cassettes.wire import as_text, body_bytes
from pytest_antimetal.secrets import redact
from pytest_antimetal.spec import Spec, vendored_spec
from pytest_antimetal.target import is_loopback_url

__all__ = ["MATCHER_NAME", "AntimetalMatcher", "IndexOnLoad", "template_regex"]

MATCHER_NAME = "antimetal"
"""The name our matcher is registered under (usable in a user's ``match_on``)."""


def template_regex(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    body = "".join(
        "[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts
    )
    return re.compile(f"^{body}/?$")


class AntimetalMatcher:
    """A vcrpy matcher: equal keys match.

    For Antimetal traffic (a spec server's host, ``*.antimetal.com``, a
    configured base URL's host, or loopback on a documented path or under a
    server's path prefix such as ``/api/v2``) the key is method, path relative
    to the API base (server path prefix stripped), query, the JSON body in
    canonical form, and whether ``Accept`` asks for ``text/event-stream``; the
    host and other headers (so ``Authorization``) are ignored. Other traffic
    keeps vcrpy's default (method, scheme, host, port, path, query). Keys are
    computed once per request object, so each comparison is a tuple equality.

    The query is compared as a multiset of decoded ``(name, value)`` pairs, for
    every method: the order of parameters never matters, nor the order of a
    repeated parameter's values (``id=a&id=b`` matches ``id=b&id=a``: the one
    repeated parameter the vendor documents, ``GET /artifacts``'s ``id``, is a
    set of ids to fetch), but how many times a pair is sent does
    (``id=a&id=a`` is not ``id=a``: the document does not say a server folds
    duplicates). ``a+b``, ``a%20b`` and ``a b`` are the same value. The body is
    compared as JSON with key order ignored (any method; none for ``GET`` and
    ``DELETE`` equals an empty one). ``Accept: text/event-stream`` is part of
    the key because it selects the answer: ``POST /query`` with ``stream: true``
    streams events only when asked for them.

    The key is compared as saved: the key (``ANTIMETAL_API_KEY``) and the
    request's own bearer token become the placeholder first, as the scrubber
    wrote them, so a request carrying its key in a query string or body
    replays with or without ``ANTIMETAL_API_KEY`` set.
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
        self._path_res = tuple(template_regex(p) for p in paths)

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
        """Whether *url* is Antimetal traffic (see the class docstring)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host in self.hosts or host == "antimetal.com" or host.endswith(".antimetal.com"):
            return True
        if is_loopback_url(url):
            path = parts.path or "/"
            # Under /api/v2 on loopback is the fake (or a proxy) even for an operation
            # this document lacks: matched and checked as Antimetal traffic.
            if any(path.startswith(prefix + "/") for prefix in self.prefixes):
                return True
            rel = self.relative_path(path)
            return any(r.match(rel) for r in self._path_res)
        return False

    def key(self, request: Any) -> tuple[Any, ...]:
        """The comparison key of a vcr request (cached on the object)."""
        uri, body, headers = request.uri, request.body, request.headers
        # vcrpy's HeadersDict is case-insensitive; read the two headers the key uses once.
        accept, auth = (as_text(headers.get(name)) or "" for name in ("Accept", "Authorization"))
        cached = getattr(request, "_antimetal_key", None)
        # Identity for uri and body (vcrpy hands over copies that share them), equality
        # for the two header values: a cache hit costs no hashing or parsing.
        if (
            cached is not None
            and cached[0] is uri
            and cached[1] is body
            and cached[2] == accept
            and cached[3] == auth
        ):
            return cached[4]  # type: ignore[no-any-return]
        key = self._compute(request.method, uri, body, accept, auth)
        request._antimetal_key = (uri, body, accept, auth, key)
        return key

    def _compute(
        self, method: str, uri: str, body: Any, accept: str, authorization: str
    ) -> tuple[Any, ...]:
        secrets = list(self._secrets())
        token = sent_token(authorization) if authorization else None
        if token and token.strip():
            secrets.append(token)
        if secrets:
            uri = redact(uri, secrets, PLACEHOLDER)
            raw = body_bytes(body)
            body = None if raw is None else redact(raw, secrets, PLACEHOLDER)
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
            wants_event_stream(accept),
        )

    def __call__(self, r1: Any, r2: Any) -> None:
        k1, k2 = self.key(r1), self.key(r2)
        if k1 == k2:
            return
        labels = ("host", "method", "path", "query", "body", "accept")
        shown = {"body": "JSON bodies differ", "accept": "only one asks for text/event-stream"}
        diffs = [
            shown.get(label, f"{label}: {a!r} != {b!r}")
            for label, a, b in zip(labels, k1, k2, strict=False)
            if a != b
        ]
        raise AssertionError("; ".join(diffs) or "different kind of request")


def _canonical_body(body: Any) -> str | bytes | None:
    raw = body_bytes(body)
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
