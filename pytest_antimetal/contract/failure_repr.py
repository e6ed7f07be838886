"""The shape of a contract item's failure as pytest stores it.

A part's failure text is many lines (one entry per root cause). Returned as a plain string,
pytest repeats all of it in the short test summary whenever it runs on CI (``CI`` or
``BUILD_NUMBER`` set) or at ``-vv``, and puts all of it in JUnit's ``message`` attribute: on
the CI logs where the suite mostly runs, every entry would be printed twice. pytest takes that
one-line message from ``longrepr.reprcrash.message``, so the failure is given in pytest's own
exception-report shape: the whole text as the body, the headline as the crash message. That
shape is also what pytest-xdist serialises between workers, so ``-n`` keeps it.

The classes come from ``_pytest._code.code`` (pytest does not export them); they have kept
their names and fields since pytest 6. If a pytest moves them, the text is returned as a plain
string again: the report is longer on CI, never lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

__all__ = ["failure_repr"]


def failure_repr(text: str, location: str) -> str | TerminalRepr:
    """*text* as a failure whose one-line message (short summary, JUnit) is its first line.

    *location* names the item (``antimetal-contract::coverage``), where pytest would print a
    file path.
    """
    headline = text.split("\n", 1)[0]
    try:
        from _pytest._code.code import ReprExceptionInfo, ReprFileLocation, ReprTracebackNative
    except ImportError:  # pragma: no cover - a pytest that moved them
        return text
    body = text if text.endswith("\n") else text + "\n"
    return ReprExceptionInfo(
        reprtraceback=ReprTracebackNative([body]),
        reprcrash=ReprFileLocation(location, 0, headline),
    )
