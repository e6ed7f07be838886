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
    "IssueFactory": "pytest_antimetal.factory",
    "RetryPolicy": "pytest_antimetal._retry",
    "Spec": "pytest_antimetal.spec",
    "load_spec": "pytest_antimetal.spec",
    "FakeAntimetal": "pytest_antimetal.fake",
    "FakeServer": "pytest_antimetal.fake",
}

if TYPE_CHECKING:
    from pytest_antimetal._retry import RetryPolicy as RetryPolicy
    from pytest_antimetal.client import AntimetalClient as AntimetalClient
    from pytest_antimetal.client import AsyncAntimetalClient as AsyncAntimetalClient
    from pytest_antimetal.factory import IssueFactory as IssueFactory
    from pytest_antimetal.fake import FakeAntimetal as FakeAntimetal
    from pytest_antimetal.fake import FakeServer as FakeServer
    from pytest_antimetal.models import Issue as Issue
    from pytest_antimetal.spec import Spec as Spec
    from pytest_antimetal.spec import load_spec as load_spec

__all__ = [
    "AntimetalClient",
    "AsyncAntimetalClient",
    "FakeAntimetal",
    "FakeServer",
    "Issue",
    "IssueFactory",
    "RetryPolicy",
    "Spec",
    "__version__",
    "load_spec",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
