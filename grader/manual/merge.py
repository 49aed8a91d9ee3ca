"""Merging TAs' grades into what the automatic grading wrote: each student's results.json
and report.html, from the typed record beside them, without running code again (the
class's grades.csv and index.html are then written again by grader.classroom.outputs)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from grader.classroom.outputs import refresh_class
from grader.classroom.records import report_folders, student_of
from grader.engine import record
from grader.pipeline import write_outputs
from grader.rubric.model import Rubric
from grader.written.grades import apply
from grader.written.store import Store


def refresh_student(folder: Path, rubric: Rubric, store: Store,
                    student: Optional[str] = None) -> Optional[str]:
    """Rewrite the outputs of one student (their key; by default the one `folder`'s
    results name) with the store's grades; a reason when it cannot."""
    try:
        sub = record.read(folder, rubric)
    except record.StaleRecord as exc:
        return str(exc)
    if sub is None:
        return "no record of its grading (graded by an older version): regrade it to merge"
    student = student or student_of(folder)
    write_outputs(apply(sub, store.manual_grades(rubric, student)), folder)
    return None


def merge_grades(reports: Path, rubric: Rubric, store: Store,
                 students: Optional[list[str]] = None) -> dict[str, str]:
    """Merge the store's grades into these students' outputs (by key; all when None), then
    into the class's grades.csv and index.html; the students that could not be merged
    (their keys), and why."""
    folders = report_folders(reports)
    problems = {}
    for key in folders if students is None else students:
        if key in folders:
            why = refresh_student(folders[key], rubric, store, key)
            if why:
                problems[key] = why
    refresh_class(reports, rubric)
    return problems
