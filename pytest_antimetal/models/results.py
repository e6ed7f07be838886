"""Investigation results: :class:`IssueResults` (``GET /issues/{id}/results``) and what it cites."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pytest_antimetal.models.checking import (
    WireModel,
    checked,
    mapping,
    objects,
    sub_schema,
    vendored_schema,
)

__all__ = ["Evidence", "EvidenceArtifact", "IssueResults", "RootCause"]


@dataclass(frozen=True)
class EvidenceArtifact(WireModel):
    """A document an evidence item points to; fetch it with ``client.artifacts.retrieve``."""

    document_id: str
    title: str
    description: str
    data_type: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WHERE: ClassVar[str] = "artifacts[]"
    _WIRE: ClassVar[Mapping[str, str]] = {
        "documentId": "document_id",
        "title": "title",
        "description": "description",
        "dataType": "data_type",
    }


@dataclass(frozen=True)
class Evidence(WireModel):
    """One evidence item of a root cause (relevant or irrelevant)."""

    title: str
    status: str
    description: str
    confidence: str
    artifacts: tuple[EvidenceArtifact, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WHERE: ClassVar[str] = "evidence[]"
    _WIRE: ClassVar[Mapping[str, str]] = {
        "title": "title",
        "status": "status",
        "description": "description",
        "confidence": "confidence",
    }

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> Evidence:
        """Build from one evidence item and its artifacts, checked against *schema*."""
        body, values = cls._wire_fields(body, schema)
        items = sub_schema(schema, "artifacts", "[]")
        artifacts = tuple(
            EvidenceArtifact.from_json(a, schema=items) for a in objects(body.get("artifacts"))
        )
        return cls(**values, artifacts=artifacts, raw=dict(body))


@dataclass(frozen=True)
class RootCause(WireModel):
    """``IssueResultsDto.rootCause``: the investigation's conclusion and its evidence."""

    id: str
    incident_overview: str
    root_cause_summary: str
    relevant_evidence: tuple[Evidence, ...]
    irrelevant_evidence: tuple[Evidence, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WHERE: ClassVar[str] = "rootCause"
    _WIRE: ClassVar[Mapping[str, str]] = {
        "id": "id",
        "incidentOverview": "incident_overview",
        "rootCauseSummary": "root_cause_summary",
    }

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> RootCause:
        """Build from ``IssueResultsDto.rootCause`` and its evidence, checked against *schema*."""
        body, values = cls._wire_fields(body, schema)

        def evidence(name: str) -> tuple[Evidence, ...]:
            items = sub_schema(schema, name, "[]")
            return tuple(Evidence.from_json(e, schema=items) for e in objects(body.get(name)))

        return cls(
            **values,
            relevant_evidence=evidence("relevantEvidence"),
            irrelevant_evidence=evidence("irrelevantEvidence"),
            raw=dict(body),
        )


@dataclass(frozen=True)
class IssueResults:
    """``GET /issues/{id}/results`` (``IssueResultsDto``).

    ``root_cause`` is ``None`` until the investigation has one (the document's "no results
    yet": ``rootCause: null`` with empty objects). ``causal_tree``, ``causal_tree_v2``,
    ``remediation`` and ``timeline`` are kept as the JSON the API sent. ``version`` is the
    run asked for (``None``: the latest), ``version_status`` that run's status when
    ``wait_for_results`` produced this object.
    """

    session_uuid: str | None
    root_cause: RootCause | None
    causal_tree: dict[str, Any] = field(compare=False, hash=False)
    causal_tree_v2: dict[str, Any] = field(compare=False, hash=False)
    remediation: dict[str, Any] = field(compare=False, hash=False)
    timeline: tuple[Any, ...] = field(compare=False, hash=False)
    version: int | None = None
    version_status: str | None = None
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def evidence_document_ids(self) -> list[str]:
        """The ``documentId`` of every artifact of the relevant evidence, in order, once each."""
        if self.root_cause is None:
            return []
        seen: dict[str, None] = {}
        for item in self.root_cause.relevant_evidence:
            for artifact in item.artifacts:
                seen.setdefault(artifact.document_id, None)
        return list(seen)

    @classmethod
    def from_json(
        cls,
        body: Any,
        *,
        schema: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        version: int | None = None,
        version_status: str | None = None,
    ) -> IssueResults:
        """Build from an ``IssueResultsDto`` (*schema* ``None``: the vendored spec's)."""
        if schema is None:
            schema = vendored_schema("IssueResultsDto")
        body = checked(body, schema, "")
        root = body.get("rootCause")
        return cls(
            session_uuid=body.get("sessionUuid"),
            root_cause=None
            if root is None
            else RootCause.from_json(root, schema=sub_schema(schema, "rootCause")),
            causal_tree=mapping(body.get("causalTree")),
            causal_tree_v2=mapping(body.get("causalTreeV2")),
            remediation=mapping(body.get("remediation")),
            timeline=tuple(objects(body.get("timeline"))),
            version=version,
            version_status=version_status,
            request_id=request_id,
            raw=dict(body),
        )
