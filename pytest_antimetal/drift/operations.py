"""The operations of a document as the differ pairs them: method, path, parameters, security.

Path parameters match by position in the template and header names by lower
case, so a rename is a change of one operation, not a removal and an addition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.drift.normalize import Normalizer, escape_pointer, path_key
from pytest_antimetal.drift.schema_diff import pointer
from pytest_antimetal.spec import HTTP_METHODS

__all__ = ["Op", "content_of", "operations", "param_schema", "parameters_of", "scheme_names"]


@dataclass(frozen=True)
class Op:
    """One operation of a document: where it is, its raw object, parameters and security."""

    method: str
    path: str
    loc: str
    raw: Mapping[str, Any]
    params: dict[tuple[str, str], tuple[dict[str, Any], str]]
    security: Any

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def parameters_of(
    norm: Normalizer, raw: Any, loc: str, path: str
) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    # Path parameters match by position in the template, so that
    # /issues/{id} and /issues/{issueId} are the same operation.
    placeholders = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    out: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for index, entry in enumerate(raw or []):
        param, param_loc = norm.deref(entry, f"{loc}/{index}")
        if not isinstance(param, Mapping):
            continue
        where, name = str(param.get("in")), str(param.get("name"))
        if where == "path" and name in placeholders:
            name = f"#{placeholders.index(name)}"
        elif where == "header":
            name = name.lower()
        out[(where, name)] = (dict(param), param_loc)
    return out


def param_schema(norm: Normalizer, param: Mapping[str, Any], loc: str) -> dict[str, Any]:
    if "schema" in param:
        return norm.schema(param["schema"], f"{loc}/schema")
    for media, body in (param.get("content") or {}).items():
        return norm.schema(body.get("schema"), f"{loc}/content/{escape_pointer(media)}/schema")
    return {"@loc": loc}


def content_of(holder: Any) -> list[tuple[str, Mapping[str, Any]]]:
    content = holder.get("content") if isinstance(holder, Mapping) else None
    if not isinstance(content, Mapping):
        return []
    return [(str(k), v) for k, v in content.items() if isinstance(v, Mapping)]


def scheme_names(security: Any) -> set[str]:
    names: set[str] = set()
    for requirement in security or []:
        if isinstance(requirement, Mapping):
            names.update(str(name) for name in requirement)
    return names


def operations(doc: Mapping[str, Any], norm: Normalizer) -> dict[tuple[str, str], Op]:
    """Every operation of *doc*, keyed by (method, path with placeholders numbered)."""
    ops: dict[tuple[str, str], Op] = {}
    paths = doc.get("paths") or {}
    for path, raw_item in paths.items():
        item_loc = pointer("paths", str(path))
        item, item_loc = norm.deref(raw_item, item_loc)
        if not isinstance(item, Mapping):
            continue
        shared = parameters_of(norm, item.get("parameters"), f"{item_loc}/parameters", str(path))
        for method in HTTP_METHODS:
            raw = item.get(method)
            if not isinstance(raw, Mapping):
                continue
            loc = f"{item_loc}/{method}"
            params = dict(shared)
            own = parameters_of(norm, raw.get("parameters"), f"{loc}/parameters", str(path))
            params.update(own)
            security = raw.get("security", doc.get("security", []))
            ops[(method, path_key(str(path)))] = Op(method, str(path), loc, raw, params, security)
    return ops
