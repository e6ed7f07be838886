"""A bounded Server-Sent Events decoder (the WHATWG ``text/event-stream`` rules).

Fed bytes as they arrive; returns complete events. Lines end in ``\\r\\n``, ``\\n``
or ``\\r``; ``:`` starts a comment; ``data`` lines of one event are joined with
``\\n``; a blank line dispatches the event; an event left unterminated at the end
of the stream is dropped (as browsers do). Bounded: a line longer than
``max_line_bytes`` or an event whose data exceeds ``max_event_bytes`` raises
:class:`SSEError` instead of growing a buffer without end.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_EVENT_BYTES", "MAX_LINE_BYTES", "SSEDecoder", "SSEError", "ServerSentEvent"]

MAX_LINE_BYTES = 256 * 1024
MAX_EVENT_BYTES = 1024 * 1024


class SSEError(ValueError):
    """The stream broke the format or a size limit."""


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


class SSEDecoder:
    """Incremental decoder: ``feed(bytes)`` -> complete events; ``close()`` at the end."""

    def __init__(
        self, *, max_line_bytes: int = MAX_LINE_BYTES, max_event_bytes: int = MAX_EVENT_BYTES
    ) -> None:
        self.max_line_bytes = max_line_bytes
        self.max_event_bytes = max_event_bytes
        self._buffer = b""
        self._data: list[str] = []
        self._data_bytes = 0
        self._event = ""
        self._last_id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        buffer = self._buffer + chunk
        events: list[ServerSentEvent] = []
        start = 0  # lines are cut by position: one copy of the rest per feed, not per line
        while True:
            cut = _line_end(buffer, start)
            if cut is None:
                break
            end, after = cut
            self._check_line(end - start)
            event = self._line(buffer[start:end].decode("utf-8", errors="replace"))
            start = after
            if event is not None:
                events.append(event)
        self._buffer = buffer[start:]
        self._check_line(len(self._buffer))
        return events

    def close(self) -> None:
        """The stream ended: an unterminated event is dropped (WHATWG)."""
        self._buffer = b""
        self._data = []
        self._data_bytes = 0

    def _check_line(self, size: int) -> None:
        if size > self.max_line_bytes:
            raise SSEError(f"event-stream line longer than {self.max_line_bytes} bytes")

    def _line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data_bytes += len(value) + 1
            if self._data_bytes > self.max_event_bytes:
                raise SSEError(f"event-stream event larger than {self.max_event_bytes} bytes")
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        return None  # "retry" and unknown fields: nothing for a client that does not reconnect

    def _dispatch(self) -> ServerSentEvent | None:
        data, event = self._data, self._event
        self._data, self._data_bytes, self._event = [], 0, ""
        if not data:
            return None
        return ServerSentEvent(event=event or "message", data="\n".join(data), id=self._last_id)


def _line_end(buffer: bytes, start: int) -> tuple[int, int] | None:
    """(end of the line at *start*, start of the next) in *buffer*, ``None`` if incomplete."""
    lf = buffer.find(b"\n", start)
    cr = buffer.find(b"\r", start, len(buffer) if lf == -1 else lf)  # only before the \n
    if cr == -1 and lf == -1:
        return None
    if cr == -1 or (lf != -1 and lf < cr):
        return lf, lf + 1
    if cr + 1 < len(buffer):
        return cr, cr + 2 if buffer[cr + 1 : cr + 2] == b"\n" else cr + 1
    return None  # a final \r may be the first half of \r\n: wait for the next byte
