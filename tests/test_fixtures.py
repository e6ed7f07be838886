"""The public fixtures and the target toggle, through real pytest sessions (pytester)."""

from __future__ import annotations

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer

pytestmark = pytest.mark.filterwarnings("error")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p",
        "antimetal",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        *args,
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)


def test_fixtures_are_listed_with_docstrings(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--fixtures")
    out = result.stdout.str()
    for name in (
        "antimetal_client",
        "antimetal_async_client",
        "antimetal_issue_factory",
        "antimetal_fake",
        "antimetal_target",
        "antimetal_spec",
    ):
        assert f"{name} " in out or f"{name}\n" in out or f"{name} [" in out, name
    assert "An authenticated" in out
    assert "fresh embedded fake" in out


def test_default_target_is_a_fresh_fake_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_one(antimetal_client, antimetal_target):
            assert antimetal_target.kind == "fake"
            assert antimetal_client.issues.create(title="a", description="b", environment="c").number == 1

        def test_two(antimetal_client, antimetal_fake):
            # a fresh fake: numbering restarts, and the client is on the requested fake
            assert antimetal_client.issues.create(title="a", description="b", environment="c").number == 1
            assert len(antimetal_fake.issues) == 1
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)


def test_base_url_option_targets_a_live_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = FakeAntimetal(api_keys=["live-key-0123456789abcdef"])
    pytester.makepyfile(
        """
        def test_live(antimetal_client, antimetal_target):
            assert antimetal_target.kind == "live"
            assert antimetal_target.source == "--antimetal-base-url"
            issue = antimetal_client.issues.create(title="live", description="d", environment="e")
            assert issue.title == "live"

        def test_factory_tags_live_issues(antimetal_issue_factory):
            issue = antimetal_issue_factory.create()
            assert issue.number >= 1
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "live-key-0123456789abcdef")
    with FakeServer(live) as server:
        result = run(pytester, f"--antimetal-base-url={server.url}", "-rA")
    result.assert_outcomes(passed=2)
    assert live.issues[0]["title"] == "live"
    # The factory tags what it creates on a live server, and the run lists it.
    assert "pytest-antimetal" in [r.json for r in live.requests][-1]["context"]["tags"]
    result.stdout.fnmatch_lines(["*issues created on the live server*", "#2 *"])
    assert "live-key-0123456789abcdef" not in result.stdout.str() + result.stderr.str()


def test_ini_and_env_base_url_and_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        def test_source(antimetal_target, pytestconfig):
            assert antimetal_target.source == pytestconfig.getoption("--expect") if False else True
            print("SOURCE=" + antimetal_target.source + " URL=" + str(antimetal_target.base_url))
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "k" * 20)
    monkeypatch.setenv("ANTIMETAL_BASE_URL", "http://127.0.0.1:9/env")
    result = run(pytester, "-s")
    result.stdout.fnmatch_lines(["*SOURCE=ANTIMETAL_BASE_URL URL=http://127.0.0.1:9/env*"])
    pytester.makeini("[pytest]\nantimetal_base_url = http://127.0.0.1:9/ini\n")
    result = run(pytester, "-s")
    result.stdout.fnmatch_lines(["*SOURCE=ini antimetal_base_url URL=http://127.0.0.1:9/ini*"])
    result = run(pytester, "-s", "--antimetal-base-url=http://127.0.0.1:9/cli/")
    result.stdout.fnmatch_lines(["*SOURCE=--antimetal-base-url URL=http://127.0.0.1:9/cli*"])
    result = run(pytester, "-s", "--antimetal-base-url=http://127.0.0.1:9/cli", "--antimetal-fake")
    result.stdout.fnmatch_lines(["*SOURCE=--antimetal-fake URL=None*"])


def test_marker_and_fixture_beat_a_live_target(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.antimetal_fake(seed=4)
        def test_marked(antimetal_client):
            issue = antimetal_client.issues.create(title="t", description="d", environment="e")
            assert issue.number == 1

        def test_requested(antimetal_fake, antimetal_client):
            antimetal_client.issues.create(title="t", description="d", environment="e")
            assert len(antimetal_fake.issues) == 1
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "k" * 20)
    # Nothing listens on port 9: the tests pass only if their clients use the fake.
    result = run(pytester, "--antimetal-base-url=http://127.0.0.1:9", "--strict-markers")
    result.assert_outcomes(passed=2)


def test_marker_seed_makes_the_fake_deterministic(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.antimetal_fake(seed=11)
        @pytest.mark.parametrize("run", [1, 2])
        def test_seeded(antimetal_client, run):
            issue = antimetal_client.issues.create(title="t", description="d", environment="e")
            print("UUID", issue.uuid)
        """
    )
    result = run(pytester, "-s")
    result.assert_outcomes(passed=2)
    uuids = [line.split()[-1] for line in result.stdout.lines if "UUID" in line]
    assert len(uuids) == 2 and uuids[0] == uuids[1]


def test_bad_marker_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.antimetal_fake(sede=1)
        def test_typo(antimetal_client):
            pass
        """
    )
    result = run(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*unknown option(s) sede*"])


def test_live_target_without_key_is_one_line_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(antimetal_client): pass")
    result = run(pytester, "--antimetal-base-url=https://bff.dev.antimetal.com/api/v2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "ANTIMETAL_API_KEY is not set" in err
    assert "Traceback" not in err + result.stdout.str()
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_bad_base_url_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", "k" * 20)
    result = run(pytester, "--antimetal-base-url=ftp://example")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is not an http(s) URL" in result.stderr.str()


def test_replaying_cassettes_needs_no_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_x(antimetal_target):
            assert antimetal_target.kind == "live" and antimetal_target.replaying
        """
    )
    result = run(
        pytester, "--antimetal-base-url=https://bff.antimetal.com/api/v2", "--record-mode=none"
    )
    result.assert_outcomes(passed=1)


def test_async_client_under_anyio_and_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.anyio
        async def test_anyio(antimetal_async_client, antimetal_fake):
            issue = await antimetal_async_client.issues.create(title="t", description="d", environment="e")
            assert issue.number == 1 and len(antimetal_fake.issues) == 1

        @pytest.mark.asyncio
        async def test_asyncio(antimetal_async_client):
            async with antimetal_async_client as client:
                issue = await client.issues.create(title="t", description="d", environment="e")
            assert issue.severity == "medium"

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    result = run(pytester, "-p", "asyncio")
    result.assert_outcomes(passed=2)


def test_fake_url_serves_code_that_builds_its_own_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_url(antimetal_fake):
            assert antimetal_fake._server is None  # no socket until .url is used
            r = httpx.post(antimetal_fake.url + "/issues", json={"title": "t", "description": "d", "environment": "e"},
                           headers={"Authorization": "Bearer " + antimetal_fake.api_key})
            assert r.status_code == 201
            assert antimetal_fake.issues[0]["number"] == 1
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_factory_strategy_and_invalid(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_antimetal.errors import BadRequestError

        @pytest.mark.parametrize("violation", ["missing", "too_long", "too_short", "wrong_type"])
        def test_invalid_titles_rejected(antimetal_issue_factory, antimetal_client, violation):
            payload = antimetal_issue_factory.build_invalid("title", violation)
            response = antimetal_client.http.post("/issues", json=payload)
            assert response.status_code == 400
            assert "title" in response.json()["details"]
        """
    )
    run(pytester).assert_outcomes(passed=4)


def test_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_many(antimetal_client, n):
            assert antimetal_client.issues.create(title=str(n), description="d", environment="e").number == 1
        """
    )
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=4)


def test_canary_key_never_printed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    pytester.makepyfile(
        """
        def test_fails(antimetal_client):
            client = antimetal_client
            assert repr(client) == "boom", client
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    result = run(pytester, "--junitxml=report.xml", "-l", "--log-level=DEBUG")
    result.assert_outcomes(failed=1)
    everything = (
        result.stdout.str() + result.stderr.str() + (pytester.path / "report.xml").read_text()
    )
    assert canary_key not in everything
    assert canary_key[-16:] not in everything


def test_created_live_issues_are_listed_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = FakeAntimetal(api_keys=["live-key-0123456789abcdef"])
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_create(antimetal_issue_factory, n):
            antimetal_issue_factory.create(title=f"issue {n}")
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "live-key-0123456789abcdef")
    with FakeServer(live) as server:
        result = run(pytester, f"--antimetal-base-url={server.url}", "-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*issues created on the live server*", "#1 *", "#2 *", "#3 *", "#4 *"]
    )
    assert len(live.issues) == 4
