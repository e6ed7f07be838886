"""The generated results of an investigation run, and the artifacts they cite.

Built from the document's ``IssueResultsDto`` by ``pytest_antimetal.builders``
(the fake's own ``content.filled`` when they are unavailable) when first asked
for, as a function of the fake's seed, the issue and the version, so 100,000
issues keep no results in memory (a few recent ones are cached). Their
evidence's ``documentId``\\ s name generated artifacts
(``TYPE:fake:ISSUE:VERSION:N``) that :meth:`RunResults.artifact` builds the
same way. A pending or no-op run's results are "no results yet" (see
:mod:`~pytest_antimetal.fake.investigations`), a failed run's say so.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pytest_antimetal.fake.content import empty_value, filled, sentence
from pytest_antimetal.fake.ids import uuid4
from pytest_antimetal.fake.store import IssueRecord, Run
from pytest_antimetal.spec.formats import format_instant

if TYPE_CHECKING:
    from pytest_antimetal.builders import ArtifactBuilder, ResultsBuilder
    from pytest_antimetal.fake.clock import FakeClock
    from pytest_antimetal.spec import Spec

__all__ = ["RunResults", "artifact_schemas", "schema_of", "wire_instant"]

_WIRE = "%Y-%m-%dT%H:%M:%S.%fZ"
_CACHED_RESULTS = 256


def wire_instant(text: str) -> datetime | None:
    """*text* in the fake's wire form (``2026-01-01T10:00:00.000Z``) as a UTC datetime."""
    try:
        return datetime.strptime(text, _WIRE).replace(tzinfo=UTC)
    except ValueError:
        return None


def schema_of(spec: Spec, method: str, path: str, status: int = 200) -> dict[str, Any]:
    try:
        return dict(spec.operation(method, path).response_schema(status) or {})
    except Exception:  # the document does not have that operation
        return {}


def artifact_schemas(spec: Spec) -> dict[str, dict[str, Any]]:
    """The document's artifact schemas by their ``type`` (the ``oneOf`` of ``GET /artifacts``)."""
    items = schema_of(spec, "get", "/artifacts").get("items") or {}
    found: dict[str, dict[str, Any]] = {}
    for option in items.get("oneOf") or ():
        kind = ((option.get("properties") or {}).get("type") or {}).get("enum") or ()
        if kind:
            found[str(kind[0])] = option
    return found


class RunResults:
    """Each run's ``IssueResultsDto`` and the artifacts they cite; usable from any thread
    (under *lock*, the store's)."""

    def __init__(
        self,
        spec: Spec,
        lock: threading.RLock,
        *,
        clock: FakeClock,
        new_uuid: Callable[[], str],
        seed: int | None,
    ) -> None:
        self._lock = lock  # the store's: the builders are shared
        self._clock = clock
        self._new_uuid = new_uuid
        self._salt = random.random() if seed is None else seed
        self._spec = spec
        self._results_schema = schema_of(spec, "get", "/issues/{id}/results")
        self.artifact_schemas = artifact_schemas(spec)
        """The document's artifact schemas by ``type``."""
        self._made_builders: tuple[ResultsBuilder, ArtifactBuilder] | tuple[()] | None = None
        # Generated results, the latest few (they are a function of the issue and version).
        self._cache: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()

    def clear(self) -> None:
        """Forget the cached results (under the store's lock)."""
        self._cache.clear()

    def results(self, record: IssueRecord, run: Run) -> dict[str, Any]:
        """The ``IssueResultsDto`` of *run* (see the module)."""
        if run.results is not None:
            return run.results
        if run.status == "SUCCESS":
            key = (record.uuid, run.version)
            with self._lock:
                found = self._cache.get(key)
                if found is None:
                    found = self._cache[key] = self.generated(record, run, None)
                    while len(self._cache) > _CACHED_RESULTS:
                        self._cache.popitem(last=False)
                else:
                    self._cache.move_to_end(key)
            return found
        return self._empty(failed=run.status == "ERROR", reason=run.description)

    def artifact_ids(self, record: IssueRecord, run: Run) -> list[str]:
        """The artifact ids *run*'s results cite (``documentId``, non-null ``artifactId``)."""
        seen: dict[str, None] = {}
        stack: list[Any] = [self.results(record, run)]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for key in ("documentId", "artifactId"):
                    if isinstance(node.get(key), str):
                        seen.setdefault(node[key], None)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return list(seen)

    def artifact(self, record: IssueRecord, artifact_id: str, kind: str) -> dict[str, Any]:
        """The artifact *artifact_id* (of type *kind*) that *record*'s results cite."""
        rng = random.Random(f"{self._salt}:{artifact_id}")
        created = self._created(record)
        builders = self.builders()
        if builders is not None:
            with self._lock:
                artifacts = builders[1]
                artifacts.random, artifacts.clock = rng, lambda: created
                return artifacts.build(artifact_id)
        now = format_instant(created)
        artifact = filled(self.artifact_schemas[kind], rng, now=now, new_uuid=self._rng_uuid(rng))
        artifact.update(id=artifact_id, type=kind)
        return dict(artifact)

    def _rng_uuid(self, rng: random.Random) -> Callable[[], str]:
        def new_uuid() -> str:
            return uuid4(f"{rng.getrandbits(128):032x}")

        return new_uuid

    def builders(self) -> tuple[ResultsBuilder, ArtifactBuilder] | None:
        """The builders (``pytest_antimetal.builders``) on this document, if it has what they
        need; else ``None`` and the fake fills the schemas itself (``content``)."""
        if self._made_builders is None:
            try:
                from pytest_antimetal.builders import ArtifactBuilder, ResultsBuilder

                self._made_builders = (
                    ResultsBuilder(self._spec, seed=0),
                    ArtifactBuilder(self._spec, seed=0),
                )
            except Exception:  # no builders, or a document without their schemas
                self._made_builders = ()
        return self._made_builders or None

    def _created(self, record: IssueRecord) -> datetime:
        created = record.data.get("createdAt")
        moment = wire_instant(created) if isinstance(created, str) else None
        return self._clock() if moment is None else moment

    def _empty(self, *, failed: bool, reason: str | None) -> dict[str, Any]:
        builders = self.builders()
        if builders is not None:
            with self._lock:
                results = builders[0]
                results.random, results.clock = random.Random(f"{self._salt}:empty"), self._clock
                return results.failed(reason or "failed") if failed else results.pending()
        schema = self._results_schema
        now = format_instant(self._clock())
        empty = empty_value(schema, now=now, new_uuid=self._new_uuid)
        if not isinstance(empty, dict):
            return {}
        timeline = (schema.get("properties") or {}).get("timeline") or {}
        if failed and isinstance(empty.get("timeline"), list):
            rng = random.Random(f"{self._salt}:failed")
            entry = filled(timeline.get("items") or {}, rng, now=now, new_uuid=self._new_uuid)
            if isinstance(entry, dict):
                entry.update(title="Investigation failed", description=reason or "failed")
                if isinstance(entry.get("evidence"), list):
                    entry["evidence"] = []
                empty["timeline"] = [entry]
        return empty

    def generated(self, record: IssueRecord, run: Run, root_cause: str | None) -> dict[str, Any]:
        """A finished run's results: a function of the seed, the issue and the version.

        Their evidence cites ``TYPE:fake:ISSUE:VERSION:N`` ids, which :meth:`artifact`
        builds again from the id alone.
        """
        rng = random.Random(f"{self._salt}:{record.uuid}:{run.version}")
        kinds = sorted(self.artifact_schemas)
        prefix = f"fake:{record.uuid}:{run.version}"
        ids = (
            [f"{rng.choice(kinds)}:{prefix}:{n}" for n in range(rng.randint(2, 4))] if kinds else []
        )
        builders = self.builders()
        if builders is not None and ids:
            created = self._created(record)
            with self._lock:
                results = builders[0]
                results.random, results.clock = rng, lambda: created
                overrides = {} if root_cause is None else {"root_cause": root_cause}
                return results.build(document_ids=ids, **overrides)
        return self._filled(record, rng, ids, root_cause)

    def _filled(
        self, record: IssueRecord, rng: random.Random, ids: list[str], root_cause: str | None
    ) -> dict[str, Any]:
        created = format_instant(self._created(record))
        results = filled(self._results_schema, rng, now=created, new_uuid=self._rng_uuid(rng))
        if not isinstance(results, dict):
            return {}
        if "sessionUuid" in results:
            results["sessionUuid"] = self._rng_uuid(rng)()
        root = results.get("rootCause")
        cited = 0
        if isinstance(root, dict):
            if root_cause is not None:
                root["rootCauseSummary"] = root_cause
            elif "rootCauseSummary" in root:
                root["rootCauseSummary"] = sentence(rng, 10)
            for key in ("relevantEvidence", "irrelevantEvidence"):
                for evidence in root.get(key) or ():
                    for artifact in evidence.get("artifacts") or () if ids else ():
                        artifact_id = ids[cited % len(ids)]
                        artifact.update(documentId=artifact_id, dataType=artifact_id.split(":")[0])
                        cited += 1
        for entry in results.get("timeline") or ():
            for evidence in entry.get("evidence") or () if isinstance(entry, dict) else ():
                if isinstance(evidence, dict) and "artifactId" in evidence:
                    evidence["artifactId"] = ids[0] if ids else None
        return results
