"""README 'Every check and invariant' lists exactly the checks and invariants the code
registers: a check added without a row (or a row left for a check removed) fails here."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest_antimetal.contract as contract_package
from pytest_antimetal.contract.checking import SCHEMATHESIS_CHECKS
from pytest_antimetal.contract.checks import OWN_CHECKS
from pytest_antimetal.contract.parts import PART_TABLE
from pytest_antimetal.contract.sequences import INVARIANTS

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "### Every check and invariant"
KINDS = {"schemathesis", "ours", "invariant"}

# A failure's check name written as a literal where it is raised or recorded.
_LITERAL = re.compile(r"""(?:CheckFailed\(\s*|\bcheck=)["']([a-z_]+)["']""")


def _table() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    assert text.count(HEADING) == 1, f"README has no single {HEADING!r} section"
    section = text.split(HEADING, 1)[1].split("\n#", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        assert name not in rows, f"{name} has two rows"
        rows[name] = cells
    return rows


def _raised_literals() -> set[str]:
    """Check names the package's modules raise or record by a literal (the runner's
    ``ignored_auth`` and ``no_response``, the parts' expectations)."""
    found: set[str] = set()
    for module in Path(contract_package.__file__).parent.glob("*.py"):
        found.update(_LITERAL.findall(module.read_text(encoding="utf-8")))
    return found


def _registered() -> dict[str, str]:
    kinds = {name: "schemathesis" for name in SCHEMATHESIS_CHECKS}
    kinds.update({check.__name__: "ours" for check in OWN_CHECKS})
    for part in PART_TABLE:
        if isinstance(part.expectation, functools.partial):
            kinds[part.expectation.keywords["check"]] = "ours"
    for name in _raised_literals() - set(INVARIANTS):
        kinds.setdefault(name, "ours")
    kinds.update({name: "invariant" for name in INVARIANTS})
    return kinds


def test_the_table_lists_exactly_the_registered_checks_and_invariants() -> None:
    rows = _table()
    registered = _registered()
    assert sorted(set(registered) - set(rows)) == [], "registered but not in the README table"
    assert sorted(set(rows) - set(registered)) == [], "in the README table but not registered"
    assert {name: rows[name][1] for name in rows} == registered  # and of the right kind


def test_every_row_says_what_it_asserts_where_and_what_a_failure_means() -> None:
    for name, cells in _table().items():
        assert len(cells) == 5, f"{name}: expected 5 cells, got {len(cells)}"
        assert cells[1] in KINDS, f"{name}: kind {cells[1]!r}"
        assert all(len(cell) > 5 for cell in cells[2:]), f"{name}: an empty cell"


def test_the_scan_finds_the_literal_names() -> None:
    """The source scan is what catches a check raised under a new literal name."""
    literals = _raised_literals()
    assert {"ignored_auth", "no_response", "edge_cases", "malformed_input"} <= literals
    assert "timestamps_ordered" in literals  # raised by a literal in checks.py
