"""The class's scores as files other tools read: grades.csv (plain, with the roster's ids,
for any LMS or spreadsheet) and an LMS's own import format (`EXPORTS`: Canvas).

With a roster, every student of the roster has a row: those without a submission score
0 and say "no submission"; folders the roster does not know are flagged.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Sequence

from grader.classroom.roster import Roster
from grader.classroom.run import ClassRun
from grader.display.spreadsheet import Cell, to_csv
from grader.rubric.model import Rubric

WHO = ("name", "email", "id", "sis_id", "section")  # roster columns grades.csv carries


def item_ids(run: ClassRun, rubric: Rubric) -> list[str]:
    seen = {t["extra_data"]["item"] for r in run.results.values() for t in r["tests"]}
    return [i.id for i in rubric.items if i.id in seen]


def scores(results: dict[str, Any]) -> dict[str, float]:
    return {t["extra_data"]["item"]: t["score"] for t in results["tests"]}


def pending(results: dict[str, Any]) -> list[str]:
    """Manual items of these results that wait for a TA."""
    return [t["extra_data"]["item"] for t in results["tests"]
            if t["extra_data"].get("manual") == "pending"]


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """Rows, the first a header, through the one CSV writer (students.csv, the Moodle and
    Blackboard exports): numbers stay numbers, text is never read as a formula."""
    rows = list(rows)
    return to_csv([str(c) for c in rows[0]], rows[1:]) if rows else ""


def _rows(run: ClassRun, roster: Optional[Roster]) -> list[tuple[str, Optional[dict], str]]:
    """(folder, results or None, status) for every student, graded or not."""
    rows = []
    for name in sorted(run.results):
        failed = "internal_error" in run.results[name].get("extra_data", {})
        rows.append((name, run.results[name], "grader failed" if failed else "graded"))
    rows += [(name, None, "not graded yet") for name in sorted(run.not_graded)]
    if roster is not None:
        folders = {s.name for s in run.students}
        rows += [(e.folder, None, "no submission") for e in roster.missing(folders)]
    return sorted(rows, key=lambda row: row[0])


def grades_csv(run: ClassRun, rubric: Rubric, roster: Optional[Roster] = None) -> str:
    """One row per student: who (with a roster), total, maximum, one column per item,
    whether the grader failed on them, their status, the items waiting for a TA, the
    folder of their report (and why, when it is not their name), and whether the roster
    knows them."""
    ids = item_ids(run, rubric)
    top = sum(i.points for i in rubric.items)
    header = ["student", *(WHO if roster else ()), "total", "max", *ids, "grader_error",
              "status", "waiting_for_ta", "report_folder", "renamed",
              *(("roster",) if roster else ())]
    placed = {s.name: (s.folder or s.name, s.renamed) for s in run.students}
    rows = []
    for name, results, status in _rows(run, roster):
        entry = roster.get(name) if roster else None
        who: list[Cell] = [getattr(entry, c) if entry else "" for c in WHO] if roster else []
        waiting = pending(results) if results is not None else []
        total: list[Cell]
        if results is not None:
            got = scores(results)
            total = [results["score"], sum(t["max_score"] for t in results["tests"]),
                     *(got[i] if i in got and i not in waiting else None for i in ids)]
        elif status == "no submission":
            total = [0, top, *(0 for _ in ids)]
        else:
            total = [None, None, *(None for _ in ids)]
        known = [] if roster is None else ["" if entry or status == "no submission"
                                           else "not in the roster"]
        folder, renamed = placed.get(name, ("", "")) if status != "no submission" else ("", "")
        rows.append([name, *who, *total, "yes" if status == "grader failed" else "", status,
                     " ".join(waiting), folder, renamed, *known])
    return to_csv(header, rows)


def canvas_csv(run: ClassRun, rubric: Rubric, roster: Optional[Roster]) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one
    column for the assignment, whose second row holds its points possible. Students are
    matched by their ids, so only roster students are listed (no submission: 0)."""
    if roster is None:
        raise ValueError("a Canvas export needs the roster: Canvas matches students by id")
    rows: list[list[Cell]] = [["Points Possible", "", "", "", "",
                               sum(i.points for i in rubric.items)]]
    for entry in sorted(roster.entries, key=lambda e: (e.name or e.folder).lower()):
        results = run.results.get(entry.folder)
        score = results["score"] if results is not None else \
            (None if entry.folder in run.not_graded else 0)
        rows.append([entry.name or entry.folder, entry.id, entry.sis_id,
                     entry.login or entry.email, entry.section, score])
    return to_csv(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                   rubric.model.title], rows)


EXPORTS: dict[str, Callable[[ClassRun, Rubric, Optional[Roster]], str]] = {
    "canvas": canvas_csv,
}

