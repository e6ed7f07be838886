"""Bring two OpenAPI documents to one canonical form so only meaning differs.

A normalised schema is a plain dict:

* ``$ref``s are followed (a cycle becomes ``{"@cycle": ref}``) and every node
  remembers where it is defined in its document as ``"@loc"`` (a JSON pointer),
  so a change is reported where a reader of that document would look;
* the draft-07 / OAS 3.1 spellings the vendor writes in its source YAML become
  their OAS 3.0 forms: ``type: [X, "null"]`` and ``anyOf: [X, {type: null}]``
  become ``nullable: true``; a numeric ``exclusiveMinimum`` becomes ``minimum``
  plus ``exclusiveMinimum: true``; ``const`` becomes a one-value ``enum``;
* ``required`` and ``enum`` are sorted; defaults that change nothing
  (``additionalProperties: true``, ``propertyNames: {type: string}``,
  ``nullable: false``) are dropped;
* descriptions, titles, examples and ``x-`` extensions move to ``"@ann"``:
  they are compared, but only ever as information.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from pytest_antimetal.spec import SpecError, escape_pointer, resolve_pointer

__all__ = [
    "ANNOTATION_KEYS",
    "Normalizer",
    "canonical",
    "escape_pointer",
    "path_key",
]

ANNOTATION_KEYS = frozenset(
    {
        "description",
        "title",
        "summary",
        "example",
        "examples",
        "$comment",
        "externalDocs",
        "xml",
        "discriminator",
        "readOnly",
        "writeOnly",
        "deprecated",
    }
)

_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
_PLACEHOLDER = re.compile(r"\{[^}/]*\}")


def path_key(path: str) -> str:
    """``/issues/{id}`` and ``/issues/{issueId}`` are the same path."""
    return _PLACEHOLDER.sub("{}", path)


_META = ("@loc", "@ann", "@key", "@full")


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _META}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def canonical(node: Any) -> str:
    """A string equal for two normalised schemas exactly when they mean the same.

    Computed once per schema node (and cached on it as ``@key``).
    """
    if isinstance(node, dict) and "@loc" in node:
        if "@key" not in node:
            own = {k: v for k, v in node.items() if k not in _META}
            node["@key"] = _hash(_reduce(own, "@key"))
        return str(node["@key"])
    return json.dumps(_strip(node), sort_keys=True, default=str)


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _reduce(value: Any, field: str) -> Any:
    # Sub-schemas stand in by their digest, so each node is hashed in time
    # proportional to its own keywords.
    if isinstance(value, dict):
        if "@loc" in value:
            return canonical(value) if field == "@key" else value[field]
        return {k: _reduce(v, field) for k, v in value.items() if k not in _META}
    if isinstance(value, list):
        return [_reduce(v, field) for v in value]
    return value


def _digest(node: dict[str, Any]) -> None:
    """Set ``@full`` (meaning and annotations, all the way down) on *node*.

    Two nodes with the same ``@full`` differ in nothing a rule looks at, so the
    comparison skips them whole.
    """
    own = {k: v for k, v in node.items() if k not in _META}
    node["@full"] = _hash([_reduce(own, "@full"), node.get("@ann")])


def _digested(node: dict[str, Any]) -> dict[str, Any]:
    _digest(node)
    return node


def _is_pure_null(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == ["null"] and not (set(schema) - {"type", *_META})


def _semantic_empty(schema: Mapping[str, Any]) -> bool:
    return not (set(schema) - set(_META))


class Normalizer:
    """Normalises schemas (and follows ``$ref``s) of one document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self._cache: dict[str, dict[str, Any]] = {}
        self.saw_sunset = False
        """Whether a schema normalised so far declares ``x-sunset`` (none: no walk needed)."""

    # -- references -------------------------------------------------------

    def lookup(self, ref: str) -> tuple[Any, str]:
        """The node a local ``$ref`` points at, and its JSON pointer.

        An unresolvable reference yields ``None`` so one broken ref in a big
        document degrades to a reported change rather than a crash.
        """
        if not ref.startswith("#"):
            return None, ref
        try:
            return resolve_pointer(self.document, ref), ref[1:]
        except SpecError:
            return None, ref[1:]

    def deref(self, node: Any, loc: str) -> tuple[Any, str]:
        """Follow ``$ref`` chains of a non-schema object (parameter, response, path item)."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            node, loc = self.lookup(ref)
        return node, loc

    # -- schemas ----------------------------------------------------------

    def schema(self, node: Any, loc: str, _stack: tuple[str, ...] = ()) -> dict[str, Any]:
        """The normalised form of the schema *node* found at *loc*."""
        if node is True or node is None:
            return _digested({"@loc": loc})
        if node is False:
            return _digested({"@loc": loc, "not": _digested({"@loc": loc})})
        if not isinstance(node, Mapping):
            return _digested({"@loc": loc, "@invalid": repr(node)})
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._schema_ref(node, ref, loc, _stack)
        return self._schema_object(node, loc, _stack)

    def _schema_ref(
        self, node: Mapping[str, Any], ref: str, loc: str, stack: tuple[str, ...]
    ) -> dict[str, Any]:
        if ref in stack:
            return _digested({"@loc": loc, "@cycle": ref})
        target, target_loc = self.lookup(ref)
        if target is None:
            return _digested({"@loc": loc, "@unresolved": ref})
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if siblings and isinstance(target, Mapping):
            # OAS 3.1 allows keywords next to a $ref; they refine the target.
            return self._schema_object({**target, **siblings}, target_loc, (*stack, ref))
        if ref not in self._cache:
            self._cache[ref] = self.schema(target, target_loc, (*stack, ref))
        return self._cache[ref]

    def _schema_object(
        self, node: Mapping[str, Any], loc: str, stack: tuple[str, ...]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"@loc": loc}
        ann: dict[str, Any] = {}
        nullable = node.get("nullable") is True

        for key, value in node.items():
            if key in ANNOTATION_KEYS or key.startswith("x-"):
                ann[key] = value
                self.saw_sunset = self.saw_sunset or key == "x-sunset"
            elif key in ("nullable", "$schema", "$id"):
                continue
            elif key == "type":
                types = value if isinstance(value, list) else [value]
                names = sorted({str(t) for t in types})
                if "null" in names and len(names) > 1:
                    names.remove("null")
                    nullable = True
                out["type"] = names
            elif key == "const":
                out["enum"] = [value]
            elif key == "enum" and isinstance(value, list):
                out["enum"] = value
            elif key == "required" and isinstance(value, list):
                if value:
                    out["required"] = sorted({str(v) for v in value})
            elif key == "properties" and isinstance(value, Mapping):
                out["properties"] = {
                    str(name): self.schema(
                        sub, f"{loc}/properties/{escape_pointer(str(name))}", stack
                    )
                    for name, sub in value.items()
                }
            elif key in ("items", "not", "additionalItems", "contains") and isinstance(
                value, Mapping | bool
            ):
                out[key] = self.schema(value, f"{loc}/{key}", stack)
            elif key == "items" and isinstance(value, list):
                out[key] = [self.schema(v, f"{loc}/items/{i}", stack) for i, v in enumerate(value)]
            elif key in ("additionalProperties", "propertyNames"):
                if value is False:
                    out[key] = False
                else:
                    sub = self.schema(value, f"{loc}/{key}", stack)
                    if key == "propertyNames" and _strip(sub) == {"type": ["string"]}:
                        continue  # JSON object keys are always strings
                    if not _semantic_empty(sub):
                        out[key] = sub
            elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
                out[key] = [self.schema(v, f"{loc}/{key}/{i}", stack) for i, v in enumerate(value)]
            else:
                out[key] = value

        self._numeric_bounds(out)
        for key in _SUBSCHEMA_LISTS:
            members = out.get(key)
            if not isinstance(members, list):
                continue
            if key == "allOf":
                # allOf: [X, {type: null}] is not "X or null": keep null members.
                kept = members
            else:
                kept = [m for m in members if not _is_pure_null(m)]
                if len(kept) < len(members):
                    nullable = True
            if len(kept) == 1:
                # anyOf: [X, {type: null}] is X, nullable; allOf: [X] is X.
                del out[key]
                out = _merge(kept[0], out)
            elif key == "allOf" and (flat := _flatten_all_of(out)) is not None:
                out = flat
            elif kept:
                out[key] = sorted(kept, key=canonical)
            else:
                del out[key]

        if "enum" in out:
            values = {json.dumps(v, sort_keys=True, default=str): v for v in out["enum"]}
            if None in out["enum"] and "type" in out:
                nullable = True
                values.pop("null", None)
            out["enum"] = [values[k] for k in sorted(values)]
        if nullable:
            out["nullable"] = True
        if ann:
            out["@ann"] = {**out.get("@ann", {}), **ann}
        _digest(out)
        return out

    @staticmethod
    def _numeric_bounds(out: dict[str, Any]) -> None:
        for bound, flag, stricter in (
            ("minimum", "exclusiveMinimum", max),
            ("maximum", "exclusiveMaximum", min),
        ):
            value = out.get(flag)
            if isinstance(value, bool):
                if not value:
                    del out[flag]
                continue
            if isinstance(value, int | float):
                # draft-07: a number; OAS 3.0: a flag on minimum/maximum.
                inclusive = out.get(bound)
                if (
                    isinstance(inclusive, int | float)
                    and inclusive != value
                    and stricter(inclusive, value) == inclusive
                ):
                    del out[flag]
                    continue
                out[bound] = value
                out[flag] = True


_FLATTENABLE = frozenset({"type", "properties", "required", *_META})


def _flatten_all_of(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``allOf`` of plain object schemas as one object schema, when that is exact.

    Only members made of ``type``, ``properties`` and ``required`` that agree on
    the type and define each property once are merged; anything else stays an
    ``allOf`` (compared as a set of members).
    """
    parts = [{k: v for k, v in schema.items() if k != "allOf"}, *schema["allOf"]]
    if any(set(part) - _FLATTENABLE for part in parts):
        return None
    types = {tuple(part["type"]) for part in parts if "type" in part}
    if len(types) > 1:
        return None
    flat: dict[str, Any] = {"@loc": schema["@loc"]}
    properties: dict[str, Any] = {}
    required: set[str] = set()
    ann: dict[str, Any] = {}
    for part in parts:
        for name, sub in part.get("properties", {}).items():
            if name in properties:
                return None
            properties[name] = sub
        required.update(part.get("required", ()))
        ann = {**part.get("@ann", {}), **ann}
    if types:
        flat["type"] = list(next(iter(types)))
    if properties:
        flat["properties"] = properties
    if required:
        flat["required"] = sorted(required)
    if ann:
        flat["@ann"] = ann
    return flat


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """*base* refined by the keywords of *over* (the schema around a collapsed anyOf)."""
    merged = {k: v for k, v in base.items() if k not in ("@key", "@full")}
    for key, value in over.items():
        if key in ("@loc", "@key", "@full"):
            continue
        if key == "@ann":
            merged["@ann"] = {**base.get("@ann", {}), **value}
        else:
            merged[key] = value
    return merged
