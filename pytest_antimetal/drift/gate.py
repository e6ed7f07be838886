"""The drift gate: diff, then scope to what is used, then apply reviewed exceptions.

:func:`evaluate` is what ``antimetal-contract diff`` and the pytest drift item
both run, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_antimetal.drift.model import DiffResult
from pytest_antimetal.drift.rules import DEFAULT_SUNSET_WINDOW, diff_documents

if TYPE_CHECKING:
    from pytest_antimetal.drift.accept import AcceptFile

__all__ = ["evaluate"]


def evaluate(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_source: str = "old",
    new_source: str = "new",
    used_by: Sequence[str | Path] = (),
    accept: AcceptFile | None = None,
    today: dt.date | None = None,
    sunset_window: int = DEFAULT_SUNSET_WINDOW,
) -> DiffResult:
    """Classify *old* -> *new*, scope it to the cassettes under *used_by*, apply *accept*.

    Raises :class:`pytest_antimetal.drift.usage.UsageError` when *used_by* names
    nothing readable, and :class:`RecursionError` for schemas nested too deeply.
    """
    today = today or dt.date.today()
    result = diff_documents(
        old,
        new,
        old_source=old_source,
        new_source=new_source,
        today=today,
        sunset_window=sunset_window,
    )
    if used_by:
        from pytest_antimetal.drift.usage import Usage

        result = Usage.from_cassettes(used_by, (new, old)).scope(result)
    if accept is not None:
        result = accept.apply(result, today)
    return result
