"""A run-wide cap on issue-creating requests, shared by the processes of one run.

Under ``pytest -n`` the suite's parts run in several xdist workers, and where they land
depends on the scheduler (``--dist loadfile`` puts them all on one worker; a crashed
worker is replaced by a new one). Splitting the cap in advance would either waste it or,
with replacements, exceed it; so the workers take units from one pool instead: one file
per unit, created with ``O_EXCL`` (atomic on local file systems), in a directory the
xdist controller makes for the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["SharedBudget"]

_CREATE_NEW = os.O_CREAT | os.O_EXCL | os.O_WRONLY


class SharedBudget:
    """At most *size* units, taken by any process that can see *directory*."""

    def __init__(self, directory: Path, size: int) -> None:
        self.directory = directory
        self.size = size

    @classmethod
    def create(cls, size: int) -> SharedBudget:
        """A new, empty pool in a private temporary directory."""
        return cls(Path(tempfile.mkdtemp(prefix="pytest-antimetal-budget-")), size)

    def claim(self) -> bool:
        """Take one unit; ``False`` when all are taken (or the pool is gone)."""
        for unit in range(self.size):
            try:
                fd = os.open(self.directory / str(unit), _CREATE_NEW, 0o600)
            except FileExistsError:
                continue
            except OSError:
                # The pool is gone, or out of sight (an xdist worker on another host): spending
                # nothing is the safe answer.
                return False
            os.close(fd)
            return True
        return False

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
