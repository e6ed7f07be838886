"""The check's validators: each schema of the spec compiled once, and its errors as text.

jsonschema_rs is imported (through ``spec.validation``) on the first validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_antimetal.spec import SpecError

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = ["SchemaErrors", "errors_text"]


def _has_ref(node: Any) -> bool:
    if isinstance(node, Mapping):
        return "$ref" in node or any(_has_ref(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_ref(item) for item in node)
    return False


def errors_text(errors: Mapping[str, str]) -> list[str]:
    """Each error as a line: the field first, unless it is the whole body."""
    return [
        message if field == "body" else f"{field}: {message}" for field, message in errors.items()
    ]


class SchemaErrors:
    """Validators of *spec*'s schemas, compiled on first use and kept by schema identity."""

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._validators: dict[int, Any] = {}

    def __call__(self, schema: dict[str, Any], instance: Any) -> dict[str, str]:
        """*instance*'s errors against *schema* (one of the spec's), by field."""
        from pytest_antimetal.spec.validation import RequestValidator

        validator = self._validators.get(id(schema))
        if validator is None:
            compiled = schema
            if _has_ref(schema):
                # A recursive schema keeps its cyclic $ref (MetricArtifactDto__schema1):
                # give the validator the components it points into.
                schemas = self._spec.document.get("components", {}).get("schemas", {})
                compiled = {**schema, "components": {"schemas": schemas}}
            try:
                validator = (schema, RequestValidator(compiled))
            except ValueError as exc:  # jsonschema_rs.ValidationError: a schema it cannot compile
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise SpecError(f"a schema of the spec cannot be compiled: {message}") from None
            self._validators[id(schema)] = validator
        return dict(validator[1].errors(instance))
