"""The classification rules: which difference breaks which client.

Every rule has a stable kebab-case id and one fixed level (:data:`RULES`).
Rules are direction-aware: a request schema is what a client *sends*, so a
tightening there is breaking; a response schema is what a client *reads*, so
there a loosening (a new enum value, a property turned optional or nullable, a
wider type) is what hurts.

This module is the way in (:func:`diff_documents`, :func:`diff_specs`); the
rules themselves are declared in :mod:`~pytest_antimetal.drift.catalog` and
applied by family: :mod:`~pytest_antimetal.drift.schema_diff` (schema keywords),
:mod:`~pytest_antimetal.drift.sunset_diff` (deprecations, sunsets) and
:mod:`~pytest_antimetal.drift.operation_diff` (operations, parameters, bodies,
responses, security, the document).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pytest_antimetal.drift.catalog import RULES, Rule
from pytest_antimetal.drift.model import DiffResult, Level
from pytest_antimetal.drift.operation_diff import OperationDiffer
from pytest_antimetal.drift.schema_diff import DEFAULT_SUNSET_WINDOW
from pytest_antimetal.spec import Spec

__all__ = ["DEFAULT_SUNSET_WINDOW", "RULES", "Rule", "diff_documents", "diff_specs", "version_note"]


def diff_documents(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_source: str = "old",
    new_source: str = "new",
    today: dt.date | None = None,
    sunset_window: int = DEFAULT_SUNSET_WINDOW,
) -> DiffResult:
    """Classify every change from the OpenAPI document *old* to *new*.

    Sunsets in *new* that fall within *sunset_window* days of *today* (default:
    the current date) are reported as ``api-sunset-imminent``, changed or not.
    """
    changes = OperationDiffer(old, new, today, sunset_window).run()
    result = DiffResult.build(old_source, new_source, changes)
    note = version_note(old, new, result)
    return result.replace(old_document=old, new_document=new, notes=(note,) if note else ())


def version_note(old: Mapping[str, Any], new: Mapping[str, Any], result: DiffResult) -> str | None:
    """A remark when breaking changes landed under an unchanged ``info.version``.

    The vendor dates its versions (``2026-03-17``) and the client sends that
    date as ``Antimetal-Version``: a breaking change under the same date
    reaches clients that pinned it.
    """
    old_v = str((old.get("info") or {}).get("version", ""))
    new_v = str((new.get("info") or {}).get("version", ""))
    # A sunset coming near is time passing, not a change the vendor made.
    breaking = sum(
        1 for c in result.changes if c.level is Level.BREAKING and c.id != "api-sunset-imminent"
    )
    if old_v != new_v or not breaking:
        return None
    return (
        f"info.version is still {new_v!r} although {breaking} breaking "
        f"change{'s' if breaking > 1 else ''} landed: clients pinning {new_v!r} "
        "(as Antimetal-Version) get the new behaviour"
    )


def diff_specs(old: Spec, new: Spec) -> DiffResult:
    """:func:`diff_documents` for two loaded :class:`~pytest_antimetal.spec.Spec`."""
    return diff_documents(old.document, new.document, old_source=old.source, new_source=new.source)
