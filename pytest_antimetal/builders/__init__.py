"""Builders of the API's response bodies, derived from the spec's schemas.

=======================  ==========================================================
name                     builds
=======================  ==========================================================
:class:`ResultsBuilder`  ``IssueResultsDto``: complete, ``pending()`` ("no results
                         yet"), ``failed(reason)``; ``document_ids(results)``
:class:`ArtifactBuilder` every artifact type of the document's ``oneOf`` (by ``type``)
:class:`AgentReplyBuilder` ``QueryResponseDto`` and its streamed ``QueryChunkDto``s
:class:`Builders`        the three on one spec, seed and clock (``antimetal_builders``)
=======================  ==========================================================

Plain classes, usable without pytest; the same seed (or ``random.Random``)
and clock give the same values. ``build(**overrides)`` checks the overrides
against the schema (``ValueError`` naming the field); ``strategy()`` is the
hypothesis twin (hypothesis is imported only then). Names are imported
lazily: this package costs nothing until a builder is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_antimetal._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AgentReplyBuilder": ".agent",
    "ArtifactBuilder": ".artifacts",
    "Builders": ".bundle",
    "DEFAULT_NOW": ".base",
    "FAILED_TITLE": ".results",
    "OMIT": ".base",
    "ResultsBuilder": ".results",
    "SchemaBuilder": ".base",
    "artifact_schemas": ".artifacts",
}

if TYPE_CHECKING:
    from pytest_antimetal.builders.agent import AgentReplyBuilder as AgentReplyBuilder
    from pytest_antimetal.builders.artifacts import ArtifactBuilder as ArtifactBuilder
    from pytest_antimetal.builders.artifacts import artifact_schemas as artifact_schemas
    from pytest_antimetal.builders.base import DEFAULT_NOW as DEFAULT_NOW
    from pytest_antimetal.builders.base import OMIT as OMIT
    from pytest_antimetal.builders.base import SchemaBuilder as SchemaBuilder
    from pytest_antimetal.builders.bundle import Builders as Builders
    from pytest_antimetal.builders.results import FAILED_TITLE as FAILED_TITLE
    from pytest_antimetal.builders.results import ResultsBuilder as ResultsBuilder

__all__ = [
    "DEFAULT_NOW",
    "FAILED_TITLE",
    "OMIT",
    "AgentReplyBuilder",
    "ArtifactBuilder",
    "Builders",
    "ResultsBuilder",
    "SchemaBuilder",
    "artifact_schemas",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
