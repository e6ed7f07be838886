"""Artifacts (``GET /artifacts``): each type the document's ``oneOf`` names, by its ``type``.

Which types exist, and which schema each has, is read from the document: the
``discriminator`` (``propertyName: type``) on the artifacts' ``oneOf``, or,
without one, the one-value ``type`` enum of each ``oneOf`` option. An id in the
document's own form (``metric:datadog:abc123``, as its descriptions show) picks
the type and provider of the artifact built for it, so the evidence of a
:class:`~pytest_antimetal.builders.ResultsBuilder` resolves to matching artifacts.
"""

from __future__ import annotations

import random as _random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_antimetal.builders.base import SchemaBuilder, dicts
from pytest_antimetal.builders.text import hex_id
from pytest_antimetal.spec.loading import Spec, SpecError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["ArtifactBuilder", "artifact_schemas"]

_PREFIX = "#/components/schemas/"


def artifact_schemas(spec: Spec) -> dict[str, str]:
    """Artifact ``type`` -> component schema name, as the document's ``oneOf`` says.

    Empty when the document has no ``type``-discriminated union (a one-operation document).
    """
    schemas = spec.document.get("components", {}).get("schemas", {})
    found: dict[str, str] = {}
    for node in dicts(spec.document.get("paths", {})):
        discriminator = node.get("discriminator")
        options = node.get("oneOf")
        if isinstance(discriminator, Mapping) and discriminator.get("propertyName") == "type":
            for value, ref in (discriminator.get("mapping") or {}).items():
                if isinstance(ref, str) and ref.startswith(_PREFIX):
                    found.setdefault(str(value), ref[len(_PREFIX) :])
            if found:
                continue
        if isinstance(options, list) and isinstance(discriminator, Mapping):
            for option in options:
                ref = option.get("$ref", "") if isinstance(option, Mapping) else ""
                name = ref[len(_PREFIX) :] if ref.startswith(_PREFIX) else ""
                enum = schemas.get(name, {}).get("properties", {}).get("type", {}).get("enum")
                if isinstance(enum, list) and len(enum) == 1:
                    found.setdefault(str(enum[0]), name)
    return found


class ArtifactBuilder(SchemaBuilder):
    """Valid artifacts of every type the document lists (``metric``, ``log``, ...).

    ``build(id, type=None, **overrides)``: an artifact whose ``id`` is *id*
    (generated when ``None``), of the type *id*'s prefix names (``log:loki:...``)
    or *type*, else a random one. Usable without pytest::

        artifact = ArtifactBuilder(spec, seed=1).build("log:datadog:a9c1")
        assert artifact["type"] == "log"
    """

    def __init__(
        self,
        spec: Spec | None = None,
        *,
        seed: int | None = None,
        random: _random.Random | None = None,
        clock: Any = None,
    ) -> None:
        self._types: dict[str, str] = {}
        super().__init__(spec, seed=seed, random=random, clock=clock)

    def raw_schema(self, name: str) -> Mapping[str, Any]:
        if not name:  # the builder of a union: checked through its types
            self._types = artifact_schemas(self.spec)
            if not self._types:
                raise SpecError(
                    f"{self.spec.source}: no artifact types (a oneOf discriminated by 'type'); "
                    "the ArtifactBuilder needs the vendor's whole document"
                )
            return {}
        return super().raw_schema(name)

    @property
    def types(self) -> list[str]:
        """The artifact types the document defines, in its order."""
        return list(self._types)

    def schema_name_for(self, type: str) -> str:
        """The component schema of artifacts of *type*; ``ValueError`` naming the known ones."""
        if type not in self._types:
            raise ValueError(f"unknown artifact type {type!r}; types are: {', '.join(self._types)}")
        return self._types[type]

    @property
    def fields(self) -> list[str]:
        """Property names common to every artifact type."""
        names = [list(self.resolved(n).get("properties", {})) for n in self._types.values()]
        return [f for f in names[0] if all(f in other for other in names[1:])] if names else []

    def new_id(self, type: str | None = None, rnd: _random.Random | None = None) -> str:
        """An id in the document's form, ``<type>:<provider>:<hex>``."""
        rnd = self.random if rnd is None else rnd
        kind = type if type is not None else rnd.choice(self.types)
        providers = self._providers(kind)
        provider = rnd.choice(providers) if providers else "antimetal"
        return f"{kind}:{provider}:{hex_id(rnd)}"

    def _providers(self, type: str) -> list[str]:
        node = self.resolved(self.schema_name_for(type)).get("properties", {}).get("provider")
        enum = node.get("enum") if isinstance(node, Mapping) else None
        return [str(v) for v in enum if v is not None] if isinstance(enum, list) else []

    def _make(self, rnd: _random.Random, id: str | None, type: str | None) -> dict[str, Any]:
        head, _, rest = (id or "").partition(":")
        if type is None:
            type = head if head in self._types else rnd.choice(self.types)
        name = self.schema_name_for(type)
        value: dict[str, Any] = self.maker(rnd).value(self.raw_schema(name), depth=0)
        properties = self.resolved(name).get("properties", {})
        if id is None:
            id = self.new_id(type, rnd)
            head, _, rest = id.partition(":")
        if "id" in properties:
            value["id"] = id
        provider = rest.partition(":")[0]
        if "provider" in value and head == type and provider in self._providers(type):
            value["provider"] = provider
        stamps = [k for k in ("createdAt", "updatedAt") if isinstance(value.get(k), str)]
        if len(stamps) == 2:  # created no later than updated
            value["createdAt"], value["updatedAt"] = sorted(value[k] for k in stamps)
        return value

    def build(self, id: str | None = None, **overrides: Any) -> dict[str, Any]:
        """A valid artifact for *id* (see the class); overrides are checked against its schema.

        ``type=`` picks the type (it is also the field). A field its schema does not
        know, or a value it rejects, is a ``ValueError``.
        """
        type = overrides.pop("type", None)
        if type is not None and not isinstance(type, str):
            raise ValueError(f"type must be one of {', '.join(self._types)}, got {type!r}")
        if type is not None:
            self.schema_name_for(type)
        value = self._make(self.random, id, type)
        name = self.schema_name_for(str(value["type"]))
        if overrides:
            self.apply(value, self.normalise(overrides, name))
            self.check(value, name)
        return value

    def build_many(self, ids: list[str]) -> list[dict[str, Any]]:
        """One artifact for each of *ids*, in order."""
        return [self.build(i) for i in ids]

    def strategy(self, type: str | None = None, **fixed: Any) -> SearchStrategy[dict[str, Any]]:
        """A hypothesis strategy of valid artifacts (of *type* when given)."""
        if type is not None:
            self.schema_name_for(type)
        if fixed:
            # check the names (and values) once, on a sample, before hypothesis runs
            sample = ArtifactBuilder(self.spec, seed=0, clock=self.clock)
            sample.build(**fixed) if type is None else sample.build(type=type, **fixed)

        def draw(rnd: _random.Random) -> dict[str, Any]:
            value = self._make(rnd, None, type)
            return self.apply(value, self.normalise(fixed, self._types[value["type"]]))

        return self.randoms().map(draw)
