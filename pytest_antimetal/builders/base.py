"""What every builder shares: its schema, its seed and clock, overrides and their checks."""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pytest_antimetal.builders.values import ValueMaker
from pytest_antimetal.spec.loading import Spec, SpecError, vendored_spec

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from pytest_antimetal.spec.validation import RequestValidator

__all__ = ["DEFAULT_NOW", "OMIT", "SchemaBuilder", "camel", "dicts"]

DEFAULT_NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
"""The instant builders without a clock build around (so a seed fixes every timestamp)."""


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()
"""Pass as an override to leave a field out: ``build(severity=OMIT)``."""


def dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON value, *node* first, then depth-first (arrays included)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from dicts(value)
    elif isinstance(node, list):
        for value in node:
            yield from dicts(value)


def camel(name: str) -> str:
    """``triggered_at`` -> ``triggeredAt`` (the spec's spelling)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class SchemaBuilder:
    """Values of one of the document's component schemas, reproducible from a seed.

    *spec* is the document (default: the vendored one); *seed* or *random*
    fixes every id, text and timestamp; *clock* is "now" for generated
    timestamps (default :data:`DEFAULT_NOW`, so a seed alone decides them).
    """

    schema_name = ""

    def __init__(
        self,
        spec: Spec | None = None,
        *,
        seed: int | None = None,
        random: _random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.spec = spec if spec is not None else vendored_spec()
        self.random = random if random is not None else _random.Random(seed)
        self.clock: Callable[[], datetime] = clock if clock is not None else _default_now
        self._validators: dict[str, RequestValidator] = {}
        self._resolved: dict[str, dict[str, Any]] = {}
        self.raw_schema(self.schema_name)  # a document without the schema fails here, once
        self._prepare()

    def _prepare(self) -> None:
        """What a builder reads from the document once, after the base has set it up."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec!r})"

    # -- the document -----------------------------------------------------------------------

    def raw_schema(self, name: str) -> Mapping[str, Any]:
        """``components.schemas[name]`` as written (``$ref``s kept); one line if absent."""
        schemas = self.spec.document.get("components", {}).get("schemas", {})
        node = schemas.get(name)
        if not isinstance(node, Mapping):
            raise SpecError(
                f"{self.spec.source}: no schema named {name!r} (the {type(self).__name__} "
                "needs the vendor's whole document)"
            )
        return node

    def resolved(self, name: str) -> dict[str, Any]:
        """``components.schemas[name]``, ``$ref``s inlined, cached: read it, never change it."""
        if name not in self._resolved:
            self._resolved[name] = self.spec.schema(name)
        return self._resolved[name]

    @property
    def schema(self) -> dict[str, Any]:
        """This builder's schema, ``$ref``s inlined (cyclic ones kept); a fresh copy."""
        return self.spec.schema(self.schema_name)

    @property
    def fields(self) -> list[str]:
        """Top-level property names of the schema."""
        return list(self.schema.get("properties", {}))

    def maker(self, rnd: _random.Random | None = None) -> ValueMaker:
        """A :class:`ValueMaker` on this document, drawing from *rnd* (default: the builder's)."""
        return ValueMaker(self.spec, self.random if rnd is None else rnd, now=self.clock())

    # -- overrides --------------------------------------------------------------------------

    def normalise(
        self, overrides: Mapping[str, Any], schema_name: str | None = None
    ) -> dict[str, Any]:
        """*overrides* keyed by the spec's names (``snake_case`` accepted); unknown ones raise.

        A typo would otherwise pass silently: ``ValueError`` names the schema's fields.
        """
        name = schema_name or self.schema_name
        known = list(self.resolved(name).get("properties", {}))
        out: dict[str, Any] = {}
        for key, value in overrides.items():
            field = key if key in known else camel(key)
            if field not in known:
                raise ValueError(f"{name} has no field {key!r}; fields are: {', '.join(known)}")
            out[field] = value
        return out

    @staticmethod
    def apply(value: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """*value* with *overrides* (already normalised) set, :data:`OMIT` ones removed."""
        for key, new in overrides.items():
            if new is OMIT:
                value.pop(key, None)
            else:
                value[key] = new
        return value

    def check(self, value: Any, schema_name: str | None = None) -> None:
        """Raise ``ValueError`` naming every field of *value* its schema rejects."""
        from pytest_antimetal.spec.validation import RequestValidator

        name = schema_name or self.schema_name
        validator = self._validators.get(name)
        if validator is None:
            components = self.spec.document.get("components", {})
            root = {"$ref": f"#/components/schemas/{name}", "components": components}
            validator = self._validators[name] = RequestValidator(root)
        if validator.is_valid(value):
            return
        problems = "; ".join(f"{path}: {why}" for path, why in validator.errors(value).items())
        raise ValueError(f"not a valid {name}: {problems}")

    # -- hypothesis -------------------------------------------------------------------------

    def randoms(self) -> SearchStrategy[_random.Random]:
        """Hypothesis-controlled ``Random`` objects: builds drawn from them shrink."""
        from hypothesis import strategies as st

        return st.randoms(use_true_random=False, note_method_calls=False)


def _default_now() -> datetime:
    return DEFAULT_NOW
