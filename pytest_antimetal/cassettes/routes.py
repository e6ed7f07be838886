"""Routing a recorded request to the spec's operation by path template.

A cassette holds concrete paths (``/issues/by_number/7``); the check needs the
operation documenting them and their path parameters' values. Templates are
tried most specific first, as a router serving all of them would.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from pytest_antimetal.spec import Operation, Spec

__all__ = ["Routes"]

Route = tuple[Operation, re.Pattern[str], tuple[str, ...]]
"""An operation, its path template as a regex, and the template's parameter names."""


def _template_route(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A path template as a regex capturing each parameter, and the parameters' names."""
    names: list[str] = []
    body = ""
    for part in re.split(r"(\{[^}/]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1])
            body += "([^/]+)"
        else:
            body += re.escape(part)
    return re.compile(f"^{body}/?$"), tuple(names)


def _specificity(path: str) -> tuple[int, int]:
    """Routing order: fewer parameters first, then longer literal text.

    ``/issues/by_number/{number}`` is tried before ``/issues/{id}/results``, as a
    router serving both would.
    """
    literal = re.sub(r"\{[^}/]+\}", "", path)
    return path.count("{"), -len(literal)


class Routes:
    """The operations of a spec, by path template, most specific first."""

    def __init__(self, spec: Spec) -> None:
        routes = [(op, *_template_route(op.path)) for op in spec.operations()]
        self.routes: list[Route] = sorted(routes, key=lambda route: _specificity(route[0].path))

    def match(self, method: str, rel: str) -> tuple[Operation | None, dict[str, str], str]:
        """The operation serving *method* *rel* and its path parameters, else why none does.

        Templates are tried most specific first; the first one documenting
        *method* wins. Without one, the reason names the most specific matching
        template and the methods it allows.
        """
        nearest: str | None = None
        for op, regex, names in self.routes:
            found = regex.match(rel)
            if found is None:
                continue
            if op.method.upper() == method:
                values = (unquote(value) for value in found.groups())
                return op, dict(zip(names, values, strict=True)), ""
            nearest = op.path if nearest is None else nearest
        if nearest is None:
            return None, {}, "no documented path matches"
        allowed = ", ".join(op.method.upper() for op, _, _ in self.routes if op.path == nearest)
        return None, {}, f"{nearest} allows {allowed}"
