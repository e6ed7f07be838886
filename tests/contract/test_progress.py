"""The live counter (``-v``): throttled with a fake clock, drawn on a simulated terminal line,
and shown by a pytester run against the embedded fake (none by default or under ``-q``)."""

from __future__ import annotations

import re

import pytest

from pytest_antimetal.contract.progress import (
    LOG_INTERVAL,
    TTY_INTERVAL,
    LiveCounter,
    ProgressEvent,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Screen:
    """One terminal line: text overwritten at a cursor that backspaces move back."""

    def __init__(self, prefix: str = "") -> None:
        self.cells = list(prefix)
        self.cursor = len(prefix)
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)
        for char in text:
            assert char not in "\r\n", "a tty counter stays on its line"
            if char == "\b":
                self.cursor -= 1
                continue
            if self.cursor < len(self.cells):
                self.cells[self.cursor] = char
            else:
                self.cells.append(char)
            self.cursor += 1

    @property
    def line(self) -> str:
        return "".join(self.cells).rstrip()


def _events(counter: LiveCounter, clock: Clock, n: int, step: float, part: str = "p") -> None:
    for i in range(1, n + 1):
        clock.now += step
        counter.update(ProgressEvent(part, i, i // 10))


def test_log_lines_come_at_most_every_interval() -> None:
    clock, out = Clock(), []
    counter = LiveCounter(out.append, clock, tty=False)
    assert counter.interval == LOG_INTERVAL
    with counter.running("fuzz-positive-1"):
        _events(counter, clock, 1000, 0.05)  # 1,000 answers over 50 s
    text = "".join(out)
    lines = text.split("\n")
    # 50 s at one line per 5 s: the first after 5 s, then every 5 s (within one step).
    assert 9 <= len(lines) <= 10
    assert not text.startswith("\n") and not text.endswith("\n")  # separated, not ended
    first = re.fullmatch(
        r"    fuzz-positive-1: (\d+) request\(s\) sent, (\d+) failure\(s\), (\d+) s so far",
        lines[0],
    )
    assert first is not None
    assert int(first.group(1)) in (100, 101) and int(first.group(2)) == 10
    assert first.group(3) == "5"
    sent = [int(re.search(r"(\d+) request", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert sent == sorted(sent) and len(set(sent)) == len(sent)


def test_a_short_part_adds_nothing_to_a_log() -> None:
    clock, out = Clock(), []
    counter = LiveCounter(out.append, clock, tty=False)
    with counter.running("malformed"):
        _events(counter, clock, 200, LOG_INTERVAL / 250)  # 200 answers in 4 s
    assert out == []


def test_updates_outside_a_part_are_ignored() -> None:
    clock, out = Clock(), []
    counter = LiveCounter(out.append, clock, tty=False)
    _events(counter, clock, 100, 1.0)
    with counter.running("a"):
        pass
    _events(counter, clock, 100, 1.0)
    assert out == []


def test_tty_counter_is_redrawn_in_place_and_erased() -> None:
    clock = Clock()
    screen = Screen("antimetal-contract::fuzz-negative-1 ")
    counter = LiveCounter(screen.write, clock, tty=True, room=lambda: 60)
    assert counter.interval == TTY_INTERVAL
    counter.start("fuzz-negative-1")
    _events(counter, clock, 1000, 0.01)  # 1,000 answers over 10 s
    # Drawn at the first answer, then at most every 0.5 s: 20 redraws, not 1,000.
    assert 20 <= len(screen.writes) <= 21
    assert screen.line.startswith("antimetal-contract::fuzz-negative-1 ")
    shown = screen.line.removeprefix("antimetal-contract::fuzz-negative-1 ")
    match = re.fullmatch(r"(\d+) sent, (\d+) failed, (\d+\.\d) s", shown)
    assert match is not None
    assert 950 <= int(match.group(1)) <= 1000
    assert float(match.group(3)) == pytest.approx(int(match.group(1)) * 0.01, abs=0.01)
    counter.finish()
    # pytest's PASSED goes right after its node id, as without the counter.
    assert screen.line == "antimetal-contract::fuzz-negative-1"
    assert screen.cursor == len("antimetal-contract::fuzz-negative-1 ")


def test_tty_shorter_text_erases_the_old_tail() -> None:
    clock = Clock()
    screen = Screen("x ")
    counter = LiveCounter(screen.write, clock, tty=True, room=lambda: 60)
    counter.start("a")
    counter.update(ProgressEvent("a", 12345, 678))
    counter.finish()
    counter.start("b")  # a new part: counts restart, elapsed too
    clock.now += 1
    counter.update(ProgressEvent("b", 1, 0))
    assert screen.line == "x 1 sent, 0 failed, 1.0 s"


def test_tty_counter_fits_the_room_left_or_is_not_drawn() -> None:
    clock = Clock()
    screen = Screen("id ")
    counter = LiveCounter(screen.write, clock, tty=True, room=lambda: 15)
    counter.start("a")
    counter.update(ProgressEvent("a", 123456, 7890))
    assert screen.line == "id " + "123456 sent, 7890 failed"[:15]
    counter.finish()
    assert screen.line == "id"
    narrow = LiveCounter(screen.write, clock, tty=True, room=lambda: 5)
    narrow.start("a")
    narrow.update(ProgressEvent("a", 1, 0))
    narrow.finish()
    assert screen.line == "id"


def test_an_error_in_the_part_still_erases_the_counter() -> None:
    clock = Clock()
    screen = Screen("id ")
    counter = LiveCounter(screen.write, clock, tty=True, room=lambda: 60)
    drawn: list[str] = []

    def part() -> None:
        with counter.running("a"):
            counter.update(ProgressEvent("a", 1, 0))
            drawn.append(screen.line)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        part()
    assert drawn == ["id 1 sent, 0 failed, 0.0 s"]
    assert screen.line == "id"


# -- through pytest, against the embedded fake ---------------------------------------------

CLOCK_CONFTEST = """
import itertools
import pytest

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    plugin = config.pluginmanager.get_plugin("antimetal-contract")
    if plugin is not None:
        ticks = itertools.count()
        # A fake clock, one second a reading: the counter's 5 s come every few requests.
        plugin.progress_clock = lambda: float(next(ticks))
        plugin.progress_tty = {tty!r}
"""
_ARGS = ("-p", "antimetal", "--antimetal-contract", "-k", "malformed", "-p", "no:randomly")
_LIVE = re.compile(
    r"^    (\S+): (\d+) request\(s\) sent, (\d+) failure\(s\), (\d+) s so far$", re.M
)
_FINAL = re.compile(r"^    (\S+): (\d+) request\(s\) sent, \d+ root cause\(s\), \d+\.\d s$", re.M)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("ANTIMETAL_API_KEY", raising=False)
    monkeypatch.delenv("ANTIMETAL_BASE_URL", raising=False)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_verbose_prints_a_counter_in_a_log_and_the_final_line(project: pytest.Pytester) -> None:
    project.makeconftest(CLOCK_CONFTEST.format(tty=None))
    result = project.runpytest(*_ARGS, "-v")
    assert result.ret == 0
    out = "\n".join(result.outlines)
    finals = {part: int(sent) for part, sent in _FINAL.findall(out)}
    assert finals, out
    for part, final in finals.items():
        live = [m for m in _LIVE.finditer(out) if m.group(1) == part]
        assert len(live) >= 2, out  # 1 s a clock reading: a line every 5 answers
        sent = [int(m.group(2)) for m in live]
        assert sent == sorted(sent) and sent[-1] <= final  # the final line counts them all
        assert all(m.group(3) == "0" for m in live)  # the fake has no fault
        elapsed = [int(m.group(4)) for m in live]
        assert elapsed == sorted(elapsed) and elapsed[0] >= 5
        # pytest's own line for the part comes after its counter, whole.
        passed = re.search(rf"^antimetal-contract::{re.escape(part)} PASSED", out, re.M)
        assert passed is not None, out
        assert passed.start() > live[-1].end()
    assert len(_LIVE.findall(out)) == out.count(" so far")  # every counter line on its own


def test_no_counter_by_default_or_under_q(project: pytest.Pytester) -> None:
    project.makeconftest(CLOCK_CONFTEST.format(tty=None))
    default = "\n".join(project.runpytest(*_ARGS).outlines)
    assert " so far" not in default
    assert re.search(r"request\(s\) sent, 0 root cause\(s\)", default)  # the per-part line
    quiet = "\n".join(project.runpytest(*_ARGS, "-q").outlines)
    assert " so far" not in quiet
    assert "request(s) sent" not in quiet


def _rendered(raw: str) -> list[str]:
    """What a terminal shows of *raw*: backspaces move the cursor back, text overwrites."""
    lines = []
    for line in raw.split("\n"):
        screen = Screen()
        screen.write(line)
        lines.append(screen.line)
    return lines


def test_tty_counter_leaves_pytests_line_as_it_was(project: pytest.Pytester) -> None:
    """A terminal (the reporter's tty answer overridden; its output read back as a terminal
    would show it): the counter was drawn, and nothing of it is left once the part ended."""
    project.makeconftest(CLOCK_CONFTEST.format(tty=True))
    result = project.runpytest_subprocess(*_ARGS, "-v")
    assert result.ret == 0
    raw = result.stdout.str()
    assert re.search(r"\d+ sent, 0 failed, \d+\.\d s", raw)  # drawn
    assert "\b" in raw and " so far" not in raw
    shown = _rendered(raw)
    lines = [x for x in shown if x.startswith("antimetal-contract::") and "PASSED" in x]
    assert lines
    for line in lines:
        assert re.fullmatch(r"antimetal-contract::\S+ PASSED +\[ *\d+%\]", line), line
    assert not any(re.search(r"\d+ sent, \d+ failed", x) for x in shown)


def test_no_counter_on_xdist_workers(project: pytest.Pytester) -> None:
    project.makeconftest(CLOCK_CONFTEST.format(tty=None))
    result = project.runpytest_subprocess(*_ARGS, "-v", "-n", "2")
    assert result.ret == 0
    out = result.stdout.str()
    assert " so far" not in out
    assert "\b" not in out
