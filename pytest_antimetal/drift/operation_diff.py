"""Operation rules: paths, operations, parameters, bodies, responses, security, the document.

:class:`OperationDiffer` is the whole comparison: it pairs the two documents'
operations and hands their schemas to :class:`~pytest_antimetal.drift.schema_diff.SchemaDiffer`
and their lifecycles to :class:`~pytest_antimetal.drift.sunset_diff.SunsetDiffer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_antimetal.drift.model import Change, Subject
from pytest_antimetal.drift.normalize import Normalizer, escape_pointer
from pytest_antimetal.drift.operations import Op, operations, param_schema, scheme_names
from pytest_antimetal.drift.schema_diff import Ctx, pointer, show
from pytest_antimetal.drift.sunset import operation_lifecycle
from pytest_antimetal.drift.sunset_diff import SunsetDiffer

__all__ = ["OperationDiffer"]


class OperationDiffer(SunsetDiffer):
    """The whole comparison of two documents: :meth:`run` returns every change."""

    def run(self) -> list[Change]:
        self._document()
        old_ops = operations(self.old_doc, self.old_norm)
        new_ops = operations(self.new_doc, self.new_norm)
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

    def _operation(self, old: Op, new: Op) -> None:
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

    def _parameters(self, old: Op, new: Op) -> None:
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
            ctx = Ctx(
                label,
                "request",
                "request-parameter",
                where,
                "api-version-default-changed" if version_header else None,
                kind="parameter",
                name=subject.name,
            )
            self.schema(
                param_schema(self.old_norm, old_param, old.params[key][1]),
                param_schema(self.new_norm, param, loc),
                ctx,
                "",
            )

    def _request_body(self, old: Op, new: Op) -> None:
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
                    Ctx(label, "request", "request-property", "request body", kind="request-body"),
                    "",
                )

    def _responses(self, old: Op, new: Op) -> None:
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
                        Ctx(
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
                Ctx(
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

    def _security(self, old: Op, new: Op) -> None:
        label = new.label
        old_names = scheme_names(old.security)
        new_names = scheme_names(new.security)
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
                    pointer("components", "securitySchemes", name),
                    f"security scheme {name!r} changed from {show(old_k)} to {show(new_k)}",
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
