"""A failure and its request as JSON: how entries travel between xdist workers and into report.json.

Bodies are base64 (they may be any bytes); what is written is what the entry holds, and an
entry holds redacted data only (see :meth:`.grouping.EntryBook.add`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest

__all__ = ["failure_as_dict", "failure_from_dict", "request_as_dict", "request_from_dict"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def request_as_dict(r: SentRequest) -> dict[str, Any]:
    return {"method": r.method, "url": r.url, "headers": r.headers, "body_base64": _b64(r.body)}


def request_from_dict(d: Mapping[str, Any]) -> SentRequest:
    return SentRequest(
        str(d["method"]), str(d["url"]), dict(d["headers"]), base64.b64decode(d["body_base64"])
    )


def failure_as_dict(f: Failure) -> dict[str, Any]:
    response = None
    if f.response is not None:
        response = {
            "status": f.response.status,
            "headers": f.response.headers,
            "body_base64": _b64(f.response.body),
        }
    return {
        "check": f.check,
        "message": f.message,
        "case": f.case,
        "details": f.details,
        "replay": f.replay,
        "setup": f.setup,
        "request": request_as_dict(f.request),
        "response": response,
    }


def failure_from_dict(d: Mapping[str, Any]) -> Failure:
    request = request_from_dict(d["request"])
    resp = d.get("response")
    response = None
    if resp is not None:
        response = ReceivedResponse(
            int(resp["status"]), dict(resp["headers"]), base64.b64decode(resp["body_base64"])
        )
    return Failure(
        str(d["check"]),
        str(d["message"]),
        str(d["case"]),
        request,
        response,
        details=str(d["details"]),
        replay=str(d["replay"]),
        setup=str(d["setup"]),
    )
