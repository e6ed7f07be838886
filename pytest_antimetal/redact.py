"""Moved to :mod:`pytest_antimetal.secrets`; kept for one release.

Text redaction now lives with the key it protects: one module for everything about it.
"""

from __future__ import annotations

# Only the text-redaction names this module had (secrets.py has more).
from pytest_antimetal.secrets import (
    DEFAULT_PLACEHOLDER,
    Secret,
    SecretLike,
    redact,
    secret_variants,
)

__all__ = ["DEFAULT_PLACEHOLDER", "Secret", "SecretLike", "redact", "secret_variants"]
