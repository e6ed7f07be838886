"""pytest-antimetal: a pytest plugin and contract-testing toolkit for Antimetal's API.

Public names are imported lazily: the pytest plugin loads this package on
every pytest run, and must not pay for httpx, schemathesis or YAML unless a
test actually uses them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Spec": "pytest_antimetal.spec",
    "load_spec": "pytest_antimetal.spec",
    "FakeAntimetal": "pytest_antimetal.fake",
    "FakeServer": "pytest_antimetal.fake",
}

if TYPE_CHECKING:
    from pytest_antimetal.fake import FakeAntimetal as FakeAntimetal
    from pytest_antimetal.fake import FakeServer as FakeServer
    from pytest_antimetal.spec import Spec as Spec
    from pytest_antimetal.spec import load_spec as load_spec

__all__ = ["FakeAntimetal", "FakeServer", "Spec", "__version__", "load_spec"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_antimetal' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
