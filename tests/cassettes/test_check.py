"""check_cassettes and `antimetal-contract cassettes check`: recorded traffic against the spec."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_antimetal import cli
from pytest_antimetal.cassettes import check_cassettes, install
from pytest_antimetal.fake import FakeAntimetal
from pytest_antimetal.spec import Spec, vendored_spec
from pytest_antimetal.target import mask_secret

VALID = {"title": "Checkout 500s on the API", "description": "spike", "environment": "prod"}


def _record(path: Path) -> Path:
    """Four interactions from the fake: 201 (pinned version), 400 (title too long), 401, 429."""
    import vcr

    fake = FakeAntimetal(seed=7, clock=lambda: datetime(2026, 3, 17, 12, 0, tzinfo=UTC))
    recorder = install(vcr.VCR(record_mode="once"), environ={})
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with (
        recorder.use_cassette(str(path)),
        httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as client,
    ):
        version = {"Antimetal-Version": "2026-03-17"}
        assert client.post("/issues", json=VALID, headers=version).status_code == 201
        assert client.post("/issues", json={**VALID, "title": "x" * 600}).status_code == 400
        assert client.post("/issues", json=VALID, headers={"Authorization": ""}).status_code == 401
        fake.fail_next(status=429, retry_after=1)
        assert client.post("/issues", json={**VALID, "severity": "high"}).status_code == 429
    return path


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    return _record(tmp_path / "recorded.yaml")


def _spec_with(change: Any) -> Spec:
    document = copy.deepcopy(vendored_spec().document)
    change(document)
    return Spec(document, source="modified")


def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    return dict(document["components"]["schemas"])


def test_recorded_traffic_is_clean_against_the_vendored_spec(cassette: Path) -> None:
    assert check_cassettes([cassette]) == []


def test_smaller_max_length_makes_the_201_stale(cassette: Path) -> None:
    def shrink(document: dict[str, Any]) -> None:
        _schemas(document)["CreateIssueDto"]["properties"]["title"]["maxLength"] = 10

    findings = check_cassettes([cassette], _spec_with(shrink))
    # Only the accepted request is stale; the 400 for a long title stays consistent.
    assert [(f.index, f.method, f.url_path, f.kind) for f in findings] == [
        (0, "POST", "/issues", "stale")
    ]
    assert (
        findings[0].reason
        == "request body no longer valid: title: must be at most 10 characters long"
    )
    assert str(findings[0]) == (
        f"{cassette}: interaction 0 (POST /issues): stale: "
        "request body no longer valid: title: must be at most 10 characters long"
    )


def test_new_required_request_field_makes_the_201_stale(cassette: Path) -> None:
    def require_team(document: dict[str, Any]) -> None:
        dto = _schemas(document)["CreateIssueDto"]
        dto["properties"]["team"] = {"type": "string"}
        dto["required"].append("team")

    findings = check_cassettes([cassette], _spec_with(require_team))
    assert [(f.index, f.reason) for f in findings] == [
        (0, "request body no longer valid: team: is required")
    ]


def test_new_required_response_field_is_reported(cassette: Path) -> None:
    def require_owner(document: dict[str, Any]) -> None:
        _schemas(document)["CreateIssueResponseDto"]["required"].append("owner")

    findings = check_cassettes([cassette], _spec_with(require_owner))
    assert [(f.index, f.reason) for f in findings] == [
        (0, "201 response no longer valid: owner: is required")
    ]


def test_header_parameter_the_spec_no_longer_allows(cassette: Path) -> None:
    def new_version_only(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["AntimetalVersion"]["schema"]["enum"] = ["2027-01-01"]

    findings = check_cassettes([cassette], _spec_with(new_version_only))
    assert [(f.index, f.reason) for f in findings] == [
        (0, 'header Antimetal-Version no longer valid: must be one of "2027-01-01"')
    ]


def test_newly_required_header_makes_unpinned_2xx_stale(tmp_path: Path) -> None:
    import vcr

    fake = FakeAntimetal(seed=1)
    path = tmp_path / "unpinned.yaml"
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with (
        install(vcr.VCR(record_mode="once"), environ={}).use_cassette(str(path)),
        httpx.Client(transport=fake.transport, base_url=fake.base_url, headers=headers) as client,
    ):
        assert client.post("/issues", json=VALID).status_code == 201

    def require(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["AntimetalVersion"]["required"] = True

    findings = check_cassettes([path], _spec_with(require))
    assert [(f.index, f.reason) for f in findings] == [
        (0, "required header Antimetal-Version was not sent")
    ]


def test_undocumented_status_is_reported(cassette: Path) -> None:
    def drop_429(document: dict[str, Any]) -> None:
        del document["paths"]["/issues"]["post"]["responses"]["429"]

    findings = check_cassettes([cassette], _spec_with(drop_429))
    assert [(f.index, f.kind) for f in findings] == [(3, "undocumented")]
    assert findings[0].reason.startswith("status 429 is not documented for POST /issues")


def test_removed_operation_is_undocumented(cassette: Path) -> None:
    def move(document: dict[str, Any]) -> None:
        document["paths"]["/v3/issues"] = document["paths"].pop("/issues")

    findings = check_cassettes([cassette], _spec_with(move))
    assert {(f.index, f.kind) for f in findings} == {(i, "undocumented") for i in range(4)}
    assert findings[0].reason == (
        "the spec (2026-03-17) documents no operation POST /issues (no documented path matches)"
    )


def test_secret_in_a_cassette_is_a_finding(tmp_path: Path, canary_key: str) -> None:
    path = tmp_path / "leaky.json"
    interaction = {
        "request": {
            "method": "POST",
            "uri": "http://127.0.0.1:8000/issues",
            "body": json.dumps(VALID),
            "headers": {"Authorization": [f"Bearer {canary_key}"]},
        },
        "response": {
            "status": {"code": 401, "message": "Unauthorized"},
            "headers": {},
            "body": {
                "string": json.dumps(
                    {"type": "authentication_error", "message": "no", "request_id": "r"}
                )
            },
        },
    }
    path.write_text(json.dumps({"version": 1, "interactions": [interaction]}))
    findings = check_cassettes([tmp_path], environ={"ANTIMETAL_API_KEY": canary_key})
    assert [f.kind for f in findings] == ["secret"]
    assert (
        f"the API key ({mask_secret(canary_key)}) in interaction 0 request header 'Authorization'"
        in findings[0].reason
    )
    assert all(canary_key not in str(f) for f in findings)
    # Without the key in the environment the token still looks like a bearer token.
    assert [f.kind for f in check_cassettes([path], environ={})] == ["secret"]


def test_not_a_cassette_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("just: [a, list\n")
    findings = check_cassettes([tmp_path])
    assert [f.kind for f in findings] == ["unreadable"]
    assert str(findings[0]).startswith(
        f"{tmp_path / 'notes.yaml'}: unreadable: not valid JSON or YAML"
    )


def test_other_hosts_are_not_checked(tmp_path: Path) -> None:
    path = tmp_path / "github.json"
    interaction = {
        "request": {
            "method": "DELETE",
            "uri": "https://api.github.com/x",
            "body": None,
            "headers": {},
        },
        "response": {
            "status": {"code": 599, "message": "?"},
            "headers": {},
            "body": {"string": "x"},
        },
    }
    path.write_text(json.dumps({"version": 1, "interactions": [interaction]}))
    assert check_cassettes([path]) == []


# --------------------------------------------------------------------- CLI


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lead adds this entry to cli.SUBCOMMANDS; until then the test does.
    monkeypatch.setitem(
        cli.SUBCOMMANDS,
        "cassettes",
        ("pytest_antimetal.cassettes.cli", "check recorded cassettes against the spec"),
    )


@pytest.mark.usefixtures("registered")
def test_cli_clean_exits_0(cassette: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["cassettes", "check", str(cassette.parent)]) == 0
    assert capsys.readouterr().out == "1 cassette clean against spec 2026-03-17\n"


@pytest.mark.usefixtures("registered")
def test_cli_stale_exits_1(
    cassette: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = copy.deepcopy(vendored_spec().document)
    _schemas(document)["CreateIssueDto"]["properties"]["title"]["maxLength"] = 10
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(document))
    assert cli.main(["cassettes", "check", "--spec", str(newer), str(cassette)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{cassette}: interaction 0 (POST /issues): stale: request body no longer valid: "
        "title: must be at most 10 characters long",
        "1 finding(s) in 1 cassette (spec 2026-03-17)",
    ]


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cassettes", "check", "nowhere"], "nowhere does not exist"),
        (["cassettes", "check", "--spec", "missing.yaml", "."], "missing.yaml: cannot read"),
    ],
)
def test_cli_usage_errors_exit_2(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("antimetal-contract cassettes: error: ")
    assert message in err
    assert len(err.splitlines()) == 1


@pytest.mark.usefixtures("registered")
def test_cli_without_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["cassettes"])
    assert excinfo.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize("argv", [["."], [], ["nested"]])
def test_cli_directory_without_cassettes_exits_2(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "0 cassettes clean" with exit 0 would let a mistyped path pass CI for ever.
    (tmp_path / "cassettes" / "nested").mkdir(parents=True)
    (tmp_path / "cassettes" / "README.md").write_text("recorded by pytest-recording")
    monkeypatch.chdir(tmp_path if argv != ["nested"] else tmp_path / "cassettes")
    assert cli.main(["cassettes", "check", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    where = argv[0] if argv else "cassettes"
    assert captured.err == (
        f"antimetal-contract cassettes: error: {where}: no cassettes (*.yaml, *.yml, *.json) found\n"
    )


@pytest.mark.usefixtures("registered")
def test_cli_names_the_empty_directory_among_several(
    cassette: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "typo"
    empty.mkdir()
    assert cli.main(["cassettes", "check", str(cassette.parent), str(empty)]) == 2
    assert f"{empty}: no cassettes" in capsys.readouterr().err


# --------------------------------------------------------------------- malformed cassettes


def _first_interaction(cassette: Path) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load(cassette.read_text())["interactions"][0])


def _break_status_code(value: Any) -> Any:
    def change(entry: dict[str, Any]) -> None:
        entry["response"]["status"]["code"] = value

    return change


def _set_response_status(value: Any) -> Any:
    def change(entry: dict[str, Any]) -> None:
        entry["response"]["status"] = value

    return change


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            _break_status_code("abc"),
            "response status code is 'abc', not an integer from 100 to 599",
        ),
        (_break_status_code(None), "response status code is missing or null, not an integer"),
        (_break_status_code(True), "response status code is True, not an integer"),
        (_break_status_code(2010), "response status code is 2010, not an integer from 100 to 599"),
        (_set_response_status("201 Created"), "response status is '201 Created', not a mapping"),
        (lambda entry: entry.pop("response"), "has no response mapping"),
        (lambda entry: entry["response"].pop("body"), "response body is not a mapping"),
        (lambda entry: entry["request"].pop("uri"), "request uri is missing or not text"),
        (lambda entry: entry["request"].update(extra=1), "request has unknown key(s) extra"),
        (lambda entry: entry.clear(), "has no request mapping"),
    ],
    ids=[
        "code-abc",
        "code-null",
        "code-bool",
        "code-out-of-range",
        "status-string",
        "no-response",
        "no-body",
        "no-uri",
        "unknown-request-key",
        "empty-entry",
    ],
)
def test_malformed_interaction_is_one_line_naming_file_and_interaction(
    cassette: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Any,
    reason: str,
) -> None:
    import yaml

    good = _first_interaction(cassette)
    bad = copy.deepcopy(good)
    change(bad)
    path = tmp_path / "broken" / "c.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"version": 1, "interactions": [good, bad]}))

    findings = check_cassettes([path])
    assert [(f.kind, f.index) for f in findings] == [("malformed", 1)]
    assert str(findings[0]).startswith(f"{path}: interaction 1: malformed: {reason}")

    assert cli.main(["cassettes", "check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines() == [
        str(findings[0]),
        "1 finding(s) in 1 cassette (spec 2026-03-17)",
    ]


@pytest.mark.usefixtures("registered")
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty: not a VCR.py cassette"),
        ("# nothing recorded\n", "empty: not a VCR.py cassette"),
        ("- 1\n- 2\n", "a list, not a VCR.py cassette mapping"),
        ("version: 99\ninteractions: []\n", "format version 99 is not supported"),
        ("version: '1'\ninteractions: []\n", "format version '1' is not supported"),
        ("interactions: []\n", "no format version (VCR.py writes version: 1)"),
        ("version: 1\ninteractions: {}\n", "interactions is {}, not a list"),
        ("version: 1\n", "interactions is missing or null, not a list"),
        ("version: 1\ninteractions: [\n", "not valid JSON or YAML ("),
        (
            "version: 1\ninteractions: !!python/object/apply:os.system ['touch pwned']\n",
            "not valid JSON or YAML (could not determine a constructor",
        ),
        (
            "version: 1\nbomb: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
                for p, n in zip("abcdefg", "bcdefgh", strict=True)
            )
            + "interactions: []\n",
            "more than 2,000,000 nodes once YAML aliases are expanded",
        ),
        ("version: 1\ninteractions: &loop [*loop]\n", "nested more than 64 levels deep"),
    ],
    ids=[
        "empty",
        "comment-only",
        "list",
        "version-99",
        "version-string",
        "no-version",
        "interactions-mapping",
        "no-interactions",
        "not-yaml",
        "python-tag",
        "alias-bomb",
        "recursive-alias",
    ],
)
def test_unusable_cassette_file_is_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    reason: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.yaml"
    path.write_text(text)
    findings = check_cassettes([path])
    assert [f.kind for f in findings] == ["unreadable"]
    assert str(findings[0]).startswith(f"{path}: unreadable: {reason}")
    assert cli.main(["cassettes", "check", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines() == [
        str(findings[0]),
        "1 finding(s) in 1 cassette (spec 2026-03-17)",
    ]
    assert not (tmp_path / "pwned").exists()


def test_cassette_over_the_size_bound_is_not_parsed(
    cassette: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_antimetal.cassettes import format as cassettes_format

    size = cassette.stat().st_size
    monkeypatch.setattr(cassettes_format, "MAX_CASSETTE_BYTES", size - 1)
    findings = check_cassettes([cassette])
    assert [str(f) for f in findings] == [
        f"{cassette}: unreadable: over the {size - 1:,}-byte limit for a cassette"
    ]
    monkeypatch.setattr(cassettes_format, "MAX_CASSETTE_BYTES", size)
    assert check_cassettes([cassette]) == []


def test_stacked_encoding_in_a_cassette_is_decoded_for_the_check(
    cassette: Path, tmp_path: Path, canary_key: str
) -> None:
    import gzip
    import zlib

    import yaml

    entry = _first_interaction(cassette)
    echo = json.dumps({"type": "authentication_error", "message": f"bad token {canary_key}"})
    entry["response"]["status"] = {"code": 401, "message": "Unauthorized"}
    entry["response"]["headers"] = {
        "content-type": ["application/json"],
        "content-encoding": ["deflate, gzip"],
    }
    entry["response"]["body"] = {"string": gzip.compress(zlib.compress(echo.encode()))}
    path = tmp_path / "stacked" / "c.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"version": 1, "interactions": [entry]}))
    findings = check_cassettes([path], environ={"ANTIMETAL_API_KEY": canary_key})
    kinds = [f.kind for f in findings]
    assert "secret" in kinds, findings
    assert not any("not JSON" in f.reason for f in findings), findings
    secret = next(f for f in findings if f.kind == "secret")
    assert "interaction 0 response body (decompressed)" in secret.reason
    assert canary_key not in str(secret)


def test_undecodable_body_in_a_cassette_is_a_finding(cassette: Path, tmp_path: Path) -> None:
    import yaml

    entry = _first_interaction(cassette)
    entry["response"]["headers"]["content-encoding"] = ["gzip, gzip, gzip, gzip, gzip"]
    path = tmp_path / "odd" / "c.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump({"version": 1, "interactions": [entry]}))
    findings = check_cassettes([path])
    assert [f.kind for f in findings] == ["undecodable"]
    assert "5 Content-Encoding layers (at most 4)" in findings[0].reason
