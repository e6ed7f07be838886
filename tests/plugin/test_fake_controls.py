"""antimetal_fake's investigation controls and the investigation= marker option (pytester)."""

from __future__ import annotations

import pytest

from tests.helpers.sessions import SHARED_VENDOR
from tests.helpers.sessions import run_plugin as run
from tests.helpers.sessions import run_plugin_in_process as run_in_process

pytestmark = pytest.mark.filterwarnings("error")
FULL = SHARED_VENDOR / "openapi.mintlify.json"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


@pytest.mark.skipif(not FULL.is_file(), reason="the vendor's whole document is absent")
def test_investigation_modes_and_controls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def create(client):
            return client.issues.create(title="t", description="d", environment="e")

        def status(fake, client, issue):
            client.issues.retrieve(issue.uuid)  # a request lets the fake's clock act
            return fake.investigations.status(issue)

        @pytest.mark.antimetal_fake(investigation="manual")
        def test_manual(antimetal_fake, antimetal_client, antimetal_builders):
            issue = create(antimetal_client)
            antimetal_fake.clock.advance(86_400)
            assert status(antimetal_fake, antimetal_client, issue) == "PENDING"
            results = antimetal_builders.results.build(root_cause="Pool size 5.")
            antimetal_fake.investigations.complete(issue, results=results)
            body = antimetal_client.http.get(f"/issues/{issue.uuid}/results").json()
            assert body["rootCause"]["rootCauseSummary"] == "Pool size 5."
            assert status(antimetal_fake, antimetal_client, issue) == "SUCCESS"

        @pytest.mark.antimetal_fake(investigation="instant")
        def test_instant(antimetal_fake, antimetal_client):
            issue = create(antimetal_client)
            assert status(antimetal_fake, antimetal_client, issue) == "SUCCESS"

        @pytest.mark.antimetal_fake(investigation=5)
        def test_seconds(antimetal_fake, antimetal_client):
            issue = create(antimetal_client)
            antimetal_fake.clock.advance(4)
            assert status(antimetal_fake, antimetal_client, issue) == "PENDING"
            antimetal_fake.clock.advance(1)
            assert status(antimetal_fake, antimetal_client, issue) == "SUCCESS"

        def test_builders_follow_the_fake_clock(antimetal_fake, antimetal_builders):
            antimetal_fake.clock.advance(400 * 86_400)
            now = antimetal_fake.now()
            artifact = antimetal_builders.artifacts.build(type="log")
            assert artifact["updatedAt"][:10] == now[:10]
        """
    )
    result = run_in_process(pytester, f"--antimetal-spec={FULL}", "-p", "no:randomly")
    result.assert_outcomes(passed=4)


@pytest.mark.parametrize("value", ["'soon'", "-1", "float('inf')", "True"])
def test_a_bad_investigation_option_is_one_usage_line(
    pytester: pytest.Pytester, value: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.antimetal_fake(investigation={value})
        def test_typo(antimetal_client):
            pass
        """
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert 'investigation=...) must be "instant", "manual" or a finite number of seconds' in err
    assert "Traceback" not in err + result.stdout.str()
