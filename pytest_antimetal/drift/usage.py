"""What this project uses of the API, read from its recorded traffic (VCR.py cassettes).

:class:`Usage` holds, per operation, the requests sent (parameters, body
fields) and the responses read (statuses, headers, body fields present), each
with the cassettes it was seen in. :meth:`Usage.scope` then re-levels a
:class:`~pytest_antimetal.drift.model.DiffResult`: a change to something
nothing here sends or reads becomes ``info`` (``not used here``); a change to
something used keeps its level and names the cassette.

Cassettes are read with YAML's safe loader (or JSON) only, each file and each
body bounded in size, and bodies walked to a bounded depth and node count:
recorded traffic is data, never code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.cassettes.check import CASSETTE_SUFFIXES
from pytest_antimetal.cassettes.check import find_cassettes as _find_cassettes
from pytest_antimetal.cassettes.format import CassetteFormatError, parse_cassette
from pytest_antimetal.content_coding import decode_content
from pytest_antimetal.drift.model import Change, DiffResult, Level, Subject
from pytest_antimetal.drift.normalize import path_key
from pytest_antimetal.spec import HTTP_METHODS

__all__ = ["CASSETTE_SUFFIXES", "MAX_CASSETTE_BYTES", "Usage", "UsageError", "find_cassettes"]

MAX_CASSETTE_BYTES = 32 * 1024 * 1024
"""A cassette file larger than this is not read (reported, not fatal)."""
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
"""Per body: deeper or larger JSON is read only that far."""

Path_ = tuple[str, ...]


class UsageError(Exception):
    """PATHS name nothing readable (one line)."""


def find_cassettes(paths: Iterable[str | Path]) -> list[Path]:
    """Cassette files named by *paths* (:func:`pytest_antimetal.cassettes.check.find_cassettes`).

    Raises :class:`UsageError` for the first path that is neither a file nor a directory.
    """
    given = [Path(raw) for raw in paths]
    missing = next((p for p in given if not (p.is_dir() or p.is_file())), None)
    if missing is not None:
        raise UsageError(f"{missing}: no such file or directory")
    return _find_cassettes(given)


@dataclass
class _Seen:
    """Where something was seen: the cassettes (in order of first sight) and how often."""

    sources: dict[str, None] = field(default_factory=dict)
    count: int = 0

    def add(self, source: str) -> None:
        self.sources.setdefault(source, None)
        self.count += 1


@dataclass
class _Response:
    seen: _Seen = field(default_factory=_Seen)
    headers: dict[str, _Seen] = field(default_factory=dict)
    fields: dict[Path_, _Seen] = field(default_factory=dict)


@dataclass
class _Operation:
    label: str
    calls: _Seen = field(default_factory=_Seen)
    params: dict[str, _Seen] = field(default_factory=dict)
    bodies: int = 0
    fields: dict[Path_, _Seen] = field(default_factory=dict)
    responses: dict[str, _Response] = field(default_factory=dict)


_TOKEN = re.compile(r"\[\]|\{\*\}|<\w+>|[^.\[\]{}<>]+")


def _label_path(label: str) -> tuple[str, ...]:
    """``context.tags[]`` -> ``("context", "tags", "[]")``; ``{*}`` is any key; ``<anyOf>`` none."""
    return tuple(t for t in _TOKEN.findall(label) if not t.startswith("<"))


def _matches(pattern: tuple[str, ...], path: Path_) -> bool:
    if len(path) < len(pattern):
        return False
    return all(p in ("{*}", q) for p, q in zip(pattern, path, strict=False))


def _walk(body: Any) -> set[Path_]:
    """Every property path in a JSON value, bounded in depth and node count."""
    out: set[Path_] = set()
    stack: list[tuple[Any, Path_]] = [(body, ())]
    nodes = 0
    while stack and nodes < MAX_NODES:
        value, path = stack.pop()
        nodes += 1
        if len(path) >= MAX_DEPTH:
            continue
        if isinstance(value, dict):
            for key, sub in value.items():
                child = (*path, str(key))
                out.add(child)
                stack.append((sub, child))
        elif isinstance(value, list):
            child = (*path, "[]")
            if value:
                out.add(child)
            stack.extend((sub, child) for sub in value)
    return out


def _body_bytes(body: Any) -> bytes | None:
    if isinstance(body, Mapping):
        body = body.get("string")
    if isinstance(body, str):
        return body.encode("utf-8", "surrogateescape")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return None


def _headers(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(raw, Mapping):
        for name, value in raw.items():
            first = value[0] if isinstance(value, list) and value else value
            out[str(name).lower()] = str(first)
    return out


def _json_fields(body: Any, headers: Mapping[str, str]) -> set[Path_]:
    raw = _body_bytes(body)
    if not raw:
        return set()
    try:
        # The one bounded decoder the fake and the cassette guard use (every layer undone).
        raw = decode_content(raw, headers.get("content-encoding"), limit=MAX_BODY_BYTES)
        if len(raw) > MAX_BODY_BYTES:
            return set()
        return _walk(json.loads(raw))
    except (ValueError, RecursionError):  # ContentCodingError is a ValueError
        return set()  # not JSON (or not readable): no fields to count


def _load(path: Path) -> list[Mapping[str, Any]]:
    """The interactions of one cassette file (safe YAML or JSON only)."""
    if path.stat().st_size > MAX_CASSETTE_BYTES:
        raise UsageError(f"{path}: larger than {MAX_CASSETTE_BYTES // (1024 * 1024)} MiB")
    text = path.read_text(encoding="utf-8")
    try:  # the package's one bounded, tag-safe cassette parser
        data = parse_cassette(text, json_format=path.suffix == ".json")
    except CassetteFormatError as exc:
        raise UsageError(f"{path}: {exc}") from None
    interactions = data.get("interactions") if isinstance(data, Mapping) else None
    if not isinstance(interactions, list):
        raise UsageError(f"{path}: not a VCR.py cassette (no 'interactions' list)")
    return [i for i in interactions if isinstance(i, Mapping)]


@dataclass(frozen=True)
class _Template:
    method: str
    key: str
    label: str
    regex: re.Pattern[str]
    placeholders: int


def _templates(documents: Sequence[Mapping[str, Any]]) -> list[_Template]:
    out: dict[tuple[str, str], _Template] = {}
    for doc in documents:
        paths = doc.get("paths")
        for path, item in (paths or {}).items() if isinstance(paths, Mapping) else ():
            if not isinstance(item, Mapping):
                continue
            parts = re.split(r"(\{[^}/]+\})", str(path))
            body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            regex = re.compile(f"^{body}/?$")
            for method in HTTP_METHODS:
                if method in item:
                    key = (method.upper(), path_key(str(path)))
                    out.setdefault(
                        key,
                        _Template(
                            method.upper(),
                            key[1],
                            f"{method.upper()} {path}",
                            regex,
                            str(path).count("{"),
                        ),
                    )
    # A literal segment wins over a placeholder: /issues/by_number/{n} before /issues/{id}.
    return sorted(out.values(), key=lambda t: t.placeholders)


def _prefixes(documents: Sequence[Mapping[str, Any]]) -> list[str]:
    found = {"/api/v2"}
    for doc in documents:
        for server in doc.get("servers") or ():
            if isinstance(server, Mapping):
                prefix = urlsplit(str(server.get("url", ""))).path.rstrip("/")
                if prefix:
                    found.add(prefix)
    return sorted(found, key=len, reverse=True)


class Usage:
    """The operations, parameters and fields this project's recorded traffic uses."""

    def __init__(self) -> None:
        self.operations: dict[tuple[str, str], _Operation] = {}
        self.cassettes: list[str] = []
        self.unmatched = 0
        """Interactions that are not a documented operation (another API, a removed path)."""
        self.problems: list[str] = []
        """Cassettes that could not be read (one line each)."""

    @classmethod
    def from_cassettes(
        cls, paths: Iterable[str | Path], documents: Sequence[Mapping[str, Any]]
    ) -> Usage:
        """Read every cassette under *paths*; operations are those of *documents* (old, new).

        :class:`UsageError` when a path does not exist or no cassette is found.
        """
        names = [str(p) for p in paths]
        files = find_cassettes(names)
        if not files:
            raise UsageError(f"{', '.join(names) or '(none)'}: no cassettes found")
        usage = cls()
        templates = _templates(documents)
        prefixes = _prefixes(documents)
        for file in files:
            source = str(file)
            try:
                interactions = _load(file)
            except UsageError as exc:
                usage.problems.append(str(exc))
                continue
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
                usage.problems.append(f"{source}: cannot read ({exc})".splitlines()[0])
                continue
            except Exception as exc:  # yaml's errors: a file that is not YAML at all
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                usage.problems.append(f"{source}: not a VCR.py cassette ({first})")
                continue
            usage.cassettes.append(source)
            for interaction in interactions:
                usage._add(source, interaction, templates, prefixes)
        return usage

    def _add(
        self,
        source: str,
        interaction: Mapping[str, Any],
        templates: list[_Template],
        prefixes: list[str],
    ) -> None:
        request = interaction.get("request")
        response = interaction.get("response")
        if not isinstance(request, Mapping):
            return
        method = str(request.get("method", "")).upper()
        parts = urlsplit(str(request.get("uri", "")))
        rel = parts.path or "/"
        for prefix in prefixes:
            if rel.startswith(prefix + "/"):
                rel = rel[len(prefix) :]
                break
        template = next((t for t in templates if t.method == method and t.regex.match(rel)), None)
        if template is None:
            self.unmatched += 1
            return
        op = self.operations.setdefault((method, template.key), _Operation(template.label))
        op.calls.add(source)
        headers = _headers(request.get("headers"))
        sent = {f"header:{name}" for name in headers}
        sent |= {f"query:{name}" for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        for name in sent:
            op.params.setdefault(name, _Seen()).add(source)
        fields = _json_fields(request.get("body"), headers)
        if _body_bytes(request.get("body")):
            op.bodies += 1
        for path in fields:
            op.fields.setdefault(path, _Seen()).add(source)
        if not isinstance(response, Mapping):
            return
        status_raw = response.get("status")
        code = status_raw.get("code") if isinstance(status_raw, Mapping) else status_raw
        status = str(code)
        recorded = op.responses.setdefault(status, _Response())
        recorded.seen.add(source)
        response_headers = _headers(response.get("headers"))
        for name in response_headers:
            recorded.headers.setdefault(name, _Seen()).add(source)
        for path in _json_fields(response.get("body"), response_headers):
            recorded.fields.setdefault(path, _Seen()).add(source)

    # -- deciding -----------------------------------------------------------

    def used_operations(self) -> list[str]:
        return sorted(op.label for op in self.operations.values())

    def _operation(self, label: str | None) -> _Operation | None:
        if label is None:
            return None
        method, _, path = label.partition(" ")
        return self.operations.get((method, path_key(path)))

    def evidence(self, change: Change) -> tuple[bool, list[str]]:
        """(whether *change* touches something used here, the cassettes that show it)."""
        if change.operation is None:
            return True, []  # the document as a whole (servers, security schemes)
        op = self._operation(change.operation)
        if op is None:
            return False, []
        subject = change.subject or Subject("operation")
        calls = list(op.calls.sources)
        if subject.kind == "operation":
            return True, calls
        if subject.kind == "parameter":
            return self._parameter(op, change, subject)
        if subject.kind == "request-body":
            return self._request_field(op, change, subject)
        statuses = self._statuses(op, subject.status)
        if not statuses:
            return False, []
        if subject.kind == "response-header":
            seen = [r.headers[subject.name] for r in statuses if subject.name in r.headers]
            return bool(seen), _sources(seen)
        if not subject.field:
            return True, _sources([r.seen for r in statuses])
        pattern = _label_path(subject.field)
        seen = [s for r in statuses for path, s in r.fields.items() if _matches(pattern, path)]
        return bool(seen), _sources(seen)

    @staticmethod
    def _statuses(op: _Operation, statuses: str | None) -> list[_Response]:
        if statuses is None:
            return list(op.responses.values())
        found: dict[str, _Response] = {}
        for status in statuses.upper().split("|"):
            if status == "DEFAULT":
                found.update(op.responses)
            elif status.endswith("XX"):
                found.update((s, r) for s, r in op.responses.items() if s[:1] == status[:1])
            elif status in op.responses:
                found[status] = op.responses[status]
        return list(found.values())

    @staticmethod
    def _parameter(op: _Operation, change: Change, subject: Subject) -> tuple[bool, list[str]]:
        name = (subject.name or "").lower()
        if name.startswith("path:"):
            return True, list(op.calls.sources)  # a path parameter is always sent
        seen = op.params.get(name)
        always = seen is not None and seen.count >= op.calls.count
        if change.id in _MATTERS_WHEN_OMITTED:
            # A new requirement or a new default only reaches requests that omit the parameter.
            return not always, list(op.calls.sources)
        return seen is not None, list(seen.sources) if seen else []

    @staticmethod
    def _request_field(op: _Operation, change: Change, subject: Subject) -> tuple[bool, list[str]]:
        if not subject.field:
            return True, list(op.calls.sources)
        pattern = _label_path(subject.field)
        seen = [s for path, s in op.fields.items() if _matches(pattern, path)]
        if change.id in _MATTERS_WHEN_OMITTED:
            always = any(s.count >= op.bodies for s in seen) and op.bodies > 0
            return not always, list(op.calls.sources)
        return bool(seen), _sources(seen)

    def scope(self, result: DiffResult) -> DiffResult:
        """*result* with changes to unused things at ``info`` and used ones naming a cassette."""
        changes: list[Change] = []
        for change in result.changes:
            if not change.level.rank:
                changes.append(change)  # info stays info, used or not
                continue
            used, sources = self.evidence(change)
            if not used:
                changes.append(change.with_level(Level.INFO, "not used here"))
            elif sources:
                changes.append(change.with_note(f"used by {_name(sources)}"))
            else:
                changes.append(change)
        return result.replace(changes=changes, notes=(*result.notes, self.describe()))

    def describe(self) -> str:
        """One line: what the scope was computed from."""
        ops = self.used_operations()
        text = (
            f"usage from {len(self.cassettes)} cassette{'s' if len(self.cassettes) != 1 else ''}: "
            f"{len(ops)} operation{'s' if len(ops) != 1 else ''} used"
            + (f" ({', '.join(ops)})" if ops else "")
        )
        if self.problems:
            text += f"; unreadable: {'; '.join(self.problems)}"
        return text


_MATTERS_WHEN_OMITTED = frozenset(
    {
        "new-required-request-parameter",
        "request-parameter-became-required",
        "request-parameter-default-changed",
        "api-version-default-changed",
        "new-required-request-property",
        "request-property-became-required",
        "request-property-default-changed",
    }
)


def _sources(seen: Iterable[_Seen]) -> list[str]:
    out: dict[str, None] = {}
    for item in seen:
        out.update(item.sources)
    return list(out)


def _name(sources: list[str]) -> str:
    more = len(sources) - 1
    return sources[0] + (f" (+{more} more)" if more > 0 else "")
