"""The one exception a command raises for a user's mistake (a leaf: standard library only).

Subcommand modules raise it; the dispatcher :mod:`pytest_antimetal.cli` prints it as
one line and exits 2. It lives here, not in the dispatcher, so features never import
the module that imports them.
"""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A user's mistake: reported as one line on stderr, exit status 2."""
