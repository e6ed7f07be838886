"""Typed results returned by the client, one module per resource.

=====================  ==========================================================
module                 owns
=====================  ==========================================================
:mod:`.issues`         :class:`Issue`, :class:`IssueSummary`, :class:`IssueVersion`,
                       :class:`Seed`, :func:`format_timestamp`
:mod:`.results`        :class:`IssueResults` and the evidence it cites
:mod:`.artifacts`      :class:`Artifact` and its kinds, :func:`parse_artifact`
:mod:`.query`          :class:`QueryResponse`, :class:`QueryChunk`
:mod:`.checking`       the shallow schema check every model runs
=====================  ==========================================================

Every model keeps field values exactly as the API sent them and checks a body
against the run's spec (:mod:`.checking`); ``raw`` holds the whole object.
"""

from __future__ import annotations

from pytest_antimetal.models.artifacts import (
    ARTIFACT_TYPES,
    Artifact,
    EventArtifact,
    FileArtifact,
    LogArtifact,
    MetricArtifact,
    TopologyArtifact,
    TraceArtifact,
    artifact_schemas,
    parse_artifact,
)
from pytest_antimetal.models.checking import check_against_schema, sub_schema, vendored_schema
from pytest_antimetal.models.issues import _WIRE_TO_ATTR as _WIRE_TO_ATTR
from pytest_antimetal.models.issues import (
    TERMINAL_VERSION_STATUSES,
    Issue,
    IssueSummary,
    IssueVersion,
    Seed,
    format_timestamp,
)
from pytest_antimetal.models.query import QueryArtifact, QueryChunk, QueryResponse
from pytest_antimetal.models.results import Evidence, EvidenceArtifact, IssueResults, RootCause

__all__ = [
    "ARTIFACT_TYPES",
    "TERMINAL_VERSION_STATUSES",
    "Artifact",
    "EventArtifact",
    "Evidence",
    "EvidenceArtifact",
    "FileArtifact",
    "Issue",
    "IssueResults",
    "IssueSummary",
    "IssueVersion",
    "LogArtifact",
    "MetricArtifact",
    "QueryArtifact",
    "QueryChunk",
    "QueryResponse",
    "RootCause",
    "Seed",
    "TopologyArtifact",
    "TraceArtifact",
    "artifact_schemas",
    "check_against_schema",
    "format_timestamp",
    "parse_artifact",
    "sub_schema",
    "vendored_schema",
]
