"""Payloads for ``POST /issues``: valid ones, ones that break one constraint, and strategies.

Everything is derived from the spec's ``CreateIssueDto``: a new required
field or a smaller ``maxLength`` in a refreshed spec changes what the factory
builds with no code change.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pytest_antimetal.builders.base import OMIT
from pytest_antimetal.live_budget import CreateBudget, LiveBudgetExceeded
from pytest_antimetal.spec import Spec, vendored_spec
from pytest_antimetal.spec.minimal import minimal_value
from pytest_antimetal.spec.nodes import fit_length
from pytest_antimetal.target import RUN_TAG

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from pytest_antimetal.client import AntimetalClient
    from pytest_antimetal.models import Issue

__all__ = ["OMIT", "RUN_TAG", "CreateBudget", "IssueFactory", "LiveBudgetExceeded"]
# CreateBudget and LiveBudgetExceeded live in live_budget.py; imported from here, they are
# kept for one release.


_TITLES = (
    "Elevated 5xx rate on {service}",
    "p99 latency above SLO on {service}",
    "{service} pods crash-looping after deploy",
    "Queue backlog growing on {service}",
    "Error budget burn on {service}",
)
_SERVICES = ("checkout-api", "payments-worker", "search", "auth-gateway", "inventory")
_ERRORS = (
    ("TimeoutError", "upstream request timed out after 30s"),
    ("DatabaseConnectionError", "too many connections for role 'app'"),
    ("OOMKilled", "container exceeded its 512Mi memory limit"),
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class IssueFactory:
    """Builds ``CreateIssueDto`` payloads and creates issues through a client.

    Usable without pytest::

        factory = IssueFactory(client=AntimetalClient(...))
        payload = factory.build(severity="high")
        issue = factory.create(title="Disk full on db-1")

    *client_factory* is called the first time a client is needed (so
    :meth:`build` never opens a connection). *tag_created* adds :data:`RUN_TAG`
    to ``context.tags`` of created issues (the fixture turns it on against a
    live server, so they are recognisable). *budget*, when given, caps how many
    issues it may create (:class:`CreateBudget`, shared between factories).
    """

    def __init__(
        self,
        *,
        spec: Spec | None = None,
        client: AntimetalClient | None = None,
        client_factory: Callable[[], AntimetalClient] | None = None,
        seed: int | None = None,
        tag_created: bool = False,
        on_created: Callable[[Issue], None] | None = None,
        budget: CreateBudget | None = None,
    ) -> None:
        self.spec = spec if spec is not None else vendored_spec()
        schema = self.spec.operation("post", "/issues").request_schema()
        if schema is None:
            raise ValueError(f"{self.spec.source}: POST /issues has no application/json body")
        self.schema: dict[str, Any] = schema
        self._client = client
        self._client_factory = client_factory
        self.tag_created = tag_created
        self._on_created = on_created
        self.budget = budget
        """Counted by every issue :meth:`create` and :meth:`create_many` make (``None``: no cap)."""
        self._random = random.Random(seed)
        self._counter = itertools.count(1)
        self.created: list[Issue] = []
        """Issues :meth:`create` made, in order."""

    def __repr__(self) -> str:
        return f"IssueFactory(spec={self.spec!r}, created={len(self.created)})"

    @property
    def client(self) -> AntimetalClient | None:
        """The client :meth:`create` uses."""
        if self._client is None and self._client_factory is not None:
            self._client = self._client_factory()
        return self._client

    # -- valid payloads -------------------------------------------------------------------

    @property
    def fields(self) -> list[str]:
        """Top-level property names of ``CreateIssueDto``."""
        return list(self.schema.get("properties", {}))

    def _normalise_overrides(self, overrides: dict[str, Any]) -> dict[str, Any]:
        known = self.fields
        result: dict[str, Any] = {}
        for name, value in overrides.items():
            key = name if name in known else _camel(name)
            if key not in known:
                raise TypeError(
                    f"CreateIssueDto has no field {name!r}; fields are: {', '.join(known)}"
                )
            result[key] = value
        return result

    def build(self, **overrides: Any) -> dict[str, Any]:
        """A valid ``CreateIssueDto`` dict with realistic values and a unique title.

        Overrides use the spec's names or their snake_case form
        (``triggered_at=``); pass :data:`OMIT` to leave a field out. A name the
        spec does not know raises ``TypeError`` (a typo would otherwise pass silently).
        """
        n = next(self._counter)
        rnd = self._random
        service = rnd.choice(_SERVICES)
        error_type, error_message = rnd.choice(_ERRORS)
        suffix = f"{rnd.getrandbits(32):08x}"
        realistic: dict[str, Any] = {
            "title": f"{rnd.choice(_TITLES).format(service=service)} (#{n} {suffix})",
            "description": f"{error_type} in {service}: {error_message} (deploy {suffix}).",
            "environment": rnd.choice(("production", "staging")),
            "severity": rnd.choice(("low", "medium", "high")),
            "context": {
                "service": service,
                "errorType": error_type,
                "errorMessage": error_message,
                "region": "eu-west-1",
                "tags": ["checkout", "latency"],
            },
        }
        properties = self.schema.get("properties", {})
        payload: dict[str, Any] = {}
        for name in self.schema.get("required", []):
            payload[name] = (
                realistic[name] if name in realistic else minimal_value(properties.get(name, {}))
            )
        for name in ("severity", "context"):
            if name in properties and name in realistic:
                payload[name] = realistic[name]
        # Keep realistic strings inside a refreshed spec's limits.
        for name, value in list(payload.items()):
            if isinstance(value, str) and name in properties:
                payload[name] = fit_length(value, properties[name])
        for name, value in self._normalise_overrides(overrides).items():
            if value is OMIT:
                payload.pop(name, None)
            else:
                payload[name] = value
        return payload

    # -- invalid payloads -----------------------------------------------------------------

    def _field_schema(self, field: str) -> tuple[dict[str, Any], bool]:
        node = self.schema
        parts = field.split(".")
        required = False
        for index, part in enumerate(parts):
            properties = node.get("properties", {})
            key = part if part in properties else _camel(part)
            if key not in properties:
                raise ValueError(f"CreateIssueDto has no field {field!r}")
            parts[index] = key
            required = key in node.get("required", [])
            node = properties[key]
        return node, required

    def violations(self, field: str) -> list[str]:
        """The violations :meth:`build_invalid` can produce for *field*, from the spec."""
        schema, required = self._field_schema(field)
        found = ["wrong_type"]
        if required:
            found.append("missing")
        if schema.get("type") == "string":
            if "maxLength" in schema:
                found.append("too_long")
            if int(schema.get("minLength", 0)) > 0:
                found.append("too_short")
            if schema.get("format") in ("date-time", "uri"):
                found.append("bad_format")
            if "pattern" in schema:
                found.append("pattern_mismatch")
        if "enum" in schema:
            found.append("not_in_enum")
        return found

    def build_invalid(self, field: str, violation: str, **overrides: Any) -> dict[str, Any]:
        """A payload valid except that *field* breaks one constraint.

        *field* is a dotted path (``"title"``, ``"context.tags"``); *violation*
        is one of :meth:`violations` for it: ``missing``, ``too_long``,
        ``too_short``, ``wrong_type``, ``not_in_enum``, ``bad_format``,
        ``pattern_mismatch``. A violation the spec does not constrain raises
        ``ValueError`` naming the ones it does.
        """
        schema, _ = self._field_schema(field)
        allowed = self.violations(field)
        if violation not in allowed:
            raise ValueError(
                f"cannot build {violation!r} for {field!r}: the spec allows {', '.join(allowed)}"
            )
        payload = self.build(**overrides)
        parts = [p if p in self.fields else _camel(p) for p in field.split(".")]
        parent = payload
        for part in parts[:-1]:
            parent = parent.setdefault(part, {})
        leaf = parts[-1]
        if violation == "missing":
            parent.pop(leaf, None)
        elif violation == "too_long":
            parent[leaf] = "x" * (int(schema["maxLength"]) + 1)
        elif violation == "too_short":
            parent[leaf] = "x" * (int(schema["minLength"]) - 1)
        elif violation == "wrong_type":
            parent[leaf] = 12345 if schema.get("type") in ("string", "array", "object") else "text"
        elif violation == "not_in_enum":
            parent[leaf] = "not-" + "-".join(str(v) for v in schema["enum"])
        elif violation == "bad_format":
            parent[leaf] = (
                "2026-13-45T25:61:00Z" if schema["format"] == "date-time" else "not a uri"
            )
        elif violation == "pattern_mismatch":
            parent[leaf] = "!"
        return payload

    # -- hypothesis -----------------------------------------------------------------------

    def strategy(self, **fixed: Any) -> SearchStrategy[dict[str, Any]]:
        """A hypothesis strategy of valid payloads derived from the spec.

        Every date-time satisfies both the spec's ``pattern`` and RFC 3339;
        *fixed* values are used as given (names as in :meth:`build`).
        """
        from pytest_antimetal.strategies import from_schema

        schema = copy.deepcopy(self.schema)
        fixed = self._normalise_overrides(fixed)
        for name in fixed:
            schema.get("properties", {}).pop(name, None)
            if name in schema.get("required", []):
                schema["required"].remove(name)
        base: SearchStrategy[dict[str, Any]] = from_schema(schema)
        present = {k: v for k, v in fixed.items() if v is not OMIT}
        return base.map(lambda payload: {**payload, **present}) if present else base

    # -- creating -------------------------------------------------------------------------

    def _client_or_fail(self, what: str) -> AntimetalClient:
        client = self.client
        if client is None:
            raise RuntimeError(f"IssueFactory.{what} needs a client: IssueFactory(client=...)")
        return client

    def _send(self, client: AntimetalClient, payload: dict[str, Any]) -> Issue:
        if self.tag_created:
            context = dict(payload.get("context") or {})
            context["tags"] = [*context.get("tags", []), RUN_TAG]
            payload["context"] = context
        issue = client.issues.create(**_as_kwargs(payload))
        self.created.append(issue)
        if self._on_created is not None:
            self._on_created(issue)
        return issue

    def create(self, **overrides: Any) -> Issue:
        """Create an issue through the client from :meth:`build` ``(**overrides)``."""
        client = self._client_or_fail("create")
        payload = self.build(**overrides)
        if self.budget is not None:
            self.budget.take(1)
        return self._send(client, payload)

    def create_many(self, n: int, **overrides: Any) -> list[Issue]:
        """Create *n* issues, each from its own :meth:`build`; the list, in creation order.

        Each issue varies as :meth:`build` does (its own unique title, severity,
        environment, service); *overrides* apply to all of them, and an override
        that is callable is called with the issue's index (0 to n-1) for its value:
        ``create_many(3, severity=lambda i: ("low", "medium", "high")[i])``.
        Every payload is built (and its overrides checked) before the first is
        sent, and the whole *n* is taken from the budget at once: a mistake or a
        budget too small creates nothing.
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"create_many: n must be an int >= 0, got {n!r}")
        client = self._client_or_fail("create_many")
        self._normalise_overrides(overrides)  # a typo fails before anything is built
        payloads = [
            self.build(**{k: v(i) if callable(v) else v for k, v in overrides.items()})
            for i in range(n)
        ]
        if self.budget is not None:
            self.budget.take(n)
        return [self._send(client, payload) for payload in payloads]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """An endless supply of :meth:`build` payloads."""
        while True:
            yield self.build()


# CreateIssueDto field -> keyword of ``client.issues.create``; other fields a
# refreshed spec adds travel in ``extra_body``.
_CREATE_KWARGS = {
    "title": "title",
    "description": "description",
    "environment": "environment",
    "severity": "severity",
    "triggeredAt": "triggered_at",
    "context": "context",
}


def _as_kwargs(payload: dict[str, Any]) -> dict[str, Any]:
    kwargs = {_CREATE_KWARGS[k]: v for k, v in payload.items() if k in _CREATE_KWARGS}
    extra = {k: v for k, v in payload.items() if k not in _CREATE_KWARGS}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs
