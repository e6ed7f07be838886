"""The classification rules: which difference breaks which client.

Every rule has a stable kebab-case id and one fixed level (:data:`RULES`).
Rules are direction-aware: a request schema is what a client *sends*, so a
tightening there is breaking; a response schema is what a client *reads*, so
there a loosening (a new enum value, a property turned optional or nullable, a
wider type) is what hurts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pytest_antimetal.drift.model import Change, DiffResult, Level, Subject
from pytest_antimetal.drift.normalize import (
    ANNOTATION_KEYS,
    Normalizer,
    canonical,
    escape_pointer,
    path_key,
)
from pytest_antimetal.drift.sunset import Lifecycle, lifecycle, operation_lifecycle, parse_date
from pytest_antimetal.spec import HTTP_METHODS, Spec

__all__ = ["RULES", "Rule", "diff_documents", "diff_specs"]

B, W, INFO = Level.BREAKING, Level.WARNING, Level.INFO


@dataclass(frozen=True)
class Rule:
    """One kind of change: its id, its level and what it means."""

    id: str
    level: Level
    description: str


_RULE_TABLE: tuple[tuple[str, Level, str], ...] = (
    # Operations and paths.
    ("api-path-removed", B, "a path and all its operations were removed"),
    ("api-operation-removed", B, "an operation was removed (its path remains)"),
    ("api-operation-added", INFO, "a new operation"),
    ("api-operation-id-changed", W, "operationId changed (generated SDK method names change)"),
    (
        "api-operation-deprecated",
        W,
        "an operation became deprecated (the message names its sunset)",
    ),
    ("api-sunset-announced", W, "a sunset date was announced or moved (x-sunset, a Sunset header)"),
    ("api-sunset-imminent", B, "a sunset falls within the sunset window (default 90 days)"),
    ("api-path-parameter-renamed", INFO, "a path template placeholder was renamed"),
    # Success and error responses.
    ("response-success-status-removed", B, "a documented 2xx status was removed or changed"),
    ("response-success-status-added", INFO, "a new 2xx status"),
    ("response-non-success-status-removed", W, "a documented error response was removed"),
    ("response-non-success-status-added", INFO, "a new documented error response"),
    ("response-media-type-removed", B, "a success response media type was removed"),
    ("response-non-success-media-type-removed", W, "an error response media type was removed"),
    ("response-media-type-added", INFO, "a response media type was added"),
    ("response-header-removed", W, "a documented response header was removed"),
    ("response-header-added", INFO, "a response header was documented"),
    # Request body.
    ("new-required-request-body", B, "a required request body was added"),
    ("new-optional-request-body", INFO, "an optional request body was added"),
    ("request-body-removed", W, "the request body was removed"),
    ("request-body-became-required", B, "the request body became required"),
    ("request-body-became-optional", INFO, "the request body became optional"),
    ("request-body-media-type-removed", B, "a request media type was removed"),
    ("request-body-media-type-added", INFO, "a request media type was added"),
    # Request properties.
    ("new-required-request-property", B, "a new required request property"),
    ("new-optional-request-property", INFO, "a new optional request property"),
    ("request-property-removed", W, "a request property was removed"),
    ("request-property-became-required", B, "a request property became required"),
    ("request-property-became-optional", INFO, "a request property became optional"),
    # Response properties.
    ("response-required-property-removed", B, "a required response property was removed"),
    ("response-optional-property-removed", W, "an optional response property was removed"),
    ("response-property-became-optional", B, "a response property is no longer required"),
    ("response-property-became-required", INFO, "a response property became required"),
    ("response-property-added", INFO, "a new response property"),
    # Parameters.
    ("new-required-request-parameter", B, "a new required parameter"),
    ("new-optional-request-parameter", INFO, "a new optional parameter"),
    ("request-parameter-removed", W, "a parameter was removed"),
    ("request-parameter-became-required", B, "a parameter became required"),
    ("request-parameter-became-optional", INFO, "a parameter became optional"),
    ("api-version-default-changed", B, "the Antimetal-Version header's default changed"),
    # Security.
    ("api-security-added", B, "an operation requires a new security scheme"),
    ("api-security-removed", B, "an operation no longer accepts a security scheme"),
    ("security-scheme-type-changed", B, "a security scheme changed type, scheme or location"),
    # Document.
    ("info-version-changed", INFO, "info.version changed"),
    ("server-removed", W, "a server URL was removed"),
    ("server-added", INFO, "a server URL was added"),
    ("api-description-changed", INFO, "an operation's summary or description changed"),
    ("response-description-changed", INFO, "a response's description changed"),
    ("extension-changed", INFO, "an x- extension changed"),
)


def _schema_rules() -> Iterator[tuple[str, Level, str]]:
    # The keyword rules exist for request properties, request parameters and
    # response properties; only the level differs by direction.
    for prefix, direction in (
        ("request-property", "request"),
        ("request-parameter", "request"),
        ("response-property", "response"),
    ):
        req = direction == "request"
        where = f"{prefix.replace('-', ' ')}"
        yield f"{prefix}-type-changed", B, f"{where}: type changed incompatibly"
        yield (
            (f"{prefix}-type-widened", INFO, f"{where}: type widened")
            if req
            else (f"{prefix}-type-narrowed", INFO, f"{where}: type narrowed")
        )
        if req:
            yield f"{prefix}-format-changed", B, f"{where}: format added or changed"
            yield f"{prefix}-format-removed", INFO, f"{where}: format removed"
            yield f"{prefix}-became-not-nullable", B, f"{where}: null no longer accepted"
            yield f"{prefix}-became-nullable", INFO, f"{where}: null now accepted"
            yield f"{prefix}-enum-value-removed", B, f"{where}: enum value removed"
            yield f"{prefix}-enum-value-added", INFO, f"{where}: enum value added"
            yield f"{prefix}-enum-added", B, f"{where}: values restricted to an enum"
            yield f"{prefix}-enum-removed", INFO, f"{where}: enum restriction removed"
            yield f"{prefix}-pattern-added", B, f"{where}: pattern added"
            yield f"{prefix}-pattern-changed", B, f"{where}: pattern changed"
            yield f"{prefix}-pattern-removed", INFO, f"{where}: pattern removed"
            yield f"{prefix}-default-changed", W, f"{where}: default changed"
            yield f"{prefix}-additional-properties-disallowed", B, f"{where}: extra keys refused"
            yield f"{prefix}-additional-properties-allowed", INFO, f"{where}: extra keys allowed"
            yield f"{prefix}-property-names-changed", W, f"{where}: propertyNames changed"
            yield f"{prefix}-variant-removed", B, f"{where}: anyOf/oneOf variant removed"
            yield f"{prefix}-variant-added", INFO, f"{where}: anyOf/oneOf variant added"
            yield f"{prefix}-all-of-added", B, f"{where}: allOf constraint added"
            yield f"{prefix}-all-of-removed", INFO, f"{where}: allOf constraint removed"
            yield f"{prefix}-not-changed", W, f"{where}: not changed"
            yield f"{prefix}-unique-items-added", B, f"{where}: uniqueItems required"
            yield f"{prefix}-unique-items-removed", INFO, f"{where}: uniqueItems dropped"
        else:
            yield f"{prefix}-format-changed", W, f"{where}: format changed or removed"
            yield f"{prefix}-format-added", INFO, f"{where}: format added"
            yield f"{prefix}-became-nullable", B, f"{where}: may now be null"
            yield f"{prefix}-became-not-nullable", INFO, f"{where}: no longer null"
            yield f"{prefix}-enum-value-added", W, f"{where}: enum value added"
            yield f"{prefix}-enum-value-removed", INFO, f"{where}: enum value removed"
            yield f"{prefix}-enum-added", INFO, f"{where}: values restricted to an enum"
            yield f"{prefix}-enum-removed", W, f"{where}: enum restriction removed"
            yield f"{prefix}-pattern-added", INFO, f"{where}: pattern added"
            yield f"{prefix}-pattern-changed", W, f"{where}: pattern changed"
            yield f"{prefix}-pattern-removed", W, f"{where}: pattern removed"
            yield f"{prefix}-default-changed", INFO, f"{where}: default changed"
            yield f"{prefix}-additional-properties-disallowed", INFO, f"{where}: no extra keys"
            yield f"{prefix}-additional-properties-allowed", W, f"{where}: extra keys may appear"
            yield f"{prefix}-property-names-changed", INFO, f"{where}: propertyNames changed"
            yield f"{prefix}-variant-removed", INFO, f"{where}: anyOf/oneOf variant removed"
            yield f"{prefix}-variant-added", W, f"{where}: anyOf/oneOf variant added"
            yield f"{prefix}-all-of-added", INFO, f"{where}: allOf constraint added"
            yield f"{prefix}-all-of-removed", W, f"{where}: allOf constraint removed"
            yield f"{prefix}-not-changed", W, f"{where}: not changed"
            yield f"{prefix}-unique-items-added", INFO, f"{where}: uniqueItems guaranteed"
            yield f"{prefix}-unique-items-removed", W, f"{where}: uniqueItems dropped"
        for slug, _ in _BOUNDS.values():
            tight, loose = _bound_ids(slug)
            yield f"{prefix}-{tight}", (B if req else INFO), f"{where}: {slug} tightened"
            yield f"{prefix}-{loose}", (INFO if req else W), f"{where}: {slug} loosened"
        yield f"{prefix}-description-changed", INFO, f"{where}: description changed"
        yield f"{prefix}-example-changed", INFO, f"{where}: example or title changed"
        yield (
            f"{prefix}-deprecated",
            W,
            f"{where}: became deprecated (the message names its sunset)",
        )
        yield f"{prefix}-undeprecated", INFO, f"{where}: no longer deprecated"
        yield f"{prefix}-extension-changed", INFO, f"{where}: an x- extension changed"


# keyword -> (slug, True when a larger value is tighter)
_BOUNDS: dict[str, tuple[str, bool]] = {
    "maxLength": ("max-length", False),
    "minLength": ("min-length", True),
    "maxItems": ("max-items", False),
    "minItems": ("min-items", True),
    "maxProperties": ("max-properties", False),
    "minProperties": ("min-properties", True),
    "maximum": ("max", False),
    "minimum": ("min", True),
    "multipleOf": ("multiple-of", True),
}


def _bound_ids(slug: str) -> tuple[str, str]:
    """(id suffix when tightened, when loosened)."""
    if slug.startswith("max"):
        return f"{slug}-decreased", f"{slug}-increased"
    if slug == "multiple-of":
        return f"{slug}-changed", f"{slug}-removed"
    return f"{slug}-increased", f"{slug}-decreased"


RULES: dict[str, Rule] = {
    rule_id: Rule(rule_id, level, description)
    for rule_id, level, description in (*_RULE_TABLE, *_schema_rules())
}
"""Every rule, by id."""

Direction = Literal["request", "response"]


@dataclass(frozen=True)
class _Ctx:
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


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _pointer(*tokens: str) -> str:
    return "".join(f"/{escape_pointer(t)}" for t in tokens)


DEFAULT_SUNSET_WINDOW = 90
"""Days before a sunset from which using the thing is breaking."""


class _Differ:
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

    def schema(self, old: dict[str, Any], new: dict[str, Any], ctx: _Ctx, label: str) -> None:
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

    def _emitter(
        self, ctx: _Ctx, loc: str, what: str, label: str, old_loc: str
    ) -> Callable[[str, str], None]:
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

    def _annotations(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        ctx: _Ctx,
        emit: Callable[[str, str], None],
    ) -> None:
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
    def _types(
        old: dict[str, Any], new: dict[str, Any], ctx: _Ctx, emit: Callable[[str, str], None]
    ) -> None:
        old_t, new_t = old.get("type"), new.get("type")
        if old_t != new_t:
            old_s, new_s = set(old_t or ()), set(new_t or ())
            wider = new_t is None or (old_t is not None and old_s <= new_s)
            wider = wider or (old_s == {"integer"} and new_s == {"number"})
            narrower = old_t is None or (new_t is not None and new_s <= old_s)
            narrower = narrower or (old_s == {"number"} and new_s == {"integer"})
            text = f"type changed from {_show(old_t)} to {_show(new_t)}"
            if ctx.direction == "request":
                emit("type-widened" if wider else "type-changed", text)
            else:
                emit("type-narrowed" if narrower else "type-changed", text)
        old_f, new_f = old.get("format"), new.get("format")
        if old_f != new_f:
            text = f"format changed from {_show(old_f)} to {_show(new_f)}"
            if ctx.direction == "request":
                emit("format-removed" if new_f is None else "format-changed", text)
            else:
                emit("format-added" if old_f is None else "format-changed", text)
        old_n, new_n = bool(old.get("nullable")), bool(new.get("nullable"))
        if old_n != new_n:
            emit("became-nullable" if new_n else "became-not-nullable", f"nullable is now {new_n}")

    def _keywords(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        ctx: _Ctx,
        emit: Callable[[str, str], None],
    ) -> None:
        old_e, new_e = old.get("enum"), new.get("enum")
        if old_e != new_e:
            if old_e is not None and new_e is not None:
                old_v = {_show(v) for v in old_e}
                new_v = {_show(v) for v in new_e}
                if removed := sorted(old_v - new_v):
                    emit("enum-value-removed", f"enum value(s) removed: {', '.join(removed)}")
                if added := sorted(new_v - old_v):
                    emit("enum-value-added", f"enum value(s) added: {', '.join(added)}")
            elif new_e is not None:
                emit("enum-added", f"restricted to {_show(new_e)}")
            else:
                emit("enum-removed", f"no longer restricted to {_show(old_e)}")
        old_p, new_p = old.get("pattern"), new.get("pattern")
        if old_p != new_p:
            if old_p is None:
                emit("pattern-added", f"pattern {new_p!r} added")
            elif new_p is None:
                emit("pattern-removed", f"pattern {old_p!r} removed")
            else:
                emit("pattern-changed", f"pattern changed from {old_p!r} to {new_p!r}")
        if old.get("default") != new.get("default"):
            text = (
                f"default changed from {_show(old.get('default'))} to {_show(new.get('default'))}"
            )
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
    def _bounds(old: dict[str, Any], new: dict[str, Any], emit: Callable[[str, str], None]) -> None:
        for keyword, (slug, larger_is_tighter) in _BOUNDS.items():
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
            tight, loose = _bound_ids(slug)
            show_old = f"{'>' if old_x else ''}{_show(old_v)}" if flag else _show(old_v)
            show_new = f"{'>' if new_x else ''}{_show(new_v)}" if flag else _show(new_v)
            emit(tight if tighter else loose, f"{keyword} changed from {show_old} to {show_new}")

    def _properties(self, old: dict[str, Any], new: dict[str, Any], ctx: _Ctx, label: str) -> None:
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

    def _subschemas(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        ctx: _Ctx,
        label: str,
        emit: Callable[[str, str], None],
    ) -> None:
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

    # -- operations -------------------------------------------------------

    def operations(self, doc: Mapping[str, Any], norm: Normalizer) -> dict[tuple[str, str], _Op]:
        ops: dict[tuple[str, str], _Op] = {}
        paths = doc.get("paths") or {}
        for path, raw_item in paths.items():
            item_loc = _pointer("paths", str(path))
            item, item_loc = norm.deref(raw_item, item_loc)
            if not isinstance(item, Mapping):
                continue
            shared = _params(norm, item.get("parameters"), f"{item_loc}/parameters", str(path))
            for method in HTTP_METHODS:
                raw = item.get(method)
                if not isinstance(raw, Mapping):
                    continue
                loc = f"{item_loc}/{method}"
                params = dict(shared)
                params.update(_params(norm, raw.get("parameters"), f"{loc}/parameters", str(path)))
                security = raw.get("security", doc.get("security", []))
                ops[(method, path_key(str(path)))] = _Op(
                    method, str(path), loc, raw, params, security
                )
        return ops

    def run(self) -> list[Change]:
        self._document()
        old_ops = self.operations(self.old_doc, self.old_norm)
        new_ops = self.operations(self.new_doc, self.new_norm)
        new_paths = {key[1] for key in new_ops}
        for key, op in old_ops.items():
            if key not in new_ops:
                rule = "api-operation-removed" if key[1] in new_paths else "api-path-removed"
                self.emit(rule, op.label, op.loc, f"{op.label} removed")
        for key, op in new_ops.items():
            if key not in old_ops:
                self.emit("api-operation-added", op.label, op.loc, f"{op.label} added")
                self._life[op.label] = operation_lifecycle(op.raw, self.new_norm.deref)
            else:
                self._operation(old_ops[key], op)
        for op in new_ops.values():
            self._sunsets(op)
        return self.changes

    # -- lifecycle and version policy -------------------------------------

    def _describe(self, own: Lifecycle, ctx: _Ctx) -> str:
        """*own*'s sunset, else the operation's."""
        if own.sunset_declared or ctx.operation is None:
            return own.describe()
        return self._life.get(ctx.operation, own).describe()

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
            text = f"{where} is deprecated ({self._describe(now, _Ctx(label, 'request', '', ''))})"
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

    def _sunsets(self, op: _Op) -> None:
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
        for media, content in _content(body):
            schema_loc = f"{body_loc}/content/{escape_pointer(media)}/schema"
            node = self.new_norm.schema(content.get("schema"), schema_loc)
            for field, loc, when in _schema_sunsets(node):
                subject = Subject("request-body", field=field)
                self._imminent(when, label, loc, f"{label} request property '{field}'", subject)
        for status, raw in (op.raw.get("responses") or {}).items():
            response, response_loc = self.new_norm.deref(
                raw, f"{op.loc}/responses/{escape_pointer(str(status))}"
            )
            for media, content in _content(response):
                schema_loc = f"{response_loc}/content/{escape_pointer(media)}/schema"
                node = self.new_norm.schema(content.get("schema"), schema_loc)
                for field, loc, when in _schema_sunsets(node):
                    subject = Subject("response", status=str(status), field=field)
                    what = f"{label} {status} response property '{field}'"
                    self._imminent(when, label, loc, what, subject)

    def _document(self) -> None:
        old_v = str(self.old_doc.get("info", {}).get("version", ""))
        new_v = str(self.new_doc.get("info", {}).get("version", ""))
        if old_v != new_v:
            self.emit("info-version-changed", None, "/info/version", f"{old_v!r} -> {new_v!r}")
        old_s = [str(s.get("url")) for s in self.old_doc.get("servers", []) if isinstance(s, dict)]
        new_s = [str(s.get("url")) for s in self.new_doc.get("servers", []) if isinstance(s, dict)]
        for url in old_s:
            if url not in new_s:
                loc = f"/servers/{old_s.index(url)}"
                self.emit("server-removed", None, loc, f"server {url} removed")
        for url in new_s:
            if url not in old_s:
                self.emit(
                    "server-added", None, f"/servers/{new_s.index(url)}", f"server {url} added"
                )

    def _operation(self, old: _Op, new: _Op) -> None:
        label = new.label
        for key, text in (("summary", "summary"), ("description", "description")):
            if old.raw.get(key) != new.raw.get(key):
                self.emit("api-description-changed", label, f"{new.loc}/{key}", f"{text} changed")
        if old.raw.get("operationId") != new.raw.get("operationId"):
            self.emit(
                "api-operation-id-changed",
                label,
                f"{new.loc}/operationId",
                f"operationId {old.raw.get('operationId')!r} -> {new.raw.get('operationId')!r}",
            )
        was = operation_lifecycle(old.raw, self.old_norm.deref)
        now = self._life[label] = operation_lifecycle(new.raw, self.new_norm.deref)
        if now.deprecated and not was.deprecated:
            text = f"{label} is deprecated ({now.describe()})"
            self.emit("api-operation-deprecated", label, new.loc, text, old_location=old.loc)
        elif now.sunset_declared and (now.sunset, True) != (was.sunset, was.sunset_declared):
            text = f"{now.describe()} (was: {was.describe()})"
            self.emit("api-sunset-announced", label, new.loc, text, old_location=old.loc)
        # x-sunset is reported above, as a sunset.
        old_x = {k: v for k, v in old.raw.items() if k.startswith("x-") and k != "x-sunset"}
        new_x = {k: v for k, v in new.raw.items() if k.startswith("x-") and k != "x-sunset"}
        for key in sorted(set(old_x) | set(new_x)):
            if old_x.get(key) != new_x.get(key):
                self.emit("extension-changed", label, f"{new.loc}/{key}", f"{key} changed")
        self._parameters(old, new)
        self._request_body(old, new)
        self._responses(old, new)
        self._security(old, new)

    def _parameters(self, old: _Op, new: _Op) -> None:
        label = new.label
        for key, (param, loc) in old.params.items():
            if key not in new.params:
                name = param.get("name")
                self.emit(
                    "request-parameter-removed",
                    label,
                    loc,
                    f"{key[0]} parameter {name!r} removed",
                    old_location=loc,
                    subject=Subject("parameter", name=f"{key[0]}:{key[1]}"),
                )
        for key, (param, loc) in new.params.items():
            name = param.get("name")
            where = f"{key[0]} parameter {name!r}"
            subject = Subject("parameter", name=f"{key[0]}:{key[1]}")
            if key not in old.params:
                rule = (
                    "new-required-request-parameter"
                    if param.get("required")
                    else ("new-optional-request-parameter")
                )
                self.emit(rule, label, loc, f"{where} added", subject=subject)
                continue
            old_param, old_loc = old.params[key]
            if old_param.get("name") != name:
                self.emit(
                    "api-path-parameter-renamed",
                    label,
                    loc,
                    f"path parameter {old_param.get('name')!r} renamed to {name!r}",
                    old_location=old_loc,
                    subject=subject,
                )
            was, now = bool(old_param.get("required")), bool(param.get("required"))
            if was != now:
                state = "required" if now else "optional"
                self.emit(
                    f"request-parameter-became-{state}",
                    label,
                    loc,
                    f"{where} became {state}",
                    old_location=old_loc,
                    subject=subject,
                )
            self._deprecation(old_param, param, label, loc=loc, where=where, subject=subject)
            version_header = key[0] == "header" and str(name).lower() == "antimetal-version"
            ctx = _Ctx(
                label,
                "request",
                "request-parameter",
                where,
                "api-version-default-changed" if version_header else None,
                kind="parameter",
                name=subject.name,
            )
            self.schema(
                _param_schema(self.old_norm, old_param, old.params[key][1]),
                _param_schema(self.new_norm, param, loc),
                ctx,
                "",
            )

    def _request_body(self, old: _Op, new: _Op) -> None:
        label = new.label
        old_b, _ = self.old_norm.deref(old.raw.get("requestBody"), f"{old.loc}/requestBody")
        new_b, new_loc = self.new_norm.deref(new.raw.get("requestBody"), f"{new.loc}/requestBody")
        if not isinstance(old_b, Mapping) and not isinstance(new_b, Mapping):
            return
        if not isinstance(new_b, Mapping):
            self.emit(
                "request-body-removed", label, f"{old.loc}/requestBody", "request body removed"
            )
            return
        if not isinstance(old_b, Mapping):
            rule = (
                "new-required-request-body"
                if new_b.get("required")
                else "new-optional-request-body"
            )
            self.emit(rule, label, new_loc, "request body added")
            return
        was, now = bool(old_b.get("required")), bool(new_b.get("required"))
        if was != now:
            state = "required" if now else "optional"
            self.emit(
                f"request-body-became-{state}", label, new_loc, f"request body became {state}"
            )
        old_c, new_c = old_b.get("content") or {}, new_b.get("content") or {}
        for media in sorted(set(old_c) | set(new_c)):
            media_loc = f"{new_loc}/content/{escape_pointer(media)}"
            if media not in new_c:
                self.emit("request-body-media-type-removed", label, media_loc, f"{media} removed")
            elif media not in old_c:
                self.emit("request-body-media-type-added", label, media_loc, f"{media} added")
            else:
                self.schema(
                    self.old_norm.schema(old_c[media].get("schema"), f"{media_loc}/schema"),
                    self.new_norm.schema(new_c[media].get("schema"), f"{media_loc}/schema"),
                    _Ctx(label, "request", "request-property", "request body", kind="request-body"),
                    "",
                )

    def _responses(self, old: _Op, new: _Op) -> None:
        label = new.label
        old_r = {str(k): v for k, v in (old.raw.get("responses") or {}).items()}
        new_r = {str(k): v for k, v in (new.raw.get("responses") or {}).items()}
        new_success = sorted(s for s in new_r if s.startswith("2"))
        for status in sorted(set(old_r) | set(new_r)):
            success = status.startswith("2")
            loc = f"{new.loc}/responses/{escape_pointer(status)}"
            subject = Subject("response", status=status)
            if status not in new_r:
                loc = f"{old.loc}/responses/{escape_pointer(status)}"
                if success:
                    now = ", ".join(new_success) or "none"
                    text = f"{status} response removed (success statuses now: {now})"
                    self.emit("response-success-status-removed", label, loc, text, subject=subject)
                else:
                    text = f"{status} response removed"
                    rule = "response-non-success-status-removed"
                    self.emit(rule, label, loc, text, old_location=loc, subject=subject)
                continue
            if status not in old_r:
                rule = (
                    "response-success-status-added"
                    if success
                    else "response-non-success-status-added"
                )
                self.emit(rule, label, loc, f"{status} response added")
                continue
            old_o, _ = self.old_norm.deref(old_r[status], loc)
            new_o, loc = self.new_norm.deref(new_r[status], loc)
            if not isinstance(old_o, Mapping) or not isinstance(new_o, Mapping):
                continue
            if old_o.get("description") != new_o.get("description"):
                self.emit(
                    "response-description-changed", label, loc, f"{status} description changed"
                )
            self._response_headers(label, status, old_o, new_o, loc)
            old_c, new_c = old_o.get("content") or {}, new_o.get("content") or {}
            for media in sorted(set(old_c) | set(new_c)):
                media_loc = f"{loc}/content/{escape_pointer(media)}"
                if media not in new_c:
                    rule = (
                        "response-media-type-removed"
                        if success
                        else "response-non-success-media-type-removed"
                    )
                    self.emit(rule, label, media_loc, f"{status} {media} removed", subject=subject)
                elif media not in old_c:
                    self.emit(
                        "response-media-type-added", label, media_loc, f"{status} {media} added"
                    )
                else:
                    self.schema(
                        self.old_norm.schema(old_c[media].get("schema"), f"{media_loc}/schema"),
                        self.new_norm.schema(new_c[media].get("schema"), f"{media_loc}/schema"),
                        _Ctx(
                            label,
                            "response",
                            "response-property",
                            f"{status} response",
                            kind="response",
                            status=status,
                        ),
                        "",
                    )

    def _response_headers(
        self,
        label: str,
        status: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        loc: str,
    ) -> None:
        # Header names are case-insensitive.
        old_h = {str(k).lower(): (str(k), v) for k, v in (old.get("headers") or {}).items()}
        new_h = {str(k).lower(): (str(k), v) for k, v in (new.get("headers") or {}).items()}
        for key in sorted(set(old_h) - set(new_h)):
            name = old_h[key][0]
            self.emit(
                "response-header-removed",
                label,
                f"{loc}/headers/{escape_pointer(name)}",
                f"{status} response header {name!r} removed",
                subject=Subject("response-header", status=status, name=key),
            )
        for key in sorted(set(new_h) - set(old_h)):
            name = new_h[key][0]
            self.emit(
                "response-header-added",
                label,
                f"{loc}/headers/{escape_pointer(name)}",
                f"{status} response header {name!r} added",
            )
        for key in sorted(set(old_h) & set(new_h)):
            name, raw_new = new_h[key]
            header_loc = f"{loc}/headers/{escape_pointer(name)}"
            old_d, _ = self.old_norm.deref(old_h[key][1], header_loc)
            new_d, header_loc = self.new_norm.deref(raw_new, header_loc)
            if not isinstance(old_d, Mapping) or not isinstance(new_d, Mapping):
                continue
            self.schema(
                self.old_norm.schema(old_d.get("schema"), f"{header_loc}/schema"),
                self.new_norm.schema(new_d.get("schema"), f"{header_loc}/schema"),
                _Ctx(
                    label,
                    "response",
                    "response-property",
                    f"{status} response header {name!r}",
                    kind="response-header",
                    status=status,
                    name=key,
                ),
                "",
            )

    def _security(self, old: _Op, new: _Op) -> None:
        label = new.label
        old_names = _scheme_names(old.security)
        new_names = _scheme_names(new.security)
        loc = f"{new.loc}/security" if "security" in new.raw else "/security"
        for name in sorted(new_names - old_names):
            self.emit("api-security-added", label, loc, f"now requires security scheme {name!r}")
        for name in sorted(old_names - new_names):
            self.emit("api-security-removed", label, loc, f"security scheme {name!r} removed")
        old_defs = self._schemes(self.old_doc, self.old_norm)
        new_defs = self._schemes(self.new_doc, self.new_norm)
        for name in sorted(old_names & new_names):
            old_d, new_d = old_defs.get(name, {}), new_defs.get(name, {})
            keys = ("type", "scheme", "in", "name", "openIdConnectUrl")
            old_k = {k: old_d.get(k) for k in keys}
            new_k = {k: new_d.get(k) for k in keys}
            if old_k != new_k:
                self.emit(
                    "security-scheme-type-changed",
                    label,
                    _pointer("components", "securitySchemes", name),
                    f"security scheme {name!r} changed from {_show(old_k)} to {_show(new_k)}",
                )

    @staticmethod
    def _schemes(doc: Mapping[str, Any], norm: Normalizer) -> dict[str, dict[str, Any]]:
        raw = (doc.get("components") or {}).get("securitySchemes") or {}
        out: dict[str, dict[str, Any]] = {}
        for name, scheme in raw.items():
            resolved, _ = norm.deref(scheme, "")
            if isinstance(resolved, Mapping):
                out[str(name)] = dict(resolved)
        return out


@dataclass(frozen=True)
class _Op:
    method: str
    path: str
    loc: str
    raw: Mapping[str, Any]
    params: dict[tuple[str, str], tuple[dict[str, Any], str]]
    security: Any

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _params(
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


def _param_schema(norm: Normalizer, param: Mapping[str, Any], loc: str) -> dict[str, Any]:
    if "schema" in param:
        return norm.schema(param["schema"], f"{loc}/schema")
    for media, body in (param.get("content") or {}).items():
        return norm.schema(body.get("schema"), f"{loc}/content/{escape_pointer(media)}/schema")
    return {"@loc": loc}


def _content(holder: Any) -> list[tuple[str, Mapping[str, Any]]]:
    content = holder.get("content") if isinstance(holder, Mapping) else None
    if not isinstance(content, Mapping):
        return []
    return [(str(k), v) for k, v in content.items() if isinstance(v, Mapping)]


def _schema_sunsets(root: dict[str, Any]) -> list[tuple[str, str, dt.date]]:
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


def _scheme_names(security: Any) -> set[str]:
    names: set[str] = set()
    for requirement in security or []:
        if isinstance(requirement, Mapping):
            names.update(str(name) for name in requirement)
    return names


def diff_documents(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_source: str = "old",
    new_source: str = "new",
    today: dt.date | None = None,
    sunset_window: int = DEFAULT_SUNSET_WINDOW,
) -> DiffResult:
    """Classify every change from the OpenAPI document *old* to *new*.

    Sunsets in *new* that fall within *sunset_window* days of *today* (default:
    the current date) are reported as ``api-sunset-imminent``, changed or not.
    """
    changes = _Differ(old, new, today, sunset_window).run()
    result = DiffResult.build(old_source, new_source, changes)
    note = version_note(old, new, result)
    return result.replace(old_document=old, new_document=new, notes=(note,) if note else ())


def version_note(old: Mapping[str, Any], new: Mapping[str, Any], result: DiffResult) -> str | None:
    """A remark when breaking changes landed under an unchanged ``info.version``.

    The vendor dates its versions (``2026-03-17``) and the client sends that
    date as ``Antimetal-Version``: a breaking change under the same date
    reaches clients that pinned it.
    """
    old_v = str((old.get("info") or {}).get("version", ""))
    new_v = str((new.get("info") or {}).get("version", ""))
    # A sunset coming near is time passing, not a change the vendor made.
    breaking = sum(1 for c in result.changes if c.level is B and c.id != "api-sunset-imminent")
    if old_v != new_v or not breaking:
        return None
    return (
        f"info.version is still {new_v!r} although {breaking} breaking "
        f"change{'s' if breaking > 1 else ''} landed: clients pinning {new_v!r} "
        "(as Antimetal-Version) get the new behaviour"
    )


def diff_specs(old: Spec, new: Spec) -> DiffResult:
    """:func:`diff_documents` for two loaded :class:`~pytest_antimetal.spec.Spec`."""
    return diff_documents(old.document, new.document, old_source=old.source, new_source=new.source)
