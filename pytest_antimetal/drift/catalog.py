"""The drift rule catalogue: every rule's id, level and meaning (:data:`RULES`).

One concept: the table a new rule is declared in. The comparisons that emit
these ids live in :mod:`~pytest_antimetal.drift.schema_diff` (schemas),
:mod:`~pytest_antimetal.drift.operation_diff` (operations, parameters, bodies,
responses, security, the document) and :mod:`~pytest_antimetal.drift.sunset_diff`
(deprecations and sunsets).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pytest_antimetal.drift.model import Level

__all__ = ["BOUNDS", "RULES", "Rule", "bound_ids"]

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
        for slug, _ in BOUNDS.values():
            tight, loose = bound_ids(slug)
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
BOUNDS: dict[str, tuple[str, bool]] = {
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


def bound_ids(slug: str) -> tuple[str, str]:
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
