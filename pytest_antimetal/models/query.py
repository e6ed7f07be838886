"""The query endpoint's models: :class:`QueryResponse`, :class:`QueryChunk` (a stream event)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pytest_antimetal.models.checking import (
    WireModel,
    checked,
    objects,
    sub_schema,
    vendored_schema,
)

__all__ = ["QueryArtifact", "QueryChunk", "QueryResponse"]


@dataclass(frozen=True)
class QueryArtifact(WireModel):
    """An artifact the agent found while answering (``QueryResponseDto.artifacts`` items)."""

    id: str
    tool_name: str
    data_type: str | None = None
    provider: str | None = None
    summary: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    _WHERE: ClassVar[str] = "artifact"
    _WIRE: ClassVar[Mapping[str, str]] = {
        "id": "id",
        "tool_name": "tool_name",
        "data_type": "data_type",
        "provider": "provider",
        "summary": "summary",
    }


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
        body = checked(body, schema, "")
        items = sub_schema(schema, "artifacts", "[]")
        return cls(
            conversation_id=body.get("conversation_id"),
            answer=body.get("answer"),
            artifacts=tuple(
                QueryArtifact.from_json(a, schema=items) for a in objects(body.get("artifacts"))
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
        body = checked(body, schema, "")
        artifact = body.get("artifact")
        return cls(
            text=body.get("text"),
            conversation_id=body.get("conversation_id"),
            artifact=None
            if artifact is None
            else QueryArtifact.from_json(artifact, schema=sub_schema(schema, "artifact")),
            raw=dict(body),
        )
