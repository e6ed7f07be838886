"""The client's resources, one module each (``client.issues``, ``client.artifacts``,
``client.query``), every one in a sync and an async class of the same shape."""

from __future__ import annotations

from pytest_antimetal.resources.artifacts import Artifacts, AsyncArtifacts
from pytest_antimetal.resources.issues import AsyncIssues, Issues
from pytest_antimetal.resources.query import AsyncQuery, Query

__all__ = ["Artifacts", "AsyncArtifacts", "AsyncIssues", "AsyncQuery", "Issues", "Query"]
