"""Undo schemathesis's global swap of Hypothesis's example printer.

schemathesis (its pytest plugin loads on every run once installed) replaces
``hypothesis.core.RepresentationPrinter`` with a class that prints nothing, to
speed up its own coverage phase. Every other ``@given`` test in the process
then reports ``x=,`` instead of ``x=1000``. :func:`hypothesis_printer_for`
puts Hypothesis's own printer back around one test that is not schemathesis's.

Standard library only; never imports hypothesis or schemathesis itself (it
acts only when they are already imported).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["hypothesis_printer_for", "is_printer_patched", "restore_hypothesis_printer"]


def _original_and_current() -> tuple[Any, Any] | None:
    core = sys.modules.get("hypothesis.core")
    pretty = sys.modules.get("hypothesis.vendor.pretty")
    if core is None or pretty is None:
        return None
    return pretty.RepresentationPrinter, getattr(core, "RepresentationPrinter", None)


def is_printer_patched() -> bool:
    """True when Hypothesis's printer has been replaced (by schemathesis)."""
    pair = _original_and_current()
    return pair is not None and pair[0] is not pair[1]


def restore_hypothesis_printer() -> Any:
    """Put Hypothesis's own printer back; return the one replaced (``None`` if untouched)."""
    pair = _original_and_current()
    if pair is None or pair[0] is pair[1]:
        return None
    original, current = pair
    core: Any = sys.modules["hypothesis.core"]
    core.RepresentationPrinter = original
    return current


def _is_schemathesis_item(item: object) -> bool:
    # schemathesis's own tests, and our contract suite (schemathesis generation too), keep
    # its fast printer: it is what makes their coverage phase quick.
    return type(item).__module__.startswith(("schemathesis", "pytest_antimetal.contract"))


@contextmanager
def hypothesis_printer_for(item: object) -> Iterator[None]:
    """Run one pytest item with Hypothesis's own printer, unless it is a schemathesis test.

    The replacement is restored afterwards, so schemathesis keeps working as
    it expects for its own tests later in the run.
    """
    replaced = None if _is_schemathesis_item(item) else restore_hypothesis_printer()
    try:
        yield
    finally:
        if replaced is not None:
            core: Any = sys.modules["hypothesis.core"]
            core.RepresentationPrinter = replaced
