"""The check: recorded traffic validated against the spec and scanned for secrets.

Used by ``antimetal-contract cassettes check`` and ``--antimetal-check-cassettes``.
yaml and jsonschema_rs are imported when cassettes are read and validated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_antimetal.cassettes.guard import UNDECODABLE, scan_interaction
from pytest_antimetal.cassettes.matcher import AntimetalMatcher, template_regex
from pytest_antimetal.cassettes.scrub import Scrubber
from pytest_antimetal.cassettes.wire import body_bytes, decode_body, header_value, header_values
from pytest_antimetal.content_coding import ContentCodingError
from pytest_antimetal.spec import Operation, Spec, SpecError, vendored_spec

__all__ = [
    "CASSETTE_SUFFIXES",
    "Finding",
    "check_cassettes",
    "empty_directory_problem",
    "find_cassettes",
]

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")


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


def empty_directory_problem(paths: Iterable[Path]) -> str | None:
    """One line naming the first directory of *paths* that holds no cassette, else ``None``.

    A mistyped directory (``tests/cassette/``) would otherwise check nothing
    and pass, in CI, for ever.
    """
    for path in paths:
        if path.is_dir() and not find_cassettes([path]):
            patterns = ", ".join(f"*{suffix}" for suffix in CASSETTE_SUFFIXES)
            return f"{path}: no cassettes ({patterns}) found"
    return None


class _Checker:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.matcher = AntimetalMatcher.from_spec(spec)
        self.operations = [(op, template_regex(op.path)) for op in spec.operations()]
        self._validators: dict[int, Any] = {}

    def _errors(self, schema: dict[str, Any], instance: Any) -> dict[str, str]:
        from pytest_antimetal.spec.validation import RequestValidator

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
        sent = {name.lower(): value for name, value in header_values(dict(request.headers))}
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
        raw = body_bytes(body.get("string") if isinstance(body, Mapping) else body) or b""
        try:
            raw = decode_body(raw, header_value(headers, "content-encoding"))
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
