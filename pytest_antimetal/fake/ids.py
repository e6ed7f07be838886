"""The fake's generated ids: request ids and RFC 4122 version-4 uuids, seeded or random.

With a seed each sequence is a function of it and restarts on :meth:`Ids.reset`
(the fake's ``reset``); without one they come from ``os.urandom``.
"""

from __future__ import annotations

import os
import random
import threading

__all__ = ["Ids", "uuid4"]


def uuid4(raw: str) -> str:
    """32 random hex digits as an RFC 4122 version 4 uuid: version nibble 4, variant bits 10xx."""
    variant = "89ab"[int(raw[16], 16) & 3]
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-{variant}{raw[17:20]}-{raw[20:]}"


class Ids:
    """Request ids (``req_`` and 24 hex digits) and uuids, a seeded sequence of each."""

    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self.reset(seed)

    def reset(self, seed: int | None) -> None:
        """Restart both sequences from *seed* (``None``: random from now on)."""
        with self._lock:
            if seed is None:
                self._uuid_rng: random.Random | None = None
                self._request_rng: random.Random | None = None
            else:
                self._uuid_rng = random.Random(f"antimetal-fake:{seed}:uuid")
                self._request_rng = random.Random(f"antimetal-fake:{seed}:request")

    def request_id(self) -> str:
        """The next request id."""
        with self._lock:
            if self._request_rng is None:
                return "req_" + os.urandom(12).hex()
            return f"req_{self._request_rng.getrandbits(96):024x}"

    def uuid(self) -> str:
        """The next uuid (version 4)."""
        if self._uuid_rng is None:
            raw = os.urandom(16).hex()
        else:
            raw = f"{self._uuid_rng.getrandbits(128):032x}"
        return uuid4(raw)
