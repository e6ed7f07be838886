"""``antimetal-contract lint [SPEC]``: list the places where a spec contradicts itself.

(Was ``contract/lint.py``: it reads nothing but the document, so it belongs to the spec layer.)

A contradiction is where two parts of the document give different answers
about the same value: a ``pattern`` that admits what ``format`` rejects (or the
reverse), a description naming a default the ``enum`` does not contain, a
``default`` or ``example`` that breaks its own schema, a ``required`` name with
no property, an operation that requires credentials (its own or the document's
``security``) but documents no 401 for the request without them. Exit status 1
when any is found, 0 when none, 2 on bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from pytest_antimetal.spec.facts import DEFAULT_WORDS as _DEFAULT_WORDS
from pytest_antimetal.spec.formats import DATETIME_PROBES, classify_datetime, pattern_admits
from pytest_antimetal.spec.loading import Operation, Spec, SpecError, escape_pointer, load_spec

__all__ = ["Inconsistency", "configure_parser", "find_inconsistencies", "run"]


@dataclass(frozen=True)
class Inconsistency:
    """One contradiction, located by JSON pointer."""

    pointer: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: [{self.kind}] {self.message}"


def _schemas(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping under *node* that looks like a schema (has ``type``/``properties``/...)."""
    if isinstance(node, Mapping):
        if any(k in node for k in ("type", "properties", "enum", "format", "pattern")) and not (
            "in" in node and "name" in node
        ):
            yield pointer, dict(node)
        for key, value in node.items():
            if key in ("example", "examples", "x-codeSamples", "enum", "default"):
                continue
            yield from _schemas(value, f"{pointer}/{escape_pointer(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{pointer}/{index}")


def _violations(schema: Mapping[str, Any], value: Any) -> str | None:
    """Why *value* breaks *schema*'s own simple keywords, or ``None``."""
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        return f"{value!r} is not one of the enum values {enum!r}"
    kind = schema.get("type")
    types: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "object": dict,
        "array": list,
    }
    if isinstance(kind, str) and kind in types and not isinstance(value, types[kind]):
        return f"{value!r} is not of type {kind!r}"
    outside = _outside_bounds(schema, value) if _is_number(value) else None
    if outside:
        return outside
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > int(schema["maxItems"]):
            return f"{len(value)} items, more than maxItems {schema['maxItems']}"
        if "minItems" in schema and len(value) < int(schema["minItems"]):
            return f"{len(value)} items, fewer than minItems {schema['minItems']}"
    if isinstance(value, str):
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not pattern_admits(pattern, value):
            return f"{value!r} does not match the pattern"
        if "maxLength" in schema and len(value) > int(schema["maxLength"]):
            return f"{value!r} is longer than maxLength {schema['maxLength']}"
        if "minLength" in schema and len(value) < int(schema["minLength"]):
            return f"{value!r} is shorter than minLength {schema['minLength']}"
    return None


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _outside_bounds(schema: Mapping[str, Any], value: float) -> str | None:
    """Why a number breaks its schema's bounds, or ``None`` (OpenAPI 3.0's boolean
    ``exclusiveMinimum``/``exclusiveMaximum`` and 3.1's numeric ones)."""
    for word, exclusive_word, sign in (
        ("minimum", "exclusiveMinimum", 1),
        ("maximum", "exclusiveMaximum", -1),
    ):
        limit, exclusive = schema.get(word), schema.get(exclusive_word)
        if _is_number(exclusive):  # 3.1: the exclusive bound itself
            limit, exclusive = exclusive, True
        if not _is_number(limit):
            continue
        margin = (value - limit) * sign  # negative: outside; zero: on the bound
        if margin < 0 or (margin == 0 and exclusive is True):
            kind = "exclusive " if exclusive is True else ""
            return f"{value!r} is outside the {kind}{word} {limit}"
    return None


def _check_schema(pointer: str, schema: Mapping[str, Any]) -> Iterator[Inconsistency]:
    pattern = schema.get("pattern")
    if schema.get("format") == "date-time" and isinstance(pattern, str):
        pattern_only = [
            p for p in DATETIME_PROBES if classify_datetime(p, pattern) == "pattern-only"
        ]
        format_only = [p for p in DATETIME_PROBES if classify_datetime(p, pattern) == "format-only"]
        parts = []
        if pattern_only:
            parts.append(
                f"the pattern admits {', '.join(map(repr, pattern_only))}, which format: "
                "date-time (RFC 3339) rejects"
            )
        if format_only:
            parts.append(
                f"format: date-time admits {', '.join(map(repr, format_only))}, which the "
                "pattern rejects"
            )
        if parts:
            yield Inconsistency(
                pointer,
                "pattern-vs-format",
                "; ".join(parts) + " (a valid value must satisfy both)",
            )

    enum = schema.get("enum")
    description = str(schema.get("description", ""))
    match = _DEFAULT_WORDS.search(description)
    if match and isinstance(enum, list):
        word = match.group(1)
        if word not in enum:
            same = [v for v in enum if isinstance(v, str) and v.lower() == word.lower()]
            hint = f"the enum spells it {same[0]!r}" if same else f"the enum is {enum!r}"
            missing = "" if "default" in schema else " (and there is no `default` keyword)"
            yield Inconsistency(
                pointer,
                "description-vs-enum",
                f"the description says the default is {word!r} but {hint}{missing}",
            )

    for keyword in ("default", "example"):
        if keyword in schema:
            why = _violations(schema, schema[keyword])
            if why:
                yield Inconsistency(pointer, f"{keyword}-vs-schema", f"`{keyword}`: {why}")

    properties = schema.get("properties")
    for name in schema.get("required") or ():
        if isinstance(properties, Mapping) and name not in properties:
            yield Inconsistency(
                pointer, "required-vs-properties", f"{name!r} is required but not a property"
            )

    for low, high in (("minLength", "maxLength"), ("minimum", "maximum"), ("minItems", "maxItems")):
        lo, hi = schema.get(low), schema.get(high)
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
            yield Inconsistency(pointer, "bounds", f"{low} {lo} is greater than {high} {hi}")


def _parameter_examples(spec: Spec, node: Any, pointer: str) -> Iterator[Inconsistency]:
    """A parameter's own ``example`` (beside its ``schema``, where ``_schemas`` does not
    look: a parameter is not a schema) that breaks that schema."""
    if isinstance(node, Mapping):
        schema = node.get("schema")
        if "in" in node and "name" in node and "example" in node and isinstance(schema, Mapping):
            why = _violations(spec.resolve(schema), node["example"])
            if why:
                yield Inconsistency(pointer, "example-vs-schema", f"`example`: {why}")
        for key, value in node.items():
            if key not in ("example", "examples", "x-codeSamples", "schema"):
                yield from _parameter_examples(spec, value, f"{pointer}/{escape_pointer(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _parameter_examples(spec, value, f"{pointer}/{index}")


def _security_gaps(spec: Spec) -> Iterator[Inconsistency]:
    """Operations that require credentials but document no answer for a request without them.

    A server that enforces ``security`` answers 401 to a missing or wrong key, on every
    operation it covers; where the operation documents no 401 (nor ``4XX``/``default``),
    every client and checker meets an undocumented status code there.
    """
    for op in spec.operations():
        requirements = op.security
        # An empty requirement ({}) among the alternatives makes credentials optional.
        if not requirements or any(not r for r in requirements):
            continue
        if any(code in op.responses for code in ("401", "4XX", "default")):
            continue
        schemes = sorted({name for r in requirements for name in r})
        whose = "its own" if "security" in op.raw else "the document's"
        yield Inconsistency(
            f"#/paths/{escape_pointer(op.path)}/{op.method}/responses",
            "security-vs-responses",
            f"{op.label} requires {', '.join(f'`{s}`' for s in schemes)} ({whose} `security`) "
            f"but documents no 401: a server that enforces it answers 401 to a missing or "
            f"invalid key (documented: {', '.join(_status_list(op))})",
        )


def _status_list(op: Operation) -> list[str]:
    return sorted(op.responses) or ["nothing"]


def find_inconsistencies(spec: Spec) -> list[Inconsistency]:
    """Every contradiction in *spec*'s document (``$ref``s are checked where they are defined)."""
    found: list[Inconsistency] = []
    for pointer, schema in _schemas(spec.document, "#"):
        found.extend(_check_schema(pointer, schema))
    found.extend(_parameter_examples(spec, spec.document, "#"))
    found.extend(_security_gaps(spec))
    return found


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        nargs="?",
        default=None,
        metavar="SPEC",
        help="OpenAPI document to lint (default: the vendored one)",
    )


def run(args: argparse.Namespace) -> int:
    from pytest_antimetal._usage import UsageError

    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    found = find_inconsistencies(spec)
    for item in found:
        print(item)
    source = args.spec or "the vendored spec"
    if found:
        print(f"{len(found)} inconsistenc{'y' if len(found) == 1 else 'ies'} in {source}")
        return 1
    print(f"no inconsistencies in {source}")
    return 0
