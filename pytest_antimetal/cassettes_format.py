"""Moved to :mod:`pytest_antimetal.cassettes.format`; kept for one release.

The limits are read from the new module: patch them there.
"""

from __future__ import annotations

from pytest_antimetal.cassettes.format import (
    FORMAT_VERSION,
    MAX_CASSETTE_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    BoundedSerializer,
    CassetteFile,
    CassetteFormatError,
    parse_cassette,
    read_cassette,
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_CASSETTE_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "BoundedSerializer",
    "CassetteFile",
    "CassetteFormatError",
    "parse_cassette",
    "read_cassette",
]
