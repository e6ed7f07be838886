"""Reading an incoming request: its path, and its body parsed and validated against the spec.

Every refusal here is a :class:`BodyError`, which the fake answers with a 400.
Parsing is bounded: size before decoding (``content_coding`` bounds inflation),
nesting depth before anything recursive walks the value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pytest_antimetal.content_coding import ContentCodingError, decode_content
from pytest_antimetal.spec.validation import RequestValidator

if TYPE_CHECKING:
    from pytest_antimetal.spec import Operation

__all__ = ["MAX_JSON_DEPTH", "BodyError", "BodyReader", "path_of", "split_target"]

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays/objects the fake parses; deeper bodies get a 400."""

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BodyError(Exception):
    """A body the fake refuses before schema validation (always a 400)."""


def _reject_constant(name: str) -> Any:
    raise BodyError(f"invalid JSON: {name} is not a valid JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BodyError(f"invalid JSON: number {text[:40]} is out of range")
    return value


def too_deep(value: Any, limit: int) -> bool:
    """Whether parsed *value* nests arrays/objects deeper than *limit* (the top counts as 1).

    Iterative and linear in the number of nodes, stopping at the first node too
    deep. (Very deep input never gets here: the parser raises RecursionError.)
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def has_lone_surrogate(value: Any) -> bool:
    """Whether a string anywhere in *value* holds an unpaired UTF-16 surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(item) for item in value)
    return False


# Built once: json.loads with options constructs a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def path_of(url_or_path: str) -> str:
    """The path to route: a full URL's, percent-decoded; a bare path as is."""
    # A full URL (from a client) still carries its query and percent-escapes;
    # a bare path (from an adapter) is already decoded and must not be
    # re-split, or "/issues%3Fx" would route as "/issues".
    if "://" in url_or_path:
        try:
            return unquote(urlsplit(url_or_path).path) or "/"
        except ValueError:  # e.g. a broken IPv6 host: no route will match it
            return url_or_path
    return url_or_path or "/"


def split_target(url_or_path: str) -> tuple[str, str]:
    """``(path, query)`` to route: a full URL's decoded path and raw query; a bare path as is."""
    if "://" in url_or_path:
        try:
            parts = urlsplit(url_or_path)
            return unquote(parts.path) or "/", parts.query
        except ValueError:  # e.g. a broken IPv6 host: no route will match it
            return url_or_path, ""
    return url_or_path or "/", ""


def _media_matches(media: str, declared: str) -> bool:
    kind, _, sub = declared.partition("/")
    if declared == "*/*":
        return True
    if sub == "*":
        return media.partition("/")[0] == kind
    return media == declared


def is_json(media: str) -> bool:
    """Whether *media* (lower-case, no parameters) is a JSON media type."""
    return media == "application/json" or media.endswith("+json")


def check_content_type(value: str | None, declared: tuple[str, ...]) -> str:
    """The declared media type *value* matches (a 400 when none does)."""
    expected = " or ".join(declared)
    if value is None:
        raise BodyError(f"missing Content-Type header (expected {expected})")
    media, *params = value.split(";")
    media = media.strip().lower()
    match = next((d for d in declared if _media_matches(media, d)), None)
    # The fake parses JSON only: a wildcard admits JSON media types alone.
    if match is None or ("*" in match and not is_json(media)):
        raise BodyError(f"unsupported Content-Type {media[:60]!r} (expected {expected})")
    for param in params:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip('"').lower()
            if charset not in ("utf-8", "utf8"):
                raise BodyError(f"unsupported charset {charset[:40]!r} (expected utf-8)")
    return match


def inflate(body: bytes, header: str | None, limit: int) -> bytes:
    """*body* with its ``Content-Encoding`` undone, within *limit* (see ``content_coding``)."""
    try:
        return decode_content(body, header, limit=limit, what="request body")
    except ContentCodingError as exc:
        raise BodyError(str(exc)) from None


class BodyReader:
    """One operation's request body: which media types it takes, parsed and validated.

    Read from the spec once; :meth:`read` and :meth:`errors` run per request.
    """

    def __init__(self, operation: Operation) -> None:
        request_body = operation.request_body or {}
        self.required = bool(request_body.get("required", False))
        content = request_body.get("content") or {}
        # Only media types the fake can parse (JSON); the spec's own casing is kept out.
        declared = [str(m).lower() for m in content]
        media_types = tuple(m for m in declared if "*" in m or is_json(m))
        self.media_types: tuple[str, ...] = media_types or ("application/json",)
        self._validators = {
            str(media).lower(): RequestValidator(operation.request_schema(media))
            for media in content
            if str(media).lower() in self.media_types
        }
        fallback = self._validators.get("application/json")
        self._validator = fallback or RequestValidator(operation.request_schema())
        self.properties: dict[str, Any] = dict(
            (operation.request_schema(self.media_types[0]) or {}).get("properties") or {}
        )
        """The request schema's properties (of its first JSON media type)."""

    def read(self, headers: Mapping[str, str], body: bytes, limit: int) -> tuple[Any, str, int]:
        """The parsed body (``None`` when absent and optional), its media type and decoded size.

        *headers* has lower-case names; *limit* bounds the body before and after decoding.
        """
        if len(body) > limit:
            raise BodyError(f"request body too large (limit {limit} bytes)")
        if not body:
            if self.required:
                raise BodyError("a JSON request body is required")
            return None, "", 0
        media = check_content_type(headers.get("content-type"), self.media_types)
        body = inflate(body, headers.get("content-encoding"), limit)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError("request body is not valid UTF-8") from None
        try:
            data = _DECODER.decode(text)
        except BodyError:
            raise
        except json.JSONDecodeError as exc:
            raise BodyError(
                f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from None
        except RecursionError:
            raise BodyError(f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError:
            raise BodyError("invalid JSON: a number literal is too large") from None
        # Before anything recursive (the surrogate scan, the validator) walks it.
        if too_deep(data, MAX_JSON_DEPTH):
            raise BodyError(f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")
        if not isinstance(data, dict):
            raise BodyError(f"request body must be a JSON object, not {type(data).__name__}")
        if _SURROGATE_ESCAPE.search(body) and has_lone_surrogate(data):
            raise BodyError("invalid JSON: unpaired UTF-16 surrogate escape in a string")
        return data, media, len(body)

    def errors(self, data: Any, media: str) -> dict[str, str]:
        """What is wrong with parsed *data* by the schema of *media*, by field (empty: valid).

        Raises ``ValueError``, ``OverflowError`` or ``TypeError`` for a value the
        validator cannot handle (the caller answers 400).
        """
        validator = self._validators.get(media, self._validator)
        if data is None or validator.is_valid(data):
            return {}
        return validator.errors(data)
