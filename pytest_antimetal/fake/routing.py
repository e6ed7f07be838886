"""Routing a request to an operation by the spec's path templates, and reading its parameters.

:class:`Router` matches a decoded path against every documented template (a
template with more literal segments wins: ``/issues/by_number/{number}``
before ``/issues/{id}``), under every server's base path. :class:`Parameters`
reads one operation's path and query parameters as its ``parameters`` describe
them (types coerced from the wire's strings, ``explode`` arrays from repeated
names) and validates them against their schemas; a problem is reported by
field, ``path.NAME`` or ``query.NAME`` (the fake answers 400 with them in
``details``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from pytest_antimetal.spec.validation import RequestValidator

if TYPE_CHECKING:
    from pytest_antimetal.spec import Operation, Spec

__all__ = ["MAX_QUERY_FIELDS", "ParameterError", "Parameters", "Route", "Router"]

MAX_QUERY_FIELDS = 200
"""Most ``name=value`` pairs a query may hold (``GET /artifacts`` takes 100 ids)."""

_INTEGER = re.compile(r"-?\d{1,30}\Z", re.ASCII)
_NUMBER = re.compile(r"-?\d{1,30}(\.\d{1,30})?([eE][-+]?\d{1,4})?\Z", re.ASCII)
_TEMPLATE_PART = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Route:
    """A documented path template, compiled."""

    path: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]

    @classmethod
    def compile(cls, template: str) -> Route:
        names: list[str] = []
        regex = ""
        last = 0
        for match in _TEMPLATE_PART.finditer(template):
            regex += re.escape(template[last : match.start()]) + f"(?P<p{len(names)}>[^/]+)"
            names.append(match.group(1))
            last = match.end()
        regex += re.escape(template[last:])
        return cls(template, re.compile(regex + r"\Z"), tuple(names))

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: fewer parameters, then longer literal text, first."""
        return (len(self.names), -len(_TEMPLATE_PART.sub("", self.path)))


class Router:
    """Documented path templates under every server's base path -> (template, path values)."""

    def __init__(self, spec: Spec, templates: Iterable[str]) -> None:
        prefixes = {""}
        for server in spec.servers:
            prefixes.add(urlsplit(server).path.rstrip("/"))
        # Longest base path first: "/api/v2/issues" is "/issues" under "/api/v2".
        self._prefixes = sorted(prefixes, key=len, reverse=True)
        self._routes = sorted(
            (Route.compile(t) for t in set(templates)), key=lambda r: r.specificity
        )
        self._literal = {r.path: r for r in self._routes if not r.names}

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The documented template *path* routes to and its path values, or ``None``."""
        for prefix in self._prefixes:
            if prefix and not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix) :]
            literal = self._literal.get(rest)
            if literal is not None:
                return literal.path, {}
            for route in self._routes:
                if not route.names:
                    continue
                found = route.pattern.match(rest)
                if found is not None:
                    values = {name: found.group(f"p{i}") for i, name in enumerate(route.names)}
                    return route.path, values
        return None


class ParameterError(Exception):
    """Parameters the spec refuses: :attr:`details` by ``LOCATION.NAME``."""

    def __init__(self, message: str, details: Mapping[str, str]) -> None:
        super().__init__(message)
        self.details = dict(details)


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """A wire string as the type *schema* says (left a string when it is not one: 400 later)."""
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.match(raw):
        return int(raw)
    if kind == "number" and _NUMBER.match(raw):
        return float(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


class Parameters:
    """One operation's path and query parameters: coerced, then validated by their schemas."""

    def __init__(self, operation: Operation) -> None:
        self._schemas: dict[str, dict[str, dict[str, Any]]] = {"path": {}, "query": {}}
        required: dict[str, list[str]] = {"path": [], "query": []}
        for param in operation.parameters:
            where = param.get("in")
            if where not in self._schemas:
                continue  # headers (Antimetal-Version) and cookies: nothing to check
            name = str(param.get("name"))
            schema = dict(param.get("schema") or {})
            self._schemas[where][name] = schema
            if param.get("required") or where == "path":
                required[where].append(name)
        self._validators: dict[str, RequestValidator] = {}
        for where, schemas in self._schemas.items():
            whole: dict[str, Any] = {"type": "object", "properties": schemas}
            if required[where]:  # draft 4: "required" may not be empty
                whole["required"] = required[where]
            self._validators[where] = RequestValidator(whole)

    @property
    def query_names(self) -> frozenset[str]:
        """The documented query parameters."""
        return frozenset(self._schemas["query"])

    def read(
        self, path_values: Mapping[str, str], query: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(path, query)`` values by name; :class:`ParameterError` when the spec refuses them.

        Undocumented query parameters are ignored; a documented one that is not an
        array may appear once.
        """
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS)
        except ValueError:
            message = f"too many query parameters (limit {MAX_QUERY_FIELDS})"
            raise ParameterError(message, {"query": message}) from None
        details: dict[str, str] = {}
        query_schemas = self._schemas["query"]
        query_values: dict[str, Any] = {}
        for name, raw in pairs:
            schema = query_schemas.get(name)
            if schema is None:
                continue
            if schema.get("type") == "array":
                items = schema.get("items") or {}
                query_values.setdefault(name, []).append(_coerce(raw, items))
            elif name in query_values:
                details[f"query.{name}"] = "must be given at most once"
            else:
                query_values[name] = _coerce(raw, schema)
        path_schemas = self._schemas["path"]
        path = {
            name: _coerce(raw, path_schemas.get(name) or {}) for name, raw in path_values.items()
        }
        for where, values in (("path", path), ("query", query_values)):
            validator = self._validators[where]
            if not validator.is_valid(values):
                for field, message in validator.errors(values).items():
                    details.setdefault(f"{where}.{field}", message)
        if details:
            raise ParameterError("invalid parameters: " + ", ".join(sorted(details)), details)
        return path, query_values
