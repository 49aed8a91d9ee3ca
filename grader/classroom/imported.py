"""What `grade import` recorded beside the student folders, in students.csv: who each folder
is, with the LMS's own ids (the gradebook exports match students by them, so no roster
has to be made by hand), when each student handed in and whether the LMS said late (for
the rubric's late policy), and every file taken or left aside, and why.

    folder,name,lms_id,login,lms,late,submitted,files_taken,left_aside
    smithalice_1001,smithalice,1001,,canvas,yes,,problem1.py; problem2.py,problem1.py (...)

Rows without a folder list files of the download that are nobody's submission. The file
reads as a roster too (`grade --roster students.csv`); a roster given on the command
line wins, is completed from it where it says nothing, and is checked against it.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from grader.classroom.roster import Roster, load_roster
from grader.engine.late import Submitted

STUDENTS_CSV = "students.csv"
HEADER = ("folder", "name", "lms_id", "login", "lms", "late", "submitted", "files_taken",
          "left_aside")
SEPARATOR = "; "  # between the files of one cell
RECEIPT = "the LMS's receipt for the attempt: read for the name and time"  # not the student's
JUNK = "added by a zip tool or a file browser, not the student's work"  # nor this
_KEPT = re.compile(r", (?:kept in|not kept).*\)$")  # where the instructor finds it
LMS_NAMES = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard",
             "folders": "the folders"}


@dataclass(frozen=True)
class Arrival:
    """One student's row: how their submission came in."""

    lms: str = ""
    late: Optional[bool] = None  # None: the LMS did not say
    submitted: str = ""  # ISO 8601, with a zone when the LMS gave one
    left_aside: str = ""

    def submitted_as(self) -> Optional[Submitted]:
        """For the late policy; None when the LMS said nothing of time or lateness."""
        at = dt.datetime.fromisoformat(self.submitted) if self.submitted else None
        if at is None and self.late is None:
            return None
        return Submitted(at=at, late=self.late, source=LMS_NAMES.get(self.lms, self.lms))

    def notes(self) -> tuple[str, ...]:
        """What the student's report says of their upload: files not graded, and why."""
        aside = [_KEPT.sub(")", a) for a in self.left_aside.split(SEPARATOR)
                 if a and RECEIPT not in a and JUNK not in a]
        if not aside:
            return ()
        more = f" and {len(aside) - 5} more" if len(aside) > 5 else ""
        return (f"From your upload, not graded: {SEPARATOR.join(aside[:5])}{more}.",)


@dataclass(frozen=True)
class Imported:
    path: Path
    roster: Roster
    arrivals: dict[str, Arrival]


def made_by_import(path: Path) -> bool:
    """Whether `path` is a class `grade import` made (a class, however few its students)."""
    return (path / STUDENTS_CSV).is_file()


def load_imported(submissions: Path) -> Optional[Imported]:
    """students.csv of a folder `grade import` made, or None; RosterError if unreadable."""
    path = submissions / STUDENTS_CSV
    if not path.is_file():
        return None
    roster = load_roster(path)
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    arrivals = {}
    for row in rows:
        if row.get("folder"):
            late = {"yes": True, "no": False}.get((row.get("late") or "").strip().lower())
            arrivals[row["folder"]] = Arrival(row.get("lms") or "", late,
                                              (row.get("submitted") or "").strip(),
                                              row.get("left_aside") or "")
    return Imported(path, roster, arrivals)


def reconcile(roster: Roster, imported: Imported) -> tuple[Roster, list[str]]:
    """The roster given, completed from the import where it says nothing (an id, a name),
    and a line for every student on whom the two disagree (the roster wins)."""
    entries, problems = [], []
    for entry in roster.entries:
        known = imported.roster.get(entry.folder)
        if known is None:
            entries.append(entry)
            continue
        for field in ("id", "login"):
            mine, theirs = getattr(entry, field), getattr(known, field)
            if mine and theirs and mine != theirs:
                problems.append(f"{entry.folder}: the roster's {field} is {mine}, the LMS "
                                f"download's {theirs} (the roster's is used)")
        entries.append(replace(entry, **{f: getattr(known, f) for f in ("name", "id", "login")
                                         if not getattr(entry, f) and getattr(known, f)}))
    return Roster(roster.path, tuple(entries)), problems


def class_roster(given: Optional[Roster], submissions: Optional[Path]
                 ) -> tuple[Optional[Roster], Optional[Imported], list[str]]:
    """The roster a class run uses: the one given, completed from and checked against
    students.csv when `submissions` came from `grade import`, or else students.csv's own;
    with the import and the lines on which the two disagree."""
    imported = load_imported(submissions) if submissions is not None else None
    if imported is None:
        return given, None, []
    if given is None:
        return imported.roster, imported, []
    roster, problems = reconcile(given, imported)
    return roster, imported, problems
