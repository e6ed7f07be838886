"""Reports people read: text by level then location, a markdown changelog, annotations on lines."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_antimetal.drift.gate import evaluate
from pytest_antimetal.drift.report import FRAGMENT_LINES, render
from pytest_antimetal.spec import VENDORED_SPEC_PATH
from tests.drift.test_usage import full_document, vendored

Doc = dict[str, Any]


def _several(old: Doc) -> Doc:
    """One breaking change in each of two operations, a warning and an info."""
    new = copy.deepcopy(old)
    schemas = new["components"]["schemas"]
    schemas["CreateIssueDto"]["properties"]["title"]["maxLength"] = 200  # breaking, POST /issues
    new["paths"]["/artifacts"]["get"]["parameters"].append(
        {"name": "kind", "in": "query", "required": True, "schema": {"type": "string"}}
    )  # breaking, GET /artifacts
    schemas["CreateIssueResponseDto"]["properties"]["status"]["enum"].append("archived")  # warning
    new["paths"]["/query"]["post"]["summary"] = "Ask a question"  # info
    return new


def test_text_sorts_by_level_then_location() -> None:
    old = full_document()
    out = render(evaluate(old, _several(old)), "text")
    levels = [line.split()[0] for line in out.splitlines() if line[:1].isupper()][1:]
    assert levels == ["BREAKING", "BREAKING", "WARNING", "INFO"]
    breaking = [line for line in out.splitlines() if line.startswith("BREAKING")]
    # /components/... sorts before /paths/...
    assert breaking[0].startswith("BREAKING POST /issues: request body property 'title'")
    assert breaking[1].startswith("BREAKING GET /artifacts: query parameter 'kind' added")


def test_markdown_is_a_changelog_breaking_first_grouped_with_fragments() -> None:
    old = full_document()
    out = render(evaluate(old, _several(old)), "markdown")
    headings = [line for line in out.splitlines() if line.startswith("####")]
    assert headings == [
        "#### Breaking (2)",
        "##### `GET /artifacts`",
        "##### `POST /issues`",
        "#### Warnings (1)",
        "##### `POST /issues`",
        "#### Info (1)",
        "##### `POST /query`",
    ]
    title = out.split("request body property 'title'", 1)[1].split("</details>", 1)[0]
    old_part, new_part = title.split("  new:")
    assert '"maxLength": 500' in old_part and '"maxLength": 200' not in old_part
    assert '"maxLength": 200' in new_part
    kind = out.split("query parameter 'kind' added", 1)[1].split("</details>", 1)[0]
    assert "(absent)" in kind.split("  new:")[0]  # a new parameter: no old fragment
    assert '"name": "kind"' in kind


def test_markdown_cuts_long_fragments_and_says_so() -> None:
    old = full_document()
    new = copy.deepcopy(old)
    del new["paths"]["/query"]  # a large removed operation
    new["paths"]["/issues"]["post"]["description"] = "```\nfenced\n```"
    out = render(evaluate(old, new), "markdown")
    removed = out.split("POST /query removed", 1)[1].split("</details>", 1)[0]
    assert "more lines cut)" in removed
    assert len(removed.splitlines()) <= FRAGMENT_LINES + 16  # the fragment, fences and labels
    # A description holding a fence cannot end the report's own fence early.
    assert "````json" in out


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout with the vendored spec at spec/antimetal-openapi.yaml; the working directory."""
    (tmp_path / "spec").mkdir()
    shutil.copy(VENDORED_SPEC_PATH, tmp_path / "spec" / "antimetal-openapi.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _line_of_title(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("    CreateIssueDto:")
    return next(i for i in range(start, len(lines)) if lines[i] == "        title:") + 1


def test_github_annotations_point_at_the_vendored_spec_line(repo: Path) -> None:
    old = vendored()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["CreateIssueDto"]["properties"]["title"]["maxLength"] = 200
    vendored_file = repo / "spec" / "antimetal-openapi.yaml"
    line = _line_of_title(vendored_file)
    # Scheduled check: the vendored copy (OLD) against the published URL.
    result = evaluate(
        old, new, old_source="spec/antimetal-openapi.yaml", new_source="https://x.test/o.json"
    )
    first = render(result, "github").splitlines()[0]
    assert first.startswith(
        f"::error file=spec/antimetal-openapi.yaml,line={line},"
        "title=Spec drift%3A request-property-max-length-decreased::"
    )
    # The same check against a downloaded copy: still the vendored file, not the copy.
    (repo / "published.json").write_text("{}")
    result = evaluate(
        old, new, old_source="spec/antimetal-openapi.yaml", new_source="published.json"
    )
    first = render(result, "github").splitlines()[0]
    assert first.startswith(f"::error file=spec/antimetal-openapi.yaml,line={line},")
    # A pull request refreshing the vendored copy: NEW is the file in the repository.
    (repo / "main.yaml").write_text(vendored_file.read_text().replace("500", "900"))
    result = evaluate(old, new, old_source="main.yaml", new_source="spec/antimetal-openapi.yaml")
    first = render(result, "github").splitlines()[0]
    assert first.startswith(f"::error file=spec/antimetal-openapi.yaml,line={line},")
