"""antimetal_builders, through real pytest sessions (pytester)."""

from __future__ import annotations

import json

import pytest

from tests.helpers.sessions import SHARED_VENDOR
from tests.helpers.sessions import run_plugin_in_process as run_in_process

pytestmark = pytest.mark.filterwarnings("error")
FULL = SHARED_VENDOR / "openapi.mintlify.json"
needs_full = pytest.mark.skipif(not FULL.is_file(), reason="the vendor's whole document is absent")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


def test_builders_fixture_is_listed_with_its_docstring(pytester: pytest.Pytester) -> None:
    result = run_in_process(pytester, "--fixtures")
    result.stdout.fnmatch_lines(["antimetal_builders*", "*Builders of the API's response bodies*"])


@needs_full
def test_builders_fixture_builds_linked_seeded_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json

        def test_results_cite_artifacts(antimetal_builders):
            results = antimetal_builders.results.build(root_cause="Pool too small.")
            assert results["rootCause"]["rootCauseSummary"] == "Pool too small."
            ids = antimetal_builders.results.document_ids(results)
            artifacts = antimetal_builders.artifacts.build_many(ids)
            assert [a["id"] for a in artifacts] == ids
            chunks = antimetal_builders.agent.chunks()
            with open("values.json", "a") as out:
                out.write(json.dumps([results, artifacts, chunks], sort_keys=True) + "\\n")
        """
    )
    for _ in range(2):
        run_in_process(pytester, f"--antimetal-spec={FULL}").assert_outcomes(passed=1)
    first, again = (pytester.path / "values.json").read_text().splitlines()
    assert first == again  # seeded by the test's id: the same values on every run


def test_builders_fixture_on_a_document_without_the_schemas_fails_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    # The vendored document of before issue 13: POST /issues and its schemas only.
    document = json.loads(FULL.read_text()) if FULL.is_file() else pytest.skip("no document")
    document["paths"] = {"/issues": {"post": document["paths"]["/issues"]["post"]}}
    del document["components"]["schemas"]["IssueResultsDto"]
    spec = pytester.makefile(".json", one=json.dumps(document))
    pytester.makepyfile(
        """
        def test_results(antimetal_builders):
            antimetal_builders.results.build()
        """
    )
    result = run_in_process(pytester, f"--antimetal-spec={spec}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no schema named 'IssueResultsDto'*whole document*"])
