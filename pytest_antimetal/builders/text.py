"""Realistic text for a string property, chosen by the property's name.

Only wording lives here: which properties exist, and what they must satisfy,
comes from the document (:mod:`.values`). A name this module does not know
gets a short plain sentence, so a property a refreshed document adds still gets
a value. Standard library only.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable

__all__ = ["SERVICES", "for_field", "hex_id", "sentence", "service"]

SERVICES = (
    "checkout-api",
    "payments-worker",
    "search",
    "auth-gateway",
    "inventory",
    "orders-db",
    "edge-proxy",
)
_SYMPTOMS = (
    "5xx rate above 4%",
    "p99 latency over 2s",
    "pods crash-looping",
    "queue backlog growing",
    "connection pool exhausted",
    "memory climbing to the limit",
)
_CAUSES = (
    "a deploy lowered the connection pool size to 5",
    "a feature flag routed traffic to a drained region",
    "an unbounded cache grew until the container was OOM-killed",
    "a schema migration locked the orders table",
    "a certificate rotation broke mTLS between services",
)
_ACTIONS = (
    "Roll back the latest deploy",
    "Raise the connection pool size",
    "Disable the feature flag",
    "Add a memory limit alert",
    "Cap the cache size",
)
_LANGUAGES = ("python", "typescript", "go", "yaml")
_LEVELS = ("ERROR", "WARN", "INFO")
_TOOLS = ("query_metrics", "search_logs", "get_traces", "read_file", "list_events")
_UNITS = ("ms", "1", "By", "%")


def service(rnd: random.Random) -> str:
    """A service name."""
    return rnd.choice(SERVICES)


def hex_id(rnd: random.Random, length: int = 32) -> str:
    """*length* lowercase hex digits."""
    return f"{rnd.getrandbits(4 * length):0{length}x}"


def sentence(rnd: random.Random) -> str:
    """A plain sentence about an incident."""
    return f"{service(rnd)}: {rnd.choice(_SYMPTOMS)} after {rnd.choice(_CAUSES)}."


def _title(rnd: random.Random) -> str:
    return f"{rnd.choice(_SYMPTOMS).capitalize()} on {service(rnd)}"


def _markdown(rnd: random.Random) -> str:
    return f"**{rnd.choice(_ACTIONS)}.** {sentence(rnd)}"


_BY_NAME: dict[str, Callable[[random.Random], str]] = {
    "title": _title,
    "name": lambda rnd: f"{service(rnd)}.http.server.duration",
    "label": lambda rnd: rnd.choice(_ACTIONS),
    "incidentOverview": lambda rnd: f"{_title(rnd)} since the last deploy.",
    "rootCauseSummary": lambda rnd: f"{rnd.choice(_CAUSES).capitalize()}.",
    "description": sentence,
    "summary": sentence,
    "message": sentence,
    "body": sentence,
    "expandedContent": _markdown,
    "helpMarkdown": _markdown,
    "content": lambda rnd: f"# {service(rnd)}\nPOOL_SIZE = {rnd.randint(5, 50)}\n",
    "answer": lambda rnd: (
        f"The errors on {service(rnd)} started when {rnd.choice(_CAUSES)}. "
        f"{rnd.choice(_ACTIONS)} to recover."
    ),
    "text": lambda rnd: f"{rnd.choice(_CAUSES).capitalize()}. ",
    "service": service,
    "call": service,
    "key": lambda rnd: rnd.choice(("service.name", "http.route", "k8s.pod.name")),
    "stringValue": service,
    "language": lambda rnd: rnd.choice(_LANGUAGES),
    "severity": lambda rnd: rnd.choice(_LEVELS),
    "unit": lambda rnd: rnd.choice(_UNITS),
    "tool_name": lambda rnd: rnd.choice(_TOOLS),
    "fileName": lambda rnd: f"{rnd.choice(('pool', 'cache', 'routes'))}.py",
    "filename": lambda rnd: f"{rnd.choice(('pool', 'cache', 'routes'))}.py",
    "filePath": lambda rnd: f"services/{service(rnd)}/{rnd.choice(('pool', 'cache'))}.py",
    "providerUrl": lambda rnd: f"https://app.datadoghq.com/apm/traces/{hex_id(rnd, 16)}",
    "traceId": lambda rnd: hex_id(rnd, 32),
    "spanId": lambda rnd: hex_id(rnd, 16),
    "parentSpanId": lambda rnd: hex_id(rnd, 16),
    "eventId": lambda rnd: hex_id(rnd, 16),
    "asInt": lambda rnd: str(rnd.randint(0, 5000)),
    "count": lambda rnd: str(rnd.randint(0, 5000)),
    "bucketCount": lambda rnd: str(rnd.randint(0, 500)),
    "intValue": lambda rnd: str(rnd.randint(0, 5000)),
    "bytesValue": lambda rnd: "aGVsbG8=",
}


def for_field(name: str, rnd: random.Random) -> str:
    """Text for a string property called *name* (a sentence when the name is unknown)."""
    make = _BY_NAME.get(name)
    if make is not None:
        return make(rnd)
    if name.lower().endswith("uuid"):
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    if name.lower().endswith("id"):
        return hex_id(rnd, 16)
    return sentence(rnd)
