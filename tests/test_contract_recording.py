"""The contract suite records its traffic once and replays it offline (issue: cassettes)."""

from __future__ import annotations

import pytest

from pytest_antimetal.fake import FakeAntimetal, FakeServer

ARGS = (
    "-p",
    "antimetal",
    "--antimetal-contract",
    "--antimetal-max-examples=5",
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
    recorded.assert_outcomes(passed=6)
    sent = len(server_fake.requests)
    assert sent > 50
    cassettes = sorted((pytester.path / "cassettes" / "antimetal-contract").glob("*.yaml"))
    assert [c.stem for c in cassettes] == [
        "coverage",
        "edge-cases",
        "examples",
        "fuzz-negative",
        "fuzz-positive",
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
    replayed.assert_outcomes(passed=6)
    replayed.stdout.fnmatch_lines([f"*requests sent: {sent}*"])


def test_replay_of_a_missing_cassette_fails_clearly(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        *ARGS,
        "--antimetal-base-url=https://bff.antimetal.com/api/v2",
        "--record-mode=none",
        "-k",
        "examples",
    )
    result.assert_outcomes(failed=1, deselected=5)
    result.stdout.fnmatch_lines(
        ["*Can't play back this request: the cassette doesn't exist*", "*examples.yaml*"]
    )
