"""Recording a failure of the contract suite: :class:`FailureRecorder`.

The request is redacted for showing (the key hidden unless it is the fake's public one), the
:class:`~.report.Failure` gets its replay command, reproduction set-up and body directory,
and is grouped by root cause in the part's book; the part keeps the first few per check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pytest_antimetal.contract.auth_probe import PUBLIC_CREDENTIALS
from pytest_antimetal.contract.checking import Finding
from pytest_antimetal.contract.part_result import PartResult
from pytest_antimetal.contract.report import Failure, ReceivedResponse, SentRequest
from pytest_antimetal.contract.sending import Outgoing
from pytest_antimetal.contract.settings import ContractSettings
from pytest_antimetal.secrets import bearer

__all__ = ["FailureRecorder"]


class FailureRecorder:
    """Turns what a check found into a :class:`~.report.Failure` on a :class:`PartResult`."""

    def __init__(self, settings: ContractSettings) -> None:
        self.settings = settings

    @property
    def secrets(self) -> tuple[str, ...]:
        # Bare for the reports' redaction only (they match text); never stored or printed.
        return () if self.settings.key_is_public else (self.settings.api_key.get_secret_value(),)

    @property
    def public(self) -> tuple[str, ...]:
        if self.settings.key_is_public:
            return (*PUBLIC_CREDENTIALS, bearer(self.settings.api_key))
        return PUBLIC_CREDENTIALS

    def shown(self, out: Outgoing, headers: dict[str, str]) -> SentRequest:
        """*out* as a report shows it, with *headers* (as sent) redacted."""
        return SentRequest.redacted(
            out.method, out.url, headers, out.content, secrets=self.secrets, public=self.public
        )

    def fail(
        self,
        result: PartResult,
        out: Outgoing,
        *,
        check: str,
        message: str,
        shown: SentRequest,
        received: ReceivedResponse | None,
        details: str = "",
    ) -> None:
        """Count a failure of *check* on *result*, group it, and keep it when under the
        per-check limit."""
        result.stats.failures[check] += 1
        replay = self.settings.replay(result.item) if self.settings.replay else ""
        cache = self.settings.cache_dir
        failure = Failure(
            check,
            message,
            out.label,
            shown,
            received,
            details=details,
            replay=replay,
            setup=self.settings.reproduce_setup,
            body_dir=None if cache is None else cache / "bodies",
        )
        result.book.add(failure, result.item, self.secrets)  # counted whether kept or not
        if result.stats.failures[check] <= self.settings.max_failures_per_check:
            result.failures.append(failure)

    def findings(
        self,
        result: PartResult,
        out: Outgoing,
        headers: Mapping[str, str],
        received: ReceivedResponse,
        found: Iterable[Finding],
    ) -> None:
        """Record what the checks *found* on *out*'s answer (*headers*: as sent, httpx's
        ``Headers``, whose repr masks the credential; a plain copy is made only to redact
        it, and only when something failed)."""
        shown: SentRequest | None = None
        for finding in found:
            if shown is None:
                shown = self.shown(out, dict(headers))
            self.fail(
                result,
                out,
                check=finding.check,
                message=finding.message,
                shown=shown,
                received=received,
                details=finding.details,
            )
