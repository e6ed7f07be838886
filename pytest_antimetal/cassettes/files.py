"""Which files are cassettes: the suffixes, the search of directories, and the empty-directory
answer.

Shared by the check (:mod:`~pytest_antimetal.cassettes.check`), the CLI, the
pytest plugin and drift's usage scan. Only the standard library is imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["CASSETTE_SUFFIXES", "empty_directory_problem", "find_cassettes"]

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")


def find_cassettes(paths: Iterable[str | Path]) -> list[Path]:
    """Cassette files named by *paths* (files as given; directories searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in CASSETTE_SUFFIXES)
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def empty_directory_problem(paths: Iterable[Path]) -> str | None:
    """One line naming the first directory of *paths* that holds no cassette, else ``None``.

    A mistyped directory (``tests/cassette/``) would otherwise check nothing
    and pass, in CI, for ever.
    """
    for path in paths:
        if path.is_dir() and not find_cassettes([path]):
            patterns = ", ".join(f"*{suffix}" for suffix in CASSETTE_SUFFIXES)
            return f"{path}: no cassettes ({patterns}) found"
    return None
