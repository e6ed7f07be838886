"""Bounded parsing: a document's text to data within size, depth and node limits.

Every document and body the package reads goes through here, so an alias bomb,
a nesting attack or a file that never ends is refused with one line
(:class:`SpecError`) before it costs memory or time. YAML is imported lazily.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "CONTAINERS",
    "DEFAULT_LIMITS",
    "DocumentLimits",
    "SpecError",
    "load_json_bounded",
    "load_yaml_bounded",
    "parse_document",
    "read_text",
    "too_many",
]


class SpecError(Exception):
    """A document could not be read, parsed, or does not look like OpenAPI."""


@dataclass(frozen=True)
class DocumentLimits:
    """Bounds every document the package parses must stay within.

    A document over any of them is refused with one line before it can cost
    memory or time: a YAML alias bomb is a few hundred bytes that expand to
    billions of nodes, and nesting deeper than a few dozen levels is not an
    API description but an attack on recursive code.
    """

    max_bytes: int = 10 * 1024 * 1024
    """Size of the text (10 MiB: the vendor's full document is 120 KB)."""
    max_depth: int = 64
    """Nesting of mappings and sequences (the vendor's documents reach 20)."""
    max_nodes: int = 1_000_000
    """Keys, values and containers once YAML aliases (and, for a spec, the
    ``$ref``s of its paths) are expanded."""


DEFAULT_LIMITS = DocumentLimits()
"""The bounds :func:`parse_document`, :func:`read_text` and :func:`load_spec` apply."""


def _too_big(source: str, size: int, limits: DocumentLimits) -> SpecError:
    return SpecError(
        f"{source}: {size:,} bytes is over the {limits.max_bytes:,}-byte limit for a document"
    )


def _too_deep(source: str, limits: DocumentLimits) -> SpecError:
    return SpecError(
        f"{source}: nested more than {limits.max_depth} levels deep (the limit for a document)"
    )


def too_many(source: str, limits: DocumentLimits, what: str | None = None) -> SpecError:
    expanded = f" once {what} are expanded" if what else ""
    return SpecError(
        f"{source}: more than {limits.max_nodes:,} nodes{expanded} (the limit for a document)"
    )


def _not_parsed(source: str, detail: str) -> SpecError:
    return SpecError(f"{source}: not valid JSON or YAML ({detail})")


@cache
def _yaml_loader() -> Any:
    import yaml  # lazy: the plugin must stay cheap when unused

    # The C loader when libyaml is there (~5x faster on the vendored document).
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _Loader(base):  # type: ignore[misc]
        """SafeLoader that keeps timestamps as strings.

        Under YAML 1.1 an unquoted ``2026-03-17`` is a ``datetime.date``; a
        version string or an example must stay the string the vendor wrote.
        """

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _Loader


def _yaml_problem(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_levels(
    level: list[Any],
    expand: Callable[[Any], tuple[int, list[Any]]],
    source: str,
    limits: DocumentLimits,
    what: str | None,
) -> None:
    """Walk containers level by level, refusing too deep or too many nodes.

    *expand* gives a container's node count (keys and values) and its child
    containers. The count is checked as it grows, so the walk stops at the
    bound however far the document would expand (a YAML alias is its anchor's
    node object: a bomb's graph is small, its expansion is not), and an alias
    to its own ancestor, which never ends, meets the depth bound.
    """
    count = 1
    depth = 0
    while level:
        depth += 1
        if depth > limits.max_depth:
            raise _too_deep(source, limits)
        below: list[Any] = []
        for node in level:
            nodes, children = expand(node)
            count += nodes
            below += children
            if count > limits.max_nodes:
                raise too_many(source, limits, what)
        level = below


def _check_node_graph(root: Any, source: str, limits: DocumentLimits) -> None:
    """Refuse a composed YAML node graph too deep, or expanding past the node bound."""
    from yaml.nodes import CollectionNode, MappingNode

    collection = CollectionNode  # a local: looked up once per node below

    def expand(node: Any) -> tuple[int, list[Any]]:
        if isinstance(node, MappingNode):
            pairs = node.value
            return 2 * len(pairs), [n for pair in pairs for n in pair if isinstance(n, collection)]
        return len(node.value), [n for n in node.value if isinstance(n, collection)]

    level = [root] if isinstance(root, collection) else []
    _check_levels(level, expand, source, limits, "YAML aliases")


CONTAINERS = (dict, list)


def _check_tree(data: Any, source: str, limits: DocumentLimits) -> None:
    """Refuse parsed JSON that is nested too deeply or has too many nodes."""
    containers = CONTAINERS  # a local tuple: the cheapest isinstance in the loops below

    def expand(node: Any) -> tuple[int, list[Any]]:
        if isinstance(node, dict):
            return 2 * len(node), [v for v in node.values() if isinstance(v, containers)]
        return len(node), [v for v in node if isinstance(v, containers)]

    level = [data] if isinstance(data, containers) else []
    _check_levels(level, expand, source, limits, None)


def _check_size(text: str, source: str, limits: DocumentLimits) -> None:
    # Characters, not bytes: no encoding pass over a large text, and the byte
    # count can only be larger. read_text and fetches count exact bytes.
    if len(text) > limits.max_bytes:
        raise _too_big(source, len(text), limits)


def load_yaml_bounded(
    text: str, source: str = "<string>", *, limits: DocumentLimits = DEFAULT_LIMITS
) -> Any:
    """Parse one YAML document within *limits*, safely (no Python tags).

    Aliases are counted as what they expand to, so an alias bomb is refused
    before it is constructed. Unquoted timestamps stay strings. Raises
    :class:`SpecError` with one line naming *source*.
    """
    import yaml

    _check_size(text, source, limits)
    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_node_graph(node, source, limits)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own bound
            raise _too_deep(source, limits) from None
        raise _not_parsed(source, _yaml_problem(exc)) from None
    except RecursionError:  # the pure-Python composer, without libyaml
        raise _too_deep(source, limits) from None
    finally:
        loader.dispose()


def load_json_bounded(
    text: str, source: str = "<string>", *, limits: DocumentLimits = DEFAULT_LIMITS
) -> Any:
    """Parse JSON within *limits*; :class:`SpecError` with one line naming *source*."""
    _check_size(text, source, limits)
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(source, limits) from None
    except ValueError as exc:
        raise _not_parsed(source, str(exc).strip().splitlines()[0]) from None
    _check_tree(data, source, limits)
    return data


def parse_document(text: str, *, source: str = "<string>") -> dict[str, Any]:
    """Parse a JSON or YAML OpenAPI document into a dict, within :data:`DEFAULT_LIMITS`.

    Raises :class:`SpecError` with a one-line message naming *source*.
    """
    if text.lstrip().startswith("{"):
        data = load_json_bounded(text, source)
    else:
        data = load_yaml_bounded(text, source)
    if not isinstance(data, dict):
        raise SpecError(
            f"{source}: expected an OpenAPI document (a mapping), got {type(data).__name__}"
        )
    if "openapi" not in data and "swagger" not in data:
        raise SpecError(f"{source}: not an OpenAPI document (no 'openapi' field)")
    if not isinstance(data.get("paths", {}), dict):
        raise SpecError(f"{source}: 'paths' must be a mapping")
    return data


def read_text(path: str | Path, *, limits: DocumentLimits = DEFAULT_LIMITS) -> str:
    """A document file's text; :class:`SpecError` (one line) when it cannot be read.

    Reads at most ``limits.max_bytes`` (plus one, to tell): a huge file, or a
    device that never ends, is refused without being held in memory.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > limits.max_bytes:
        raise SpecError(f"{path}: over the {limits.max_bytes:,}-byte limit for a document")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
