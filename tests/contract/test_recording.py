"""The contract suite records its traffic once and replays it offline (issue: cassettes)."""

from __future__ import annotations

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer

ARGS = (
    "-p",
    "antimetal",
    "--antimetal-contract",
    "--antimetal-max-examples=5",
    "--antimetal-operations=createIssue",
    "-p",
    "no:randomly",
)


def test_record_against_a_server_then_replay_offline_without_a_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    server_fake = FakeAntimetal(api_keys=[canary_key])
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    with FakeServer(server_fake) as server:
        url = server.url
        recorded = pytester.runpytest_subprocess(
            *ARGS, f"--antimetal-base-url={url}", "--record-mode=once"
        )
    recorded.assert_outcomes(passed=8)
    sent = len(server_fake.requests)
    assert sent > 50
    cassettes = sorted(
        (pytester.path / "cassettes" / "antimetal-contract" / "createIssue").glob("*.yaml")
    )
    assert [c.stem for c in cassettes] == [
        "coverage",
        "edge-cases",
        "examples",
        "fuzz-negative-1",
        "fuzz-negative-2",
        "fuzz-positive-1",
        "fuzz-positive-2",
        "malformed",
    ]
    for path in pytester.path.rglob("*"):
        if path.is_file():
            assert canary_key.encode() not in path.read_bytes(), path

    # The server is gone and so is the key: every answer must come from the cassettes.
    monkeypatch.delenv("ANTIMETAL_API_KEY")
    replayed = pytester.runpytest_subprocess(
        *ARGS, f"--antimetal-base-url={url}", "--record-mode=none", "--block-network"
    )
    replayed.assert_outcomes(passed=8)
    replayed.stdout.fnmatch_lines([f"*requests sent: {sent}*"])


def test_replay_of_a_missing_cassette_fails_clearly(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        *ARGS,
        "--antimetal-base-url=https://bff.antimetal.com/api/v2",
        "--record-mode=none",
        "-k",
        "examples",
    )
    result.assert_outcomes(failed=1, deselected=7)
    cassette = pytester.path / "cassettes" / "antimetal-contract" / "createIssue" / "examples.yaml"
    result.stdout.fnmatch_lines(
        [
            f"pytest-antimetal: no cassette to replay: {cassette} does not exist "
            "(--record-mode=none only replays). Record it once: ANTIMETAL_API_KEY=<your key> "
            "pytest --antimetal-contract --antimetal-operations=createIssue -k examples *--antimetal-base-url=https://bff.antimetal"
            ".com/api/v2 *--record-mode=once"
        ]
    )
    # One line, not a dump per request.
    assert "Can't play back" not in result.stdout.str()
    assert "requests sent: 0" in result.stdout.str()


def test_block_network_holds_for_the_contract_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    fake = FakeAntimetal(api_keys=[canary_key])
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    with FakeServer(fake) as server:
        blocked = pytester.runpytest_subprocess(
            *ARGS, f"--antimetal-base-url={server.url}", "--block-network"
        )
        assert fake.requests == []
        blocked.assert_outcomes(failed=8)
        blocked.stdout.fnmatch_lines(
            [
                "pytest-antimetal: --block-network blocks 127.0.0.1, this run's target: replay "
                "cassettes with --record-mode=none, let the host through with --allowed-hosts, "
                "or drop --block-network"
            ]
        )
        assert "requests sent: 0" in blocked.stdout.str()
        # As for test functions, --allowed-hosts lets the target through.
        allowed = pytester.runpytest_subprocess(
            *ARGS,
            f"--antimetal-base-url={server.url}",
            "--block-network",
            "--allowed-hosts=127.0.0.1",
            "-k",
            "examples",
        )
    allowed.assert_outcomes(passed=1, deselected=7)
    assert len(fake.requests) > 0


def test_rewrite_records_each_part_anew(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, canary_key: str
) -> None:
    cassette = pytester.path / "cassettes" / "antimetal-contract" / "createIssue" / "examples.yaml"
    cassette.parent.mkdir(parents=True)
    stale = "version: 1\ninteractions: []\n# recorded long ago\n"
    cassette.write_text(stale)
    fake = FakeAntimetal(api_keys=[canary_key])
    monkeypatch.setenv("ANTIMETAL_API_KEY", canary_key)
    with FakeServer(fake) as server:
        result = pytester.runpytest_subprocess(
            *ARGS,
            f"--antimetal-base-url={server.url}",
            "--record-mode=rewrite",
            "-k",
            "examples",
        )
    result.assert_outcomes(passed=1, deselected=7)
    assert "is not a valid record_mode" not in result.stdout.str()
    text = cassette.read_text()
    assert "recorded long ago" not in text
    assert text.count("- request:") == len(fake.requests) > 0
    assert canary_key not in text
