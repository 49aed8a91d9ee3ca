"""students.csv, written through the gradebook's CSV writer (every cell as a spreadsheet
shows it, never as a formula): a row per student folder, then a row per file of the
download that is nobody's submission (no folder)."""
from __future__ import annotations

from typing import Iterable

from grader.classroom.gradebook import csv_text
from grader.classroom.imported import HEADER, SEPARATOR
from grader.lms.unpack import Outcome

LATE = {True: "yes", False: "no", None: ""}


def students_csv(lms: str, outcomes: Iterable[Outcome],
                 nobody: Iterable[tuple[str, str]]) -> str:
    rows: list[tuple[str, ...]] = [HEADER]
    for o in sorted(outcomes, key=lambda o: o.folder):
        who = o.sub.who
        rows.append((o.folder, who.name, who.id, who.login, lms, LATE[o.sub.late],
                     o.sub.submitted, SEPARATOR.join(o.taken), _aside(o.aside)))
    rows += [("", "", "", "", lms, "", "", "", _aside([entry])) for entry in nobody]
    return csv_text(rows)


def _aside(entries: Iterable[tuple[str, str]]) -> str:
    return SEPARATOR.join(f"{name} ({why})" for name, why in entries)
