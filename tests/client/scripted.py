"""Scripted answers for the client's resource tests: DTO bodies and a routing handler.

Bodies are valid against the vendor's full document (checked by test_resources), so a
test that breaks one field shows the client's check of exactly that field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_antimetal._retry import RetryPolicy
from pytest_antimetal.spec import Spec
from tests.helpers.sessions import REPO_ROOT

CANARY = "sk-canary-7f3a9c1e5b2d4f6a8c0e-ZQXW"
CANARY_CORE = "7f3a9c1e5b2d4f6a8c0e"  # must never appear anywhere printable
STAMP = "2026-03-17T10:00:00.000Z"
ISSUE_ID = "0b8f2d3e-1111-4c4c-9a9a-123456789abc"
CONVERSATION = "6f1c1f4e-8d2a-4b7e-9c3d-2a1b0c9d8e7f"

FULL_DOCUMENT = REPO_ROOT.parent / "shared" / "vendor" / "openapi.mintlify.json"


def full_spec() -> Spec:
    """The vendor's whole document (all nine operations); skip where it is absent."""
    if not Path(FULL_DOCUMENT).is_file():
        pytest.skip(f"{FULL_DOCUMENT} (the vendor's full document) is not here")
    return _full_spec_cached()


_CACHE: dict[str, Spec] = {}


def _full_spec_cached() -> Spec:
    if "full" not in _CACHE:
        _CACHE["full"] = Spec.from_path(FULL_DOCUMENT)
    return _CACHE["full"]


def uuid_n(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def summary(n: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": uuid_n(n),
        "number": n,
        "title": f"Issue {n}",
        "description": f"Description {n}",
        "severity": "medium",
        "status": "investigating",
        "environment": "production",
        "triggeredAt": STAMP,
        "seedCount": 1,
    }
    body.update(overrides)
    return body


def version(n: int, status: str) -> dict[str, Any]:
    return {"uuid": f"v-{n}", "version": n, "status": status}


def issue_dto(
    *, status: str = "investigating", runs: tuple[str, ...] = ("PENDING",), **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": ISSUE_ID,
        "number": 7,
        "title": "Disk full",
        "description": "The disk is full",
        "severity": "high",
        "status": status,
        "environment": "production",
        "triggeredAt": STAMP,
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "seedCount": 1,
        "seeds": [
            {
                "publicUuid": "11111111-2222-4333-8444-555555555555",
                "seedType": "alert",
                "provider": "datadog",
                "providerReferenceId": "dd-1",
                "title": "Disk full",
                "description": "from the monitor",
                "tags": ["disk"],
                "link": None,
                "query": None,
                "rawPayload": None,
                "triggeredAt": STAMP,
            }
        ],
        "latestVersion": max(len(runs), 1),
        "versions": [version(i + 1, s) for i, s in enumerate(runs)],
    }
    body.update(overrides)
    return body


def evidence(*document_ids: str) -> dict[str, Any]:
    return {
        "title": "Disk usage climbed",
        "status": "relevant",
        "description": "usage went to 100%",
        "confidence": "likely",
        "artifacts": [
            {"documentId": d, "title": d, "description": "a metric", "dataType": "metric"}
            for d in document_ids
        ],
    }


def results_dto(*document_ids: str, root: bool = True) -> dict[str, Any]:
    return {
        "sessionUuid": None,
        "rootCause": {
            "id": "rc-1",
            "incidentOverview": "The disk filled up",
            "rootCauseSummary": "Logs were never rotated",
            "relevantEvidence": [evidence(*document_ids)],
            "irrelevantEvidence": [],
        }
        if root
        else None,
        "causalTree": {"nodes": [], "edges": []},
        "causalTreeV2": {"nodes": [], "edges": []},
        "remediation": {"actions": []},
        "timeline": [],
    }


ARTIFACT_DATA: dict[str, Any] = {
    "metric": {
        "metricType": "gauge",
        "name": "disk.used",
        "description": "disk used",
        "unit": "By",
        "dataPoints": [],
    },
    "trace": {"traces": []},
    "log": {"logs": []},
    "file": {
        "content": "x = 1\n",
        "metadata": {"fileName": "a.py", "filePath": "src/a.py", "language": "python"},
    },
    "event": {"events": []},
    "topology": {"checkout": {"calls": ["db"]}},
}


def artifact(kind: str, artifact_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": artifact_id or f"{kind}:datadog:1",
        "provider": "datadog",
        "providerUrl": None,
        "summary": f"a {kind}",
        "createdAt": STAMP,
        "updatedAt": STAMP,
        "type": kind,
        "data": ARTIFACT_DATA.get(kind, {}),
    }
    body.update(overrides)
    return body


def query_dto(answer: str = "The disk is full.") -> dict[str, Any]:
    return {
        "conversation_id": CONVERSATION,
        "answer": answer,
        "artifacts": [{"id": "metric:datadog:1", "tool_name": "metrics", "data_type": "metric"}],
    }


def sse(*events: dict[str, Any] | str, crlf: bool = False) -> bytes:
    """An event stream: dicts become ``data: <json>`` events, strings raw lines."""
    end = "\r\n" if crlf else "\n"
    out = []
    for event in events:
        if isinstance(event, str):
            out.append(event + end)
        else:
            out.append(f"data: {json.dumps(event)}{end}{end}")
    return "".join(out).encode()


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def error_body(status: int, message: str = "nope") -> httpx.Response:
    body = {"type": "api_error", "message": message, "request_id": f"req_{status}"}
    return httpx.Response(status, json=body)


Route = Callable[[httpx.Request], httpx.Response]


class Router:
    """A MockTransport handler: ``(METHOD, path regex)`` -> an answer or a queue of answers.

    Records every request; the last answer of a queue repeats.
    """

    prefix = "/v2"  # the tests' base URL is https://api.test/v2

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = {key: (list(v) if isinstance(v, list) else [v]) for key, v in routes.items()}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, pattern), queue in self.routes.items():
            path = request.url.path.removeprefix(self.prefix)
            if request.method == method and re.fullmatch(pattern, path):
                item = queue.pop(0) if len(queue) > 1 else queue[0]
                if isinstance(item, Exception):
                    raise item
                return item(request) if callable(item) else item
        return httpx.Response(
            404, json={"type": "api_error", "message": "no route", "request_id": "r"}
        )

    def paths(self) -> list[str]:
        return [
            f"{r.method} {r.url.raw_path.decode().removeprefix(self.prefix)}" for r in self.requests
        ]


class FakeTime:
    """A clock and a sleep that advances it (sync and async): no test ever waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def policy(self, **kwargs: Any) -> RetryPolicy:
        return RetryPolicy(
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            clock=self.clock,
            random=lambda: 1.0,
            **kwargs,
        )
