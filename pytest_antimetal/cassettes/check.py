"""The check: recorded traffic validated against the spec and scanned for secrets.

Used by ``antimetal-contract cassettes check`` and ``--antimetal-check-cassettes``.
yaml and jsonschema_rs are imported when cassettes are read and validated.

Its parts: which files are cassettes (:mod:`~pytest_antimetal.cassettes.files`),
routing a recorded path to its operation (:mod:`~pytest_antimetal.cassettes.routes`),
the schema of a streamed event (:mod:`~pytest_antimetal.cassettes.stream_schema`)
and the compiled validators (:mod:`~pytest_antimetal.cassettes.validators`);
their public names are re-exported here, where they were first defined.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.cassettes.files import (
    CASSETTE_SUFFIXES,
    empty_directory_problem,
    find_cassettes,
)
from pytest_antimetal.cassettes.guard import UNDECODABLE, scan_interaction
from pytest_antimetal.cassettes.matcher import AntimetalMatcher
from pytest_antimetal.cassettes.routes import Routes
from pytest_antimetal.cassettes.scrub import Scrubber
from pytest_antimetal.cassettes.sse import EVENT_STREAM, is_event_stream, parse_events
from pytest_antimetal.cassettes.stream_schema import event_schema
from pytest_antimetal.cassettes.validators import SchemaErrors, errors_text
from pytest_antimetal.cassettes.wire import body_bytes, decode_body, header_value, header_values
from pytest_antimetal.content_coding import ContentCodingError
from pytest_antimetal.spec import Operation, Spec, SpecError, vendored_spec

__all__ = [
    "CASSETTE_SUFFIXES",
    "Finding",
    "check_cassettes",
    "empty_directory_problem",
    "event_schema",
    "find_cassettes",
]


@dataclass(frozen=True)
class Finding:
    """One problem in a cassette: stale traffic, an undocumented status, a secret."""

    path: str
    index: int | None
    method: str
    url_path: str
    kind: str
    """``stale``, ``undocumented`` (an operation or status the spec lacks), ``secret``,
    ``undecodable`` (a body that cannot be decoded, so not scanned), ``malformed`` (an
    interaction VCR.py cannot replay) or ``unreadable`` (the whole file)."""
    reason: str

    def __str__(self) -> str:
        where = self.path
        if self.index is not None:
            where += f": interaction {self.index}"
            if self.method:
                where += f" ({self.method} {self.url_path})"
        return f"{where}: {self.kind}: {self.reason}"


_NO_BODY_STATUSES = frozenset({204, 205, 304})
"""Statuses HTTP itself answers without a body."""
_MAX_EVENT_FINDINGS = 5
"""Invalid events reported one by one per interaction; the rest are counted."""


def _wire_value(schema: Mapping[str, Any], text: str) -> Any:
    """A parameter's text as the value its schema's type describes (left as text if it is not)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


class _Checker:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.matcher = AntimetalMatcher.from_spec(spec)
        self._routes = Routes(spec)
        self.routes = self._routes.routes
        self._errors = SchemaErrors(spec)
        self._event_schemas: dict[tuple[str, str, int], tuple[Any, str, str]] = {}

    def route(self, method: str, rel: str) -> tuple[Operation | None, dict[str, str], str]:
        """The operation serving *method* *rel* and its path parameters, else why none does
        (:meth:`Routes.match <pytest_antimetal.cassettes.routes.Routes.match>`)."""
        return self._routes.match(method, rel)

    def check(self, path: str, index: int, request: Any, response: dict[str, Any]) -> list[Finding]:
        uri = str(request.uri)
        parts = urlsplit(uri)
        if not self.matcher.is_antimetal(uri):
            return []
        method = str(request.method).upper()
        rel = self.matcher.relative_path(parts.path)

        def finding(kind: str, reason: str) -> Finding:
            return Finding(path, index, method, rel, kind, reason)

        op, path_values, why = self.route(method, rel)
        if op is None:
            return [
                finding(
                    "undocumented",
                    f"the spec ({self.spec.version}) documents no operation {method} {rel} ({why})",
                )
            ]
        status = int(response["status"]["code"])  # an int: read_cassette checked the shape
        findings: list[Finding] = []
        documented = any(k in op.responses for k in (str(status), f"{str(status)[0]}XX", "default"))
        if not documented and status == 401 and any(op.security):
            # The operation requires credentials (document-level security), so a server
            # answers 401 whether or not the operation lists it: the vendor's
            # GET /issues/by_number/{number} does not. Judged as the document's other 401s.
            return self._check_implied_401(op, response, finding)
        if not documented:
            known = ", ".join(sorted(op.responses))
            findings.append(
                finding(
                    "undocumented", f"status {status} is not documented for {op.label} ({known})"
                )
            )
        if 200 <= status < 300:
            findings += self._check_request(op, request, path_values, parts.query, finding)
        if documented:
            findings += self._check_response(op, status, response, finding)
        return findings

    # -- the request (2xx answers only: a 4xx to a bad request is the API doing its job)

    def _check_value(
        self, where: str, schema: Any, value: Any, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        if not isinstance(schema, dict):
            return []
        return [
            finding("stale", f"{where} no longer valid: {message}")
            for message in errors_text(self._errors(schema, value))
        ]

    def _check_headers(
        self, op: Operation, request: Any, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        sent = {name.lower(): value for name, value in header_values(dict(request.headers))}
        findings: list[Finding] = []
        for param in op.parameters:
            name = str(param.get("name", ""))
            if param.get("in") != "header" or name.lower() == "authorization":
                continue
            value = sent.get(name.lower())
            if value is None:
                if param.get("required"):
                    findings.append(finding("stale", f"required header {name} was not sent"))
                continue
            schema = param.get("schema")
            # A header is text on the wire; typed values compare as typed.
            typed = _wire_value(schema, value) if isinstance(schema, dict) else value
            findings += self._check_value(f"header {name}", schema, typed, finding)
        return findings

    def _check_path(
        self, op: Operation, values: Mapping[str, str], finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        findings: list[Finding] = []
        for param in op.parameters:
            name = str(param.get("name", ""))
            if param.get("in") != "path" or name not in values:
                continue
            schema = param.get("schema")
            typed = _wire_value(schema, values[name]) if isinstance(schema, dict) else values[name]
            findings += self._check_value(f"path parameter {name}", schema, typed, finding)
        return findings

    def _check_query(
        self, op: Operation, query: str, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        sent: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            sent.setdefault(name, []).append(value)
        documented = {str(p.get("name", "")): p for p in op.parameters if p.get("in") == "query"}
        findings = [
            finding("stale", f"query parameter {name} is not documented for {op.label}")
            for name in sent
            if name not in documented
        ]
        for name, param in documented.items():
            values = sent.get(name)
            if not values:
                if param.get("required"):
                    findings.append(
                        finding("stale", f"required query parameter {name} was not sent")
                    )
                continue
            schema = param.get("schema")
            if not isinstance(schema, dict):
                continue
            if schema.get("type") == "array":
                if param.get("explode") is False:  # form style: id=a,b
                    values = [item for value in values for item in value.split(",")]
                items = schema.get("items")
                item_schema = items if isinstance(items, dict) else {}
                typed: Any = [_wire_value(item_schema, v) for v in values]
                most = schema.get("maxItems")
                if isinstance(most, int) and len(typed) > most:
                    # The validator's message would quote the whole list.
                    findings.append(
                        finding(
                            "stale",
                            f"query parameter {name} was sent {len(typed)} times; "
                            f"the spec allows at most {most}",
                        )
                    )
                    typed = typed[:most]
            elif len(values) > 1:
                findings.append(
                    finding(
                        "stale",
                        f"query parameter {name} was sent {len(values)} times; "
                        "the spec documents one value",
                    )
                )
                continue
            else:
                typed = _wire_value(schema, values[0])
            findings += self._check_value(f"query parameter {name}", schema, typed, finding)
        return findings

    def _check_request(
        self,
        op: Operation,
        request: Any,
        path_values: Mapping[str, str],
        query: str,
        finding: Callable[[str, str], Finding],
    ) -> list[Finding]:
        findings = self._check_headers(op, request, finding)
        findings += self._check_path(op, path_values, finding)
        findings += self._check_query(op, query, finding)
        return findings + self._check_request_body(op, request, finding)

    def _check_request_body(
        self, op: Operation, request: Any, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        schema = op.request_schema()
        raw = body_bytes(request.body)
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

    # -- the response

    def _check_response(
        self,
        op: Operation,
        status: int,
        response: dict[str, Any],
        finding: Callable[[str, str], Finding],
    ) -> list[Finding]:
        headers = response.get("headers") or {}
        body = response.get("body")
        raw = body_bytes(body.get("string") if isinstance(body, Mapping) else body) or b""
        try:
            raw = decode_body(raw, header_value(headers, "content-encoding"))
        except ContentCodingError:
            return []  # reported by the scan as undecodable
        if status in _NO_BODY_STATUSES:
            if raw:
                return [
                    finding(
                        "stale",
                        f"{status} response holds a {len(raw):,}-byte body; "
                        f"HTTP sends none with {status}",
                    )
                ]
            return []
        if is_event_stream(header_value(headers, "content-type")):
            return self._check_events(op, status, raw, finding)
        schema = op.response_schema(status)
        if schema is None:
            return []
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            return [finding("stale", f"{status} response body is not JSON")]
        errors = self._errors(schema, parsed)
        return [
            finding("stale", f"{status} response no longer valid: {field}: {message}")
            for field, message in errors.items()
        ]

    def _check_implied_401(
        self, op: Operation, response: dict[str, Any], finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        schema = next(
            (other.response_schema(401) for other, _, _ in self.routes if "401" in other.responses),
            None,
        )
        if schema is None:
            return []
        body = response.get("body")
        raw = body_bytes(body.get("string") if isinstance(body, Mapping) else body) or b""
        try:
            raw = decode_body(raw, header_value(response.get("headers") or {}, "content-encoding"))
            parsed = json.loads(raw)
        except ContentCodingError:
            return []  # reported by the scan as undecodable
        except (ValueError, RecursionError):
            return [finding("stale", "401 response body is not JSON")]
        return [
            finding(
                "stale",
                f"401 response (implied by {op.label}'s security) no longer valid: {message}",
            )
            for message in errors_text(self._errors(schema, parsed))
        ]

    def _check_events(
        self, op: Operation, status: int, raw: bytes, finding: Callable[[str, str], Finding]
    ) -> list[Finding]:
        memo = (op.method, op.path, status)
        if memo not in self._event_schemas:
            self._event_schemas[memo] = event_schema(self.spec, op, status)
        schema, name, looked_for = self._event_schemas[memo]
        if schema is None:
            return [
                finding(
                    "undocumented",
                    f"{status} answered {EVENT_STREAM}, but the spec names no schema for "
                    f"{op.label}'s events (looked for {looked_for})",
                )
            ]
        events = parse_events(raw.decode("utf-8", errors="replace"))
        problems: list[str] = []
        for number, event in enumerate(events):
            try:
                data = event.json()
            except ValueError:
                problems.append(f"{status} event {number} data is not JSON")
                continue
            problems += [
                f"{status} event {number} no longer valid against {name}: {message}"
                for message in errors_text(self._errors(schema, data))
            ]
        findings = [finding("stale", problem) for problem in problems[:_MAX_EVENT_FINDINGS]]
        if len(problems) > _MAX_EVENT_FINDINGS:
            more = len(problems) - _MAX_EVENT_FINDINGS
            findings.append(finding("stale", f"{status} event stream: {more} more problem(s)"))
        return findings


def check_cassettes(
    paths: Iterable[str | Path], spec: Spec | None = None, environ: Mapping[str, str] | None = None
) -> list[Finding]:
    """Validate every Antimetal interaction of the cassettes at *paths* against *spec*.

    Each interaction is routed to its operation by path template (most
    specific first); one the spec does not document is ``undocumented``. For
    a 2xx answer the request body and its header, path and query parameters
    must satisfy the operation (a 4xx to an invalid request is the API doing
    its job); every status must be documented (a 401 the document's
    ``security`` implies counts) and every response must satisfy its
    status's schema - a ``text/event-stream`` answer event by event, against
    :func:`event_schema`. An interaction the current spec no longer allows is
    ``stale``. Each interaction is also scanned for the key
    (``ANTIMETAL_API_KEY`` from *environ*) and bearer-looking tokens, an
    event stream also as the text its events assemble.
    """
    from pytest_antimetal.cassettes.format import CassetteFormatError, read_cassette

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
