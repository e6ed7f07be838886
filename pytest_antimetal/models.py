"""Typed results returned by the client.

Field values are kept exactly as the API sent them (timestamps stay the wire
strings, e.g. ``"2026-03-17T10:00:00.000Z"``, so they compare equal to what a
server or cassette holds); :meth:`Issue.as_datetime` parses one when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

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

# JSON Schema "type" -> the Python types json.loads produces for it.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _type_ok(value: Any, expected: str | list[str] | None) -> bool:
    if expected is None:
        return True
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        types = _JSON_TYPES.get(name)
        if types is None:
            return True  # unknown type keyword: not ours to judge
        # bool is an int subclass in Python, not in JSON.
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, types):
            return True
    return False


def check_against_schema(body: Any, schema: Mapping[str, Any] | None) -> list[str]:
    """Shallow check of a response body: an object, required keys, property types.

    Deliberately lenient on values (enums, formats, patterns): a live server
    that adds a status must not break callers; the contract suite judges that.
    Returns one message per problem, empty when the body is usable.
    """
    if not isinstance(body, dict):
        return [f"expected a JSON object, got {type(body).__name__}"]
    if not schema:
        return []
    problems = [
        f"missing required field {key!r}" for key in schema.get("required", []) if key not in body
    ]
    for key, prop in schema.get("properties", {}).items():
        if key not in body or not isinstance(prop, Mapping):
            continue
        if body[key] is None and prop.get("nullable") is True:
            continue  # OpenAPI 3.0's spelling of type [X, "null"]
        if not _type_ok(body[key], prop.get("type")):
            problems.append(
                f"field {key!r} should be {prop.get('type')}, got {type(body[key]).__name__}"
            )
    return problems


def format_timestamp(value: str | datetime) -> str:
    """Serialise ``triggered_at``: strings pass through, aware datetimes become UTC ``...Z``.

    Raises :class:`ValueError` for a naive datetime (its instant is ambiguous).
    """
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"triggered_at must be a str or datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "triggered_at is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc)"
        )
    utc = value.astimezone(UTC)
    # Milliseconds, like JavaScript's toISOString, unless that would lose precision.
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


# Wire name -> attribute: the only thing about the response this module owns. Which
# fields are required, and their types, come from the run's spec (see Issue.from_json).
_WIRE_TO_ATTR = {
    "uuid": "uuid",
    "number": "number",
    "status": "status",
    "title": "title",
    "description": "description",
    "severity": "severity",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "triggeredAt": "triggered_at",
    "latestVersion": "latest_version",
    "environment": "environment",
}
_TIMESTAMPS = ("created_at", "updated_at", "triggered_at")


def _vendored_response_schema() -> dict[str, Any] | None:
    from pytest_antimetal.spec import SpecError, vendored_spec

    try:
        operation = vendored_spec().operation("post", "/issues")
        return operation.response_schema(operation.success_status)
    except SpecError:
        return None


@dataclass(frozen=True)
class Issue:
    """An issue as returned by ``POST /issues`` (``CreateIssueResponseDto``) and by
    ``GET``/``PATCH /issues/{id}`` and ``GET /issues/by_number/{n}`` (``IssueDto``).

    Which fields must be present is the spec's call, not this class's: a field
    the run's spec does not require (or marks ``nullable``) is ``None`` when the
    response leaves it out or sends ``null``. The annotations follow the
    vendored spec, where only ``environment`` is optional; with a custom
    ``spec=`` that relaxes another field, that attribute may be ``None`` too.
    ``raw`` is the whole JSON body (fields a newer API adds are there);
    ``request_id`` comes from the ``X-Request-Id`` response header.
    """

    uuid: str
    number: int
    status: str
    title: str
    description: str
    severity: str
    created_at: str
    updated_at: str
    triggered_at: str
    latest_version: int
    environment: str | None = None
    # IssueDto only (None / empty from POST /issues, whose response has none of them).
    seed_count: int | None = None
    seeds: tuple[Seed, ...] = ()
    versions: tuple[IssueVersion, ...] = ()
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(
        cls,
        body: Mapping[str, Any],
        *,
        request_id: str | None = None,
        schema: Mapping[str, Any] | None = None,
    ) -> Issue:
        """Build from a ``CreateIssueResponseDto`` body, checked against *schema*.

        *schema* is the response schema of ``POST /issues`` in the run's spec
        (``None``: the vendored spec's; ``{}``: no check). Raises
        :class:`ValueError` naming every required field that is missing and
        every field of the wrong type (never a ``KeyError``).
        """
        if schema is None:
            schema = _vendored_response_schema()
        problems = check_against_schema(body, schema)
        if problems:
            raise ValueError("; ".join(problems))
        values: dict[str, Any] = {attr: body.get(wire) for wire, attr in _WIRE_TO_ATTR.items()}
        values["seed_count"] = body.get("seedCount")  # IssueDto only, like seeds and versions
        seeds = sub_schema(schema, "seeds", "[]")
        versions = sub_schema(schema, "versions", "[]")
        return cls(
            **values,
            seeds=tuple(Seed.from_json(s, schema=seeds) for s in _objects(body.get("seeds"))),
            versions=tuple(
                IssueVersion.from_json(v, schema=versions) for v in _objects(body.get("versions"))
            ),
            request_id=request_id,
            raw=dict(body),
        )

    @property
    def latest(self) -> IssueVersion | None:
        """The run numbered ``latest_version`` (else the highest listed), ``None`` without runs."""
        if not self.versions:
            return None
        for run in self.versions:
            if run.version == self.latest_version:
                return run
        return max(self.versions, key=lambda run: run.version)

    @property
    def investigation_done(self) -> bool:
        """Whether the latest investigation has finished (what ``wait_for_results`` waits for).

        The latest run's status decides (``SUCCESS``/``NOOP``/``ERROR``: done; ``PENDING``:
        not): the issue's own ``status`` is a workflow state a user may set back to
        ``investigating`` at any time, and a re-run leaves it ``ready_to_fix`` while the new
        run works. Only an issue that lists no runs (``POST /issues``' answer, or a server
        that leaves them out) falls back to ``status != "investigating"``.
        """
        latest = self.latest
        if latest is None:
            return self.status != "investigating"
        return latest.done

    def as_datetime(self, name: str = "triggered_at") -> datetime:
        """Parse one timestamp field (``created_at``, ``updated_at``, ``triggered_at``)."""
        if name not in _TIMESTAMPS:
            raise ValueError(f"{name!r} is not a timestamp field of Issue")
        value: str | None = getattr(self, name)
        if value is None:
            raise ValueError(f"{name} is not set in this response")
        return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- The rest of the API's DTOs -----------------------------------------------------
#
# Every model below follows Issue's rules: wire values kept as sent, required fields and
# their types checked against the run's spec (check_against_schema), never a hand-copied
# list; ``raw`` holds the whole object, so fields a newer API adds are not lost. A nested
# object is checked against its own sub-schema when it is turned into a nested model.


def vendored_schema(name: str) -> dict[str, Any]:
    """``components.schemas[name]`` of the vendored spec, ``{}`` when it has none."""
    from pytest_antimetal.spec import SpecError, vendored_spec

    try:
        return vendored_spec().schema(name)
    except SpecError:
        return {}


def sub_schema(schema: Mapping[str, Any] | None, *path: str) -> dict[str, Any]:
    """The schema at *path* below *schema*: names are properties, ``"[]"`` means ``items``.

    ``{}`` (check nothing) when the spec does not describe that far.
    """
    node: Any = schema or {}
    for step in path:
        if not isinstance(node, Mapping):
            return {}
        node = node.get("items") if step == "[]" else node.get("properties", {}).get(step)
    return dict(node) if isinstance(node, Mapping) else {}


def _checked(body: Any, schema: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    problems = check_against_schema(body, schema)
    if problems:
        prefix = f"{what}: " if what else ""
        raise ValueError(prefix + "; ".join(problems))
    assert isinstance(body, dict)
    return body


def _values(body: Mapping[str, Any], wire_to_attr: Mapping[str, str]) -> dict[str, Any]:
    return {attr: body.get(wire) for wire, attr in wire_to_attr.items()}


def _objects(value: Any) -> list[Any]:
    """A list field's items (a missing or non-list value, allowed by the schema: none)."""
    return list(value) if isinstance(value, list) else []


@dataclass(frozen=True)
class IssueSummary:
    """One item of ``GET /issues`` (``IssueSummaryDto``)."""

    uuid: str
    number: int
    title: str
    description: str
    severity: str
    status: str
    environment: str
    triggered_at: str
    seed_count: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WIRE: ClassVar[dict[str, str]] = {
        "uuid": "uuid",
        "number": "number",
        "title": "title",
        "description": "description",
        "severity": "severity",
        "status": "status",
        "environment": "environment",
        "triggeredAt": "triggered_at",
        "seedCount": "seed_count",
    }

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> IssueSummary:
        """Build from an ``IssueSummaryDto`` (*schema* ``None``: the vendored spec's)."""
        if schema is None:
            schema = vendored_schema("IssueSummaryDto")
        body = _checked(body, schema, "")
        return cls(**_values(body, cls._WIRE), raw=dict(body))


@dataclass(frozen=True)
class IssueVersion:
    """One investigation run of an issue (an item of ``IssueDto.versions``).

    ``status`` is ``PENDING`` while the run works, then ``SUCCESS``, ``NOOP`` or ``ERROR``.
    """

    uuid: str
    version: int
    status: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def done(self) -> bool:
        """Whether the run has finished (any status but ``PENDING``)."""
        return self.status in TERMINAL_VERSION_STATUSES

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> IssueVersion:
        body = _checked(body, schema, "versions[]")
        return cls(
            **_values(body, {"uuid": "uuid", "version": "version", "status": "status"}),
            raw=dict(body),
        )


# Which run statuses mean "finished": the document's enum is SUCCESS, NOOP, ERROR, PENDING.
TERMINAL_VERSION_STATUSES = frozenset({"SUCCESS", "NOOP", "ERROR"})


@dataclass(frozen=True)
class Seed:
    """What started an issue (an item of ``IssueDto.seeds``: an alert or a user query)."""

    public_uuid: str
    seed_type: str
    provider: str
    provider_reference_id: str
    title: str
    description: str | None
    tags: tuple[str, ...]
    link: str | None
    query: str | None
    raw_payload: dict[str, Any] | None = field(compare=False, hash=False)
    triggered_at: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WIRE: ClassVar[dict[str, str]] = {
        "publicUuid": "public_uuid",
        "seedType": "seed_type",
        "provider": "provider",
        "providerReferenceId": "provider_reference_id",
        "title": "title",
        "description": "description",
        "link": "link",
        "query": "query",
        "rawPayload": "raw_payload",
        "triggeredAt": "triggered_at",
    }

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> Seed:
        body = _checked(body, schema, "seeds[]")
        values = _values(body, cls._WIRE)
        return cls(**values, tags=tuple(_objects(body.get("tags"))), raw=dict(body))


@dataclass(frozen=True)
class EvidenceArtifact:
    """A document an evidence item points to; fetch it with ``client.artifacts.retrieve``."""

    document_id: str
    title: str
    description: str
    data_type: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> EvidenceArtifact:
        body = _checked(body, schema, "artifacts[]")
        wire = {
            "documentId": "document_id",
            "title": "title",
            "description": "description",
            "dataType": "data_type",
        }
        return cls(**_values(body, wire), raw=dict(body))


@dataclass(frozen=True)
class Evidence:
    """One evidence item of a root cause (relevant or irrelevant)."""

    title: str
    status: str
    description: str
    confidence: str
    artifacts: tuple[EvidenceArtifact, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> Evidence:
        body = _checked(body, schema, "evidence[]")
        wire = {
            "title": "title",
            "status": "status",
            "description": "description",
            "confidence": "confidence",
        }
        items = sub_schema(schema, "artifacts", "[]")
        artifacts = tuple(
            EvidenceArtifact.from_json(a, schema=items) for a in _objects(body.get("artifacts"))
        )
        return cls(**_values(body, wire), artifacts=artifacts, raw=dict(body))


@dataclass(frozen=True)
class RootCause:
    """``IssueResultsDto.rootCause``: the investigation's conclusion and its evidence."""

    id: str
    incident_overview: str
    root_cause_summary: str
    relevant_evidence: tuple[Evidence, ...]
    irrelevant_evidence: tuple[Evidence, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> RootCause:
        body = _checked(body, schema, "rootCause")
        wire = {
            "id": "id",
            "incidentOverview": "incident_overview",
            "rootCauseSummary": "root_cause_summary",
        }

        def evidence(name: str) -> tuple[Evidence, ...]:
            items = sub_schema(schema, name, "[]")
            return tuple(Evidence.from_json(e, schema=items) for e in _objects(body.get(name)))

        return cls(
            **_values(body, wire),
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
        body = _checked(body, schema, "")
        root = body.get("rootCause")
        return cls(
            session_uuid=body.get("sessionUuid"),
            root_cause=None
            if root is None
            else RootCause.from_json(root, schema=sub_schema(schema, "rootCause")),
            causal_tree=_mapping(body.get("causalTree")),
            causal_tree_v2=_mapping(body.get("causalTreeV2")),
            remediation=_mapping(body.get("remediation")),
            timeline=tuple(_objects(body.get("timeline"))),
            version=version,
            version_status=version_status,
            request_id=request_id,
            raw=dict(body),
        )


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class Artifact:
    """One item of ``GET /artifacts``: the fields every artifact type shares.

    ``client.artifacts.retrieve`` returns the subclass its ``type`` names
    (:class:`MetricArtifact`, :class:`TraceArtifact`, :class:`LogArtifact`,
    :class:`FileArtifact`, :class:`EventArtifact`, :class:`TopologyArtifact`); a type this
    version does not know is an :class:`Artifact`. ``data`` is the type's payload as sent.
    """

    id: str
    type: str
    provider: str
    provider_url: str | None
    summary: str | None
    created_at: str
    updated_at: str
    data: Any = field(default=None, compare=False, hash=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WIRE: ClassVar[dict[str, str]] = {
        "id": "id",
        "type": "type",
        "provider": "provider",
        "providerUrl": "provider_url",
        "summary": "summary",
        "createdAt": "created_at",
        "updatedAt": "updated_at",
        "data": "data",
    }

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> Artifact:
        """Build *this* class from one artifact object checked against *schema*."""
        body = _checked(body, schema or {}, "")
        return cls(**_values(body, cls._WIRE), raw=dict(body))


@dataclass(frozen=True)
class MetricArtifact(Artifact):
    """``MetricArtifactDto`` (``type: "metric"``)."""


@dataclass(frozen=True)
class TraceArtifact(Artifact):
    """``TraceArtifactDto`` (``type: "trace"``)."""


@dataclass(frozen=True)
class LogArtifact(Artifact):
    """``LogArtifactDto`` (``type: "log"``)."""


@dataclass(frozen=True)
class FileArtifact(Artifact):
    """``FileArtifactDto`` (``type: "file"``)."""


@dataclass(frozen=True)
class EventArtifact(Artifact):
    """``EventArtifactDto`` (``type: "event"``)."""


@dataclass(frozen=True)
class TopologyArtifact(Artifact):
    """``TopologyArtifactDto`` (``type: "topology"``; ``data`` defaults to ``{}``)."""


ARTIFACT_TYPES: dict[str, type[Artifact]] = {
    "metric": MetricArtifact,
    "trace": TraceArtifact,
    "log": LogArtifact,
    "file": FileArtifact,
    "event": EventArtifact,
    "topology": TopologyArtifact,
}


def artifact_schemas(items_schema: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``type`` value -> its schema, read from a (resolved) ``oneOf`` of artifact schemas.

    Each branch names its type in ``properties.type.enum`` (the discriminator's values).
    """
    found: dict[str, dict[str, Any]] = {}
    for branch in (items_schema or {}).get("oneOf", []):
        if not isinstance(branch, Mapping):
            continue
        enum = sub_schema(branch, "type").get("enum")
        if isinstance(enum, list):
            for value in enum:
                found.setdefault(str(value), dict(branch))
    return found


def parse_artifact(body: Any, schemas: Mapping[str, Mapping[str, Any]]) -> Artifact:
    """The typed artifact for *body*, chosen by its ``type`` and checked against its schema.

    A type the spec does not list is checked against nothing and comes back as an
    :class:`Artifact` (a newer API's new type must not break readers of the others).
    """
    if not isinstance(body, dict):
        raise ValueError(f"artifact: expected a JSON object, got {type(body).__name__}")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise ValueError("artifact: missing required field 'type'")
    cls = ARTIFACT_TYPES.get(kind, Artifact)
    data = body.get("data")
    if cls is TopologyArtifact and data is None:
        body = {**body, "data": {}}  # the document's default
    try:
        return cls.from_json(body, schema=schemas.get(kind, {}))
    except ValueError as exc:
        raise ValueError(f"{kind} artifact {body.get('id')!r}: {exc}") from None


@dataclass(frozen=True)
class QueryArtifact:
    """An artifact the agent found while answering (``QueryResponseDto.artifacts`` items)."""

    id: str
    tool_name: str
    data_type: str | None = None
    provider: str | None = None
    summary: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> QueryArtifact:
        body = _checked(body, schema, "artifact")
        wire = {
            "id": "id",
            "tool_name": "tool_name",
            "data_type": "data_type",
            "provider": "provider",
            "summary": "summary",
        }
        return cls(**_values(body, wire), raw=dict(body))


@dataclass(frozen=True)
class QueryResponse:
    """``POST /query``'s JSON answer (``QueryResponseDto``)."""

    conversation_id: str
    answer: str
    artifacts: tuple[QueryArtifact, ...]
    request_id: str | None = field(default=None, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(
        cls,
        body: Any,
        *,
        schema: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> QueryResponse:
        """Build from a ``QueryResponseDto`` (*schema* ``None``: the vendored spec's)."""
        if schema is None:
            schema = vendored_schema("QueryResponseDto")
        body = _checked(body, schema, "")
        items = sub_schema(schema, "artifacts", "[]")
        return cls(
            conversation_id=body.get("conversation_id"),
            answer=body.get("answer"),
            artifacts=tuple(
                QueryArtifact.from_json(a, schema=items) for a in _objects(body.get("artifacts"))
            ),
            request_id=request_id,
            raw=dict(body),
        )


@dataclass(frozen=True)
class QueryChunk:
    """One Server-Sent Event of a streamed ``POST /query`` (``QueryChunkDto``).

    ``text`` is a delta of the answer; ``artifact`` is set when a tool produced one;
    ``conversation_id`` comes in the final chunk.
    """

    text: str | None = None
    conversation_id: str | None = None
    artifact: QueryArtifact | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, body: Any, *, schema: Mapping[str, Any] | None = None) -> QueryChunk:
        """Build from a ``QueryChunkDto`` (*schema* ``None``: the vendored spec's)."""
        if schema is None:
            schema = vendored_schema("QueryChunkDto")
        body = _checked(body, schema, "")
        artifact = body.get("artifact")
        return cls(
            text=body.get("text"),
            conversation_id=body.get("conversation_id"),
            artifact=None
            if artifact is None
            else QueryArtifact.from_json(artifact, schema=sub_schema(schema, "artifact")),
            raw=dict(body),
        )
