"""Deprecation and sunset rules: announced, moved, and within the sunset window.

Sunsets in the new document that fall within the window are reported whether
they changed or not: time moves on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pytest_antimetal.drift.model import Subject
from pytest_antimetal.drift.normalize import escape_pointer
from pytest_antimetal.drift.operations import Op, content_of
from pytest_antimetal.drift.schema_diff import Ctx, SchemaDiffer
from pytest_antimetal.drift.sunset import lifecycle, operation_lifecycle, parse_date

__all__ = ["SunsetDiffer", "schema_sunsets"]


class SunsetDiffer(SchemaDiffer):
    """The lifecycle rules, on top of the schema comparison they share state with."""

    def _deprecation(
        self,
        old: Mapping[str, Any],
        /,
        new: Mapping[str, Any],
        label: str,
        *,
        loc: str,
        where: str,
        subject: Subject,
    ) -> None:
        was, now = lifecycle(old), lifecycle(new)
        if now.deprecated and not was.deprecated:
            text = f"{where} is deprecated ({self._describe(now, Ctx(label, 'request', '', ''))})"
            self.emit("request-parameter-deprecated", label, loc, text, subject=subject)
        elif now.sunset_declared and (now.sunset, True) != (was.sunset, was.sunset_declared):
            text = f"{where}: {now.describe()} (was: {was.describe()})"
            self.emit("api-sunset-announced", label, loc, text, subject=subject)

    def _imminent(
        self, when: dt.date | None, label: str, loc: str, what: str, subject: Subject
    ) -> None:
        if when is None:
            return
        days = (when - self.today).days
        if days > self.sunset_window:
            return
        if days >= 0:
            left = f"{days} day{'s' if days != 1 else ''} from today"
        else:
            left = f"passed {-days} day{'s' if days != -1 else ''} ago"
        text = (
            f"{what} reaches its sunset on {when.isoformat()}, {left} "
            f"(within the {self.sunset_window}-day sunset window)"
        )
        self.emit("api-sunset-imminent", label, loc, text, subject=subject)

    def _sunsets(self, op: Op) -> None:
        """Every sunset of *op* within the window (changed or not: time moves on)."""
        label = op.label
        life = self._life.get(label) or operation_lifecycle(op.raw, self.new_norm.deref)
        self._imminent(life.sunset, label, op.loc, label, Subject("operation"))
        for key, (param, loc) in op.params.items():
            when = parse_date(param.get("x-sunset"))
            if when is None and isinstance(param.get("schema"), Mapping):
                when = parse_date(param["schema"].get("x-sunset"))
            where = f"{key[0]} parameter {param.get('name')!r}"
            subject = Subject("parameter", name=f"{key[0]}:{key[1]}")
            self._imminent(when, label, loc, f"{label} {where}", subject)
        if not self.new_norm.saw_sunset:
            return  # no schema declares one: skip the walk
        body, body_loc = self.new_norm.deref(op.raw.get("requestBody"), f"{op.loc}/requestBody")
        for media, content in content_of(body):
            schema_loc = f"{body_loc}/content/{escape_pointer(media)}/schema"
            node = self.new_norm.schema(content.get("schema"), schema_loc)
            for field, loc, when in schema_sunsets(node):
                subject = Subject("request-body", field=field)
                self._imminent(when, label, loc, f"{label} request property '{field}'", subject)
        for status, raw in (op.raw.get("responses") or {}).items():
            response, response_loc = self.new_norm.deref(
                raw, f"{op.loc}/responses/{escape_pointer(str(status))}"
            )
            for media, content in content_of(response):
                schema_loc = f"{response_loc}/content/{escape_pointer(media)}/schema"
                node = self.new_norm.schema(content.get("schema"), schema_loc)
                for field, loc, when in schema_sunsets(node):
                    subject = Subject("response", status=str(status), field=field)
                    what = f"{label} {status} response property '{field}'"
                    self._imminent(when, label, loc, what, subject)


def schema_sunsets(root: dict[str, Any]) -> list[tuple[str, str, dt.date]]:
    """(property path, location, date) of every ``x-sunset`` under a normalised schema."""
    found: list[tuple[str, str, dt.date]] = []
    seen: set[int] = set()
    stack: list[tuple[dict[str, Any], str]] = [(root, "")]
    while stack:
        node, label = stack.pop()
        if id(node) in seen or "@cycle" in node:
            continue
        seen.add(id(node))
        when = parse_date(node.get("@ann", {}).get("x-sunset"))
        if when is not None and label:
            found.append((label, str(node["@loc"]), when))
        for name, sub in (node.get("properties") or {}).items():
            stack.append((sub, f"{label}.{name}" if label else name))
        for key, suffix in (("items", "[]"), ("additionalProperties", "{*}")):
            if isinstance(node.get(key), dict):
                stack.append((node[key], f"{label}{suffix}"))
        for key in ("anyOf", "oneOf", "allOf"):
            for member in node.get(key) or ():
                if isinstance(member, dict):
                    stack.append((member, f"{label}<{key}>"))
    return sorted(found)
