"""What a class run shows while it runs: how many students are graded, and who is being
graded now and for how long (so that a slow one is seen while it runs), on a progress bar
on a terminal or in plain lines otherwise (CI logs, pipes)."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, Iterator

from grader.display import text

QUIET = 15.0  # plain lines: after this many seconds without one, say who is still graded
SHOWN = 3  # students in flight named on one line


@dataclass(frozen=True)
class InFlight:
    """Between two students' outcomes: those being graded now, with the seconds each has
    taken so far, longest first (class workers yield one about twice a second)."""

    students: tuple[tuple[str, float], ...] = ()

    @classmethod
    def since(cls, began: dict[str, float]) -> InFlight:
        """From when (time.monotonic()) each student in flight began."""
        now = time.monotonic()
        return cls(tuple(sorted(((name, now - t) for name, t in began.items()),
                                key=lambda s: -s[1])))

    def describe(self, leave_out: frozenset[str] = frozenset()) -> str:
        """"carol (41 s), dave (2 s) and 1 more", their names made safe for a terminal."""
        now = [(n, s) for n, s in self.students if n not in leave_out]
        shown = ", ".join(f"{text.name(n)} ({s:.0f} s)" for n, s in now[:SHOWN])
        return shown + (f" and {len(now) - SHOWN} more" if len(now) > SHOWN else "")


def terminal_progress(events: Iterator[Any], total: int) -> Iterator[Any]:
    """Pass every event on (InFlight, or a student's outcome, whose first field is their
    name), showing progress on stderr as they pass."""
    if sys.stderr.isatty():
        yield from _bar(events, total)
    else:
        yield from _lines(events, total)


def _bar(events: Iterator[Any], total: int) -> Iterator[Any]:
    from tqdm import tqdm

    with tqdm(total=total, unit="student", file=sys.stderr) as bar:
        for event in events:
            if isinstance(event, InFlight):  # about twice a second: the seconds go on
                now = event.describe()
                bar.set_postfix_str(f"grading {now}" if now else "", refresh=True)
            else:
                bar.update(1)
            yield event


def _lines(events: Iterator[Any], total: int) -> Iterator[Any]:
    done, said, flight = 0, time.monotonic(), InFlight()
    for event in events:
        if isinstance(event, InFlight):
            flight = event
            if event.students and time.monotonic() - said >= QUIET:
                _say(f"still grading: {event.describe()}")
                said = time.monotonic()
        else:
            done += 1
            now = flight.describe(frozenset([event[0]]))
            _say(f"graded {done}/{total}: {text.name(event[0])}"
                 + (f"; grading {now}" if now else ""))
            said = time.monotonic()
        yield event


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
