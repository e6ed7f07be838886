"""The public fixtures and the target toggle, through real pytest sessions (pytester)."""

from __future__ import annotations

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer

# run_in_process: for runs that check outcomes or what a test printed (a child pytest costs
# ~1.3 CPU-s of imports); usage errors, xdist and secrets keep a child process (run).
from tests.helpers.sessions import run_plugin as run
from tests.helpers.sessions import run_plugin_in_process as run_in_process

pytestmark = pytest.mark.filterwarnings("error")


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
    result = run_in_process(pytester)
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
    # Both creates are listed: the client's own and the factory's.
    result.stdout.fnmatch_lines([f"*2 issue(s) created on {server.url}*", "#1 *'live'", "#2 *"])
    assert "live-key-0123456789abcdef" not in result.stdout.str() + result.stderr.str()


def test_ini_and_env_base_url_and_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        def test_source(antimetal_target):
            print("SOURCE=" + antimetal_target.source + " URL=" + str(antimetal_target.base_url))
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "k" * 20)
    monkeypatch.setenv("ANTIMETAL_BASE_URL", "http://127.0.0.1:9/env")
    result = run_in_process(pytester, "-s")
    result.stdout.fnmatch_lines(["*SOURCE=ANTIMETAL_BASE_URL URL=http://127.0.0.1:9/env*"])
    pytester.makeini("[pytest]\nantimetal_base_url = http://127.0.0.1:9/ini\n")
    result = run_in_process(pytester, "-s")
    result.stdout.fnmatch_lines(["*SOURCE=ini antimetal_base_url URL=http://127.0.0.1:9/ini*"])
    result = run_in_process(pytester, "-s", "--antimetal-base-url=http://127.0.0.1:9/cli/")
    result.stdout.fnmatch_lines(["*SOURCE=--antimetal-base-url URL=http://127.0.0.1:9/cli*"])
    result = run_in_process(
        pytester, "-s", "--antimetal-base-url=http://127.0.0.1:9/cli", "--antimetal-fake"
    )
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
    result = run_in_process(pytester, "--antimetal-base-url=http://127.0.0.1:9", "--strict-markers")
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
    result = run_in_process(pytester, "-s")
    result.assert_outcomes(passed=2)
    uuids = [line.split()[-1] for line in result.stdout.lines if "UUID" in line]
    assert len(uuids) == 2 and uuids[0] == uuids[1]


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("antimetal_fake(sede=1)", "unknown option 'sede'"),
        ("antimetal_fake(1)", "keyword arguments only"),
        ("antimetal_fake(latency='abc')", "latency=...) must be a finite number"),
        ("antimetal_fake(latency=-1)", "latency=...) must be a finite number"),
        ("antimetal_fake(api_keys='secretkey')", "api_keys=...) must be a list of strings"),
        ("antimetal_fake(max_body_bytes=0)", "max_body_bytes=...) must be an int > 0"),
    ],
)
def test_bad_marker_options_are_one_line_usage_errors(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.{marker}
        def test_typo(antimetal_client):
            pass
        """
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert message in err
    assert "test_bad_marker_options_are_one_line_usage_errors.py::test_typo" in err
    assert "Traceback" not in err + result.stdout.str()


def test_env_base_url_without_key_leaves_unrelated_runs_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Teams export ANTIMETAL_BASE_URL for their app: tests that never touch Antimetal still run.
    monkeypatch.setenv("ANTIMETAL_BASE_URL", "https://bff.dev.antimetal.com/api/v2")
    pytester.makepyfile(
        """
        import pytest

        def test_plain():
            assert True

        @pytest.mark.antimetal_fake
        def test_on_a_fake(antimetal_client):
            assert antimetal_client.issues.create(title="t", description="d", environment="e").number == 1
        """
    )
    run_in_process(pytester).assert_outcomes(passed=2)
    assert run_in_process(pytester, "--help").ret == 0
    # ...but a test that needs the live target is one usage error naming the variable.
    pytester.makepyfile(test_live="def test_live(antimetal_client): pass")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ANTIMETAL_BASE_URL points pytest-antimetal at" in result.stderr.str()
    assert "ANTIMETAL_API_KEY is not set" in result.stderr.str()


def test_unusable_spec_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(antimetal_client): pass\ndef test_y(antimetal_client): pass")
    result = run(pytester, "--antimetal-spec=nope.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "nope.yaml: cannot read" in result.stderr.str()
    pytester.path.joinpath("nopost.yaml").write_text(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    )
    result = run(pytester, "--antimetal-spec=nopost.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no operation POST /issues" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_ini_spec_path_is_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    from pytest_antimetal.spec import VENDORED_SPEC_PATH

    text = VENDORED_SPEC_PATH.read_text().replace("maxLength: 500", "maxLength: 7")
    pytester.mkdir("spec").joinpath("mine.yaml").write_text(text)
    pytester.makeini("[pytest]\nantimetal_spec = spec/mine.yaml\n")
    sub = pytester.mkdir("sub")
    sub.joinpath("test_s.py").write_text(
        "def test_s(antimetal_spec):\n"
        "    assert antimetal_spec.schema('CreateIssueDto')['properties']['title']['maxLength'] == 7\n"
    )
    run_in_process(pytester, "sub").assert_outcomes(passed=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        run_in_process(pytester, ".").assert_outcomes(passed=1)


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
    run_in_process(pytester).assert_outcomes(passed=1)


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
    run_in_process(pytester).assert_outcomes(passed=4)


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


def test_the_fakes_key_is_never_the_users_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    pytester.makepyfile(
        """
        import os
        import httpx

        def open_incident(base_url, api_key, title):
            response = httpx.post(f"{base_url}/issues", headers={"Authorization": f"Bearer {api_key}"},
                                  json={"title": title, "description": "d", "environment": "e"})
            assert response.status_code == 201, response.text
            return response.json()["number"]

        def test_fails_with_arguments_printed(antimetal_fake):
            open_incident(antimetal_fake.url, antimetal_fake.api_key, "")

        def test_code_reading_the_env_key_is_let_in(antimetal_fake):
            assert open_incident(antimetal_fake.url, os.environ["ANTIMETAL_API_KEY"], "t") == 1
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    result = run(pytester, "--tb=long", "-l")
    result.assert_outcomes(passed=1, failed=1)
    assert canary_key not in result.stdout.str() + result.stderr.str()


def test_factory_payloads_replay_from_cassettes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = FakeAntimetal(api_keys=["live-key-0123456789abcdef"])
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.vcr
        def test_recorded(antimetal_issue_factory):
            assert antimetal_issue_factory.create().number >= 1
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "live-key-0123456789abcdef")
    with FakeServer(live) as server:
        run(pytester, f"--antimetal-base-url={server.url}", "--record-mode=once").assert_outcomes(
            passed=1
        )
        url = server.url
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    result = run(pytester, f"--antimetal-base-url={url}", "--record-mode=none", "--block-network")
    result.assert_outcomes(passed=1)


def test_async_client_leaves_no_socket_open(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = FakeAntimetal(api_keys=["live-key-0123456789abcdef"])
    pytester.makepyfile(
        """
        import gc
        import pytest

        @pytest.mark.anyio
        @pytest.mark.parametrize("n", range(3))
        async def test_async(antimetal_async_client, n):
            await antimetal_async_client.issues.create(title="t", description="d", environment="e")

        def test_gc():
            gc.collect()

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", "live-key-0123456789abcdef")
    with FakeServer(live) as server:
        result = run(
            pytester, f"--antimetal-base-url={server.url}", "-W", "error", "-p", "no:randomly"
        )
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
        [f"*4 issue(s) created on {server.url}*", "#1 *", "#2 *", "#3 *", "#4 *"]
    )
    assert len(live.issues) == 4


def test_a_spec_without_a_json_body_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("nobody.yaml").write_text(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /issues:\n    post:\n      responses:\n        '201': {description: ok}\n"
    )
    pytester.makepyfile("def test_x(antimetal_client): pass")
    result = run(pytester, "--antimetal-spec=nobody.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "POST /issues has no application/json body" in result.stderr.str()
