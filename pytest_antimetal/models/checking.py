"""The shallow schema check every model runs, and the helpers that read a body by it.

Every model follows :class:`~pytest_antimetal.models.Issue`'s rules: wire values
kept as sent, required fields and their types checked against the run's spec
(:func:`check_against_schema`), never a hand-copied list; ``raw`` holds the whole
object, so fields a newer API adds are not lost. A nested object is checked
against its own sub-schema when it is turned into a nested model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

__all__ = [
    "WireModel",
    "check_against_schema",
    "checked",
    "mapping",
    "objects",
    "sub_schema",
    "vendored_schema",
    "wire_values",
]

# JSON Schema "type" -> the Python types json.loads produces for it.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _type_ok(value: Any, expected: str | list[str] | None) -> bool:
    if expected is None:
        return True
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        types = _JSON_TYPES.get(name)
        if types is None:
            return True  # unknown type keyword: not ours to judge
        # bool is an int subclass in Python, not in JSON.
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, types):
            return True
    return False


def check_against_schema(body: Any, schema: Mapping[str, Any] | None) -> list[str]:
    """Shallow check of a response body: an object, required keys, property types.

    Deliberately lenient on values (enums, formats, patterns): a live server
    that adds a status must not break callers; the contract suite judges that.
    Returns one message per problem, empty when the body is usable.
    """
    if not isinstance(body, dict):
        return [f"expected a JSON object, got {type(body).__name__}"]
    if not schema:
        return []
    problems = [
        f"missing required field {key!r}" for key in schema.get("required", []) if key not in body
    ]
    for key, prop in schema.get("properties", {}).items():
        if key not in body or not isinstance(prop, Mapping):
            continue
        if body[key] is None and prop.get("nullable") is True:
            continue  # OpenAPI 3.0's spelling of type [X, "null"]
        if not _type_ok(body[key], prop.get("type")):
            problems.append(
                f"field {key!r} should be {prop.get('type')}, got {type(body[key]).__name__}"
            )
    return problems


def vendored_schema(name: str) -> dict[str, Any]:
    """``components.schemas[name]`` of the vendored spec, ``{}`` when it has none."""
    from pytest_antimetal.spec import SpecError, vendored_spec

    try:
        return vendored_spec().schema(name)
    except SpecError:
        return {}


def sub_schema(schema: Mapping[str, Any] | None, *path: str) -> dict[str, Any]:
    """The schema at *path* below *schema*: names are properties, ``"[]"`` means ``items``.

    ``{}`` (check nothing) when the spec does not describe that far.
    """
    node: Any = schema or {}
    for step in path:
        if not isinstance(node, Mapping):
            return {}
        node = node.get("items") if step == "[]" else node.get("properties", {}).get(step)
    return dict(node) if isinstance(node, Mapping) else {}


def checked(body: Any, schema: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    problems = check_against_schema(body, schema)
    if problems:
        prefix = f"{what}: " if what else ""
        raise ValueError(prefix + "; ".join(problems))
    assert isinstance(body, dict)
    return body


def wire_values(body: Mapping[str, Any], wire_to_attr: Mapping[str, str]) -> dict[str, Any]:
    return {attr: body.get(wire) for wire, attr in wire_to_attr.items()}


class WireModel:
    """Base of the models read from one JSON object: check it, copy its flat fields by name.

    ``_WIRE`` maps wire names to attributes; ``_WHERE`` prefixes the error messages with
    where the object sits in its parent (``""`` for a top-level body). Both are ClassVars,
    so a dataclass model keeps exactly its own fields and constructor. A model with nested
    parts keeps its own ``from_json`` and starts from :meth:`_wire_fields`.
    """

    _WIRE: ClassVar[Mapping[str, str]] = {}
    _WHERE: ClassVar[str] = ""

    @classmethod
    def _wire_fields(
        cls, body: Any, schema: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """*body* checked against *schema* (:class:`ValueError` otherwise), and its flat fields."""
        body = checked(body, schema, cls._WHERE)
        return body, wire_values(body, cls._WIRE)

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> Self:
        """Build from one JSON object checked against *schema* (``None``/``{}``: an object)."""
        body, values = cls._wire_fields(body, schema)
        # The subclass is a dataclass whose __init__ takes these keywords; this base has none.
        make: Callable[..., Self] = cls
        return make(**values, raw=dict(body))


def objects(value: Any) -> list[Any]:
    """A list field's items (a missing or non-list value, allowed by the schema: none)."""
    return list(value) if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
