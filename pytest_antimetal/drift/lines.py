"""Where a JSON pointer sits in a document's text: the line a GitHub annotation points at.

The document is composed (not constructed) with YAML's safe C loader when
available - JSON is read the same way - so only node positions are built, and
nothing in the text is executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_antimetal.drift.normalize import escape_pointer

__all__ = ["LineIndex"]


class LineIndex:
    """JSON pointer -> 1-based line of its key in one document's text."""

    def __init__(self, lines: dict[str, int]) -> None:
        self.lines = lines

    @classmethod
    def from_text(cls, text: str) -> LineIndex:
        """Index *text*; an empty index when it cannot be composed."""
        import yaml

        loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            root = yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            return cls({})
        lines: dict[str, int] = {"": 1}
        stack: list[tuple[Any, str]] = [(root, "")]
        seen: set[int] = set()
        while stack:
            node, pointer = stack.pop()
            if node is None or id(node) in seen:
                continue  # an alias is indexed where it is defined
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    child = f"{pointer}/{escape_pointer(str(key.value))}"
                    lines.setdefault(child, key.start_mark.line + 1)
                    stack.append((value, child))
            elif isinstance(node, yaml.SequenceNode):
                for index, value in enumerate(node.value):
                    child = f"{pointer}/{index}"
                    lines.setdefault(child, value.start_mark.line + 1)
                    stack.append((value, child))
        return cls(lines)

    @classmethod
    def from_file(cls, path: str | Path) -> LineIndex:
        try:
            return cls.from_text(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return cls({})

    def line(self, pointer: str) -> int | None:
        """The line of *pointer*, else of its nearest ancestor present in the text."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]
