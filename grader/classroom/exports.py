"""The gradebook import files of each LMS (`--export canvas|moodle|blackboard`), matching
students by the ids the roster, or `grade import`'s students.csv, holds.

- Canvas: gradebook.canvas_csv (Student, ID, SIS User ID, SIS Login ID, Section).
- Moodle: the assignment's offline grading worksheet (Identifier "Participant N", where
  N is the participant id of Moodle's download, Grade, Last modified (grade)), which
  *Upload grading worksheet* reads.
- Blackboard: the Grade Center's upload (Last Name, First Name, Username, then a column
  "<title> [Total Pts: N Score]", new unless renamed to an existing column's header).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Optional

from grader.classroom import gradebook
from grader.classroom.roster import Entry, Roster
from grader.classroom.run import ClassRun
from grader.rubric.model import Rubric


def _score(run: ClassRun, entry: Entry) -> str:
    """The total, "" for a student an interrupted run did not reach, 0 without a submission."""
    results = run.results.get(entry.folder)
    if results is not None:
        return f"{results['score']:g}"
    return "" if entry.folder in run.not_graded else "0"


def _need(roster: Optional[Roster], lms: str) -> Roster:
    if roster is None:
        raise ValueError(f"a {lms} export needs the roster: {lms} matches students by id")
    return roster


def moodle_csv(run: ClassRun, rubric: Rubric, roster: Optional[Roster]) -> str:
    """Moodle's grading worksheet: students matched by "Participant <id>"."""
    top = f"{sum(i.points for i in rubric.items):g}"
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    rows = [("Identifier", "Full name", "Email address", "Grade", "Maximum Grade",
             "Grade can be changed", "Last modified (grade)")]
    for entry in sorted(_need(roster, "Moodle").entries, key=lambda e: e.folder):
        rows.append((f"Participant {entry.id}" if entry.id else "", entry.name or entry.folder,
                     entry.email, _score(run, entry), top, "Yes", now))
    return gradebook.csv_text(rows)


def blackboard_csv(run: ClassRun, rubric: Rubric, roster: Optional[Roster]) -> str:
    """Blackboard's Grade Center upload: students matched by Username."""
    column = f"{rubric.model.title} [Total Pts: {sum(i.points for i in rubric.items):g} Score]"
    rows = [("Last Name", "First Name", "Username", column)]
    for entry in sorted(_need(roster, "Blackboard").entries, key=lambda e: e.folder):
        first, _, last = (entry.name or "").rpartition(" ")
        rows.append((last, first, entry.login or entry.id or entry.folder, _score(run, entry)))
    return gradebook.csv_text(rows)


EXPORTS: dict[str, Callable[[ClassRun, Rubric, Optional[Roster]], str]] = {
    **gradebook.EXPORTS,
    "moodle": moodle_csv,
    "blackboard": blackboard_csv,
}


@dataclass(frozen=True)
class Pending:
    """What still waits for a TA in a class: the gradebook is not final until it is graded."""

    students: int
    points: float  # the manual items' points, summed over the students waiting
    items: tuple[str, ...]

    def line(self) -> str:
        who = "student waits" if self.students == 1 else "students wait"
        return (f"not final: {self.students} {who} for a TA on {self.points:g} points in "
                f"all ({', '.join(self.items)})")


def pending(results: dict[str, dict], rubric: Rubric) -> Optional[Pending]:
    """What waits for a TA across these students' results, or None when nothing does."""
    waiting = [w for w in (gradebook.pending(r) for r in results.values()) if w]
    if not waiting:
        return None
    points = {i.id: i.points for i in rubric.items}
    items = tuple(i.id for i in rubric.items if any(i.id in w for w in waiting))
    return Pending(len(waiting), sum(points.get(i, 0.0) for w in waiting for i in w), items)
