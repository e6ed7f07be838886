"""Coverage of the document: what a run sent and what came back, per operation of its spec.

Nothing here knows which operations a run sends: :class:`DocumentModel` reads every
operation of the run's spec (declared statuses, parameters, enum values, boundaries),
:class:`CoverageRecorder` routes each exchange to its operation by method and path template
and notes what it exercised in a :class:`CoverageLog` (plain, mergeable data: one per part,
summed across parts and xdist workers), and :class:`CoverageReport` compares the two.

Modules: :mod:`.document` (the document model and routing), :mod:`.log` (what a run sent and
got back), :mod:`.report` (the comparison, what the percentage counts, its summary lines and
the gate).
"""

from __future__ import annotations

from pytest_antimetal.contract.coverage.document import DocumentModel, OperationModel
from pytest_antimetal.contract.coverage.log import CoverageLog, CoverageRecorder
from pytest_antimetal.contract.coverage.report import (
    COVERAGE_DEFINITION,
    CoverageReport,
    OperationCoverage,
    parse_percent,
    status_hint,
)

__all__ = [
    "COVERAGE_DEFINITION",
    "CoverageLog",
    "CoverageRecorder",
    "CoverageReport",
    "DocumentModel",
    "OperationCoverage",
    "OperationModel",
    "parse_percent",
    "status_hint",
]
