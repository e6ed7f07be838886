"""Artifacts (``GET /artifacts``): :class:`Artifact` and its kinds, parsed by their ``type``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pytest_antimetal.models.checking import WireModel, sub_schema

__all__ = [
    "ARTIFACT_TYPES",
    "Artifact",
    "EventArtifact",
    "FileArtifact",
    "LogArtifact",
    "MetricArtifact",
    "TopologyArtifact",
    "TraceArtifact",
    "artifact_schemas",
    "parse_artifact",
]


@dataclass(frozen=True)
class Artifact(WireModel):
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

    _WIRE: ClassVar[Mapping[str, str]] = {
        "id": "id",
        "type": "type",
        "provider": "provider",
        "providerUrl": "provider_url",
        "summary": "summary",
        "createdAt": "created_at",
        "updatedAt": "updated_at",
        "data": "data",
    }


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
