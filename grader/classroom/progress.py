"""What a class run shows while it runs: how many students are graded, and who is being
graded now and for how long (so that a slow one is seen while it runs), on a progress bar
on a terminal or in plain lines otherwise (CI logs, pipes)."""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from grader.display import text
from grader.display.plaintext import failure_line

if TYPE_CHECKING:
    from grader.classroom.run import ClassRun

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


def summary_lines(run: ClassRun) -> list[str]:
    """The one-screen summary printed at the end of a class run."""
    totals = [r["score"] for r in run.results.values()]
    lines = [f"{len(run.students)} students: {len(run.graded) + len(run.failed)} graded, "
             f"{len(run.reused)} unchanged since the last run, in {run.seconds:.1f} s"
             + (f"; interrupted, {len(run.not_graded)} not graded" if run.interrupted else "")
             + ("; stopped: the grader failed on the first students" if run.stopped else "")]
    if totals:
        top = max(sum(t["max_score"] for t in r["tests"]) for r in run.results.values())
        lines.append(f"score: mean {statistics.mean(totals):.2f}, median "
                     f"{statistics.median(totals):g} of {top:g}")
    late = [r["extra_data"]["late"]["deducted"] for r in run.results.values()
            if "late" in r.get("extra_data", {})]
    if late:
        lines.append(f"late: {len(late)} student{'' if len(late) == 1 else 's'} lost "
                     f"{sum(late):g} points in all to the rubric's late policy (each "
                     "results.json says why)")
    slow = slowest(run.results, 3)
    if slow:
        lines.append("slowest: " + ", ".join(f"{text.name(n)} ({t:.1f} s)" for n, t in slow))
    for name, error in sorted(run.failed.items()):
        kept = " (their results from the last run are kept)" if name in run.kept else ""
        lines.append(f"GRADER FAILED on {text.name(name)}: {failure_line(error)}{kept}")
    for s in run.renamed:
        lines.append(f"renamed: {text.name(s.name)} is graded into {text.name(s.folder)}/ "
                     f"({s.renamed})")
    return lines


def slowest(results: dict[str, dict[str, Any]], n: int) -> list[tuple[str, float]]:
    times = sorted(((r.get("execution_time", 0.0), name) for name, r in results.items()),
                   reverse=True)
    return [(name, t) for t, name in times[:n]]
