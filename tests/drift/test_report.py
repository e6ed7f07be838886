"""The four report formats, on a hand-made result."""

from __future__ import annotations

import json

from pytest_antimetal.drift.model import Change, DiffResult, Level
from pytest_antimetal.drift.report import render


def _result() -> DiffResult:
    return DiffResult.build(
        "old.yaml",
        "new.yaml",
        [
            Change("info-version-changed", Level.INFO, None, "/info/version", "'1' -> '2'"),
            Change(
                "request-property-pattern-changed",
                Level.BREAKING,
                "POST /issues",
                "/components/schemas/A/properties/b",
                "pattern changed from 'a|b' to '100%\nc'",
            ),
            Change("server-removed", Level.WARNING, None, "/servers/1", "server x removed"),
        ],
    )


def test_order_is_operation_then_location_then_id() -> None:
    assert [c.id for c in _result().changes] == [
        "info-version-changed",
        "server-removed",
        "request-property-pattern-changed",
    ]


def test_json_is_exactly_changes_and_summary() -> None:
    data = json.loads(render(_result(), "json"))
    assert list(data) == ["changes", "summary"]
    assert data["changes"][0] == {
        "id": "info-version-changed",
        "level": "info",
        "operation": None,
        "location": "/info/version",
        "message": "'1' -> '2'",
    }
    assert data["summary"]["counts"] == {"breaking": 1, "warning": 1, "info": 1}


def test_markdown_escapes_and_keeps_one_line_per_change() -> None:
    out = render(_result(), "markdown")
    assert "'a\\|b'" in out
    (item,) = [line for line in out.splitlines() if "pattern-changed" in line]
    assert item.startswith("- pattern changed from 'a\\|b' to '100% c'")  # newline folded


def test_github_annotations_escape_newlines_and_percent() -> None:
    lines = render(_result(), "github").splitlines()
    # Breaking first; no local file (the sources are not files here): no file=.
    assert lines[0].startswith("::error title=Spec drift%3A request-property-pattern-changed::")
    assert lines[1].startswith("::warning title=Spec drift%3A server-removed::")
    assert lines[2].startswith("::notice title=Spec drift%3A info-version-changed::")
    assert "100%25%0Ac" in lines[0]
    assert len(lines) == 4  # three annotations and the counts


def test_text_names_the_document_for_operationless_changes() -> None:
    out = render(_result(), "text")
    assert "WARNING  (document): server x removed" in out
    assert out.splitlines()[0] == "Spec drift old.yaml -> new.yaml: 1 breaking, 1 warning, 1 info"


def test_a_fragment_is_found_by_the_specs_own_pointer_walk() -> None:
    # The report reads fragments with spec.resolve_pointer (one JSON-pointer walk in the
    # package): escaped tokens, array indexes, the whole document, and a miss.
    from pytest_antimetal.drift.report import _at

    doc = {"paths": {"/issues": {"post": {"tags": ["a", "b"]}}}, "x~y": 1}
    assert _at(doc, "/paths/~1issues/post/tags/1") == (True, "b")
    assert _at(doc, "/x~0y") == (True, 1)
    assert _at(doc, "") == (True, doc)
    assert _at(doc, "/paths/~1issues/get") == (False, None)
    assert _at(doc, "/paths/~1issues/post/tags/2") == (False, None)
    assert _at(None, "/paths") == (False, None)
