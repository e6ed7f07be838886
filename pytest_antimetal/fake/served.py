"""The operations a fake serves: its document's operations that have a handler, found by
route (a request) or by name (a test's ``"getIssue"`` or ``"GET /issues/{id}"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_antimetal.fake.operations import HANDLERS, OperationHandler, Services
from pytest_antimetal.fake.routing import Parameters, Router

if TYPE_CHECKING:
    from pytest_antimetal.spec import Spec

__all__ = ["OperationKey", "ServedOperations"]

OperationKey = tuple[str, str]
"""An operation: (method, documented path)."""


class ServedOperations:
    """One handler per implemented operation the document has, by (method, documented path).

    :attr:`router` finds a request's template; :attr:`allow` is each template's
    ``Allow`` header value; :attr:`no_400` holds the operations that document no 400
    (``GET /issues/by_number/{number}``): a bad path parameter there is a route
    that does not match, a 404 (still with its details).
    """

    def __init__(self, spec: Spec, services: Services) -> None:
        self.handlers: dict[OperationKey, OperationHandler] = {}
        self.parameters: dict[OperationKey, Parameters] = {}
        self.no_400: set[OperationKey] = set()
        self._names: dict[str, OperationKey] = {}
        allowed: dict[str, list[str]] = {}
        for operation in spec.operations():
            key = (operation.method.upper(), operation.path)
            factory = HANDLERS.get(key)
            if factory is None:
                continue
            self.handlers[key] = factory(operation, services)
            self.parameters[key] = Parameters(operation)
            if "400" not in operation.responses:
                self.no_400.add(key)
            self._names[operation.label] = key
            if operation.operation_id:
                self._names[operation.operation_id] = key
            allowed.setdefault(operation.path, []).append(key[0])
        self.allow = {path: ", ".join(methods) for path, methods in allowed.items()}
        self.router = Router(spec, allowed)

    def key(self, name: str) -> OperationKey:
        """The operation *name* names (an ``operationId`` or ``"GET /path"``); else ValueError."""
        key = self._names.get(name)
        if key is None:
            method, _, path = name.partition(" ")
            key = self._names.get(f"{method.upper()} {path}")
        if key is None:
            known = ", ".join(sorted(n for n in self._names if " " not in n))
            raise ValueError(f"this fake serves no operation {name!r} (known: {known})")
        return key
