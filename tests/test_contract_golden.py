"""Guard rail: the request sequence of every part, pinned for fixed seeds.

Cassettes (one per part) and ``--hypothesis-seed`` replays depend on a part sending exactly
the same requests for the same spec, seed and budget. A refactoring of the contract runner
must not change them; a deliberate change updates the hashes below and says why in its
commit. The hash covers each request's method, path, headers (the credential left out) and
body bytes, in order.
"""

from __future__ import annotations

import hashlib

import pytest

from pytest_antimetal.contract.runner import PARTS, ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal

KEY = "amk-golden-test-key-0123456789"
SEEDS = (1, 42)
MAX_EXAMPLES = 25

GOLDEN: dict[tuple[str, int], tuple[int, str]] = {
    ("examples", 1): (3, "0f2d778c651218ce"),
    ("examples", 42): (3, "0f2d778c651218ce"),
    ("coverage", 1): (160, "bf88b4f7a39a00c4"),
    ("coverage", 42): (160, "bf88b4f7a39a00c4"),
    ("edge-cases", 1): (44, "5d652223f495cff0"),
    ("edge-cases", 42): (44, "5d652223f495cff0"),
    ("malformed", 1): (14, "bb3089ee71d79beb"),
    ("malformed", 42): (14, "bb3089ee71d79beb"),
    ("fuzz-positive", 1): (27, "15b5b0e74b7d8675"),
    ("fuzz-positive", 42): (27, "100473f866a60bb0"),
    ("fuzz-negative", 1): (25, "276fdca9525f5767"),
    ("fuzz-negative", 42): (25, "0b1d8fe32e2761ae"),
}
"""(part, seed) -> (requests sent, sha256 of the sequence, first 16 hex digits)."""


def sequence_hash(part: str, seed: int) -> tuple[int, str]:
    """Run *part* with *seed* against a fresh fake; the number of requests and their hash."""
    fake = FakeAntimetal(api_keys=[KEY], seed=3)
    settings = ContractSettings(
        spec=fake.spec,
        base_url=fake.base_url,
        api_key=KEY,
        transport=fake.transport,
        seed=seed,
        max_examples=MAX_EXAMPLES,
        replay=lambda p: "replay",
    )
    with ContractRunner(settings) as runner:
        runner.run(part)
    digest = hashlib.sha256()
    for request in fake.requests:
        headers = sorted(
            (name, value) for name, value in request.headers.items() if name != "authorization"
        )
        digest.update(repr((request.method, request.path, headers)).encode())
        digest.update(len(request.body).to_bytes(8, "big") + request.body)
    return len(fake.requests), digest.hexdigest()[:16]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("part", PARTS)
def test_request_sequence_is_pinned(part: str, seed: int) -> None:
    assert sequence_hash(part, seed) == GOLDEN[(part, seed)]
