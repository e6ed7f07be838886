"""Shared test helpers for pytest-antimetal's own suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_VENDOR = REPO_ROOT.parent / "shared" / "vendor"


@pytest.fixture
def canary_key() -> str:
    """A recognisable fake secret: tests assert it never shows up in any output."""
    return "amk-canary-7f3e1c9b2d4a6e8f0a1b"
