"""The one place that reads an OpenAPI document (was ``pytest_antimetal/spec.py``).

Everything else (the fake's validation, the issue factory, the contract
checks, the drift rules) asks a :class:`Spec` for what it needs, so a
refreshed document changes their behaviour with no code change.

This module holds the views (:class:`Spec`, :class:`Operation`) and the way to
load one (:func:`load_spec`); bounded parsing is :mod:`.parsing`, ``$ref``
handling :mod:`.refs` (their names are re-exported here).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pytest_antimetal.spec.parsing import (
    DEFAULT_LIMITS,
    DocumentLimits,
    SpecError,
    load_json_bounded,
    load_yaml_bounded,
    parse_document,
    read_text,
)
from pytest_antimetal.spec.refs import check_refs, escape_pointer, resolve_pointer, resolve_refs

__all__ = [
    "DEFAULT_LIMITS",
    "HTTP_METHODS",
    "VENDORED_SPEC_PATH",
    "DocumentLimits",
    "Operation",
    "Spec",
    "SpecError",
    "check_refs",
    "escape_pointer",
    "load_json_bounded",
    "load_spec",
    "load_yaml_bounded",
    "parse_document",
    "read_text",
    "resolve_pointer",
    "resolve_refs",
    "vendored_spec",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_SPEC_FILENAME = "antimetal-openapi.yaml"


def _vendored_path() -> Path:
    # Installed wheel: spec/ is force-included as pytest_antimetal/_spec.
    # Source checkout or editable install: it sits at the repository's top.
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_spec" / _SPEC_FILENAME, here.parent / "spec" / _SPEC_FILENAME):
        if candidate.is_file():
            return candidate
    return here / "_spec" / _SPEC_FILENAME


VENDORED_SPEC_PATH: Path = _vendored_path()
"""Where the vendored copy of the vendor's published document lives."""


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with its ``$ref``s resolved."""

    method: str
    path: str
    operation_id: str | None
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None
    responses: dict[str, dict[str, Any]]
    security: tuple[dict[str, Any], ...]
    raw: dict[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        """``"POST /issues"``."""
        return f"{self.method.upper()} {self.path}"

    def request_schema(self, media_type: str = "application/json") -> dict[str, Any] | None:
        """The request body's schema for *media_type*, if the operation has one."""
        if not self.request_body:
            return None
        media = self.request_body.get("content", {}).get(media_type)
        return None if media is None else media.get("schema")

    def response_schema(
        self, status: int | str, media_type: str = "application/json"
    ) -> dict[str, Any] | None:
        """The schema documented for *status* (falling back to ``4XX`` and ``default``)."""
        status = str(status)
        for key in (status, f"{status[0]}XX", "default"):
            response = self.responses.get(key)
            if response is not None:
                media = response.get("content", {}).get(media_type)
                return None if media is None else media.get("schema")
        return None

    @property
    def success_status(self) -> int:
        """The lowest documented 2xx status."""
        codes = sorted(int(code) for code in self.responses if code.isdigit() and code[0] == "2")
        if not codes:
            raise SpecError(f"{self.label} documents no 2xx response")
        return codes[0]

    def header_parameter(self, name: str) -> dict[str, Any] | None:
        """The header parameter called *name* (case-insensitive), if documented."""
        for param in self.parameters:
            if param.get("in") == "header" and str(param.get("name", "")).lower() == name.lower():
                return param
        return None


class Spec:
    """A loaded OpenAPI document: schemas by name and operations, refs resolved.

    The document is not changed after loading (change a deep copy and load that): schemas
    and operations are resolved once and kept."""

    def __init__(self, document: dict[str, Any], *, source: str = "<dict>") -> None:
        # Keep our own copy: callers (and schemathesis' from_dict) may mutate theirs.
        self.document: dict[str, Any] = copy.deepcopy(document)
        self.source = source
        self._schemas: dict[str, dict[str, Any]] = {}
        self._by_path: dict[str, tuple[Operation, ...]] = {}

    def __repr__(self) -> str:
        return f"Spec(source={self.source!r}, version={self.version!r})"

    @classmethod
    def from_path(cls, path: str | Path) -> Spec:
        """Load a JSON or YAML document from a file."""
        return cls(parse_document(read_text(path), source=str(path)), source=str(path))

    @classmethod
    def from_text(cls, text: str, *, source: str = "<string>") -> Spec:
        """Load a JSON or YAML document from a string."""
        return cls(parse_document(text, source=source), source=source)

    @property
    def version(self) -> str:
        """``info.version``, always a string."""
        return str(self.document.get("info", {}).get("version", ""))

    @property
    def servers(self) -> list[str]:
        """Server URLs in document order (the first is production)."""
        return [str(s["url"]) for s in self.document.get("servers", []) if "url" in s]

    @property
    def schema_names(self) -> list[str]:
        return list(self.document.get("components", {}).get("schemas", {}))

    def schema(self, name: str) -> dict[str, Any]:
        """``components.schemas[name]`` with every ``$ref`` inlined (a fresh copy)."""
        if name not in self._schemas:
            schemas = self.document.get("components", {}).get("schemas", {})
            if name not in schemas:
                raise SpecError(f"{self.source}: no schema named {name!r}")
            self._schemas[name] = resolve_refs(schemas[name], self.document)
        return copy.deepcopy(self._schemas[name])

    def resolve(self, node: Any) -> Any:
        """Inline the ``$ref``s of any node of this document."""
        return resolve_refs(node, self.document)

    def operations(self) -> Iterator[Operation]:
        """Every operation, in document order.

        Each path item is resolved once per :class:`Spec` (the document is not changed after
        loading) and its operations shared by every caller: read them, never mutate them (copy
        first). Lazily, path by path: a broken ``$ref`` under one path fails only a walk that
        reaches it, as before the cache."""
        for path, raw_item in self.document.get("paths", {}).items():
            if isinstance(raw_item, Mapping):
                yield from self._path_operations(path, raw_item)

    def _path_operations(self, path: str, raw_item: Mapping[str, Any]) -> tuple[Operation, ...]:
        # Re-resolving every $ref on each walk cost 500-odd resolutions a contract run, about
        # 5% of a default run's time (cProfile). Two threads may resolve one path at once: both
        # build equal tuples, one is kept.
        cached = self._by_path.get(path)
        if cached is None:
            cached = self._by_path[path] = tuple(self._resolve_path(path, raw_item))
        return cached

    def _resolve_path(self, path: str, raw_item: Mapping[str, Any]) -> Iterator[Operation]:
        global_security = self.document.get("security", [])
        item = self.resolve(raw_item)
        shared_params = item.get("parameters", [])
        for method in HTTP_METHODS:
            raw = item.get(method)
            if not isinstance(raw, Mapping):
                continue
            params = {(p.get("in"), p.get("name")): p for p in shared_params}
            params.update({(p.get("in"), p.get("name")): p for p in raw.get("parameters", [])})
            yield Operation(
                method=method,
                path=path,
                operation_id=raw.get("operationId"),
                parameters=tuple(params.values()),
                request_body=raw.get("requestBody"),
                responses={str(k): v for k, v in raw.get("responses", {}).items()},
                security=tuple(raw.get("security", global_security)),
                raw=dict(raw),
            )

    def operation(self, method: str, path: str) -> Operation:
        """The operation at *method* *path*; :class:`SpecError` when absent."""
        for op in self.operations():
            if op.method == method.lower() and op.path == path:
                return op
        raise SpecError(f"{self.source}: no operation {method.upper()} {path}")

    def methods_for(self, path: str) -> list[str]:
        """Upper-case methods documented for *path* (for ``Allow`` headers)."""
        return [op.method.upper() for op in self.operations() if op.path == path]

    @property
    def api_version_default(self) -> str:
        """The documented default of the ``Antimetal-Version`` header, else ``info.version``."""
        for op in self.operations():
            param = op.header_parameter("Antimetal-Version")
            if param is not None:
                default = param.get("schema", {}).get("default")
                if default is not None:
                    return str(default)
        return self.version

    def security_schemes(self) -> dict[str, dict[str, Any]]:
        return dict(self.resolve(self.document.get("components", {}).get("securitySchemes", {})))


def load_spec(source: str | Path | None = None) -> Spec:
    """Load *source* (a path), or the vendored document when ``None``.

    The document is parsed within :data:`DEFAULT_LIMITS` and its ``$ref``s
    are checked (:func:`check_refs`): a user's mistake is one line now, not
    an error in every test later. The vendored document is parsed once per
    process.
    """
    if source is None:
        return vendored_spec()
    spec = Spec.from_path(source)
    check_refs(spec.document, source=spec.source)
    return spec


@cache
def vendored_spec() -> Spec:
    """The document shipped with the package (parsed once, shared: do not mutate)."""
    return Spec.from_path(VENDORED_SPEC_PATH)
