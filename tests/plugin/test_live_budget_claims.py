"""``pytest_antimetal.live_budget``: all-or-nothing claims of n units, across threads and
processes, without pytest."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_antimetal.factory import CreateBudget, LiveBudgetExceeded
from pytest_antimetal.live_budget import SAFE_METHODS, LiveBudget, SharedBudget, can_create
from tests.helpers.sessions import REPO_ROOT

pytestmark = pytest.mark.filterwarnings("error")


MakeBudget = Callable[[int], LiveBudget | SharedBudget]


@pytest.fixture(params=["local", "shared"])
def budget_of(request: pytest.FixtureRequest, tmp_path: Path) -> MakeBudget:
    """Makes a budget of *size* of either kind."""

    def make(size: int) -> LiveBudget | SharedBudget:
        if request.param == "local":
            return LiveBudget(size)
        pool = SharedBudget(tmp_path / "pool", size)
        pool.directory.mkdir()
        return pool

    return make


def test_a_claim_of_n_takes_all_or_nothing(budget_of: MakeBudget) -> None:
    budget = budget_of(5)
    assert budget.claim(3)
    assert not budget.claim(3)  # 2 left: none of the 3 is taken
    assert budget.taken == 3
    assert budget.claim(2)
    assert not budget.claim(1)
    assert budget.claim(0)  # nothing asked, nothing taken
    assert budget.taken == 5
    with pytest.raises(ValueError, match="int >= 0"):
        budget.claim(-1)


def test_claims_from_many_threads_never_exceed_the_size(budget_of: MakeBudget) -> None:
    budget = budget_of(10)
    start = threading.Barrier(8)

    def claim(n: int) -> int:
        if n == 3:  # the first 8 claims race from one start (each thread holds one)
            start.wait(timeout=60)
        return n if budget.claim(n) else 0

    with ThreadPoolExecutor(max_workers=8) as executor:
        taken = list(executor.map(claim, [3] * 8 + [2] * 8 + [1] * 8))
    # The first claim decided is a 3 on a full pool; at most 3 of them fit. Whatever order the
    # rest came in, the 1s leave nothing, and no unit is taken twice.
    assert sum(taken) == budget.taken == 10
    assert 1 <= taken[:8].count(3) <= 3


def test_two_objects_on_one_pool_share_it(tmp_path: Path) -> None:
    # Two processes' views of one pool (the contract suite's and the factory's in a worker).
    one = SharedBudget.create(4)
    other = SharedBudget(one.directory, 4)
    try:
        assert one.claim(3)
        assert not other.claim(2)
        assert other.claim(1)
        assert not one.claim(1)
        assert one.taken == other.taken == 4
    finally:
        one.remove()
    assert not one.claim(1)  # a pool that is gone spends nothing
    assert not SharedBudget(tmp_path / "elsewhere", 4).claim(1)  # nor one out of sight


_CLAIMER = """
import sys
from pathlib import Path
from pytest_antimetal.live_budget import SharedBudget

pool = SharedBudget(Path(sys.argv[1]), int(sys.argv[2]))
n = int(sys.argv[3])
sys.stdin.readline()  # both processes start claiming at once
units = 0
while pool.claim(n):
    units += n
print(units)
"""


def test_claims_from_two_processes_take_each_unit_once() -> None:
    pool = SharedBudget.create(301)
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _CLAIMER, str(pool.directory), "301", n],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=REPO_ROOT,
            )
            for n in ("1", "2")
        ]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=120)[0] for proc in procs]
        assert [proc.returncode for proc in procs] == [0, 0]
        ones, twos = (int(out) for out in outputs)
        # The process taking 1 at a time stops only when nothing is left.
        assert ones + twos == pool.taken == 301
        assert twos % 2 == 0
    finally:
        pool.remove()


def test_create_budget_takes_from_its_pool() -> None:
    pool = LiveBudget(3)
    first, second = CreateBudget(3, pool=pool), CreateBudget(3, pool=pool)
    first.take(2)
    assert second.remaining == 1
    with pytest.raises(LiveBudgetExceeded, match=r"cap of 3 \(2 taken by the run, 0 by this"):
        second.take(2)
    assert pool.taken == 2  # the refused take took nothing
    second.take(1)
    assert first.remaining == second.remaining == 0
    without = CreateBudget(3)  # no pool: this object counts alone
    without.take(3)
    with pytest.raises(LiveBudgetExceeded, match=r"cap of 3 \(3 created\)"):
        without.take(1)


@pytest.mark.parametrize("method", ["QUERY", "post", "PATCH", "DELETE", "PUT", "MKCOL"])
def test_every_method_but_the_safe_ones_can_create_everywhere(method: str) -> None:
    # One list for the suite's budget, its read-only rule and the fixture clients' guard:
    # QUERY is a draft a live server may not know, so it counts (it was safe in one of three).
    from pytest_antimetal import live_guard
    from pytest_antimetal.contract.live_safety import READ_ONLY, LiveSafety
    from pytest_antimetal.contract.sending import Outgoing

    assert can_create(method) and method.upper() not in live_guard.SAFE_METHODS
    out = Outgoing("x", "positive", method, "http://h/issues", {}, b"", None)
    assert out.creates
    assert LiveSafety(capped=False, read_only=True).refusal(out) == READ_ONLY
    for safe in SAFE_METHODS:
        assert not can_create(safe.lower())
        read = Outgoing("x", "positive", safe, "http://h/issues", {}, b"", None)
        assert LiveSafety(capped=False, read_only=True).refusal(read) is None


def test_the_factory_and_the_clients_guard_load_without_pytest() -> None:
    # IssueFactory is used from plain scripts too: the budget module imports pytest only
    # when a pytest run asks for its budget.
    code = (
        "import sys, pytest_antimetal.factory, pytest_antimetal.live_guard\n"
        "print('pytest' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
