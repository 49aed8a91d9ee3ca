"""Merging TAs' grades into what the automatic grading wrote: each student's results.json
and report.html (from the typed record beside them, without running code again), and the
class's grades.csv and index.html (with the roster and exports the class run used)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

from grader import manual, record
from grader.classroom import ClassRun, Student
from grader.manual.store import Store
from grader.pipeline import write_outputs
from grader.rubric import Rubric

CLASS_OPTIONS = ".class-options.json"  # written by a class run: its roster and exports


def report_folders(reports: Path) -> dict[str, Path]:
    """The student report folders under `reports` by student key (the folder's name), or
    `reports` itself when it is one student's."""
    if (reports / "results.json").is_file():
        return {reports.name: reports}
    return {p.name: p for p in sorted(reports.iterdir())
            if p.is_dir() and (p / "results.json").is_file()}


def is_class(reports: Path) -> bool:
    return not (reports / "results.json").is_file()


def refresh_student(folder: Path, rubric: Rubric, store: Store) -> Optional[str]:
    """Rewrite one student's outputs with the store's grades; a reason when it cannot."""
    try:
        sub = record.read(folder, rubric)
    except record.StaleRecord as exc:
        return str(exc)
    if sub is None:
        return "no record of its grading (graded by an older version): regrade it to merge"
    write_outputs(manual.apply(sub, store.manual_grades(rubric, folder.name)), folder)
    return None


def refresh_class(reports: Path, rubric: Rubric) -> None:
    """grades.csv and index.html again, from every student's results.json."""
    if not is_class(reports):
        return
    from grader.class_report import render_index
    from grader import gradebook
    from grader.results_json import write_text_atomic

    folders = report_folders(reports)
    results: dict[str, dict[str, Any]] = {}
    for name, folder in folders.items():
        try:
            results[name] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    run = ClassRun([Student(n, f, f, f) for n, f in folders.items()], graded=list(results),
                   results=results)
    options = class_options(reports)
    roster = None
    if options.get("roster"):
        from grader.roster import RosterError, load_roster
        try:
            roster = load_roster(Path(options["roster"]))
        except RosterError:
            roster = None
    write_text_atomic(gradebook.grades_csv(run, rubric, roster), reports / "grades.csv")
    for lms in options.get("exports") or ():
        if lms in gradebook.EXPORTS and roster is not None:
            write_text_atomic(gradebook.EXPORTS[lms](run, rubric, roster), reports / f"{lms}.csv")
    from grader.similarity import read_summary

    write_text_atomic(render_index(run, rubric, "", roster, read_summary(reports)),
                      reports / "index.html")


def class_options(reports: Path) -> dict[str, Any]:
    """What the class run that wrote `reports` recorded: roster, exports, submissions."""
    try:
        data = json.loads((reports / CLASS_OPTIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_class_options(out: Path, roster: Any, exports: tuple[str, ...],
                       submissions: Optional[Path] = None) -> None:
    from grader.results_json import write_json_atomic

    write_json_atomic({"roster": str(roster.path.resolve()) if roster is not None else None,
                       "exports": list(exports),
                       "submissions": str(submissions.resolve()) if submissions else None},
                      out / CLASS_OPTIONS)

