"""Spec drift: a normalised, classified diff of two versions of an OpenAPI document.

Public names are imported lazily: :mod:`pytest_antimetal.plugin` reads
:data:`pytest_antimetal.drift.source.DEFAULT_DRIFT_SOURCE` on every run, and must
not pay for the rules. :mod:`pytest_antimetal.drift.plugin` is imported only
when ``--antimetal-spec-drift`` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_antimetal._lazy import lazy_exports

if TYPE_CHECKING:
    from pytest_antimetal.drift.model import Change as Change
    from pytest_antimetal.drift.model import DiffResult as DiffResult
    from pytest_antimetal.drift.model import Level as Level
    from pytest_antimetal.drift.rules import RULES as RULES
    from pytest_antimetal.drift.rules import Rule as Rule
    from pytest_antimetal.drift.rules import diff_documents as diff_documents
    from pytest_antimetal.drift.rules import diff_specs as diff_specs

__all__ = ["RULES", "Change", "DiffResult", "Level", "Rule", "diff_documents", "diff_specs"]

# public name -> module that defines it
_EXPORTS = {
    "Change": "pytest_antimetal.drift.model",
    "DiffResult": "pytest_antimetal.drift.model",
    "Level": "pytest_antimetal.drift.model",
    "RULES": "pytest_antimetal.drift.rules",
    "Rule": "pytest_antimetal.drift.rules",
    "diff_documents": "pytest_antimetal.drift.rules",
    "diff_specs": "pytest_antimetal.drift.rules",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
