"""The fake's agent: what ``POST /query`` answers, as JSON or as a Server-Sent Events stream.

A reply is either scripted by a test (:meth:`Agent.reply`, used first in
first out) or, by default, generated: a few words depending on the seed and
the question. ``conversation_id`` is the request's when it sends one (a
conversation keeps its id), else a new UUID (version 4, which the document's
pattern admits). The stream (``stream: true`` with ``Accept:
text/event-stream``) is ``data: <QueryChunkDto JSON>`` events: text deltas
that concatenate to the answer, one event per artifact, then a final chunk
with ``conversation_id``.
"""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_antimetal.fake.content import sentence

__all__ = ["Agent", "AgentReply"]

MAX_ASKED = 1000
"""Questions :attr:`Agent.asked` keeps (the latest)."""

MAX_ASKED_CHARS = 2000
"""Characters of each question :attr:`Agent.asked` keeps (so it stays bounded in bytes too)."""


@dataclass(frozen=True)
class AgentReply:
    """One answer of the agent: its text and the artifacts it mentions (``QueryResponseDto``'s)."""

    answer: str
    artifacts: tuple[dict[str, Any], ...] = ()
    conversation_id: str | None = None
    chunks: tuple[str, ...] | None = field(default=None, repr=False)
    """The text deltas a stream sends (default: the answer word by word)."""


class Agent:
    """Scripted and default answers of ``POST /query`` (``fake.agent``)."""

    def __init__(self, *, new_uuid: Callable[[], str], seed: int | None) -> None:
        self._new_uuid = new_uuid
        self._salt = random.random() if seed is None else seed
        self._script: deque[AgentReply] = deque()
        self.asked: deque[tuple[str, str]] = deque(maxlen=MAX_ASKED)
        """``(conversation_id, question)`` of the latest questions, oldest first (each cut to
        :data:`MAX_ASKED_CHARS`)."""
        self._lock = threading.Lock()

    def reply(
        self,
        answer: str,
        *,
        artifacts: Iterable[Mapping[str, Any]] = (),
        conversation_id: str | None = None,
        chunks: Iterable[str] | None = None,
    ) -> None:
        """Script the next answer (first in, first out; then the default ones again).

        *artifacts* are ``QueryResponseDto.artifacts`` entries (``id`` and
        ``tool_name`` at least); *conversation_id* overrides the conversation's;
        *chunks* the stream's text deltas (they should join to *answer*).
        """
        reply = AgentReply(
            answer,
            tuple(dict(a) for a in artifacts),
            conversation_id,
            None if chunks is None else tuple(chunks),
        )
        with self._lock:
            self._script.append(reply)

    def clear(self) -> None:
        """Forget scripted answers and asked questions."""
        with self._lock:
            self._script.clear()
            self.asked.clear()

    def answer(self, question: str, conversation_id: str | None) -> tuple[AgentReply, str]:
        """The reply to *question* and the conversation it belongs to."""
        with self._lock:
            scripted = self._script.popleft() if self._script else None
            conversation = conversation_id or self._new_uuid()
            if scripted is not None and scripted.conversation_id is not None:
                conversation = scripted.conversation_id
            self.asked.append((conversation, question[:MAX_ASKED_CHARS]))
        if scripted is not None:
            return scripted, conversation
        rng = random.Random(f"{self._salt}:{conversation}:{question}")
        return AgentReply(f"{sentence(rng, 12)}."), conversation

    @staticmethod
    def body(reply: AgentReply, conversation: str) -> dict[str, Any]:
        """The ``QueryResponseDto``."""
        return {
            "conversation_id": conversation,
            "answer": reply.answer,
            "artifacts": [dict(a) for a in reply.artifacts],
        }

    @staticmethod
    def events(reply: AgentReply, conversation: str) -> bytes:
        """The Server-Sent Events stream of ``QueryChunkDto``\\ s."""
        if reply.chunks is not None:
            deltas = list(reply.chunks)
        else:
            words = reply.answer.split(" ")
            deltas = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        out: list[str] = []
        for delta in deltas:
            out.append("data: " + json.dumps({"text": delta}) + "\n\n")
        for artifact in reply.artifacts:
            out.append("data: " + json.dumps({"artifact": artifact}) + "\n\n")
        out.append("data: " + json.dumps({"conversation_id": conversation}) + "\n\n")
        return "".join(out).encode()
