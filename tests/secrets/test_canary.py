"""The API key never reaches any output: one canary, every channel at once.

A downstream project runs its own tests (passing and failing), a cassette
recording and the contract suite (with a planted fault, so failure reports,
curl reproductions and replay commands are printed) against a server on
loopback, with JUnit XML, a DEBUG log file and showlocals. Then every byte
printed or left on disk is searched for the key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_antimetal.fake import FakeResponse, FakeServer
from pytest_antimetal.secrets import APIKey
from tests.helpers.planted_faults import FaultyFake, title_echo
from tests.helpers.sessions import run_plugin, run_plugin_in_process

DOWNSTREAM = """
import logging

import pytest

log = logging.getLogger("downstream")


def test_create(antimetal_client):
    issue = antimetal_client.issues.create(title="t", description="d", environment="e")
    log.debug("created %r with %r", issue, antimetal_client)
    assert issue.number >= 1


def test_fails_showing_the_client(antimetal_client, antimetal_target):
    client = antimetal_client  # a local, printed by --showlocals
    assert repr(client) == "boom", (client, antimetal_target, client.http.headers)


def test_auth_error_is_reported(antimetal_client):
    from pytest_antimetal import AntimetalClient

    # Inline: a local of the test's own would be printed by --showlocals.
    bad = AntimetalClient(
        api_key=antimetal_client.api_key.get_secret_value() + "-wrong",
        base_url=antimetal_client.base_url,
    )
    bad.issues.create(title="t", description="d", environment="e")


@pytest.mark.vcr
def test_recorded(antimetal_client):
    antimetal_client.issues.create(title="recorded", description="d", environment="e")
"""


def _forms(secret: str) -> list[str]:
    return [
        secret,
        secret[4:-4],  # any substantial part
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"Bearer {secret}".encode()).decode(),
    ]


def test_canary_key_appears_nowhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    fake = FaultyFake(title_echo, api_keys=[canary_key])
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    with FakeServer(fake) as server:
        result = pytester.runpytest_subprocess(
            "-p",
            "antimetal",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            f"--antimetal-base-url={server.url}",
            "--antimetal-contract",
            "--antimetal-max-examples=5",
            "--record-mode=once",
            "--junitxml=report.xml",
            "--log-file=run.log",
            "--log-file-level=DEBUG",
            "--log-level=DEBUG",
            "--showlocals",
            "--tb=long",
            "-rA",
            "-vv",
        )
    out = result.stdout.str() + result.stderr.str()
    # The run did what we wanted to look at: failures printed, cassette and reports written.
    assert (
        "test_fails_showing_the_client FAILED" in out
        or "FAILED test_downstream.py::test_fails" in out
    )
    assert "AuthenticationError" in out
    assert "curl" in out, "the contract failure should print a curl reproduction"
    assert (pytester.path / "report.xml").is_file()
    assert (pytester.path / "run.log").stat().st_size > 0
    cassettes = list(pytester.path.rglob("*.yaml"))
    assert cassettes, "the vcr test should have recorded a cassette"

    leaks = []
    for form in _forms(canary_key):
        if form in out:
            leaks.append(f"terminal output contains {form!r}")
        for path in pytester.path.rglob("*"):
            if path.is_file() and form.encode() in path.read_bytes():
                leaks.append(f"{path.relative_to(pytester.path)} contains {form!r}")
    assert not leaks, leaks
    # And the fake saw the real key (so the search above was meaningful).
    assert any(r.status == 201 for r in fake.requests)


def test_canary_search_would_find_a_leak(tmp_path: Path, canary_key: str) -> None:
    # Guard against a vacuous test: the same search finds a planted leak.
    (tmp_path / "leak.txt").write_text(f"Authorization: Bearer {canary_key}")
    assert any(form.encode() in (tmp_path / "leak.txt").read_bytes() for form in _forms(canary_key))


# -- a malformed key (issue 10, items 1 and 2) -------------------------------------------

# What a key can look like when it is pasted wrong; each must be refused without being shown.
MALFORMED = {
    "newline": "amk-canary-7f3e1c9b\n2d4a6e8f0a1b",
    "trailing-newline": "amk-canary-7f3e1c9b2d4a6e8f0a1b\n",
    "space": "amk-canary-7f3e1c9b 2d4a6e8f0a1b",
    "colon": "amk-canary-7f3e1c9b:2d4a6e8f0a1b",
    "bang": "amk-canary-7f3e1c9b!2d4a6e8f0a1b",
    "equals-inside": "amk-canary-7f3e1c9b=2d4a6e8f0a1b",
    "non-ascii": "amk-canary-7f3e1c9bé2d4a6e8f0a1b",
}
# The key's body, whatever the malformation: a half-shown key is a shown key.
_CANARY_PARTS = ("7f3e1c9b", "2d4a6e8f0a1b")

PAST_THE_FIXTURES = """
import os

import pytest

from pytest_antimetal import AntimetalClient, AsyncAntimetalClient


def test_client_reads_the_env_key():
    AntimetalClient(base_url="http://127.0.0.1:9")


def test_client_given_the_env_key():
    AntimetalClient(api_key=os.environ["ANTIMETAL_API_KEY"], base_url="http://127.0.0.1:9")


def test_async_client_reads_the_env_key():
    AsyncAntimetalClient(base_url="http://127.0.0.1:9")


def test_explicit_fake_still_works(antimetal_fake, antimetal_client):
    antimetal_client.issues.create(title="t", description="d", environment="e")
"""

_LOUD = ("--full-trace", "-l", "--tb=long", "--junitxml=report.xml", "-rA", "-vv")


def _shown(result: pytest.RunResult, pytester: pytest.Pytester) -> str:
    junit = pytester.path / "report.xml"
    text = result.stdout.str() + result.stderr.str()
    return text + (junit.read_text(encoding="utf-8") if junit.exists() else "")


@pytest.mark.parametrize("shape", sorted(MALFORMED))
def test_a_malformed_key_is_never_shown(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", MALFORMED[shape])
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    # The variable is someone else's business until a test uses Antimetal (outcomes only:
    # in this process).
    assert run_plugin_in_process(pytester, "--help").ret == pytest.ExitCode.OK
    pytester.makepyfile(test_unrelated="def test_x():\n    assert True\n")
    run_plugin_in_process(pytester, "test_unrelated.py").assert_outcomes(passed=1)

    # A test on the run's target (the default fake): one usage line naming the variable.
    pytester.makepyfile(
        test_target="""
        def test_create(antimetal_client):
            antimetal_client.issues.create(title="t", description="d", environment="e")
        """
    )
    result = run_plugin(pytester, *_LOUD, "test_target.py")
    shown = _shown(result, pytester)
    assert not [part for part in _CANARY_PARTS if part in shown], shown
    assert result.ret == pytest.ExitCode.USAGE_ERROR, shown
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and "ANTIMETAL_API_KEY is not a valid API key" in errors[0], shown
    assert "Traceback" not in shown

    # Code past the fixtures, under every flag that prints frames, locals and arguments.
    pytester.makepyfile(test_direct=PAST_THE_FIXTURES)
    result = run_plugin(pytester, *_LOUD, "test_direct.py")
    shown = _shown(result, pytester)
    assert not [part for part in _CANARY_PARTS if part in shown], shown
    result.assert_outcomes(passed=1, failed=3)
    assert shown.count("is not a valid API key") >= 3, shown

    # The contract suite: one usage line at configure.
    result = run_plugin(pytester, *_LOUD, "--antimetal-contract", "-p", "no:randomly")
    shown = _shown(result, pytester)
    assert not [part for part in _CANARY_PARTS if part in shown], shown
    assert result.ret == pytest.ExitCode.USAGE_ERROR, shown


def test_the_malformed_shapes_are_caught_by_the_search() -> None:
    # Guard against a vacuous test: every shape holds the parts searched for.
    for key in MALFORMED.values():
        assert all(part in key for part in _CANARY_PARTS)
        assert APIKey(key).problem() is not None


# -- the base URL (items 3, 12 and 13) ---------------------------------------------------

BAD_URLS = {
    "query": "http://127.0.0.1:9/?api_key=amk-url-canary-5e1d",
    "empty-query": "http://127.0.0.1:9/api?",
    "fragment": "http://127.0.0.1:9/#amk-url-canary-5e1d",
    "userinfo": "http://amk:amk-url-canary-5e1d@127.0.0.1:9/",
    "port-80x": "http://127.0.0.1:80x",
    "port-abc": "http://127.0.0.1:abc/api",
    "port-range": "http://127.0.0.1:70000",
    "leading-space": " http://127.0.0.1:9",
    "tab": "http://127.0.0.1:9/a\tb",
    "trailing-newline": "http://127.0.0.1:9\n",
    "unclosed-ipv6": "http://[::1",
    "scheme": "ftp://127.0.0.1:9",
}
_URL_CANARY = "amk-url-canary-5e1d"


@pytest.mark.parametrize("shape", sorted(BAD_URLS))
def test_a_bad_base_url_option_is_one_usage_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_API_KEY", "amk-valid-key-0123456789")  # only the URL is wrong
    pytester.makepyfile("def test_x(antimetal_target):\n    pass\n")
    result = run_plugin(pytester, f"--antimetal-base-url={BAD_URLS[shape]}")
    shown = result.stdout.str() + result.stderr.str()
    assert _URL_CANARY not in shown
    assert "INTERNALERROR" not in shown and "Traceback" not in shown
    assert result.ret == pytest.ExitCode.USAGE_ERROR, shown
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and "--antimetal-base-url: the base URL" in errors[0], shown


@pytest.mark.parametrize("shape", ["unclosed-ipv6", "query", "port-80x", "trailing-newline"])
def test_a_bad_base_url_in_the_environment_stops_only_antimetal_runs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setenv("ANTIMETAL_BASE_URL", BAD_URLS[shape])
    monkeypatch.setenv("ANTIMETAL_API_KEY", "amk-valid-key-0123456789")
    help_run = run_plugin_in_process(pytester, "--help")
    assert help_run.ret == pytest.ExitCode.OK, help_run.stderr.str()

    pytester.makepyfile(test_unrelated="def test_x():\n    assert True\n")
    unrelated = run_plugin_in_process(pytester, "test_unrelated.py")
    unrelated.assert_outcomes(passed=1)

    pytester.makepyfile(test_uses="def test_y(antimetal_client):\n    pass\n")
    uses = run_plugin(pytester, "test_uses.py")
    shown = uses.stdout.str() + uses.stderr.str()
    assert uses.ret == pytest.ExitCode.USAGE_ERROR, shown
    errors = [line for line in uses.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith("ERROR: ANTIMETAL_BASE_URL: the base URL")
    assert "INTERNALERROR" not in shown and _URL_CANARY not in shown


# -- logs of httpx, httpcore and vcrpy (item 5) ------------------------------------------


def key_echo(fake: FaultyFake, m: str, u: str, h: Mapping[str, str], b: bytes) -> FakeResponse:
    """A server that quotes the credential it got, in a response header and in the body."""
    sent = {k.lower(): v for k, v in h.items()}.get("authorization", "")
    token = sent.partition(" ")[2]
    body = {"type": "authentication_error", "message": f"unknown key {token}", "request_id": "r"}
    headers = {"content-type": "application/json", "x-echo-authorization": sent}
    return FakeResponse(401, headers, json.dumps(body).encode())


ECHOED = """
import logging

import pytest

from pytest_antimetal import AntimetalClient
from pytest_antimetal.errors import AuthenticationError


def test_env_key(antimetal_client):
    with pytest.raises(AuthenticationError):
        antimetal_client.issues.create(title="t", description="d", environment="e")


@pytest.mark.vcr
def test_recorded(antimetal_client):
    with pytest.raises(AuthenticationError):
        antimetal_client.issues.create(title="t", description="d", environment="e")


def test_key_given_in_code(antimetal_client):
    other = AntimetalClient(api_key="amk-other-canary-91c0d7e3b5", base_url=antimetal_client.base_url)
    with pytest.raises(AuthenticationError):
        other.issues.create(title="t", description="d", environment="e")
    logging.getLogger("httpcore.http11").debug("still on after the request")
"""


def test_debug_logs_of_http_libraries_never_show_an_echoed_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    pytester.makepyfile(test_echo=ECHOED)
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    fake = FaultyFake(key_echo, api_keys=[canary_key])
    with FakeServer(fake) as server:
        result = run_plugin(
            pytester,
            f"--antimetal-base-url={server.url}",
            "--record-mode=once",
            "--log-level=DEBUG",
            "--log-file=run.log",
            "--log-file-level=DEBUG",
            "-o",
            "log_cli=true",
            "-o",
            "log_cli_level=DEBUG",
            "-rA",
        )
    shown = result.stdout.str() + result.stderr.str()
    log = (pytester.path / "run.log").read_text(encoding="utf-8")
    # The echo was logged (so the search below means something), by each library.
    assert "x-echo-authorization" in log.lower(), log[-3000:]
    assert "httpcore.http11" in log and "Appending request" in log, log[-3000:]
    assert "still on after the request" in log
    for secret in (canary_key, "amk-other-canary-91c0d7e3b5"):
        for form in _forms(secret):
            assert form not in log, f"run.log holds {form!r}"
            assert form not in shown, f"the output holds {form!r}"
    assert "passed" in shown and "failed" not in shown, shown[-3000:]
