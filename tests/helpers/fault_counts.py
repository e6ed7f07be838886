"""A hand count of what each planted fault does, independent of the suite's checks.

Each planted fault (``tests/helpers/planted_faults.py``) changes some of the fake's answers. The
predicates below recognise a changed answer from the outside (the request and the
response), so a test can compare the suite's counts with what the server really did.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from pytest_antimetal.contract.shrink import USER_AGENT as SHRINK_AGENT
from pytest_antimetal.fake import DEFAULT_FAKE_API_KEY, FakeAntimetal, FakeResponse
from pytest_antimetal.spec import Spec
from tests.helpers.planted_faults import FAULTS, FaultyFake

FAKE_KEY = DEFAULT_FAKE_API_KEY
Seen = Callable[[str, Mapping[str, str], Any, FakeResponse, "Tally"], bool]


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


class Tally:
    """Answers the fault changed, per part of the suite (``part`` is set as each part starts)."""

    def __init__(self) -> None:
        self.part = ""
        self.hits: Counter[str] = Counter()
        self.created = 0


def _auth(headers: Mapping[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), "")


def _created(response: FakeResponse) -> dict[str, Any] | None:
    body = _json(response.body)
    return body if response.status == 201 and isinstance(body, dict) else None


def _reuse_number(m: str, h: Mapping[str, str], sent: Any, r: FakeResponse, t: Tally) -> bool:
    if _created(r) is None:
        return False
    t.created += 1
    return t.created > 1  # the first issue really is number 1


SEEN: dict[str, Seen] = {
    "title-echo": lambda m, h, sent, r, t: str((_created(r) or {}).get("title", "")).endswith("!"),
    "astral-500": lambda m, h, sent, r, t: r.status == 500,
    "reuse-number": _reuse_number,
    "pattern-only-datetime": lambda m, h, sent, r, t: (
        _created(r) is not None
        and isinstance(sent, dict)
        and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", str(sent.get("triggeredAt"))) is not None
    ),
    "reject-max-title": lambda m, h, sent, r, t: b"title too long" in r.body,
    "bad-400-body": lambda m, h, sent, r, t: r.status == 400 and b"statusCode" in r.body,
    "wrong-401-type": lambda m, h, sent, r, t: r.status == 401,
    "severity-default": lambda m, h, sent, r, t: (
        (_created(r) or {}).get("severity") == "low"
        and isinstance(sent, dict)
        and "severity" not in sent
    ),
    "created-after-updated": lambda m, h, sent, r, t: _created(r) is not None,
    "malformed-500": lambda m, h, sent, r, t: r.status == 500,
    "ignores-auth": lambda m, h, sent, r, t: r.status == 201 and _auth(h) != "Bearer " + FAKE_KEY,
    # OPTIONS is left out of both: answering it 200 is fine, and schemathesis's
    # unsupported_method does not judge it (a 405 to OPTIONS without `Allow` goes unreported).
    "no-allow": lambda m, h, sent, r, t: r.status == 405 and m.upper() != "OPTIONS",
    "get-accepted": lambda m, h, sent, r, t: (
        m.upper() not in ("POST", "OPTIONS") and r.status == 200
    ),
    "echo-key": lambda m, h, sent, r, t: r.status == 500,
    "text-content-type": lambda m, h, sent, r, t: r.headers.get("content-type") == "text/plain",
}
assert set(SEEN) == set(FAULTS)

TALLY = Tally()


class CountingFake(FaultyFake):
    """The faulty fake, counting the answers its fault changed into :data:`TALLY`."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(FAULTS[name].handler, **kwargs)
        self._seen = SEEN[name]

    def handle(
        self, method: str, url_or_path: str, headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        response = super().handle(method, url_or_path, headers, body)
        agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), "")
        if agent == SHRINK_AGENT:
            return response  # minimising re-sends: counted apart, in the summary
        if self._seen(method, headers, _json(body), response, TALLY):
            TALLY.hits[TALLY.part] += 1
        return response


def counting_factory(name: str) -> Callable[[Spec, int, str], FakeAntimetal]:
    """A ``ContractPlugin.fake_factory`` for fault *name* that counts into a fresh TALLY."""
    TALLY.__init__()  # type: ignore[misc]

    def factory(spec: Spec, seed: int, api_key: str) -> FakeAntimetal:
        return CountingFake(name, spec=spec, seed=seed, api_keys=[api_key])

    return factory
