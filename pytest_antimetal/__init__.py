"""pytest-antimetal: a pytest plugin and contract-testing toolkit for Antimetal's API.

Public names are imported lazily: the pytest plugin loads this package on
every pytest run, and must not pay for httpx, schemathesis or YAML unless a
test actually uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_antimetal._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AntimetalClient": "pytest_antimetal.client",
    "AsyncAntimetalClient": "pytest_antimetal.client",
    "Issue": "pytest_antimetal.models",
    "IssueResults": "pytest_antimetal.models",
    "IssueSummary": "pytest_antimetal.models",
    "Artifact": "pytest_antimetal.models",
    "QueryResponse": "pytest_antimetal.models",
    "QueryChunk": "pytest_antimetal.models",
    "SyncPage": "pytest_antimetal.pagination",
    "AsyncPage": "pytest_antimetal.pagination",
    "IssueFactory": "pytest_antimetal.factory",
    "ResultsBuilder": "pytest_antimetal.builders",
    "ArtifactBuilder": "pytest_antimetal.builders",
    "AgentReplyBuilder": "pytest_antimetal.builders",
    "Builders": "pytest_antimetal.builders",
    "RetryPolicy": "pytest_antimetal._retry",
    "Spec": "pytest_antimetal.spec",
    "load_spec": "pytest_antimetal.spec",
    "FakeAntimetal": "pytest_antimetal.fake",
    "FakeServer": "pytest_antimetal.fake",
}

if TYPE_CHECKING:
    from pytest_antimetal._retry import RetryPolicy as RetryPolicy
    from pytest_antimetal.builders import AgentReplyBuilder as AgentReplyBuilder
    from pytest_antimetal.builders import ArtifactBuilder as ArtifactBuilder
    from pytest_antimetal.builders import Builders as Builders
    from pytest_antimetal.builders import ResultsBuilder as ResultsBuilder
    from pytest_antimetal.client import AntimetalClient as AntimetalClient
    from pytest_antimetal.client import AsyncAntimetalClient as AsyncAntimetalClient
    from pytest_antimetal.factory import IssueFactory as IssueFactory
    from pytest_antimetal.fake import FakeAntimetal as FakeAntimetal
    from pytest_antimetal.fake import FakeServer as FakeServer
    from pytest_antimetal.models import Artifact as Artifact
    from pytest_antimetal.models import Issue as Issue
    from pytest_antimetal.models import IssueResults as IssueResults
    from pytest_antimetal.models import IssueSummary as IssueSummary
    from pytest_antimetal.models import QueryChunk as QueryChunk
    from pytest_antimetal.models import QueryResponse as QueryResponse
    from pytest_antimetal.pagination import AsyncPage as AsyncPage
    from pytest_antimetal.pagination import SyncPage as SyncPage
    from pytest_antimetal.spec import Spec as Spec
    from pytest_antimetal.spec import load_spec as load_spec

__all__ = [
    "AgentReplyBuilder",
    "AntimetalClient",
    "Artifact",
    "ArtifactBuilder",
    "AsyncAntimetalClient",
    "AsyncPage",
    "Builders",
    "FakeAntimetal",
    "FakeServer",
    "Issue",
    "IssueFactory",
    "IssueResults",
    "IssueSummary",
    "QueryChunk",
    "QueryResponse",
    "ResultsBuilder",
    "RetryPolicy",
    "Spec",
    "SyncPage",
    "__version__",
    "load_spec",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
