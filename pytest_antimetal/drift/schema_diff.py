"""Schema comparison: the direction-aware keyword rules over two normalised schemas.

A request schema is what a client *sends*, so a tightening there is breaking; a
response schema is what a client *reads*, so there a loosening (a new enum
value, a property turned optional or nullable, a wider type) is what hurts.
:class:`SchemaDiffer` also holds what every comparison shares: the two
documents, their normalisers and :meth:`SchemaDiffer.emit`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_antimetal.drift.catalog import BOUNDS, RULES, bound_ids
from pytest_antimetal.drift.model import Change, Subject
from pytest_antimetal.drift.normalize import ANNOTATION_KEYS, Normalizer, canonical, escape_pointer
from pytest_antimetal.drift.sunset import Lifecycle, lifecycle

__all__ = [
    "DEFAULT_SUNSET_WINDOW",
    "Ctx",
    "Direction",
    "Emit",
    "Schema",
    "SchemaDiffer",
    "pointer",
    "show",
]

Direction = Literal["request", "response"]

Schema = dict[str, Any]
"""One normalised schema (``@loc``, ``@ann``, ``@full`` beside its keywords)."""

Emit = Callable[[str, str], None]
"""Reports one change of the schema being compared: ``emit(rule suffix, message)``."""


@dataclass(frozen=True)
class Ctx:
    operation: str | None
    direction: Direction
    prefix: str
    where: str
    default_rule: str | None = None
    kind: str = "request-body"
    status: str | None = None
    name: str | None = None

    def subject(self, label: str) -> Subject:
        return Subject(self.kind, self.status, self.name, label)


def show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def pointer(*tokens: str) -> str:
    return "".join(f"/{escape_pointer(t)}" for t in tokens)


DEFAULT_SUNSET_WINDOW = 90
"""Days before a sunset from which using the thing is breaking."""


class SchemaDiffer:
    """Compares two normalised schemas keyword by keyword, emitting :data:`RULES` ids."""

    def __init__(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        today: dt.date | None = None,
        sunset_window: int = DEFAULT_SUNSET_WINDOW,
    ) -> None:
        self.old_doc = old
        self.new_doc = new
        self.old_norm = Normalizer(old)
        self.new_norm = Normalizer(new)
        self.today = today or dt.date.today()
        self.sunset_window = sunset_window
        self._life: dict[str, Lifecycle] = {}
        self.changes: list[Change] = []
        self._seen: set[tuple[int, int, str | None, str, str, str, str | None]] = set()

    def emit(
        self,
        rule_id: str,
        operation: str | None,
        location: str,
        message: str,
        *,
        old_location: str | None = None,
        subject: Subject | None = None,
    ) -> None:
        rule = RULES[rule_id]  # a KeyError here is a bug: every id must be declared
        if subject is None and operation is not None:
            subject = Subject("operation")
        self.changes.append(
            Change(
                rule.id,
                rule.level,
                operation,
                location,
                message,
                old_location=old_location,
                subject=subject,
            )
        )

    # -- schemas ----------------------------------------------------------

    def schema(self, old: Schema, new: Schema, ctx: Ctx, label: str) -> None:
        # Per status too: a schema shared by several responses is used by each.
        marker = (id(old), id(new), ctx.operation, ctx.prefix, label, ctx.kind, ctx.status)
        if marker in self._seen:
            return
        self._seen.add(marker)
        if old.get("@full") == new.get("@full"):
            return  # same meaning and same words, all the way down
        if "@cycle" in old or "@cycle" in new:
            return  # the cycle's target is compared where it is first reached
        loc = new["@loc"]
        what = f"{ctx.where} property '{label}'" if label else ctx.where
        emit = self._emitter(ctx, loc, what, label, old["@loc"])
        self._annotations(old, new, ctx, emit)
        self._types(old, new, ctx, emit)
        self._keywords(old, new, ctx, emit)
        self._bounds(old, new, emit)
        self._properties(old, new, ctx, label)
        self._subschemas(old, new, ctx, label, emit)

    def _emitter(self, ctx: Ctx, loc: str, what: str, label: str, old_loc: str) -> Emit:
        subject = ctx.subject(label)

        def emit(suffix: str, message: str) -> None:
            self.emit(
                suffix if suffix.startswith("api-") else f"{ctx.prefix}-{suffix}",
                ctx.operation,
                loc,
                f"{what}: {message}",
                old_location=old_loc,
                subject=subject,
            )

        return emit

    def _annotations(self, old: Schema, new: Schema, ctx: Ctx, emit: Emit) -> None:
        old_ann, new_ann = old.get("@ann", {}), new.get("@ann", {})
        if old_ann == new_ann:
            return
        was, now = lifecycle(old_ann), lifecycle(new_ann)
        for key in sorted(set(old_ann) | set(new_ann)):
            if old_ann.get(key) == new_ann.get(key):
                continue
            if key == "description":
                emit("description-changed", "description changed")
            elif key == "deprecated":
                if now.deprecated:
                    emit("deprecated", f"deprecated ({self._describe(now, ctx)})")
                else:
                    emit("undeprecated", "no longer deprecated")
            elif key == "x-sunset":
                if now.sunset_declared and not (now.deprecated and not was.deprecated):
                    emit("api-sunset-announced", f"{now.describe()} (was: {was.describe()})")
            elif key in ANNOTATION_KEYS:
                emit("example-changed", f"{key} changed")
            else:
                emit("extension-changed", f"{key} changed")

    @staticmethod
    def _types(old: Schema, new: Schema, ctx: Ctx, emit: Emit) -> None:
        old_t, new_t = old.get("type"), new.get("type")
        if old_t != new_t:
            old_s, new_s = set(old_t or ()), set(new_t or ())
            wider = new_t is None or (old_t is not None and old_s <= new_s)
            wider = wider or (old_s == {"integer"} and new_s == {"number"})
            narrower = old_t is None or (new_t is not None and new_s <= old_s)
            narrower = narrower or (old_s == {"number"} and new_s == {"integer"})
            text = f"type changed from {show(old_t)} to {show(new_t)}"
            if ctx.direction == "request":
                emit("type-widened" if wider else "type-changed", text)
            else:
                emit("type-narrowed" if narrower else "type-changed", text)
        old_f, new_f = old.get("format"), new.get("format")
        if old_f != new_f:
            text = f"format changed from {show(old_f)} to {show(new_f)}"
            if ctx.direction == "request":
                emit("format-removed" if new_f is None else "format-changed", text)
            else:
                emit("format-added" if old_f is None else "format-changed", text)
        old_n, new_n = bool(old.get("nullable")), bool(new.get("nullable"))
        if old_n != new_n:
            emit("became-nullable" if new_n else "became-not-nullable", f"nullable is now {new_n}")

    def _keywords(self, old: Schema, new: Schema, ctx: Ctx, emit: Emit) -> None:
        old_e, new_e = old.get("enum"), new.get("enum")
        if old_e != new_e:
            if old_e is not None and new_e is not None:
                old_v = {show(v) for v in old_e}
                new_v = {show(v) for v in new_e}
                if removed := sorted(old_v - new_v):
                    emit("enum-value-removed", f"enum value(s) removed: {', '.join(removed)}")
                if added := sorted(new_v - old_v):
                    emit("enum-value-added", f"enum value(s) added: {', '.join(added)}")
            elif new_e is not None:
                emit("enum-added", f"restricted to {show(new_e)}")
            else:
                emit("enum-removed", f"no longer restricted to {show(old_e)}")
        old_p, new_p = old.get("pattern"), new.get("pattern")
        if old_p != new_p:
            if old_p is None:
                emit("pattern-added", f"pattern {new_p!r} added")
            elif new_p is None:
                emit("pattern-removed", f"pattern {old_p!r} removed")
            else:
                emit("pattern-changed", f"pattern changed from {old_p!r} to {new_p!r}")
        if old.get("default") != new.get("default"):
            text = f"default changed from {show(old.get('default'))} to {show(new.get('default'))}"
            if ctx.default_rule is not None:
                pin = str((self.old_doc.get("info") or {}).get("version", ""))
                self.emit(
                    ctx.default_rule,
                    ctx.operation,
                    new["@loc"],
                    f"{ctx.where}: {text}; this client pins {pin!r} (the old document's "
                    "info.version), which is what it sends",
                    old_location=old["@loc"],
                    subject=ctx.subject(""),
                )
            else:
                emit("default-changed", text)
        if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
            emit(
                "unique-items-added" if new.get("uniqueItems") else "unique-items-removed",
                f"uniqueItems is now {bool(new.get('uniqueItems'))}",
            )
        old_a, new_a = old.get("additionalProperties"), new.get("additionalProperties")
        if (old_a is False) != (new_a is False):
            if new_a is False:
                emit("additional-properties-disallowed", "additionalProperties is now false")
            else:
                emit("additional-properties-allowed", "additionalProperties is no longer false")
        old_k, new_k = old.get("propertyNames"), new.get("propertyNames")
        if canonical(old_k) != canonical(new_k):
            emit("property-names-changed", f"propertyNames changed to {canonical(new_k)}")
        if canonical(old.get("not")) != canonical(new.get("not")):
            emit("not-changed", "'not' constraint changed")

    @staticmethod
    def _bounds(old: Schema, new: Schema, emit: Emit) -> None:
        for keyword, (slug, larger_is_tighter) in BOUNDS.items():
            old_v, new_v = old.get(keyword), new.get(keyword)
            flag = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}.get(keyword)
            old_x = bool(old.get(flag)) if flag else False
            new_x = bool(new.get(flag)) if flag else False
            if old_v == new_v and old_x == new_x:
                continue
            if keyword == "multipleOf":
                tighter = new_v is not None
            elif old_v is None:
                tighter = True
            elif new_v is None:
                tighter = False
            elif old_v == new_v:
                tighter = new_x
            else:
                tighter = (new_v > old_v) == larger_is_tighter
            tight, loose = bound_ids(slug)
            show_old = f"{'>' if old_x else ''}{show(old_v)}" if flag else show(old_v)
            show_new = f"{'>' if new_x else ''}{show(new_v)}" if flag else show(new_v)
            emit(tight if tighter else loose, f"{keyword} changed from {show_old} to {show_new}")

    def _properties(self, old: Schema, new: Schema, ctx: Ctx, label: str) -> None:
        old_p: dict[str, Any] = old.get("properties", {})
        new_p: dict[str, Any] = new.get("properties", {})
        old_r, new_r = set(old.get("required", ())), set(new.get("required", ()))
        if not (old_p or new_p or old_r or new_r):
            return
        request = ctx.direction == "request"
        # readOnly properties are never sent, writeOnly ones never read.
        hidden = "readOnly" if request else "writeOnly"
        for name in sorted(set(old_p) | set(new_p) | old_r | new_r):
            if any(p.get(name, {}).get("@ann", {}).get(hidden) for p in (old_p, new_p)):
                continue
            sub_label = f"{label}.{name}" if label else name
            what = f"{ctx.where} property '{sub_label}'"
            in_old = name in old_p or name in old_r
            in_new = name in new_p or name in new_r
            new_loc = f"{new['@loc']}/properties/{escape_pointer(name)}"
            old_loc = f"{old['@loc']}/properties/{escape_pointer(name)}"
            op = ctx.operation
            subject = ctx.subject(sub_label)

            def at(
                rule: str,
                loc: str,
                text: str,
                *,
                op: str | None = op,
                old_loc: str = old_loc,
                subject: Subject = subject,
            ) -> None:
                self.emit(rule, op, loc, text, old_location=old_loc, subject=subject)

            if in_old and not in_new:
                if request:
                    rule = "request-property-removed"
                elif name in old_r:
                    rule = "response-required-property-removed"
                else:
                    rule = "response-optional-property-removed"
                at(rule, old_loc, f"{what} removed")
                continue
            if in_new and not in_old:
                if not request:
                    at("response-property-added", new_loc, f"{what} added")
                elif name in new_r:
                    at("new-required-request-property", new_loc, f"{what} added, required")
                else:
                    at("new-optional-request-property", new_loc, f"{what} added")
                continue
            was, now = name in old_r, name in new_r
            if was != now:
                state = "required" if now else "optional"
                side = "request" if request else "response"
                at(f"{side}-property-became-{state}", new_loc, f"{what} became {state}")
            if name in old_p and name in new_p:
                self.schema(old_p[name], new_p[name], ctx, sub_label)

    def _subschemas(self, old: Schema, new: Schema, ctx: Ctx, label: str, emit: Emit) -> None:
        for key, suffix in (("items", "[]"), ("additionalProperties", "{*}")):
            old_s, new_s = old.get(key), new.get(key)
            if isinstance(old_s, dict) and isinstance(new_s, dict):
                self.schema(old_s, new_s, ctx, f"{label}{suffix}")
        for key in ("anyOf", "oneOf", "allOf"):
            old_m = {canonical(m): m for m in old.get(key, ())}
            new_m = {canonical(m): m for m in new.get(key, ())}
            if old_m.keys() == new_m.keys():
                continue
            removed, added = old_m.keys() - new_m.keys(), new_m.keys() - old_m.keys()
            if len(removed) == len(added) == 1:
                # One variant edited in place: report what changed inside it.
                (r,), (a,) = removed, added
                self.schema(old_m[r], new_m[a], ctx, f"{label}<{key}>")
                continue
            if key == "allOf":
                if added:
                    emit("all-of-added", f"{len(added)} allOf member(s) added")
                if removed:
                    emit("all-of-removed", f"{len(removed)} allOf member(s) removed")
                continue
            if removed:
                emit("variant-removed", f"{len(removed)} {key} variant(s) removed")
            if added:
                emit("variant-added", f"{len(added)} {key} variant(s) added")

    def _describe(self, own: Lifecycle, ctx: Ctx) -> str:
        """*own*'s sunset, else the operation's."""
        if own.sunset_declared or ctx.operation is None:
            return own.describe()
        return self._life.get(ctx.operation, own).describe()
