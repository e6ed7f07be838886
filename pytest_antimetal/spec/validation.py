"""Request and response bodies against the spec's schemas (was ``fake/validation.py``).

One validator for everyone who judges a body: the fake (its 400s), the
contract checks (ErrorResponseDto, edge inputs) and the cassette check. A
schema is compiled once per :class:`RequestValidator`; a refreshed document (a
smaller ``maxLength``, a new required field) changes every answer with no code
change. OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few
keywords, so the schema is translated to draft 4 and validated with formats
on: a value must satisfy both its ``pattern`` and its ``format``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["RequestValidator", "to_draft4"]

# A message quoting a 1 MB value helps nobody and bloats every 400.
_MAX_MESSAGE = 200

# OpenAPI-only keywords a draft-4 validator would ignore anyway; dropped so the
# compiled schema is exactly what we mean.
_OAS_ONLY = ("nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example")


def to_draft4(schema: Any) -> Any:
    """Translate an OpenAPI 3.0 schema (or its draft-07 spelling) to draft 4.

    ``nullable: true`` admits ``null``; numeric ``exclusiveMinimum``/``Maximum``
    (draft 6+) become draft 4's boolean form; ``const`` becomes a one-item enum.
    """
    if isinstance(schema, list):
        return [to_draft4(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties", "definitions") and isinstance(value, Mapping):
            out[key] = {name: to_draft4(sub) for name, sub in value.items()}
        elif key in _OAS_ONLY or key.startswith("x-"):
            continue
        else:
            out[key] = to_draft4(value)
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[limit] = value
            out[bound] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if out.get("required") == [] and isinstance(schema.get("required"), list):
        # Draft 6+ (and the vendor's draft-07 source) allow an empty list; draft 4 refuses it.
        del out["required"]
    if schema.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _dotted(parts: Any) -> str:
    return ".".join(str(part) for part in parts)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(error: Any) -> str:
    kind = error.kind
    name = type(kind).__name__
    if name == "Required":
        return "is required"
    if name == "MaxLength":
        return f"must be at most {kind.limit} characters long"
    if name == "MinLength":
        return f"must be at least {kind.limit} character{'s' if kind.limit != 1 else ''} long"
    if name == "Type":
        return f"must be of type {' or '.join(kind.types)}"
    if name == "Enum":
        return "must be one of " + ", ".join(_short(option) for option in kind.options)
    if name == "Format":
        return f"must be a valid {kind.format}"
    if name == "Pattern":
        return "does not match the required pattern"
    message = str(error.message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


def _has_local_ref(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if isinstance(item.get("$ref"), str):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _with_components(root: dict[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """*root* carrying the document's ``components`` (schemas in draft 4), so that the
    ``$ref``s :func:`~pytest_antimetal.spec.loading.resolve_refs` leaves in a recursive
    schema (``#/components/schemas/...``) resolve against it."""
    components = document.get("components")
    if not isinstance(components, Mapping) or "components" in root:
        return root
    carried = dict(components)
    schemas = components.get("schemas")
    if isinstance(schemas, Mapping):
        carried["schemas"] = {name: to_draft4(sub) for name, sub in schemas.items()}
    return {**root, "components": carried}


class RequestValidator:
    """A body schema compiled once; :meth:`errors` maps dotted paths to messages.

    A recursive schema keeps ``$ref``s into its document's ``components`` once
    resolved (the vendor's ``MetricArtifactDto`` value types, under
    ``GET /artifacts``): pass *document* so they resolve.
    """

    def __init__(
        self, schema: Mapping[str, Any] | None, *, document: Mapping[str, Any] | None = None
    ) -> None:
        import jsonschema_rs  # lazy: a schemathesis dependency, ~100x faster than jsonschema

        self.schema: dict[str, Any] = copy.deepcopy(dict(schema)) if schema else {}
        root = to_draft4(self.schema)
        if document is not None and _has_local_ref(root):
            root = _with_components(root, document)
        self._validator = jsonschema_rs.Draft4Validator(
            root, validate_formats=True, ignore_unknown_formats=True
        )

    def is_valid(self, instance: Any) -> bool:
        """Whether *instance* satisfies the schema (the fast path)."""
        return bool(self._validator.is_valid(instance))

    def errors(self, instance: Any) -> dict[str, str]:
        """Every offending field by dotted path (``context.tags.0``) -> message.

        A missing required field is reported at its own path (``title``); the
        body itself, when it is the problem, as ``body``.
        """
        details: dict[str, str] = {}
        for error in self._validator.iter_errors(instance):
            parts: list[Any] = list(error.instance_path)
            kind: Any = error.kind
            if type(kind).__name__ == "Required":
                parts.append(kind.property)
            path = _dotted(parts) or "body"
            message = _message(error)
            if path in details and message not in details[path]:
                details[path] = f"{details[path]}; {message}"
            else:
                details.setdefault(path, message)
        return details
