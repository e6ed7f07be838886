"""Issue models: :class:`Issue`, :class:`IssueSummary`, :class:`IssueVersion`, :class:`Seed`.

Field values are kept exactly as the API sent them (timestamps stay the wire
strings, e.g. ``"2026-03-17T10:00:00.000Z"``, so they compare equal to what a
server or cassette holds); :meth:`Issue.as_datetime` parses one when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pytest_antimetal.models.checking import (
    WireModel,
    check_against_schema,
    objects,
    sub_schema,
    vendored_schema,
)

__all__ = [
    "TERMINAL_VERSION_STATUSES",
    "Issue",
    "IssueSummary",
    "IssueVersion",
    "Seed",
    "format_timestamp",
]


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
            seeds=tuple(Seed.from_json(s, schema=seeds) for s in objects(body.get("seeds"))),
            versions=tuple(
                IssueVersion.from_json(v, schema=versions) for v in objects(body.get("versions"))
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


@dataclass(frozen=True)
class IssueSummary(WireModel):
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

    _WIRE: ClassVar[Mapping[str, str]] = {
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
        return super().from_json(body, schema=schema)


@dataclass(frozen=True)
class IssueVersion(WireModel):
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

    _WHERE: ClassVar[str] = "versions[]"
    _WIRE: ClassVar[Mapping[str, str]] = {"uuid": "uuid", "version": "version", "status": "status"}


# Which run statuses mean "finished": the document's enum is SUCCESS, NOOP, ERROR, PENDING.
TERMINAL_VERSION_STATUSES = frozenset({"SUCCESS", "NOOP", "ERROR"})


@dataclass(frozen=True)
class Seed(WireModel):
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

    _WHERE: ClassVar[str] = "seeds[]"
    _WIRE: ClassVar[Mapping[str, str]] = {
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
        """Build from one ``IssueDto.seeds`` item checked against *schema*."""
        body, values = cls._wire_fields(body, schema)
        return cls(**values, tags=tuple(objects(body.get("tags"))), raw=dict(body))
