"""``$ref``s: resolving local pointers, inlining, and refusing refs the package cannot follow.

:func:`check_refs` runs once when a document is loaded: a dangling or remote
``$ref``, a cycle where schemas must expand in full, or a ``$ref`` form of an
alias bomb is one line then, not an error in every test later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pytest_antimetal.spec.parsing import (
    CONTAINERS,
    DEFAULT_LIMITS,
    DocumentLimits,
    SpecError,
    too_many,
)

__all__ = ["check_refs", "escape_pointer", "resolve_pointer", "resolve_refs"]


def resolve_pointer(document: Mapping[str, Any], ref: str) -> Any:
    """The node at local reference *ref* (``#/components/...``); :class:`SpecError` if absent."""
    if not ref.startswith("#/"):
        raise SpecError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SpecError(f"unresolvable $ref {ref!r}")
    return node


def resolve_refs(node: Any, document: Mapping[str, Any], _seen: tuple[str, ...] = ()) -> Any:
    """Return a deep copy of *node* with every local ``$ref`` inlined.

    A cyclic reference is left as its ``$ref`` (inlining it would never end).
    Sibling keys next to a ``$ref`` are merged over the target, as OAS 3.1 allows.
    """
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in _seen:
                return dict(node)
            target = resolve_refs(resolve_pointer(document, ref), document, (*_seen, ref))
            siblings = {k: resolve_refs(v, document, _seen) for k, v in node.items() if k != "$ref"}
            if siblings and isinstance(target, dict):
                return {**target, **siblings}
            return target
        return {k: resolve_refs(v, document, _seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_refs(item, document, _seen) for item in node]
    return node


def escape_pointer(token: str) -> str:
    """One JSON-pointer reference token, escaped (RFC 6901: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def _shallow_refs(node: Any) -> tuple[int, list[str]]:
    """How many nodes *node* holds (not following ``$ref``s), and its ``$ref``s.

    A ``$ref`` is any mapping's string ``$ref``, wherever it sits: the rule
    :func:`resolve_refs` follows. Parsed documents hold dicts and lists only.
    """
    containers = CONTAINERS
    count = 1
    refs: list[str] = []
    stack = [node] if isinstance(node, containers) else []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                refs.append(ref)
            count += 2 * len(item)
            stack += [v for v in item.values() if isinstance(v, containers)]
        else:
            count += len(item)
            stack += [v for v in item if isinstance(v, containers)]
    return count, refs


def _ref_sites(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """``(where, ref)`` for every ``$ref`` under *node*, in document order.

    Slower than :func:`_shallow_refs` (it builds every pointer): only run to
    name the place of a problem already found.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield pointer, ref
        entries: Iterator[tuple[Any, Any]] = iter(node.items())
    elif isinstance(node, list):
        entries = enumerate(node)
    else:
        return
    for key, value in entries:
        yield from _ref_sites(value, f"{pointer}/{escape_pointer(str(key))}")


def check_refs(
    document: Mapping[str, Any],
    *,
    source: str = "<dict>",
    limits: DocumentLimits = DEFAULT_LIMITS,
) -> None:
    """Refuse, with one line naming the pointer, a ``$ref`` the package cannot follow.

    - a ``$ref`` that is not local (``#/...``) or points at nothing, anywhere;
    - a cycle of ``$ref``s reachable from ``POST /issues``: the issue factory
      and the create validation work on schemas expanded in full, so a
      recursive one would only fail later, in every test, with a misleading
      message. A cycle elsewhere is allowed (the vendor's ``GET /artifacts``
      has one: OTLP's ``AnyValue``): :func:`resolve_refs` leaves it a
      ``$ref``, which a validator given the document resolves;
    - ``paths`` whose ``$ref``s expand past ``limits.max_nodes``: the
      ``$ref`` form of an alias bomb (:meth:`Spec.operations` inlines them).
    """
    targets: dict[str, tuple[int, list[str]]] = {}
    for ref in dict.fromkeys(_shallow_refs(document)[1]):
        try:
            targets[ref] = _shallow_refs(resolve_pointer(document, ref))
        except SpecError:
            where = next(w for w, r in _ref_sites(document, "#") if r == ref)
            if not ref.startswith("#/"):
                raise SpecError(
                    f"{source}: $ref {ref!r} at {where} is not local (only '#/...' is supported)"
                ) from None
            raise SpecError(f"{source}: $ref {ref!r} at {where} points at nothing") from None

    def refs_of(pointer: str) -> tuple[int, list[str]]:
        if pointer not in targets:  # a path item or an operation, not itself a $ref's target
            targets[pointer] = _shallow_refs(resolve_pointer(document, pointer))
        return targets[pointer]

    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        return
    _check_ref_cycles(document, paths, refs_of, source)

    _check_ref_expansion(paths, refs_of, source, limits)


def _check_ref_expansion(
    paths: Mapping[str, Any],
    refs_of: Callable[[str], tuple[int, list[str]]],
    source: str,
    limits: DocumentLimits,
) -> None:
    """Refuse ``paths`` that :meth:`Spec.operations` would inline past ``limits.max_nodes``.

    A ``$ref`` back into its own chain stays a ``$ref`` (one node), as in
    :func:`resolve_refs`. Each target's expanded size is computed once, so a
    cycle outside ``POST /issues`` makes the count an estimate, not a bound.
    """
    sizes: dict[str, int] = {}
    total = 0
    for path in paths:
        root = f"#/paths/{escape_pointer(str(path))}"
        chain = [root]
        on_chain = {root}
        pending = [iter(refs_of(root)[1])]
        counts = [refs_of(root)[0]]
        while pending:
            ref = next(pending[-1], None)
            if ref is None:
                pending.pop()
                finished = chain.pop()
                on_chain.discard(finished)
                sizes[finished] = counts.pop()
                if counts:
                    counts[-1] += sizes[finished]
                else:
                    total += sizes[finished]
            elif ref in on_chain:
                counts[-1] += 1
            elif ref in sizes:
                counts[-1] += sizes[ref]
            else:
                chain.append(ref)
                on_chain.add(ref)
                pending.append(iter(refs_of(ref)[1]))
                counts.append(refs_of(ref)[0])
                continue
            if total > limits.max_nodes or (counts and counts[-1] > limits.max_nodes):
                raise too_many(source, limits, "its $refs")


def _check_ref_cycles(
    document: Mapping[str, Any],
    paths: Mapping[str, Any],
    refs_of: Callable[[str], tuple[int, list[str]]],
    source: str,
) -> None:
    """:class:`SpecError` naming the first ``$ref`` cycle reachable from ``POST /issues``."""
    item = paths.get("/issues")
    if not isinstance(item, Mapping):
        return
    here = f"#/paths/{escape_pointer('/issues')}"
    roots = (
        [here] if "$ref" in item else [f"{here}/{k}" for k in ("post", "parameters") if k in item]
    )
    walking: dict[str, bool] = {}  # pointer -> still on the chain being walked
    for root in roots:
        if root in walking:
            continue
        chain = [root]
        walking[root] = True
        pending = [iter(refs_of(root)[1])]
        while pending:
            ref = next(pending[-1], None)
            if ref is None:
                pending.pop()
                walking[chain.pop()] = False
            elif walking.get(ref):
                last = chain[-1]
                where = next(
                    w for w, r in _ref_sites(resolve_pointer(document, last), last) if r == ref
                )
                cycle = " -> ".join([*chain[chain.index(ref) :], ref])
                raise SpecError(
                    f"{source}: recursive $ref at {where} ({cycle}): the fake and the issue "
                    "factory need schemas they can expand in full"
                )
            elif ref not in walking:
                walking[ref] = True
                chain.append(ref)
                pending.append(iter(refs_of(ref)[1]))
