"""The cassette plugin end to end, through pytester: record, scrub, guard, replay offline."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from urllib.parse import quote

import pytest

# Imported here so in-process pytester runs (which drop modules first imported
# inside them) never mix two copies of yaml's classes (EmitterError).
import vcr.serialize
import vcr.serializers.yamlserializer  # noqa: F401
import yaml  # noqa: F401

from pytest_antimetal.cassettes import check, recorder  # noqa: F401
from pytest_antimetal.fake import FakeAntimetal, FakeServer
from pytest_antimetal.spec import vendored_spec
from pytest_antimetal.target import mask_secret

PROD = "https://bff.antimetal.com/api/v2"

# Until plugin.py registers CassettePlugin itself, the downstream project does.
CONFTEST = """
from pytest_antimetal.cassettes.plugin import PLUGIN_NAME, CassettePlugin


def pytest_configure(config):
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(CassettePlugin(config), PLUGIN_NAME)
"""

# A downstream test creating an issue with plain httpx; where it goes comes from
# the environment so one file records against loopback and replays under prod.
DOWNSTREAM = """
import os

import httpx
import pytest


def _client():
    key = os.environ.get("ANTIMETAL_API_KEY", "")
    transport = None
    if os.environ.get("DOWNSTREAM_IN_PROCESS"):
        from pytest_antimetal.fake import FakeAntimetal

        transport = FakeAntimetal(api_keys=[key]).transport
    return httpx.Client(
        base_url=os.environ["DOWNSTREAM_BASE_URL"],
        headers={"Authorization": f"Bearer {key}"},
        transport=transport,
    )


@pytest.mark.vcr
def test_create_issue():
    body = {"environment": "prod", "title": "Checkout 500s", "description": "spike"}
    with _client() as client:
        response = client.post("/issues", json=body)
    assert response.status_code == 201, response.text
    issue = response.json()
    assert issue["title"] == "Checkout 500s"
    assert issue["number"] == 1
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
REPLAY = ("-p", "antimetal", "--record-mode=none", "--block-network")
RECORD = ("-p", "antimetal", "--record-mode=once")


@pytest.fixture
def downstream(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    return pytester


def _cassette(pytester: pytest.Pytester) -> Path:
    return pytester.path / "cassettes" / "test_downstream" / "test_create_issue.yaml"


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path} has {n!r}" for n in needles if n in data]
    return hits


def _canary_needles(key: str) -> list[bytes]:
    return [
        key.encode(),
        quote(key, safe="").encode(),
        base64.b64encode(key.encode()),
        key[len(key) // 2 :].encode(),
    ]


def test_canary_never_on_disk_and_offline_replay_needs_no_key(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    fake = FakeAntimetal(api_keys=[canary_key])
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    with FakeServer(fake) as server:
        monkeypatch.setenv("DOWNSTREAM_BASE_URL", f"{server.url}/api/v2")
        recorded = downstream.runpytest_subprocess(*RECORD, "-rA", "--junitxml=report.xml")
    recorded.assert_outcomes(passed=1)
    assert len(fake.requests) == 1  # really recorded against the separate server
    cassette = _cassette(downstream)
    assert "Bearer <ANTIMETAL_API_KEY>" in cassette.read_text()
    assert (downstream.path / "report.xml").is_file()
    assert (downstream.path / ".pytest_cache").is_dir()
    assert _files_containing(downstream.path, _canary_needles(canary_key)) == []
    assert canary_key not in recorded.stdout.str() + recorded.stderr.str()

    # Server gone, key gone, network blocked: the cassette answers.
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    replayed = downstream.runpytest(*REPLAY)
    replayed.assert_outcomes(passed=1)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("args", "mode"),
    [
        (REPLAY, "--record-mode=none"),
        (("-p", "antimetal"), "record mode 'none' (pytest-recording's"),
    ],
    ids=["record-mode-none", "default-mode"],
)
def test_replay_without_cassette_names_it_and_the_command_that_records_it(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], mode: str
) -> None:
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    result = downstream.runpytest(*args)
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    # VCR.py's own text calls 'once' the default: pytest-recording's default is 'none'.
    assert "(the default)" not in output
    assert "Traceback" not in output
    result.stdout.fnmatch_lines(
        [
            "pytest-antimetal: no cassette to replay for test_downstream.py::test_create_issue: "
            f"{_cassette(downstream)} does not exist, and {mode}*only replays. Record it once: "
            "pytest --record-mode=once test_downstream.py::test_create_issue *"
        ]
    )


def test_replay_of_an_unrecorded_request_says_how_to_record_it_again(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    _record_loopback(downstream, monkeypatch, canary_key)
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    downstream.makepyfile(test_downstream=DOWNSTREAM.replace("Checkout 500s", "Disk full"))
    result = downstream.runpytest(*REPLAY)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Can't play back this request: *",
            "pytest-antimetal: to record this test's cassette again: "
            "pytest --record-mode=rewrite test_downstream.py::test_create_issue",
        ]
    )


def _record_loopback(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    with FakeServer(FakeAntimetal(api_keys=[key])) as server:
        monkeypatch.setenv("DOWNSTREAM_BASE_URL", f"{server.url}/api/v2")
        pytester.runpytest(*RECORD).assert_outcomes(passed=1)
    assert _cassette(pytester).read_text().count("http://127.0.0.1:") == 1


def test_loopback_recording_replays_under_production_url(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    _record_loopback(downstream, monkeypatch, canary_key)
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    downstream.runpytest(*REPLAY).assert_outcomes(passed=1)


def test_production_recording_replays_under_loopback_url(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", "https://bff.dev.antimetal.com/api/v2")
    monkeypatch.setenv("DOWNSTREAM_IN_PROCESS", "1")
    downstream.runpytest(*RECORD).assert_outcomes(passed=1)
    assert "uri: https://bff.dev.antimetal.com/api/v2/issues" in _cassette(downstream).read_text()
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    monkeypatch.delenv("DOWNSTREAM_IN_PROCESS")
    # Nothing listens on port 9: only the cassette can answer.
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", "http://127.0.0.1:9/api/v2")
    downstream.runpytest(*REPLAY).assert_outcomes(passed=1)


def test_run_base_url_is_antimetal_traffic_and_a_target_error_does_not_break_vcr(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    monkeypatch.setenv("DOWNSTREAM_IN_PROCESS", "1")
    downstream.runpytest(*RECORD).assert_outcomes(passed=1)
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    monkeypatch.delenv("DOWNSTREAM_IN_PROCESS")
    staging = "https://staging.example.test/api/v2"
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", staging)
    # An unknown host is not Antimetal traffic: the prod recording does not match...
    downstream.runpytest(*REPLAY).assert_outcomes(failed=1)
    # ...until it is the run's base URL (replaying: no key needed).
    downstream.runpytest(*REPLAY, f"--antimetal-base-url={staging}").assert_outcomes(passed=1)
    # A base URL from the environment without a key is an error only for tests that
    # need the live target: a vcr test replaying its cassette still runs.
    monkeypatch.setenv("ANTIMETAL_BASE_URL", PROD)
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    result = downstream.runpytest(*RECORD, "--block-network")
    result.assert_outcomes(passed=1)
    assert "ANTIMETAL_API_KEY is not set" not in result.stdout.str() + result.stderr.str()


def test_user_vcr_config_extends_the_defaults(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    downstream.makeconftest(
        CONFTEST
        + """
import pytest


@pytest.fixture
def vcr_config():
    return {"filter_headers": ["user-agent"]}
"""
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    _record_loopback(downstream, monkeypatch, canary_key)
    text = _cassette(downstream).read_text()
    assert "user-agent" not in text  # the user's addition
    assert "Bearer <ANTIMETAL_API_KEY>" in text  # our scrubbing still on
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    downstream.runpytest(*REPLAY).assert_outcomes(passed=1)  # our matcher still on


def test_user_vcr_config_overrides_the_matcher(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    downstream.makeconftest(
        CONFTEST
        + """
import pytest


@pytest.fixture
def vcr_config():
    return {"match_on": ["method", "scheme", "host", "port", "path", "query"]}
"""
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    _record_loopback(downstream, monkeypatch, canary_key)
    monkeypatch.setenv("DOWNSTREAM_BASE_URL", PROD)
    result = downstream.runpytest(*REPLAY)
    result.assert_outcomes(failed=1)  # vcrpy's host-bound matching, as the user asked
    result.stdout.fnmatch_lines(["*host*bff.antimetal.com*127.0.0.1*"])


def test_guard_fails_the_test_and_writes_nothing(
    downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    downstream.makeconftest(
        CONFTEST
        + """
import pytest


def _keep(request, response):
    return request, response


@pytest.fixture
def vcr_config():
    return {"before_save_interaction": [_keep]}
"""
    )
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    with FakeServer(FakeAntimetal(api_keys=[canary_key])) as server:
        monkeypatch.setenv("DOWNSTREAM_BASE_URL", f"{server.url}/api/v2")
        result = downstream.runpytest(*RECORD, "--junitxml=report.xml", "-l")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_create_issue*",
            "*refused to write cassette*test_create_issue.yaml: found the API key "
            f"({mask_secret(canary_key)}) in interaction 0 request header 'authorization'*",
        ]
    )
    assert not _cassette(downstream).exists()
    assert canary_key not in result.stdout.str()
    assert _files_containing(downstream.path, _canary_needles(canary_key)) == []


# --------------------------------------------------------------------- --antimetal-check-cassettes


@pytest.fixture
def checker(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    return pytester


def _write_cassette(pytester: pytest.Pytester, title: str, status: int = 201) -> Path:
    body = {"title": title, "description": "d", "environment": "prod"}
    response = {
        "uuid": "u",
        "number": 1,
        "status": "investigating",
        "title": title,
        "description": "d",
        "environment": "prod",
        "severity": "medium",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "triggeredAt": "2026-01-01T00:00:00.000Z",
        "latestVersion": 1,
    }
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": f"{PROD}/issues",
                    "body": json.dumps(body),
                    "headers": {"Authorization": ["Bearer <ANTIMETAL_API_KEY>"]},
                },
                "response": {
                    "status": {"code": status, "message": "Created"},
                    "headers": {"content-type": ["application/json"]},
                    "body": {"string": json.dumps(response)},
                },
            }
        ],
    }
    path = pytester.path / "cassettes" / "recorded.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(cassette))
    return path


def test_check_cassettes_item_passes_on_clean_cassettes(checker: pytest.Pytester) -> None:
    _write_cassette(checker, "short")
    result = checker.runpytest("-p", "antimetal", "--antimetal-check-cassettes", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["antimetal-cassettes-check PASSED*"])


def test_check_cassettes_item_reports_stale_traffic(checker: pytest.Pytester) -> None:
    _write_cassette(checker, "a title of thirty characters..")
    document = copy.deepcopy(vendored_spec().document)  # the vendored Spec is shared
    document["components"]["schemas"]["CreateIssueDto"]["properties"]["title"]["maxLength"] = 10
    (checker.path / "newer.json").write_text(json.dumps(document))
    result = checker.runpytest(
        "-p", "antimetal", "--antimetal-check-cassettes=cassettes", "--antimetal-spec=newer.json"
    )
    result.assert_outcomes(passed=0, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*antimetal cassettes check: 1 finding(s)*",
            "*recorded.json: interaction 0 (POST /issues): stale: request body no longer valid: "
            "title: must be at most 10 characters long",
        ]
    )


def test_check_cassettes_uses_the_ini_directory(checker: pytest.Pytester) -> None:
    _write_cassette(checker, "short", status=418)
    checker.makeini(INI + "antimetal_cassette_dir = cassettes\n")
    result = checker.runpytest("-p", "antimetal", "--antimetal-check-cassettes")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*undocumented: status 418 is not documented for POST /issues*"])


def test_check_cassettes_missing_path_is_a_usage_error(checker: pytest.Pytester) -> None:
    result = checker.runpytest("-p", "antimetal", "--antimetal-check-cassettes=nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--antimetal-check-cassettes: *nowhere does not exist*"])
    assert "Traceback" not in result.stderr.str()


def _failure_body(lines: list[str]) -> list[str]:
    """The lines of the (only) failure section, between its header and the summary."""
    start = next(
        i for i, line in enumerate(lines) if line.startswith("_ ") or line.startswith("__")
    )
    end = next(i for i, line in enumerate(lines) if "short test summary info" in line)
    return lines[start + 1 : end]


@pytest.mark.parametrize("option", ["--antimetal-check-cassettes", "--antimetal-check-cassettes=."])
def test_check_cassettes_without_cassettes_fails_with_one_line(
    checker: pytest.Pytester, option: str
) -> None:
    # A mistyped directory must not pass in CI by checking nothing.
    (checker.path / "cassettes").mkdir()
    (checker.path / "cassettes" / "notes.txt").write_text("not a cassette")
    result = checker.runpytest("-p", "antimetal", option, "-ra")
    result.assert_outcomes(failed=1)
    where = checker.path / "cassettes" if option.endswith("cassettes") else checker.path
    assert _failure_body(result.stdout.lines) == [
        f"{where}: no cassettes (*.yaml, *.yml, *.json) found"
    ]
    assert "Traceback" not in result.stdout.str()


def test_check_item_is_selected_by_k_and_by_node_id(checker: pytest.Pytester) -> None:
    _write_cassette(checker, "short")
    checker.makepyfile(test_other="def test_other():\n    pass\n")
    selected = checker.runpytest(
        "-p", "antimetal", "--antimetal-check-cassettes", "-k", "cassettes-check", "-v"
    )
    selected.assert_outcomes(passed=1, deselected=1)
    selected.stdout.fnmatch_lines(["antimetal-cassettes-check PASSED*"])
    # The node id as an argument: only that item (option before it takes no value).
    by_id = checker.runpytest(
        "-p", "antimetal", "--antimetal-check-cassettes=cassettes", "antimetal-cassettes-check"
    )
    by_id.assert_outcomes(passed=1)
    both = checker.runpytest(
        "-p",
        "antimetal",
        "antimetal-cassettes-check",
        "test_other.py",
        "-v",
        "--antimetal-check-cassettes",
    )
    both.assert_outcomes(passed=2)
    both.stdout.fnmatch_lines(
        ["test_other.py::test_other PASSED*", "antimetal-cassettes-check PASSED*"]
    )
    deselected = checker.runpytest(
        "-p", "antimetal", "--antimetal-check-cassettes", "--deselect", "antimetal-cassettes-check"
    )
    deselected.assert_outcomes(passed=1, deselected=1)


def test_node_id_without_the_option_is_not_swallowed(checker: pytest.Pytester) -> None:
    # Without --antimetal-check-cassettes there is no such item: pytest's own error.
    result = checker.runpytest("-p", "antimetal", "antimetal-cassettes-check")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*file or directory not found: antimetal-cassettes-check*"])


CLIENT_TEST = """
import pytest


@pytest.mark.vcr
def test_create_issue(antimetal_client):
    issue = antimetal_client.issues.create(
        title="Checkout 500s", description="spike", environment="prod"
    )
    assert issue.number == 1
    assert issue.title == "Checkout 500s"
"""


def test_antimetal_client_records_on_loopback_and_replays_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    pytester.makepyfile(test_downstream=CLIENT_TEST)
    fake = FakeAntimetal(api_keys=[canary_key])
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    with FakeServer(fake) as server:
        recorded = pytester.runpytest_subprocess(
            *RECORD, f"--antimetal-base-url={server.url}/api/v2", "--junitxml=report.xml"
        )
    recorded.assert_outcomes(passed=1)
    assert [r.status for r in fake.requests] == [201]
    assert _files_containing(pytester.path, _canary_needles(canary_key)) == []
    assert "Bearer <ANTIMETAL_API_KEY>" in _cassette(pytester).read_text()

    monkeypatch.delenv("ANTIMETAL_API_KEY")
    replayed = pytester.runpytest(*REPLAY, f"--antimetal-base-url={PROD}")
    replayed.assert_outcomes(passed=1)


UNMARKED_CLIENT_TEST = """
def test_create_issue(antimetal_client):
    antimetal_client.issues.create(title="Checkout 500s", description="spike", environment="prod")
"""


@pytest.mark.parametrize("key", [None, "amk-canary-7f3e1c9b2d4a6e8f0a1b"], ids=["no-key", "key"])
def test_replay_mode_never_sends_from_a_test_without_a_cassette(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_downstream=UNMARKED_CLIENT_TEST)
    fake = FakeAntimetal(api_keys=[key or "amk-unused-0123456789"])
    if key:
        monkeypatch.setenv("ANTIMETAL_API_KEY", key)
    else:
        monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    with FakeServer(fake) as server:
        monkeypatch.setenv("ANTIMETAL_BASE_URL", server.url)
        result = pytester.runpytest_subprocess("-p", "antimetal", "--record-mode=none")
    assert fake.requests == []  # nothing reached the server: no bearer header sent anywhere
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "pytest-antimetal: --record-mode=none replays cassettes, but "
            "test_downstream.py::test_create_issue has none (no @pytest.mark.vcr): it would "
            f"send requests to {server.url}. Mark it @pytest.mark.vcr*"
        ]
    )
    if key:
        assert key not in result.stdout.str() + result.stderr.str()


def test_replay_mode_leaves_fake_tests_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_downstream="import pytest\n\npytestmark = pytest.mark.antimetal_fake\n"
        + UNMARKED_CLIENT_TEST
    )
    monkeypatch.setenv("ANTIMETAL_BASE_URL", PROD)
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    pytester.runpytest("-p", "antimetal", "--record-mode=none").assert_outcomes(passed=1)
