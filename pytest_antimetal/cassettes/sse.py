"""Server-Sent Events in recorded traffic: a ``text/event-stream`` body read as its events.

``POST /query`` with ``stream: true`` and ``Accept: text/event-stream`` answers a
stream of events whose ``data`` is one ``QueryChunkDto`` JSON object each.
VCR.py records the stream as one body; its events are delimited in the bytes
themselves (a blank line ends an event), so a body kept byte for byte replays
the same events in the same order. This module reads them back, as the WHATWG
HTML standard's event-stream parser does, for the guard (the key spelled across
several text deltas) and the check (each event's data against its schema).

Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_STREAM",
    "MAX_EVENTS",
    "Event",
    "assembled_fields",
    "is_event_stream",
    "parse_events",
    "wants_event_stream",
]

EVENT_STREAM = "text/event-stream"
"""The media type of a Server-Sent Events stream."""
MAX_EVENTS = 100_000
"""Most events read from one body; the rest are ignored (the body is bounded anyway)."""

_LINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Event:
    """One dispatched event: its ``data`` lines joined by ``\\n``, its type and id."""

    data: str
    event: str = "message"
    id: str | None = None

    def json(self) -> Any:
        """The data parsed as JSON; :class:`ValueError` when it is not JSON."""
        try:
            return json.loads(self.data)
        except RecursionError:
            raise ValueError("nested too deep") from None


def _media_types(value: str) -> list[str]:
    return [part.split(";", 1)[0].strip().lower() for part in value.split(",")]


def is_event_stream(content_type: str) -> bool:
    """Whether a ``Content-Type`` value names ``text/event-stream``."""
    return EVENT_STREAM in _media_types(content_type)


def wants_event_stream(accept: str) -> bool:
    """Whether an ``Accept`` value asks for ``text/event-stream`` (not refused with ``q=0``)."""
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() != EVENT_STREAM:
            continue
        refused = any(p.replace(" ", "").lower() in ("q=0", "q=0.0", "q=0.00") for p in params)
        if not refused:
            return True
    return False


def parse_events(text: str, *, limit: int = MAX_EVENTS) -> list[Event]:
    """The events of an event-stream body, in order (at most *limit*).

    As the standard reads a stream: lines end with CRLF, LF or CR; a line
    starting with ``:`` is a comment; ``field: value`` loses one space after the
    colon; ``data`` lines accumulate, joined by ``\\n``; a blank line dispatches
    the event (none when it has no data). An event the stream ends before its
    blank line is not dispatched, as a browser would not.
    """
    events: list[Event] = []
    data: list[str] = []
    kind, last_id = "", None
    lines = _LINE.split(text.removeprefix("\ufeff"))
    lines.pop()  # the text after the last line break: a line the stream never finished
    for line in lines:
        if not line:
            if data:
                events.append(Event("\n".join(data), kind or "message", last_id))
                if len(events) >= limit:
                    break
            data, kind = [], ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            kind = value
        elif name == "id" and "\0" not in value:
            last_id = value
    return events


def assembled_fields(events: Iterable[Event]) -> dict[str, str]:
    """Each top-level string field of the events' JSON data, joined across events in order.

    A streamed answer arrives as text deltas (``{"text": "Hel"}``, ``{"text":
    "lo"}``): what the client shows is their concatenation, and a secret can be
    split across deltas. Data that is not a JSON object joins under ``""``.
    """
    joined: dict[str, list[str]] = {}
    for event in events:
        try:
            value = event.json()
        except ValueError:
            value = None
        if isinstance(value, Mapping):
            for name, item in value.items():
                if isinstance(item, str):
                    joined.setdefault(str(name), []).append(item)
        else:
            joined.setdefault("", []).append(event.data)
    return {name: "".join(parts) for name, parts in joined.items()}
