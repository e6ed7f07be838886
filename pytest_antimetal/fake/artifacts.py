"""The fake's artifacts: what ``GET /artifacts?id=...`` returns.

Two kinds answer an id: artifacts a test seeded with :meth:`Artifacts.add`
(visible to every key of the fake), and the generated artifacts an
investigation's evidence points to (``TYPE:fake:ISSUE:VERSION:N``, visible to
the issue's organisation only, built from the document's schema for TYPE when
asked for).

Unknown ids: the document gives ``GET /artifacts`` no 404 and describes a
batch lookup, so the fake reads an unknown id as "omit it": the answer lists
the known ones, in the order asked, each once (an all-unknown batch is ``[]``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pytest_antimetal.fake.content import filled
from pytest_antimetal.spec.formats import format_instant

if TYPE_CHECKING:
    from pytest_antimetal.fake.clock import FakeClock
    from pytest_antimetal.fake.investigations import Investigations

__all__ = ["Artifacts"]


class Artifacts:
    """Seeded and generated artifacts by id (``fake.artifacts``)."""

    def __init__(self, investigations: Investigations, *, clock: FakeClock, seed: int | None):
        self._investigations = investigations
        self._clock = clock
        self._seed = seed
        self._added: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._count = 0

    @property
    def types(self) -> list[str]:
        """The artifact ``type``\\ s the document defines (``metric``, ``log``, ...)."""
        return sorted(self._investigations.artifact_schemas)

    def add(
        self, artifact: Mapping[str, Any] | None = None, *, type: str = "metric", **fields: Any
    ) -> dict[str, Any]:
        """Seed an artifact; returns it (a copy).

        *artifact*: a whole artifact body (its ``id`` and ``type`` required), kept
        as given. Otherwise one of *type* is generated from the document's schema
        (by ``pytest_antimetal.builders`` when available) and *fields* (``id=``,
        ``summary=``, ``data=``...) override its members, checked against it
        (``ValueError``); the id defaults to a new ``TYPE:PROVIDER:HEX``.
        """
        with self._lock:
            self._count += 1
            count = self._count
        if artifact is None:
            body = self._generate(type, count, fields)
        else:
            body = dict(artifact)
            if not isinstance(body.get("id"), str) or not isinstance(body.get("type"), str):
                raise ValueError("an artifact needs a string 'id' and 'type'")
        with self._lock:
            self._added[str(body["id"])] = body
        return dict(body)

    def _generate(self, kind: str, count: int, fields: dict[str, Any]) -> dict[str, Any]:
        rng = random.Random(f"{self._seed}:artifact:{count}")
        builders = self._investigations.builders()
        if builders is not None:
            artifacts = builders[1]
            with self._investigations.lock:  # the builder is shared with the investigations
                artifacts.random, artifacts.clock = rng, self._clock
                return artifacts.build(fields.pop("id", None), type=kind, **fields)
        schemas = self._investigations.artifact_schemas
        if kind not in schemas:
            raise ValueError(f"unknown artifact type {kind!r} (the document has {self.types})")
        now = format_instant(self._clock())
        body = filled(
            schemas[kind], rng, now=now, new_uuid=lambda: f"00000000-0000-4000-8000-{count:012x}"
        )
        body.update(id=f"{kind}:seeded:{count}", type=kind)
        body.update(fields)
        return dict(body)

    def get(self, organization: str, artifact_id: str) -> dict[str, Any] | None:
        """The artifact *artifact_id* as *organization* sees it, or ``None``."""
        found = self._added.get(artifact_id)
        if found is not None:
            return dict(found)
        return self._investigations.artifact(organization, artifact_id)

    def batch(self, organization: str, ids: list[str]) -> list[dict[str, Any]]:
        """The known artifacts among *ids*, in order, each once (see the module)."""
        seen: set[str] = set()
        out: list[dict[str, Any]] = []
        for artifact_id in ids:
            if artifact_id in seen:
                continue
            seen.add(artifact_id)
            found = self.get(organization, artifact_id)
            if found is not None:
                out.append(found)
        return out

    def clear(self) -> None:
        """Forget the seeded artifacts."""
        with self._lock:
            self._added.clear()
            self._count = 0
