"""Imports flow downward: the package's layout rules, read from its source with ``ast``.

* The entry point ``plugin.py`` and the dispatcher ``cli.py`` import features,
  never the reverse.
* Feature packages (cassettes, contract, drift, fake, spec) and top-level
  modules form no import circle, counting lazy and ``TYPE_CHECKING`` imports.
* Within a package, modules form no circle either (a core never knows its
  adapters: the fake's depend on its small handler protocol).
* Nothing in the package uses a path kept for one release only.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_antimetal

ROOT = Path(pytest_antimetal.__file__).parent
PACKAGE = "pytest_antimetal"
TOP = {f"{PACKAGE}.plugin", f"{PACKAGE}.cli"}
FEATURES = {"cassettes", "contract", "drift", "fake", "spec"}

# Old path -> new path, each a re-export kept for one release (CHANGELOG).
MOVED = {
    "pytest_antimetal.cassettes_plugin": "pytest_antimetal.cassettes.plugin",
    "pytest_antimetal.cassettes_cli": "pytest_antimetal.cassettes.cli",
    "pytest_antimetal.cassettes_format": "pytest_antimetal.cassettes.format",
    "pytest_antimetal.drift.pytest_plugin": "pytest_antimetal.drift.plugin",
    "pytest_antimetal.redact": "pytest_antimetal.secrets",
}

ALSO = {"pytest_antimetal.cassettes_cli": ("pytest_antimetal.cassettes.check",)}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def imported(name: str, path: Path, tree: ast.AST | None = None) -> set[str]:
    """The package's modules *name* imports anywhere in its body (lazy and TYPE_CHECKING too)."""
    tree = ast.parse(path.read_text(encoding="utf-8")) if tree is None else tree
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            # `from pytest_antimetal import cli` imports the module pytest_antimetal.cli.
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in FEATURES else module


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The node set of every elementary circle of *graph* (each found from its least node)."""
    found: set[frozenset[str]] = set()
    for start in graph:
        # Paths back to start; graphs here are small (about 100 nodes, few edges each).
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    found.add(frozenset(path))
                elif nxt not in path and nxt > start:
                    stack.append((nxt, (*path, nxt)))
    return sorted(found, key=sorted)


def _imports_of(name: str) -> Iterator[str]:
    yield from GRAPH[name]


def test_the_scan_sees_imports_in_every_form() -> None:
    # The scanner itself, on a made-up module of the package: a planted upward import in
    # each form must be seen, or the tests below would pass on anything.
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pytest_antimetal.plugin import DEFAULT_DRIFT_SOURCE\n"
        "def f():\n"
        "    from pytest_antimetal import cli\n"
        "    import pytest_antimetal.secrets\n"
        "from .. import target\n"
        "from ..drift import source\n"
    )
    path = ROOT / "drift" / "made_up.py"  # never written: only its name is used
    found = imported(f"{PACKAGE}.drift.made_up", path, ast.parse(source))
    assert found == {
        "pytest_antimetal",
        "pytest_antimetal.plugin",
        "pytest_antimetal.cli",
        "pytest_antimetal.secrets",
        "pytest_antimetal.target",
        "pytest_antimetal.drift",
        "pytest_antimetal.drift.source",
    }
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]


def test_nothing_imports_the_entry_point_or_the_dispatcher() -> None:
    upward = sorted(
        f"{name} imports {target}"
        for name in MODULES
        if name not in TOP
        for target in _imports_of(name)
        if target in TOP
    )
    assert upward == []


def test_no_circle_among_features_and_top_level_modules() -> None:
    # The root package's lazy export table names everything by design: left out.
    units: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        if name == PACKAGE:
            continue
        for target in targets - {PACKAGE}:
            if _unit(name) != _unit(target):
                units.setdefault(_unit(name), set()).add(_unit(target))
    assert circles(units) == []


def test_no_circle_inside_a_package() -> None:
    inside = {
        name: {t for t in targets if t.rpartition(".")[0] == name.rpartition(".")[0]}
        for name, targets in GRAPH.items()
        if name.count(".") >= 2
    }
    assert [sorted(c) for c in circles(inside)] == []


def test_the_fakes_adapters_know_its_handler_protocol_only() -> None:
    # As an httpx transport knows the app it wraps and never the reverse: the ways
    # into the fake take any Handler, so a new core (or a planted-fault one) plugs in.
    fake = f"{PACKAGE}.fake"
    allowed = {fake, f"{fake}.handler", f"{fake}.limits"}
    adapters = [f"{fake}.{name}" for name in ("asgi", "transport", "protocol")]
    beyond = sorted(
        f"{name} imports {target}"
        for name in adapters
        for target in _imports_of(name)
        if target.startswith(f"{fake}.") and target not in allowed
    )
    assert beyond == []


def test_features_take_no_fixtures_from_the_entry_points_module() -> None:
    # fixtures.py is the entry point's (pytest finds the fixtures in plugin.py's namespace):
    # what a feature needs of the run (its live budget, its target) lives below both.
    users = sorted(
        f"{name} imports {PACKAGE}.fixtures"
        for name in MODULES
        if _unit(name) in FEATURES
        if f"{PACKAGE}.fixtures" in _imports_of(name)
    )
    assert users == []


def test_the_live_budget_names_kept_for_one_release() -> None:
    from pytest_antimetal import factory, fixtures, live_budget

    assert factory.CreateBudget is live_budget.CreateBudget
    assert factory.LiveBudgetExceeded is live_budget.LiveBudgetExceeded
    assert fixtures.run_budget is live_budget.run_budget


def test_nothing_in_the_package_uses_a_path_kept_for_one_release() -> None:
    users = sorted(
        f"{name} imports {target}"
        for name in MODULES
        if name not in MOVED
        for target in _imports_of(name)
        if target in MOVED
    )
    assert users == []


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_import_paths_still_work(old: str, new: str) -> None:
    before = importlib.import_module(old)
    # The CLI's empty_directory_problem moved on to check.py, which the plugin imports too.
    homes = [importlib.import_module(m) for m in (new, *ALSO.get(old, ()))]
    names = getattr(before, "__all__", [])
    assert names, f"{old} re-exports nothing"
    missing = [
        n for n in names if not any(getattr(h, n, None) is getattr(before, n) for h in homes)
    ]
    assert missing == []
    assert "kept for one release" in (before.__doc__ or "")


def test_feature_packages_import_nothing_heavy() -> None:
    # The entry point registers the cassette plugin on every run; the packages'
    # __init__ files are lazy, so none of these libraries load with them.
    heavy = ("vcr", "yaml", "jsonschema", "jsonschema_rs", "schemathesis", "httpx", "hypothesis")
    code = (
        "import sys\n"
        "import pytest_antimetal.plugin, pytest_antimetal.cassettes.plugin\n"
        "import pytest_antimetal.cassettes, pytest_antimetal.drift\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


LONG_MODULE = 450


def test_a_long_module_holds_one_concept_and_says_which() -> None:
    # Issue 12: no module over ~450 lines unless it holds one concept, which its docstring
    # names ("One concept" and what it is), so a newcomer knows why it was not split.
    long = sorted(
        f"{name} ({lines} lines)"
        for name, path in MODULES.items()
        if (lines := len((text := path.read_text(encoding="utf-8")).splitlines())) > LONG_MODULE
        and "one concept" not in (ast.get_docstring(ast.parse(text)) or "").lower()
    )
    assert long == []
