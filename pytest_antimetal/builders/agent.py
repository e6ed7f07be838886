"""The agent's answers (``POST /query``): a ``QueryResponseDto`` and its streamed chunks.

The document describes the stream in prose: ``QueryChunkDto`` events carrying
text deltas to concatenate, an artifact when a tool produces one, and the
``conversation_id`` in the final chunk. Which chunk property plays which part is
read from the schemas, not spelled here: the conversation id is the property
both schemas share, the artifact the chunk property whose schema is the
response's artifact item, the text the remaining plain string.
"""

from __future__ import annotations

import random as _random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_antimetal.builders.artifacts import ArtifactBuilder, artifact_schemas
from pytest_antimetal.builders.base import SchemaBuilder
from pytest_antimetal.spec.loading import SpecError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["AgentReplyBuilder", "ChunkRoles"]

CHUNK_SCHEMA = "QueryChunkDto"


class ChunkRoles:
    """Which ``QueryChunkDto`` property carries the text, the artifact, the conversation id."""

    def __init__(self, response: Mapping[str, Any], chunk: Mapping[str, Any]) -> None:
        said = response.get("properties", {})
        props: Mapping[str, Any] = chunk.get("properties", {})
        shared = [name for name in props if name in said]
        if len(shared) != 1:
            raise SpecError(
                f"{CHUNK_SCHEMA}: expected one property shared with the response "
                f"(the conversation id), found {shared}"
            )
        self.conversation: str = shared[0]
        """The conversation id's property (in both schemas)."""
        item_schemas = [
            (name, sub.get("items")) for name, sub in said.items() if sub.get("type") == "array"
        ]
        self.artifact: str | None = None
        """The chunk property holding one artifact (``None`` if the schema has none)."""
        self.artifacts: str | None = None
        """The response property listing the artifacts."""
        for name, sub in props.items():
            for listed, items in item_schemas:
                if isinstance(items, Mapping) and _shape(items) == _shape(sub):
                    self.artifact, self.artifacts = name, listed
        texts = [
            name
            for name, sub in props.items()
            if sub.get("type") == "string"
            and "format" not in sub
            and "pattern" not in sub
            and name not in (self.conversation, self.artifact)
        ]
        if len(texts) != 1:
            raise SpecError(f"{CHUNK_SCHEMA}: expected one text-delta property, found {texts}")
        self.text: str = texts[0]
        """The chunk property holding a text delta."""
        answers = [
            name
            for name, sub in said.items()
            if sub.get("type") == "string" and "format" not in sub and "pattern" not in sub
        ]
        self.answer: str = answers[0] if answers else self.text
        """The response property the deltas add up to."""


class AgentReplyBuilder(SchemaBuilder):
    """The agent's answers: ``build()`` a ``QueryResponseDto``, ``chunks()`` its SSE events.

    Usable without pytest::

        agent = AgentReplyBuilder(spec, seed=1)
        reply = agent.build(answer="The pool is too small.")
        events = agent.chunks(reply)           # text deltas, artifacts, then the id
        assert agent.assemble(events) == reply
    """

    schema_name = "QueryResponseDto"

    def _prepare(self) -> None:
        self.raw_schema(CHUNK_SCHEMA)
        self.roles = ChunkRoles(self.schema, self.spec.schema(CHUNK_SCHEMA))
        """Which chunk property plays which part (read from the schemas)."""
        self._artifacts = (
            ArtifactBuilder(self.spec, random=self.random, clock=self.clock)
            if artifact_schemas(self.spec)
            else None
        )

    def _make(self, rnd: _random.Random) -> dict[str, Any]:
        maker = self.maker(rnd)
        value: dict[str, Any] = maker.value(self.raw_schema(self.schema_name))
        listed = self.roles.artifacts
        if listed is not None and isinstance(value.get(listed), list) and self._artifacts:
            for item in value[listed]:
                # Ids in the document's form, with the type and provider they encode.
                artifact_id = self._artifacts.new_id(rnd=rnd)
                kind, _, rest = artifact_id.partition(":")
                item["id"] = artifact_id
                if "data_type" in item:
                    item["data_type"] = kind
                if "provider" in item:
                    item["provider"] = rest.partition(":")[0]
        return value

    def build(self, **overrides: Any) -> dict[str, Any]:
        """A valid ``QueryResponseDto``; ``conversation_id=`` continues a conversation.

        A field the schema does not know, or a value it rejects, is a ``ValueError``.
        """
        value = self._make(self.random)
        if overrides:
            self.apply(value, self.normalise(overrides))
            self.check(value)
        return value

    def chunks(
        self, reply: Mapping[str, Any] | None = None, *, pieces: int | None = None, **overrides: Any
    ) -> list[dict[str, Any]]:
        """The ``QueryChunkDto`` events streaming *reply* (default: ``build(**overrides)``).

        The answer split into *pieces* text deltas (default 2-6 at word
        boundaries) that concatenate to it, one event per artifact after the first
        delta, and a final chunk holding only the conversation id.
        """
        if reply is None:
            reply = self.build(**overrides)
        elif overrides:
            raise ValueError("pass either a reply or overrides to build one, not both")
        roles = self.roles
        answer = str(reply.get(roles.answer, ""))
        deltas = _split(answer, pieces if pieces is not None else self.random.randint(2, 6))
        events: list[dict[str, Any]] = [{roles.text: d} for d in deltas[:1]]
        if roles.artifact is not None and roles.artifacts is not None:
            events += [{roles.artifact: dict(a)} for a in reply.get(roles.artifacts) or ()]
        events += [{roles.text: d} for d in deltas[1:]]
        events.append({roles.conversation: reply[roles.conversation]})
        return events

    def assemble(self, chunks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The ``QueryResponseDto`` a client assembles from *chunks* (inverse of :meth:`chunks`)."""
        roles = self.roles
        reply: dict[str, Any] = {roles.conversation: None, roles.answer: ""}
        if roles.artifacts is not None:
            reply[roles.artifacts] = []
        for chunk in chunks:
            if isinstance(chunk.get(roles.text), str):
                reply[roles.answer] += chunk[roles.text]
            if roles.artifact is not None and roles.artifacts and chunk.get(roles.artifact):
                reply[roles.artifacts].append(dict(chunk[roles.artifact]))
            if chunk.get(roles.conversation) is not None:
                reply[roles.conversation] = chunk[roles.conversation]
        return {name: reply[name] for name in self.fields if name in reply}

    def strategy(self, **fixed: Any) -> SearchStrategy[dict[str, Any]]:
        """A hypothesis strategy of valid ``QueryResponseDto`` values."""
        if fixed:  # names and values checked once, before hypothesis runs
            AgentReplyBuilder(self.spec, seed=0, clock=self.clock).build(**fixed)
        normalised = self.normalise(fixed)
        return self.randoms().map(lambda rnd: self.apply(self._make(rnd), normalised))

    def chunks_strategy(self, **fixed: Any) -> SearchStrategy[list[dict[str, Any]]]:
        """A hypothesis strategy of streamed answers (lists of ``QueryChunkDto`` events)."""
        from hypothesis import strategies as st

        return st.tuples(self.strategy(**fixed), st.integers(1, 8)).map(
            lambda pair: self.chunks(pair[0], pieces=pair[1])
        )


def _shape(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A schema without its own prose (the same item can be described differently)."""
    return {k: v for k, v in schema.items() if k not in ("description", "example", "title")}


def _split(answer: str, pieces: int) -> list[str]:
    """*answer* in at most *pieces* consecutive parts, cut after spaces (at least one part)."""
    words = answer.split(" ")
    pieces = max(1, min(pieces, len(words)))
    size, extra = divmod(len(words), pieces)
    parts: list[str] = []
    start = 0
    for index in range(pieces):
        end = start + size + (1 if index < extra else 0)
        parts.append(" ".join(words[start:end]) + (" " if end < len(words) else ""))
        start = end
    return parts
