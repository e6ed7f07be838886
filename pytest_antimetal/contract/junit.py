"""Root causes in the JUnit file: one ``<testcase>`` each.

A CI page that reads JUnit (GitLab, Jenkins, GitHub test-report actions) lists test cases; the
contract suite's pytest items are its parts, and one root cause can fail several parts. So after
pytest has written ``--junitxml``, the file gains a second ``<testsuite>``,
``antimetal-contract root causes``, with one failing ``<testcase>`` per entry: its name is the
entry's id and headline, its ``message`` the headline, its text the entry as the terminal shows
it at default verbosity. The parts' suite and its counts are left as pytest wrote them.

The file is pytest's own output of this run, read back with the standard library's parser
(which expands no external entities) and only up to :data:`MAX_JUNIT_BYTES`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_antimetal.contract.entries import Entry

__all__ = ["MAX_JUNIT_BYTES", "SUITE_NAME", "add_root_causes"]

SUITE_NAME = "antimetal-contract root causes"
MAX_JUNIT_BYTES = 64 * 1024 * 1024
"""A JUnit file above this is left as pytest wrote it (a note says so)."""


def add_root_causes(path: Path, entries: Sequence[Entry]) -> str | None:
    """Append the root-cause suite to the JUnit file at *path*.

    Returns ``None`` when done (or nothing to add), else why the file was left alone.
    """
    if not entries:
        return None
    try:
        if path.stat().st_size > MAX_JUNIT_BYTES:
            return f"{path} is over {MAX_JUNIT_BYTES} bytes"
        tree = ET.parse(path)
    except (OSError, ET.ParseError) as exc:
        return f"cannot read {path} ({type(exc).__name__})"
    root = tree.getroot()
    if root.tag != "testsuites":
        return f"{path} is not a JUnit file pytest wrote (root <{root.tag}>)"
    suite = ET.SubElement(
        root,
        "testsuite",
        name=SUITE_NAME,
        errors="0",
        failures=str(len(entries)),
        skipped="0",
        tests=str(len(entries)),
        time="0",
    )
    for entry in entries:
        case = ET.SubElement(
            suite, "testcase", classname="antimetal-contract.root-causes", name=entry.headline
        )
        case.set("time", "0")
        failure = ET.SubElement(case, "failure", message=entry.headline)
        failure.text = entry.format()
    try:
        tree.write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        return f"cannot write {path} ({type(exc).__name__})"
    return None
