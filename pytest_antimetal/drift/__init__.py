"""Spec drift: a normalised, classified diff of two versions of an OpenAPI document.

Nothing here is imported at pytest start-up; :mod:`pytest_antimetal.plugin`
imports :mod:`pytest_antimetal.drift.pytest_plugin` only when
``--antimetal-spec-drift`` is given.
"""

from __future__ import annotations

from pytest_antimetal.drift.model import Change, DiffResult, Level
from pytest_antimetal.drift.rules import RULES, Rule, diff_documents, diff_specs

__all__ = ["RULES", "Change", "DiffResult", "Level", "Rule", "diff_documents", "diff_specs"]
