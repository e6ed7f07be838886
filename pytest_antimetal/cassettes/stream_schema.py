"""Which schema each event of a recorded ``text/event-stream`` answer must satisfy.

OpenAPI 3.0 cannot type an event, so :func:`event_schema` looks in the places
the document may say it (see there). The check validates a recorded stream's
events, read by :mod:`~pytest_antimetal.cassettes.sse`, against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_antimetal.cassettes.sse import EVENT_STREAM
from pytest_antimetal.spec import Operation, Spec, resolve_pointer

__all__ = ["event_schema"]


def _response_object(spec: Spec, op: Operation, status: int) -> tuple[str, Any]:
    """The raw (refs unresolved) response object documented for *status*, and its key."""
    item = spec.document.get("paths", {}).get(op.path, {})
    if isinstance(item, Mapping) and "$ref" in item:
        item = resolve_pointer(spec.document, str(item["$ref"]))
    raw_op = item.get(op.method, {}) if isinstance(item, Mapping) else {}
    responses = raw_op.get("responses", {}) if isinstance(raw_op, Mapping) else {}
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        node = responses.get(key) if isinstance(responses, Mapping) else None
        if node is not None:
            if isinstance(node, Mapping) and "$ref" in node:
                node = resolve_pointer(spec.document, str(node["$ref"]))
            return key, node
    return "", None


def event_schema(spec: Spec, op: Operation, status: int) -> tuple[dict[str, Any] | None, str, str]:
    """The schema each event's data of *op*'s *status* stream must satisfy, its name, and
    what was looked for (for the finding when there is none).

    The OpenAPI 3.0 document has no way to type an event, so, in order:

    1. the response's ``text/event-stream`` content: its ``itemSchema`` (OpenAPI
       3.2's per-event schema), else its ``schema``;
    2. the component named like the JSON answer's, ``Chunk`` for ``Response``:
       ``QueryResponseDto`` -> ``QueryChunkDto`` (the vendor's convention);
    3. the component named after the operation id: ``query`` -> ``QueryChunkDto``.
    """
    key, response = _response_object(spec, op, status)
    content = response.get("content") if isinstance(response, Mapping) else None
    media = content.get(EVENT_STREAM) if isinstance(content, Mapping) else None
    if isinstance(media, Mapping):
        for field_name in ("itemSchema", "schema"):
            schema = media.get(field_name)
            if isinstance(schema, Mapping):
                label = f"{op.label} {key} {EVENT_STREAM} {field_name}"
                return dict(spec.resolve(schema)), label, label
    names: list[str] = []
    json_media = content.get("application/json") if isinstance(content, Mapping) else None
    ref = json_media.get("schema", {}).get("$ref") if isinstance(json_media, Mapping) else None
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        answer = ref.rsplit("/", 1)[-1]
        for suffix in ("ResponseDto", "Response"):
            if answer.endswith(suffix):
                names.append(answer[: -len(suffix)] + suffix.replace("Response", "Chunk"))
                break
    if op.operation_id:
        names.append(f"{op.operation_id[:1].upper()}{op.operation_id[1:]}ChunkDto")
    names = list(dict.fromkeys(names))
    for name in names:
        if name in spec.schema_names:
            return spec.schema(name), name, name
    looked_for = f"{EVENT_STREAM} content under {status}"
    if names:
        looked_for += " or a schema named " + " or ".join(names)
    return None, "", looked_for
