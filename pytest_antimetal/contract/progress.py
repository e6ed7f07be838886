"""A live counter for a running part of the contract suite (``-v``), without pytest.

The runner knows nothing of terminals: it calls a plain callback with a
:class:`ProgressEvent` as each request is answered (``ContractSettings.progress``).
:class:`LiveCounter` turns those events into output at a bounded rate, so it costs nothing
measurable however fast the target answers:

* on a terminal (tty) it rewrites one counter in place after pytest's
  ``antimetal-contract::<part>`` line, at most every :data:`TTY_INTERVAL` seconds, and erases
  it when the part ends, so pytest's ``PASSED``/``FAILED`` lands where it always does;
* elsewhere (a CI log) it prints a line at most every :data:`LOG_INTERVAL` seconds, and
  nothing for a part shorter than that: a log gets no flood of carriage returns.

The clock and the writer are given, so the throttling is tested with a fake clock.
:func:`live_counter` wires it to a pytest run (duck-typed: this module imports no pytest).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LOG_INTERVAL",
    "TTY_INTERVAL",
    "LiveCounter",
    "ProgressCallback",
    "ProgressEvent",
    "live_counter",
]

TTY_INTERVAL = 0.5
"""Seconds between two redraws of the counter on a terminal."""
LOG_INTERVAL = 5.0
"""Seconds between two progress lines in a log (not a tty)."""
_MIN_ROOM = 12
"""Columns a counter needs at least beside pytest's line; with less it is not drawn."""


@dataclass(slots=True)
class ProgressEvent:
    """Where a part stands, sent by the runner as each request is answered."""

    part: str
    requests: int
    """Requests of the part answered so far."""
    failures: int
    """Failures the part has recorded so far (every one, kept or not)."""


ProgressCallback = Callable[[ProgressEvent], None]


class LiveCounter:
    """Requests sent, failures so far and elapsed time of the running part, throttled.

    *write* receives raw text. With *tty* it is a counter redrawn in place with backspaces
    (not ``\\r``: the line starts with pytest's node id, which must stay); *room* gives the
    columns left on that line (the counter is cut to fit, or not drawn). Without *tty* each
    update is a line of its own; lines are separated, not ended (the first comes bare, the
    next ones after a ``\\n``): whatever the caller writes next ends the last one.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        tty: bool,
        interval: float | None = None,
        room: Callable[[], int] | None = None,
    ) -> None:
        self._write = write
        self._clock = clock
        self.tty = tty
        self.interval = interval if interval is not None else TTY_INTERVAL if tty else LOG_INTERVAL
        self._room = room
        self._lock = threading.Lock()  # the runner may answer from several threads
        self._part = ""
        self._started = 0.0
        self._next = float("inf")  # not running: updates are ignored
        self._shown = 0  # tty: columns of the counter on screen
        self._lines = 0  # log: lines written for this part
        self._width = 0

    def start(self, part: str) -> None:
        """*part* starts now (elapsed counts from here)."""
        now = self._clock()
        self._part, self._started = part, now
        self._shown = self._lines = 0
        # A terminal shows the counter at the first answer; a log waits a whole interval,
        # so a short part adds nothing to it.
        self._next = now if self.tty else now + self.interval
        self._width = max(self._room(), 0) if (self.tty and self._room is not None) else 80

    def update(self, event: ProgressEvent) -> None:
        """The runner's callback: shows *event* if the interval has passed since the last."""
        now = self._clock()
        if now < self._next:  # the common case: one clock read and a comparison
            return
        with self._lock:
            if now < self._next:
                return
            self._next = now + self.interval
            self._show(event, now - self._started)

    def finish(self) -> None:
        """The part ended: a terminal's counter is erased (pytest's report follows)."""
        with self._lock:
            self._next = float("inf")
            if self.tty and self._shown:
                n = self._shown
                self._write("\b" * n + " " * n + "\b" * n)
                self._shown = 0

    @contextmanager
    def running(self, part: str) -> Iterator[None]:
        """:meth:`start` and, however the part ends, :meth:`finish`."""
        self.start(part)
        try:
            yield
        finally:
            self.finish()

    def _show(self, event: ProgressEvent, elapsed: float) -> None:
        if self.tty:
            text = f"{event.requests} sent, {event.failures} failed, {elapsed:.1f} s"
            if self._width < _MIN_ROOM:
                return
            text = text[: self._width]
            pad = max(self._shown - len(text), 0)  # a shorter text erases the old tail
            self._write("\b" * self._shown + text + " " * pad + "\b" * pad)
            self._shown = len(text)
            return
        line = (
            f"    {self._part}: {event.requests} request(s) sent, "
            f"{event.failures} failure(s), {elapsed:.0f} s so far"
        )
        self._write(line if not self._lines else "\n" + line)
        self._lines += 1


def live_counter(
    config: Any, clock: Callable[[], float] | None = None, *, tty: bool | None = None
) -> LiveCounter | None:
    """The counter a pytest run shows while a part runs; ``None`` where there is none.

    Only with ``-v`` (default and ``-q`` stay as they are), and never on an xdist worker (it
    has no terminal; the controller prints each part's line as its report arrives). *config*
    is pytest's ``Config``; *tty* overrides what the terminal reporter says (tests).
    Writes go to the terminal with output capturing suspended for the moment, as pytest's
    live logging does.
    """
    if config.get_verbosity() <= 0 or hasattr(config, "workerinput"):
        return None
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if terminal is None:
        return None
    capture = config.pluginmanager.get_plugin("capturemanager")
    on_tty = bool(terminal.isatty()) if tty is None else tty
    writer = config.get_terminal_writer()

    def uncaptured(write: Callable[[str], None]) -> Callable[[str], None]:
        def emit(text: str) -> None:
            if capture is None:
                write(text)
                return
            with capture.global_and_fixture_disabled():
                write(text)

        return emit

    if on_tty:

        def raw(text: str) -> None:
            # Beside pytest's writer, not through it: its width of the current line (which
            # right-aligns the "[ 50%]") would count the backspaces.
            sys.stdout.write(text)
            sys.stdout.flush()

        def room() -> int:
            return int(writer.fullwidth) - int(writer.width_of_current_line) - 2

        return LiveCounter(uncaptured(raw), clock or time.monotonic, tty=True, room=room)

    def line(text: str) -> None:
        # The first line ends pytest's "antimetal-contract::<part> " line; pytest's report of
        # the part then starts a line of its own (ensure_newline forgot the node id).
        terminal.ensure_newline()
        terminal.write(text, flush=True)

    return LiveCounter(uncaptured(line), clock or time.monotonic, tty=False)
