"""The README is the contract with users: its examples run, its commands are CI's.

A fenced block preceded by ``<!-- readme-test: KIND -->`` is executed:

* ``pytest``: written to a test file and run by a real pytest session with the plugin
  (``-p antimetal``); every test in it must pass;
* ``python``: run as a script;
* ``shell``: run by bash in a temporary directory with this interpreter's ``bin`` first on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers.sessions import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<kind>\w+)(?P<args>[^>]*?) -->\s*\n)?```(?P<lang>\w*)\n(?P<body>.*?)\n```",
    re.S,
)


@dataclass
class Block:
    kind: str | None
    args: str
    lang: str
    body: str
    section: str
    index: int


def _section_of(position: int) -> str:
    headings = [m for m in re.finditer(r"^#{2,3} (.+)$", README, re.M) if m.start() < position]
    return headings[-1].group(1) if headings else "top"


def blocks() -> list[Block]:
    found = []
    for index, match in enumerate(_BLOCK.finditer(README)):
        found.append(
            Block(
                match.group("kind"),
                (match.group("args") or "").strip(),
                match.group("lang"),
                match.group("body"),
                _section_of(match.start()),
                index,
            )
        )
    return found


def _id(block: Block) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", block.section.lower()).strip("-")
    return f"{slug}-{block.index}"


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    body = re.search(r"```\w*\n(.*?)\n```", section, re.S)
    assert body is not None, "Quick start has no code block"
    return [
        line for line in body.group(1).splitlines() if line.strip() and not line.startswith("#")
    ]


def test_quick_start_holds_exactly_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    main_job, tests = commands
    assert "--antimetal-contract" in main_job
    assert "pytest" in tests
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci, "CI must run the README's test command verbatim"
    assert main_job in ci, "CI runs the quick start's main job too"


def test_readme_says_what_lint_finds_in_the_vendored_spec() -> None:
    from collections import Counter

    from pytest_antimetal.spec import vendored_spec
    from pytest_antimetal.spec.lint import find_inconsistencies

    found = find_inconsistencies(vendored_spec())
    kinds = Counter(item.kind for item in found)
    text = " ".join(README.split())  # the README wraps its lines anywhere
    assert f"the vendored spec has {len(found)} inconsistencies" in text
    assert f"on {kinds['pattern-vs-format']} timestamps" in text
    for item in found:
        if item.kind == "security-vs-responses":
            operation = item.message.split(" requires ", 1)[0]
            assert f"`{operation}` requires the bearer key" in text, operation


RUNNABLE = [b for b in blocks() if b.kind is not None]


def test_readme_has_runnable_examples_for_every_feature() -> None:
    sections = {b.section for b in RUNNABLE}
    for expected in ("antimetal_client", "antimetal_issue_factory", "antimetal_fake"):
        assert any(expected in s for s in sections), (expected, sections)


PYTEST_BLOCKS = [b for b in RUNNABLE if b.kind == "pytest"]


@dataclass
class ExamplesRun:
    """One pytest session over every ``pytest`` example, each in its own file, as a user's suite."""

    outcomes: dict[str, dict[str, int]]  # file stem -> outcome -> count, from the JUnit XML
    output: str

    def of(self, block: Block) -> tuple[dict[str, int], str]:
        return self.outcomes.get(_example_stem(block), {}), self.output


def _example_stem(block: Block) -> str:
    return f"test_readme_example_{block.index}"


def _run_examples(directory: Path, *extra: str, api_key: str | None = None) -> ExamplesRun:
    """A real session with the plugin (``-p antimetal``) in a child process, like ``run_plugin``.

    One session for the six examples instead of one each: a child pytest costs ~1.3 CPU-s of
    imports before it runs anything, and every example still gets its own file and outcome.
    """
    for block in PYTEST_BLOCKS:
        assert not block.args, f"{_id(block)}: pytest examples share one session, without args"
        (directory / f"{_example_stem(block)}.py").write_text(block.body, encoding="utf-8")
    # Hypothesis's 200 ms deadline per example measures the machine, not the example: a
    # loaded CI host failed the factory's @given example with DeadlineExceeded.
    (directory / "conftest.py").write_text(
        "from hypothesis import settings\n\n"
        'settings.register_profile("readme", deadline=None)\n'
        'settings.load_profile("readme")\n',
        encoding="utf-8",
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANTIMETAL_", "PYTEST_ADDOPTS"))
    }
    if api_key is not None:
        env["ANTIMETAL_API_KEY"] = api_key
    junit = directory / "junit.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "antimetal",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            f"--junitxml={junit}",
            f"--basetemp={directory / 'tmp'}",
            *extra,
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    outcomes: dict[str, dict[str, int]] = {}
    output = result.stdout + result.stderr
    if junit.exists():
        for case in ElementTree.parse(junit).iter("testcase"):
            stem = case.get("classname", "").split(".")[0]
            kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
            for kind in kinds or {"passed"}:
                counts = outcomes.setdefault(stem, {})
                counts[kind] = counts.get(kind, 0) + 1
    return ExamplesRun(outcomes, output)


def _assert_passed(run: ExamplesRun, block: Block) -> None:
    outcomes, output = run.of(block)
    assert outcomes.get("passed", 0) >= 1, output
    assert "failure" not in outcomes and "error" not in outcomes, output


@pytest.fixture(scope="module")
def examples_on_the_fake(tmp_path_factory: pytest.TempPathFactory) -> ExamplesRun:
    return _run_examples(tmp_path_factory.mktemp("readme-examples"))


@pytest.fixture(scope="module")
def examples_on_a_separate_server(
    tmp_path_factory: pytest.TempPathFactory, fake_cli_server: tuple[str, str]
) -> ExamplesRun:
    url, api_key = fake_cli_server
    directory = tmp_path_factory.mktemp("readme-examples-server")
    return _run_examples(directory, f"--antimetal-base-url={url}", api_key=api_key)


# Each module-scoped session runs once: on one xdist worker (`--dist loadgroup`).
@pytest.mark.nested_session
@pytest.mark.xdist_group("readme-pytest-examples")
@pytest.mark.parametrize("block", PYTEST_BLOCKS, ids=_id)
def test_readme_pytest_example(block: Block, examples_on_the_fake: ExamplesRun) -> None:
    _assert_passed(examples_on_the_fake, block)


@pytest.mark.nested_session
@pytest.mark.xdist_group("readme-pytest-examples")
@pytest.mark.parametrize("block", PYTEST_BLOCKS, ids=_id)
def test_readme_pytest_example_against_a_separate_server(
    block: Block, examples_on_a_separate_server: ExamplesRun
) -> None:
    """A downstream test written from the README also passes against a live server on loopback."""
    _assert_passed(examples_on_a_separate_server, block)


@pytest.mark.parametrize("block", [b for b in RUNNABLE if b.kind == "python"], ids=_id)
def test_readme_python_example(block: Block, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(block.body, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.nested_session
@pytest.mark.parametrize("block", [b for b in RUNNABLE if b.kind == "shell"], ids=_id)
def test_readme_shell_example(block: Block, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIMETAL_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ANTIMETAL_REPO"] = str(REPO_ROOT)
    # Examples are written for a clone of this repository: give them its spec/.
    shutil.copytree(REPO_ROOT / "spec", tmp_path / "spec")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.body],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    expected = int(block.args.split("=", 1)[1]) if block.args.startswith("exit=") else 0
    assert result.returncode == expected, result.stdout + result.stderr
