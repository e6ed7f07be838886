"""Moved to :mod:`pytest_antimetal.secrets` (text redaction lives with the key); kept for one
release."""

from __future__ import annotations

from pytest_antimetal.secrets import (
    DEFAULT_PLACEHOLDER,
    Secret,
    SecretLike,
    redact,
    secret_variants,
)

__all__ = ["DEFAULT_PLACEHOLDER", "Secret", "SecretLike", "redact", "secret_variants"]
