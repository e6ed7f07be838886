"""The one place that reads an OpenAPI document (was ``pytest_antimetal/spec.py``).

Everything else (the fake's validation, the issue factory, the contract
checks, the drift rules) asks a :class:`Spec` for what it needs, so a
refreshed document changes their behaviour with no code change.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_LIMITS",
    "HTTP_METHODS",
    "VENDORED_SPEC_PATH",
    "DocumentLimits",
    "Operation",
    "Spec",
    "SpecError",
    "check_refs",
    "escape_pointer",
    "load_json_bounded",
    "load_spec",
    "load_yaml_bounded",
    "parse_document",
    "read_text",
    "resolve_pointer",
    "resolve_refs",
    "vendored_spec",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_SPEC_FILENAME = "antimetal-openapi.yaml"


def _vendored_path() -> Path:
    # Installed wheel: spec/ is force-included as pytest_antimetal/_spec.
    # Source checkout or editable install: it sits at the repository's top.
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_spec" / _SPEC_FILENAME, here.parent / "spec" / _SPEC_FILENAME):
        if candidate.is_file():
            return candidate
    return here / "_spec" / _SPEC_FILENAME


VENDORED_SPEC_PATH: Path = _vendored_path()
"""Where the vendored copy of the vendor's published document lives."""


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


def _too_many(source: str, limits: DocumentLimits, what: str | None = None) -> SpecError:
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
                raise _too_many(source, limits, what)
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


_CONTAINERS = (dict, list)


def _check_tree(data: Any, source: str, limits: DocumentLimits) -> None:
    """Refuse parsed JSON that is nested too deeply or has too many nodes."""
    containers = _CONTAINERS  # a local tuple: the cheapest isinstance in the loops below

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
    containers = _CONTAINERS
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
                raise _too_many(source, limits, "its $refs")


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


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with its ``$ref``s resolved."""

    method: str
    path: str
    operation_id: str | None
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None
    responses: dict[str, dict[str, Any]]
    security: tuple[dict[str, Any], ...]
    raw: dict[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        """``"POST /issues"``."""
        return f"{self.method.upper()} {self.path}"

    def request_schema(self, media_type: str = "application/json") -> dict[str, Any] | None:
        """The request body's schema for *media_type*, if the operation has one."""
        if not self.request_body:
            return None
        media = self.request_body.get("content", {}).get(media_type)
        return None if media is None else media.get("schema")

    def response_schema(
        self, status: int | str, media_type: str = "application/json"
    ) -> dict[str, Any] | None:
        """The schema documented for *status* (falling back to ``4XX`` and ``default``)."""
        status = str(status)
        for key in (status, f"{status[0]}XX", "default"):
            response = self.responses.get(key)
            if response is not None:
                media = response.get("content", {}).get(media_type)
                return None if media is None else media.get("schema")
        return None

    @property
    def success_status(self) -> int:
        """The lowest documented 2xx status."""
        codes = sorted(int(code) for code in self.responses if code.isdigit() and code[0] == "2")
        if not codes:
            raise SpecError(f"{self.label} documents no 2xx response")
        return codes[0]

    def header_parameter(self, name: str) -> dict[str, Any] | None:
        """The header parameter called *name* (case-insensitive), if documented."""
        for param in self.parameters:
            if param.get("in") == "header" and str(param.get("name", "")).lower() == name.lower():
                return param
        return None


class Spec:
    """A loaded OpenAPI document: schemas by name and operations, refs resolved."""

    def __init__(self, document: dict[str, Any], *, source: str = "<dict>") -> None:
        # Keep our own copy: callers (and schemathesis' from_dict) may mutate theirs.
        self.document: dict[str, Any] = copy.deepcopy(document)
        self.source = source
        self._schemas: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"Spec(source={self.source!r}, version={self.version!r})"

    @classmethod
    def from_path(cls, path: str | Path) -> Spec:
        """Load a JSON or YAML document from a file."""
        return cls(parse_document(read_text(path), source=str(path)), source=str(path))

    @classmethod
    def from_text(cls, text: str, *, source: str = "<string>") -> Spec:
        """Load a JSON or YAML document from a string."""
        return cls(parse_document(text, source=source), source=source)

    @property
    def version(self) -> str:
        """``info.version``, always a string."""
        return str(self.document.get("info", {}).get("version", ""))

    @property
    def servers(self) -> list[str]:
        """Server URLs in document order (the first is production)."""
        return [str(s["url"]) for s in self.document.get("servers", []) if "url" in s]

    @property
    def schema_names(self) -> list[str]:
        return list(self.document.get("components", {}).get("schemas", {}))

    def schema(self, name: str) -> dict[str, Any]:
        """``components.schemas[name]`` with every ``$ref`` inlined (a fresh copy)."""
        if name not in self._schemas:
            schemas = self.document.get("components", {}).get("schemas", {})
            if name not in schemas:
                raise SpecError(f"{self.source}: no schema named {name!r}")
            self._schemas[name] = resolve_refs(schemas[name], self.document)
        return copy.deepcopy(self._schemas[name])

    def resolve(self, node: Any) -> Any:
        """Inline the ``$ref``s of any node of this document."""
        return resolve_refs(node, self.document)

    def operations(self) -> Iterator[Operation]:
        """Every operation, in document order."""
        global_security = self.document.get("security", [])
        for path, raw_item in self.document.get("paths", {}).items():
            if not isinstance(raw_item, Mapping):
                continue
            item = self.resolve(raw_item)
            shared_params = item.get("parameters", [])
            for method in HTTP_METHODS:
                raw = item.get(method)
                if not isinstance(raw, Mapping):
                    continue
                params = {(p.get("in"), p.get("name")): p for p in shared_params}
                params.update({(p.get("in"), p.get("name")): p for p in raw.get("parameters", [])})
                yield Operation(
                    method=method,
                    path=path,
                    operation_id=raw.get("operationId"),
                    parameters=tuple(params.values()),
                    request_body=raw.get("requestBody"),
                    responses={str(k): v for k, v in raw.get("responses", {}).items()},
                    security=tuple(raw.get("security", global_security)),
                    raw=dict(raw),
                )

    def operation(self, method: str, path: str) -> Operation:
        """The operation at *method* *path*; :class:`SpecError` when absent."""
        for op in self.operations():
            if op.method == method.lower() and op.path == path:
                return op
        raise SpecError(f"{self.source}: no operation {method.upper()} {path}")

    def methods_for(self, path: str) -> list[str]:
        """Upper-case methods documented for *path* (for ``Allow`` headers)."""
        return [op.method.upper() for op in self.operations() if op.path == path]

    @property
    def api_version_default(self) -> str:
        """The documented default of the ``Antimetal-Version`` header, else ``info.version``."""
        for op in self.operations():
            param = op.header_parameter("Antimetal-Version")
            if param is not None:
                default = param.get("schema", {}).get("default")
                if default is not None:
                    return str(default)
        return self.version

    def security_schemes(self) -> dict[str, dict[str, Any]]:
        return dict(self.resolve(self.document.get("components", {}).get("securitySchemes", {})))


def load_spec(source: str | Path | None = None) -> Spec:
    """Load *source* (a path), or the vendored document when ``None``.

    The document is parsed within :data:`DEFAULT_LIMITS` and its ``$ref``s
    are checked (:func:`check_refs`): a user's mistake is one line now, not
    an error in every test later. The vendored document is parsed once per
    process.
    """
    if source is None:
        return vendored_spec()
    spec = Spec.from_path(source)
    check_refs(spec.document, source=spec.source)
    return spec


@cache
def vendored_spec() -> Spec:
    """The document shipped with the package (parsed once, shared: do not mutate)."""
    return Spec.from_path(VENDORED_SPEC_PATH)
