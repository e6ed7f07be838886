"""Investigation results (``IssueResultsDto``): complete, not yet there, and failed.

The fields, their types, enums and formats come from the document; this module
adds only what the schema cannot say but a reader relies on:

- every ``documentId`` (and non-null ``artifactId``) is an artifact id in the
  document's form (``log:datadog:...``), with the ``dataType`` next to it
  saying the same type, so ``GET /artifacts`` can serve each one
  (:meth:`ResultsBuilder.document_ids` lists them);
- in every ``{nodes, edges}`` graph (``causalTree``, ``causalTreeV2``) node ids
  are unique and each edge's node references (``source``/``target``,
  ``from``/``to``) name nodes of the same graph;
- the timeline is in time order.

"No results yet" follows the document (see NOTES): nullable fields are
``null``, required ones are their empty form (``causalTree: {nodes: [], edges:
[]}``), never ``null``.
"""

from __future__ import annotations

import copy
import random as _random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_antimetal.builders.artifacts import ArtifactBuilder, artifact_schemas
from pytest_antimetal.builders.base import SchemaBuilder, dicts
from pytest_antimetal.builders.values import new_uuid
from pytest_antimetal.spec.minimal import minimal_value

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["FAILED_TITLE", "ResultsBuilder"]

FAILED_TITLE = "Investigation failed"
"""The title of the timeline event :meth:`ResultsBuilder.failed` adds."""

_ID_KEYS = ("documentId", "artifactId")


class ResultsBuilder(SchemaBuilder):
    """Schema-valid ``IssueResultsDto`` values, reproducible from a seed.

    ``build(**overrides)`` a complete investigation (root cause, relevant
    evidence, causal trees, remediation, timeline); ``pending()`` the "no
    results yet" shape; ``failed(reason)`` a run that failed. Usable without
    pytest::

        builder = ResultsBuilder(spec, seed=1)
        results = builder.build(root_cause="The pool is too small.")
        artifacts = ArtifactBuilder(spec, seed=1).build_many(builder.document_ids(results))
    """

    schema_name = "IssueResultsDto"

    def _prepare(self) -> None:
        self._artifacts = ArtifactBuilder(self.spec, random=self.random, clock=self.clock)
        self._has_artifacts = bool(artifact_schemas(self.spec))

    # -- shapes -------------------------------------------------------------------------------

    def _make(self, rnd: _random.Random, document_ids: Sequence[str] | None) -> dict[str, Any]:
        maker = self.maker(rnd)
        node = maker.resolve(self.raw_schema(self.schema_name))
        value: dict[str, Any] = {}
        for name, sub in (node.get("properties") or {}).items():
            # A finished investigation fills every field, nullable or not.
            value[name] = maker.value({**maker.resolve(sub), "nullable": False}, name, 1)
        pool = list(document_ids) if document_ids else self._id_pool(rnd)
        self._link_documents(value, pool, rnd)
        for graph in dicts(value):
            if isinstance(graph.get("nodes"), list) and isinstance(graph.get("edges"), list):
                _link_graph(graph)
        timeline = value.get("timeline")
        if isinstance(timeline, list):
            timeline.sort(key=lambda event: str(event.get("timestamp") or ""))
        return value

    def _id_pool(self, rnd: _random.Random) -> list[str]:
        count = rnd.randint(2, 5)
        if self._has_artifacts:
            return [self._artifacts.new_id(rnd=rnd) for _ in range(count)]
        return [f"doc:{new_uuid(rnd)}" for _ in range(count)]

    @staticmethod
    def _link_documents(value: dict[str, Any], pool: list[str], rnd: _random.Random) -> None:
        used = 0
        for node in dicts(value):
            for key in _ID_KEYS:
                if key in node and (key == "documentId" or node[key] is not None):
                    # Every id of the pool is cited before any is cited twice.
                    node[key] = pool[used] if used < len(pool) else rnd.choice(pool)
                    used += 1
                    if isinstance(node.get("dataType"), str):
                        node["dataType"] = node[key].partition(":")[0]

    def build(
        self, *, document_ids: Sequence[str] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A complete investigation's results.

        *document_ids*: the artifact ids its evidence cites (default: 2-5 new ones,
        each ``<type>:<provider>:<hex>`` of a type the document defines).
        ``root_cause="..."`` (a string) sets the root cause summary; any field can be
        overridden with a value of its schema (``root_cause=None``, ``timeline=[]``),
        :data:`~pytest_antimetal.builders.OMIT` removes one. A field the schema does
        not know, or a value it rejects, is a ``ValueError``.
        """
        value = self._make(self.random, document_ids)
        return self._override(value, overrides)

    def _override(self, value: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        if not overrides:
            return value
        fixed = self.normalise(overrides)
        summary = fixed.get("rootCause")
        if isinstance(summary, str):
            root = value.get("rootCause")
            if not isinstance(root, dict):
                root = self.maker().value(
                    {
                        **self.resolved(self.schema_name)["properties"]["rootCause"],
                        "nullable": False,
                    },
                    "rootCause",
                )
            fixed["rootCause"] = {**root, "rootCauseSummary": summary}
        self.apply(value, fixed)
        self.check(value)
        return value

    def pending(self, **overrides: Any) -> dict[str, Any]:
        """Results before the investigation produced any: nullable fields ``null``, the
        others their empty form (the document has no other way to say "none yet")."""
        value: dict[str, Any] = {}
        for name, node in self.resolved(self.schema_name).get("properties", {}).items():
            value[name] = (
                None if node.get("nullable") is True else copy.deepcopy(minimal_value(node))
            )
        return self._override(value, overrides)

    def failed(
        self, reason: str = "The investigation could not complete.", **overrides: Any
    ) -> dict[str, Any]:
        """Results of a failed run: :meth:`pending`'s shape, plus (when the document has a
        ``timeline``) one event titled :data:`FAILED_TITLE` whose description is *reason*."""
        value = self.pending()
        properties = self.resolved(self.schema_name).get("properties", {})
        timeline = properties.get("timeline", {})
        if timeline.get("type") == "array" and isinstance(timeline.get("items"), dict):
            item_schema = timeline["items"]
            event = {
                name: None if sub.get("nullable") is True else copy.deepcopy(minimal_value(sub))
                for name, sub in item_schema.get("properties", {}).items()
                if name in item_schema.get("required", ())
            }
            item_props = item_schema.get("properties", {})
            if "id" in item_props:
                event["id"] = new_uuid(self.random)
            if "title" in item_props:
                event["title"] = FAILED_TITLE
            if "description" in item_props:
                event["description"] = reason
            ts = item_props.get("timestamp")
            if isinstance(ts, dict) and ts.get("format") == "date-time":
                event["timestamp"] = self.maker().instant(within_minutes=0)
            value["timeline"] = [event]
        return self._override(value, overrides)

    # -- reading ------------------------------------------------------------------------------

    @staticmethod
    def document_ids(results: Mapping[str, Any]) -> list[str]:
        """Every artifact id *results* cite (``documentId``, non-null ``artifactId``), once each."""
        seen: dict[str, None] = {}
        for node in dicts(results):
            for key in _ID_KEYS:
                if isinstance(node.get(key), str):
                    seen.setdefault(node[key], None)
        return list(seen)

    # -- hypothesis ---------------------------------------------------------------------------

    def strategy(self, **fixed: Any) -> SearchStrategy[dict[str, Any]]:
        """A hypothesis strategy of complete results (the *fixed* overrides applied to each)."""
        if fixed:  # names and values checked once, before hypothesis runs
            ResultsBuilder(self.spec, seed=0, clock=self.clock).build(**fixed)
        return self.randoms().map(lambda rnd: self._override(self._make(rnd, None), fixed))


def _link_graph(graph: dict[str, Any]) -> None:
    nodes = [n for n in graph["nodes"] if isinstance(n, dict)]
    for index, node in enumerate(nodes, 1):
        if "id" in node:
            node["id"] = f"node-{index}"
    ids = [node.get("id", f"node-{i}") for i, node in enumerate(nodes, 1)]
    if not ids:
        graph["edges"] = []
        return
    for index, edge in enumerate(e for e in graph["edges"] if isinstance(e, dict)):
        # An edge's string fields other than its own id name its two ends, in order.
        ends = [k for k, v in edge.items() if k != "id" and isinstance(v, str)]
        if "id" in edge:
            edge["id"] = f"edge-{index + 1}"
        if len(ends) == 2:
            edge[ends[0]] = ids[index % len(ids)]
            edge[ends[1]] = ids[(index + 1) % len(ids)]
