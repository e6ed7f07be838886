"""The two documents the fake's tests serve: the one-operation document (``POST /issues``
only, what the fake served before the whole API) and the vendor's whole document."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.spec import Spec, vendored_spec

WHOLE_DOCUMENT = (
    Path(__file__).resolve().parents[2].parent / "shared" / "vendor" / ("openapi.mintlify.json")
)


def one_operation_spec() -> Spec:
    """The vendored document cut down to ``POST /issues`` (whatever else it holds)."""
    document = copy.deepcopy(vendored_spec().document)
    document["paths"] = {"/issues": {"post": document["paths"]["/issues"]["post"]}}
    return Spec(document, source="<one operation>")


_WHOLE: list[Spec] = []


def whole_spec() -> Spec:
    """The vendor's whole document (nine operations); the test skips when it is absent."""
    if not WHOLE_DOCUMENT.exists():
        pytest.skip(f"the vendor's whole document is not at {WHOLE_DOCUMENT}")
    if not _WHOLE:
        _WHOLE.append(Spec.from_path(WHOLE_DOCUMENT))
    return _WHOLE[0]


_VALIDATORS: dict[tuple[str, str, int], Any] = {}


def conforms(spec: Spec, method: str, path: str, response: Any) -> Any:
    """Assert *response* (an httpx response) is what *spec* documents for it; its JSON body.

    Errors must be an ``ErrorResponseDto`` whatever the status; a 204 has no body.
    """
    import json

    import jsonschema

    from pytest_antimetal.spec.validation import to_draft4

    status: int = response.status_code
    content: bytes = response.content
    if status == 204:
        assert content == b""
        return None
    key = (method, path, status)
    if key not in _VALIDATORS:
        schema = spec.operation(method, path).response_schema(status)
        if schema is None or status >= 400:
            schema = spec.schema("ErrorResponseDto")
        # Recursive schemas keep their $refs: the document's components resolve them.
        root = dict(to_draft4(schema))
        root["components"] = to_draft4(spec.document.get("components", {}))
        _VALIDATORS[key] = jsonschema.Draft4Validator(
            root, format_checker=jsonschema.FormatChecker()
        )
    body = json.loads(content)
    validator = _VALIDATORS[key]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{method.upper()} {path} {status}: {errors[:5]}"
    return body
