"""Guard rail: the request sequence of every part, pinned for fixed seeds.

Cassettes (one per item) and ``--hypothesis-seed`` replays depend on a part sending exactly
the same requests for the same spec, seed and budget. A refactoring of the contract runner
must not change them; a deliberate change updates the hashes below and says why in its
commit. The hash covers each request's method, path, headers (the credential left out) and
body bytes, in order.

The sequences are computed as a user's run computes them: in a fresh interpreter, with the
package imported from a ``site-packages`` directory. Hypothesis mixes into its fuzzing
draws the literals of the "local" modules imported at the time (README, 'Determinism'),
and in this checkout the package itself is local: an in-process run would depend on which
of its modules (and which tests) happened to be imported first, and on every literal in
them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_antimetal
from pytest_antimetal.contract.parts import PARTS

SEEDS = (1, 42)

GOLDEN: dict[tuple[str, int], tuple[int, str]] = {
    ("examples", 1): (3, "0f2d778c651218ce"),
    ("examples", 42): (3, "0f2d778c651218ce"),
    ("coverage", 1): (159, "dc330244bbbe3f52"),
    ("coverage", 42): (159, "dc330244bbbe3f52"),
    ("edge-cases", 1): (44, "5d652223f495cff0"),
    ("edge-cases", 42): (44, "5d652223f495cff0"),
    ("malformed", 1): (14, "bb3089ee71d79beb"),
    ("malformed", 42): (14, "bb3089ee71d79beb"),
    ("fuzz-positive", 1): (27, "fd8ba901cf94d178"),
    ("fuzz-positive", 42): (27, "f779a8b453ead0bc"),
    ("fuzz-negative", 1): (25, "b2addf0fc0eb3b36"),
    ("fuzz-negative", 42): (25, "926840ff0434964a"),
    ("sequences", 1): (32, "e8687057061db632"),
    ("sequences", 42): (38, "6c8176870da649ee"),
}
"""(part, seed) -> (requests sent, sha256 of the sequence, first 16 hex digits)."""

_RUN = """
import hashlib, json, sys
import pytest_antimetal
from pytest_antimetal.contract.parts import PARTS
from pytest_antimetal.contract.runner import ContractRunner, ContractSettings
from pytest_antimetal.fake import FakeAntimetal

assert "/site-packages/" in pytest_antimetal.__file__, pytest_antimetal.__file__
KEY = "amk-golden-test-key-0123456789"
out = {}
for part in (*PARTS, "sequences"):  # the stateful part too: its rules are what Hypothesis draws
    for seed in json.loads(sys.argv[1]):
        fake = FakeAntimetal(api_keys=[KEY], seed=3)
        settings = ContractSettings(
            spec=fake.spec, base_url=fake.base_url, api_key=KEY, transport=fake.transport,
            seed=seed, max_examples=25, replay=lambda p: "replay",
        )
        with ContractRunner(settings) as runner:
            runner.run(part)
        digest = hashlib.sha256()
        for request in fake.requests:
            headers = sorted((k, v) for k, v in request.headers.items() if k != "authorization")
            digest.update(repr((request.method, request.path, headers)).encode())
            digest.update(len(request.body).to_bytes(8, "big") + request.body)
        out[f"{part} {seed}"] = [len(fake.requests), digest.hexdigest()[:16]]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def sequences(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], tuple[int, str]]:
    """Every (part, seed)'s request count and hash, from a user-like install."""
    root = tmp_path_factory.mktemp("golden")
    site = root / "site-packages"
    source = Path(pytest_antimetal.__file__).parent
    package = site / "pytest_antimetal"
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(source.parent / "spec", package / "_spec")  # as the wheel has it
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(SEEDS)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        (key.split()[0], int(key.split()[1])): (count, digest)
        for key, (count, digest) in found.items()
    }


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("part", [*PARTS, "sequences"])
def test_request_sequence_is_pinned(
    sequences: dict[tuple[str, int], tuple[int, str]], part: str, seed: int
) -> None:
    assert sequences[(part, seed)] == GOLDEN[(part, seed)]


def test_another_seed_sends_other_fuzzing_requests(
    sequences: dict[tuple[str, int], tuple[int, str]],
) -> None:
    for part in ("fuzz-positive", "fuzz-negative"):
        assert sequences[(part, 1)][1] != sequences[(part, 42)][1]
