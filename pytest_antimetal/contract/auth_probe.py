"""The ``ignored_auth`` probes: an accepted (or valid) request resent without credentials
and with a wrong key, each of which must get ``401``.

:func:`auth_probes` builds the two requests and their expectations; the runner decides when
to send them (once per part, or once per operation and run against a capped target) and
sends them like any other request. :data:`INVALID_KEY` is public: reports may show it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pytest_antimetal.contract.checking import Expectation
from pytest_antimetal.contract.checks import CheckFailed, Exchange
from pytest_antimetal.contract.sending import Outgoing

__all__ = ["INVALID_KEY", "PUBLIC_CREDENTIALS", "auth_probes"]

INVALID_KEY = "pytest-antimetal-invalid-key-0000"
PUBLIC_CREDENTIALS = (f"Bearer {INVALID_KEY}",)
"""Credentials a report may show as they are (the probes' wrong key)."""


def auth_probes(out: Outgoing, *, accepted: bool = True) -> Iterator[tuple[Outgoing, Expectation]]:
    """*out* resent without credentials, then with :data:`INVALID_KEY`, each with the check
    that its answer is ``401``. *accepted*: *out* was accepted (else it is an operation's
    first valid request, none of whose requests was accepted)."""
    sent = "the accepted request" if accepted else "a valid request"
    for label, auth in (("without credentials", None), ("with an invalid key", INVALID_KEY)):
        headers = {k: v for k, v in out.headers.items() if k.lower() != "authorization"}
        if auth is not None:
            headers["Authorization"] = f"Bearer {auth}"
        probe = Outgoing(
            f"{out.label} - resent {label}",
            "negative",
            out.method,
            out.url,
            headers,
            out.content,
            out.body,
            None,
        )

        def enforced(ex: Exchange, label: str = label) -> None:
            if ex.response.status != 401:
                raise CheckFailed(
                    "ignored_auth",
                    f"{sent} resent {label} got HTTP {ex.response.status}, expected 401: "
                    "the server does not enforce its bearer security (or checks the id "
                    "before the credentials)",
                )

        yield probe, enforced
