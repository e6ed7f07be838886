"""What every report file says about the run besides its entries: :class:`ReportContext`.

The seed, the spec's hash, the target (never its key) and each entry's rules: the Markdown
and JSON (:mod:`.report_files`), the coverage page (:mod:`.report_html`) and the
reproductions (:mod:`.repro`) read the same context.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_antimetal.contract.entries import Entry, OperationRef
from pytest_antimetal.contract.rules import ContractRules

__all__ = ["ReportContext"]


@dataclass(frozen=True)
class ReportContext:
    """What a report says about the run besides its entries."""

    seed: int
    spec_document: Mapping[str, Any]
    target: str
    """Base URL, or ``embedded fake``; never holds the key."""
    key: str
    """How the key is shown: ``[REDACTED]``, the fake's public key, or ``none``."""
    rules: ContractRules
    """The rules of an entry of no known operation (the settings' operation)."""
    replay: str = ""
    rules_for: Callable[[OperationRef], ContractRules] | None = None
    """An operation's rules: each entry's reproduction asserts what its own operation's
    checks asked."""

    def rules_of(self, entry: Entry) -> ContractRules:
        if entry.operation is None or self.rules_for is None:
            return self.rules
        return self.rules_for(entry.operation)

    @property
    def spec_sha256(self) -> str:
        text = json.dumps(self.spec_document, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()
