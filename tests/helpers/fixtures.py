"""Fixtures and hooks every test directory shares (loaded by tests/conftest.py as a plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.sessions import fake_cli_command


@pytest.fixture
def canary_key() -> str:
    """A recognisable fake secret: tests assert it never shows up in any output."""
    return "amk-canary-7f3e1c9b2d4a6e8f0a1b"


@pytest.fixture(scope="session")
def fake_cli_server() -> Iterator[tuple[str, str]]:
    """A separate fake server process on loopback: ``(url, api_key)``."""
    import os
    import subprocess
    import threading

    api_key = "amk-separate-server-0123456789"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    proc = subprocess.Popen(
        [*fake_cli_command(), "--port", "0", "--api-key", api_key],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    watchdog = threading.Timer(60, proc.kill)  # never hang the suite on a dead server
    watchdog.start()
    try:
        first = proc.stdout.readline()
    finally:
        watchdog.cancel()
    try:
        assert first.startswith("listening on http://127.0.0.1:"), first + proc.stderr.read()
        yield first.split()[-1], api_key
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that run a pytest session of their own (pytester's) ``nested_session``.

    CI runs everything on the oldest and newest Python and deselects these on the ones
    between (``-m "not nested_session"``), where the in-process tests catch what differs.
    Tests that start child sessions without pytester carry the mark themselves.
    """
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.nested_session)


def _transports() -> tuple[object, ...]:
    import httpx

    return (
        httpx.HTTPTransport.handle_request,
        httpx.MockTransport.handle_request,
        httpx.AsyncHTTPTransport.handle_async_request,
        httpx.MockTransport.handle_async_request,
    )


@pytest.fixture(autouse=True)
def _no_vcr_patch_outlives_its_test() -> Iterator[None]:
    """A test leaves httpx's transports as it found them.

    VCR.py saves a cassette in ``__exit__`` before it undoes its patches; when the save raises
    (our guard refusing a cassette, tested without ``on_refusal``), the patches stay until the
    suspended patch generator is collected. A later test in the same worker then had its
    responses recorded (read whole) by a stale cassette: a flaky failure far from its cause.
    Collecting here closes that generator; a patch that survives even that fails the test
    that left it.
    """
    before = _transports()
    yield
    if _transports() != before:
        import gc

        gc.collect()
        assert _transports() == before, "an httpx transport is still patched after this test"
