"""Reading VCR.py cassette files safely: bounded, tag-safe, and checked entry by entry.

A cassette is a document from disk, possibly from another branch or another
person: it is parsed with the package's bounded, safe parser (no Python tags;
size, depth and alias-expanded node count bounded), and every interaction is
checked for the shape VCR.py replays, so a malformed one is one line naming the
file and the interaction, never a ``KeyError`` from deep inside vcrpy.

:class:`BoundedSerializer` applies the same parsing to cassettes VCR.py loads
for replay (installed by :func:`pytest_antimetal.cassettes.recorder.install`).

yaml and vcr are imported inside functions (the pytest plugin loads on every run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "MAX_CASSETTE_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "BoundedSerializer",
    "CassetteFile",
    "CassetteFormatError",
    "parse_cassette",
    "read_cassette",
]

FORMAT_VERSION = 1
"""The cassette format VCR.py writes (``version: 1``) and the only one it reads."""
MAX_CASSETTE_BYTES = 32 * 1024 * 1024
"""Largest cassette file read (32 MiB)."""
MAX_NODES = 2_000_000
"""Most YAML/JSON nodes a cassette may hold, YAML aliases expanded."""
MAX_DEPTH = 64
"""Deepest nesting of a cassette's mappings and sequences (VCR.py writes 5 levels)."""

_SOURCE = "cassette"
_REQUEST_KEYS = frozenset({"method", "uri", "body", "headers"})


class CassetteFormatError(ValueError):
    """A cassette that cannot be read at all; the message is one line."""


def parse_cassette(text: str, *, json_format: bool = False) -> Any:
    """The data of a cassette's *text*: safe YAML (or JSON) within the cassette bounds.

    The package's one bounded parser (:func:`pytest_antimetal.spec.load_yaml_bounded`):
    no Python tags, aliases counted as what they expand to before anything is built.
    """
    from pytest_antimetal.spec import (
        DocumentLimits,
        SpecError,
        load_json_bounded,
        load_yaml_bounded,
    )

    limits = DocumentLimits(max_bytes=MAX_CASSETTE_BYTES, max_depth=MAX_DEPTH, max_nodes=MAX_NODES)
    load = load_json_bounded if json_format else load_yaml_bounded
    try:
        return load(text, _SOURCE, limits=limits)
    except SpecError as exc:
        # The caller names the file: drop the parser's placeholder name.
        raise CassetteFormatError(str(exc).removeprefix(f"{_SOURCE}: ")) from None


class BoundedSerializer:
    """A VCR.py serializer: VCR.py's own writing, our bounded, tag-safe reading."""

    def __init__(self, inner: Any, *, json_format: bool = False) -> None:
        self.inner = inner
        self.json_format = json_format

    def serialize(self, cassette_dict: Any) -> str:
        return str(self.inner.serialize(cassette_dict))

    def deserialize(self, cassette_string: str) -> Any:
        try:
            return parse_cassette(cassette_string, json_format=self.json_format)
        except CassetteFormatError as exc:
            # vcrpy turns a ValueError from a serializer into its own message.
            raise ValueError(f"pytest-antimetal refused to load this cassette: {exc}") from None


# --------------------------------------------------------------------------- one file


@dataclass
class CassetteFile:
    """A cassette read from disk: the interactions VCR.py could replay, and what is wrong."""

    path: Path
    interactions: list[tuple[int, Any, dict[str, Any]]] = field(default_factory=list)
    """``(index, vcr Request, response dict)`` of every well-formed interaction."""
    problems: list[tuple[int, str]] = field(default_factory=list)
    """``(index, reason)`` of every malformed interaction."""


def _headers_problem(headers: Any, where: str) -> str | None:
    if headers is None:
        return None
    if not isinstance(headers, Mapping):
        return f"{where} headers are a {type(headers).__name__}, not a mapping"
    for name, value in headers.items():
        values = value if isinstance(value, list | tuple) else [value]
        if not isinstance(name, str) or not all(isinstance(v, str | bytes) for v in values):
            return f"{where} header {str(name)[:40]!r} is not text or a list of text"
    return None


def _interaction_problem(entry: Any) -> str | None:
    """What keeps VCR.py from replaying *entry*, in a few words; ``None`` when well-formed."""
    if not isinstance(entry, Mapping):
        return f"is a {type(entry).__name__}, not a mapping with request and response"
    request, response = entry.get("request"), entry.get("response")
    if not isinstance(request, Mapping):
        return "has no request mapping" if request is None else "request is not a mapping"
    unknown = sorted(str(k) for k in request if k not in _REQUEST_KEYS)
    if unknown:
        return f"request has unknown key(s) {', '.join(unknown)[:80]}"
    for key in ("method", "uri"):
        if not isinstance(request.get(key), str) or not request.get(key):
            return f"request {key} is missing or not text"
    if not isinstance(request.get("body"), str | bytes | None):
        return "request body is not text"
    problem = _headers_problem(request.get("headers"), "request")
    if problem:
        return problem
    if not isinstance(response, Mapping):
        return "has no response mapping" if response is None else "response is not a mapping"
    status = response.get("status")
    if not isinstance(status, Mapping):
        return f"response status is {_shown(status)}, not a mapping with an integer code"
    code = status.get("code")
    if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
        return f"response status code is {_shown(code)}, not an integer from 100 to 599"
    body = response.get("body")
    if not isinstance(body, Mapping) or not isinstance(body.get("string"), str | bytes | None):
        return "response body is not a mapping with a text string"
    return _headers_problem(response.get("headers"), "response")


def _shown(value: Any) -> str:
    if value is None:
        return "missing or null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_cassette(path: Path) -> CassetteFile:
    """Read and check the cassette at *path*.

    Raises :class:`CassetteFormatError` (one line) when the file as a whole is
    unusable: unreadable, over :data:`MAX_CASSETTE_BYTES`, not YAML/JSON, an
    alias bomb, empty, not a mapping, a format ``version`` other than
    :data:`FORMAT_VERSION`, ``interactions`` not a list. A malformed
    interaction is listed in :attr:`CassetteFile.problems` and skipped.
    """
    from vcr.request import Request
    from vcr.serializers import compat

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CASSETTE_BYTES + 1)
    except OSError as exc:
        raise CassetteFormatError(f"cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_CASSETTE_BYTES:
        raise CassetteFormatError(f"over the {MAX_CASSETTE_BYTES:,}-byte limit for a cassette")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteFormatError("not UTF-8 text") from None
    data = parse_cassette(text, json_format=path.suffix == ".json")
    if data is None or data == "":
        raise CassetteFormatError("empty: not a VCR.py cassette")
    if not isinstance(data, Mapping):
        raise CassetteFormatError(f"a {type(data).__name__}, not a VCR.py cassette mapping")
    if "version" not in data:
        raise CassetteFormatError(f"no format version (VCR.py writes version: {FORMAT_VERSION})")
    version = data["version"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise CassetteFormatError(
            f"format version {_shown(version)} is not supported "
            f"(VCR.py reads and writes version {FORMAT_VERSION})"
        )
    entries = data.get("interactions")
    if not isinstance(entries, list):
        raise CassetteFormatError(f"interactions is {_shown(entries)}, not a list")
    loaded = CassetteFile(path)
    for index, entry in enumerate(entries):
        problem = _interaction_problem(entry)
        if problem is not None:
            loaded.problems.append((index, problem))
            continue
        fields = {"body": None, **entry["request"]}
        fields["headers"] = fields.get("headers") or {}
        request = Request._from_dict(fields)
        response = compat.convert_to_bytes(dict(entry["response"]))
        loaded.interactions.append((index, request, response))
    return loaded
