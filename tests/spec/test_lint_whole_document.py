"""Issue 14: ``lint`` covers the whole document. For each rule family, a defect planted in an
operation other than ``POST /issues`` of a copy of the vendored document is reported, with
the JSON pointer of where it was planted, and nothing else changes."""

from __future__ import annotations

import argparse
import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.spec import Spec, vendored_spec
from pytest_antimetal.spec.lint import find_inconsistencies, run

Document = dict[str, Any]

DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$"


def _param(doc: Document, path: str, method: str, name: str) -> dict[str, Any]:
    for param in doc["paths"][path][method]["parameters"]:
        if param.get("name") == name:
            return param
    raise AssertionError(f"{method.upper()} {path} has no parameter {name!r}")


def _pointer(doc: Document, path: str, method: str, name: str) -> str:
    params = doc["paths"][path][method]["parameters"]
    index = next(i for i, p in enumerate(params) if p.get("name") == name)
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method}/parameters/{index}/schema"


def _cursor_is_a_timestamp(doc: Document) -> str:
    """``GET /issues?startingAfter``: a date-time whose pattern admits what RFC 3339 does not."""
    _param(doc, "/issues", "get", "startingAfter")["schema"] = {
        "type": "string",
        "format": "date-time",
        "pattern": DATETIME_PATTERN,
    }
    return _pointer(doc, "/issues", "get", "startingAfter")


def _status_default_not_in_enum(doc: Document) -> str:
    """``GET /issues?status``: the description names a default the enum does not hold."""
    _param(doc, "/issues", "get", "status")["schema"]["description"] = "Defaults to open."
    return _pointer(doc, "/issues", "get", "status")


def _limit_default_a_string(doc: Document) -> str:
    """``GET /issues?limit``: a ``default`` of the wrong type."""
    _param(doc, "/issues", "get", "limit")["schema"]["default"] = "ten"
    return _pointer(doc, "/issues", "get", "limit")


def _limit_default_over_maximum(doc: Document) -> str:
    """``GET /issues?limit``: a ``default`` above the ``maximum`` (100)."""
    _param(doc, "/issues", "get", "limit")["schema"]["default"] = 101
    return _pointer(doc, "/issues", "get", "limit")


def _number_example_a_string(doc: Document) -> str:
    """``GET /issues/by_number/{number}``: an ``example`` of the wrong type."""
    _param(doc, "/issues/by_number/{number}", "get", "number")["schema"]["example"] = "#123"
    return _pointer(doc, "/issues/by_number/{number}", "get", "number")


def _number_example_below_minimum(doc: Document) -> str:
    """``GET /issues/by_number/{number}``: an ``example`` below the ``minimum`` (1)."""
    _param(doc, "/issues/by_number/{number}", "get", "number")["schema"]["example"] = 0
    return _pointer(doc, "/issues/by_number/{number}", "get", "number")


def _limit_parameter_example_a_string(doc: Document) -> str:
    """``GET /issues?limit``: the parameter's own ``example`` (beside its schema) of the
    wrong type."""
    _param(doc, "/issues", "get", "limit")["example"] = "ten"
    return _pointer(doc, "/issues", "get", "limit").removesuffix("/schema")


def _version_example_on_exclusive_minimum(doc: Document) -> str:
    """``GET /issues/{id}/results?version``: an ``example`` on an exclusive ``minimum``
    (OpenAPI 3.0's boolean ``exclusiveMinimum``)."""
    schema = _param(doc, "/issues/{id}/results", "get", "version")["schema"]
    schema.update(exclusiveMinimum=True, example=1)
    return _pointer(doc, "/issues/{id}/results", "get", "version")


def _ids_default_over_max_items(doc: Document) -> str:
    """``GET /artifacts?id``: a ``default`` list longer than ``maxItems`` (100)."""
    _param(doc, "/artifacts", "get", "id")["schema"]["default"] = ["art"] * 101
    return _pointer(doc, "/artifacts", "get", "id")


def _list_requires_total(doc: Document) -> str:
    """``GET /issues`` 200: the page requires a property it does not define."""
    content = doc["paths"]["/issues"]["get"]["responses"]["200"]["content"]
    content["application/json"]["schema"]["required"].append("total")
    return "#/paths/~1issues/get/responses/200/content/application~1json/schema"


def _artifacts_min_over_max(doc: Document) -> str:
    """``GET /artifacts?id``: ``minItems`` above ``maxItems``."""
    _param(doc, "/artifacts", "get", "id")["schema"]["minItems"] = 101
    return _pointer(doc, "/artifacts", "get", "id")


def _delete_without_401(doc: Document) -> str:
    """``DELETE /issues/{id}``: the document's bearer security, and no 401 documented."""
    del doc["paths"]["/issues/{id}"]["delete"]["responses"]["401"]
    return "#/paths/~1issues~1{id}/delete/responses"


PLANTED: dict[str, tuple[Callable[[Document], str], str]] = {
    "pattern-vs-format": (_cursor_is_a_timestamp, "pattern-vs-format"),
    "description-vs-enum": (_status_default_not_in_enum, "description-vs-enum"),
    "default-type": (_limit_default_a_string, "default-vs-schema"),
    "default-bounds": (_limit_default_over_maximum, "default-vs-schema"),
    "example-type": (_number_example_a_string, "example-vs-schema"),
    "example-bounds": (_number_example_below_minimum, "example-vs-schema"),
    "parameter-example": (_limit_parameter_example_a_string, "example-vs-schema"),
    "example-exclusive-bound": (_version_example_on_exclusive_minimum, "example-vs-schema"),
    "default-items": (_ids_default_over_max_items, "default-vs-schema"),
    "required-vs-properties": (_list_requires_total, "required-vs-properties"),
    "bounds": (_artifacts_min_over_max, "bounds"),
    "security-vs-responses": (_delete_without_401, "security-vs-responses"),
}
"""name -> (plants a defect in a copy of the document and returns its pointer, the rule)."""


def _found(doc: Document) -> set[tuple[str, str]]:
    return {(i.pointer, i.kind) for i in find_inconsistencies(Spec(doc))}


def test_every_rule_family_is_planted() -> None:
    """The kinds lint can report (read from its source) are exactly those planted here: a
    new rule family fails this test until it has a planted defect."""
    source = Path(find_inconsistencies.__code__.co_filename).read_text(encoding="utf-8")
    kinds = set(re.findall(r'Inconsistency\(\s*(?:pointer|f"[^"]*"),\s*"([a-z-]+)"', source))
    if 'f"{keyword}-vs-schema"' in source:
        kinds |= {"default-vs-schema", "example-vs-schema"}
    assert {kind for _, kind in PLANTED.values()} == kinds
    assert len(kinds) == 7


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_a_defect_outside_post_issues_is_reported_at_its_pointer(name: str) -> None:
    plant, kind = PLANTED[name]
    baseline = _found(vendored_spec().document)
    doc = copy.deepcopy(vendored_spec().document)
    pointer = plant(doc)
    assert "/paths/~1issues/post" not in pointer
    assert _found(doc) - baseline == {(pointer, kind)}


def test_the_cli_prints_the_pointer_of_a_defect_in_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(vendored_spec().document)
    pointer = _delete_without_401(doc)
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(doc), encoding="utf-8")
    assert run(argparse.Namespace(spec=str(spec_file))) == 1
    out = capsys.readouterr().out
    assert f"{pointer}: [security-vs-responses] DELETE /issues/{{id}} requires `bearer`" in out
