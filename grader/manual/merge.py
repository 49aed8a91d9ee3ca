"""Merging TAs' grades into what the automatic grading wrote: each student's results.json
and report.html (from the typed record beside them, without running code again), and the
class's grades.csv and index.html (with the roster and exports the class run used)."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Optional

from grader import manual, record, student_folders
from grader.classroom import STUDENT, ClassRun, Student
from grader.manual.store import Store
from grader.pipeline import write_outputs
from grader.rubric import Rubric

CLASS_OPTIONS = ".class-options.json"  # written by a class run: its roster and exports


def report_folders(reports: Path) -> dict[str, Path]:
    """The student report folders under `reports` by student key (the student their
    results.json names, not the folder), or `reports` itself when it is one student's.
    Two folders naming one student (a folder left by a run that placed them elsewhere):
    the one the class's placement gives them."""
    if (reports / "results.json").is_file():
        return {_student(reports): reports}
    found: dict[str, list[Path]] = {}
    for p in sorted(reports.iterdir()):
        if p.is_dir() and (p / "results.json").is_file():
            found.setdefault(_student(p), []).append(p)
    placed = student_folders.placements([student_folders.name_of(k) for k in found])
    return {k: next((p for p in paths if p.name == placed[student_folders.name_of(k)].folder),
                    paths[-1]) for k, paths in found.items()}


def _student(folder: Path) -> str:
    """The key of the student whose results are in `folder` (older results, which do not
    say, are the folder's: its name)."""
    try:
        stat = (folder / "results.json").stat()
    except OSError:
        return student_folders.key(folder.name)
    return _student_in(str(folder), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _student_in(folder: str, mtime: int, size: int) -> str:
    try:
        extra = json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
        student = extra["extra_data"][STUDENT]
    except (OSError, ValueError, KeyError, TypeError):
        return student_folders.key(Path(folder).name)
    return student if isinstance(student, str) else student_folders.key(Path(folder).name)


def is_class(reports: Path) -> bool:
    return not (reports / "results.json").is_file()


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
    student = student or _student(folder)
    write_outputs(manual.apply(sub, store.manual_grades(rubric, student)), folder)
    return None


def refresh_class(reports: Path, rubric: Rubric) -> None:
    """grades.csv and index.html again, from every student's results.json."""
    if not is_class(reports):
        return
    from grader.class_report import render_index
    from grader import gradebook
    from grader.results_json import write_text_atomic

    folders = {student_folders.name_of(k): f for k, f in report_folders(reports).items()}
    results: dict[str, dict[str, Any]] = {}
    for name, folder in folders.items():
        try:
            results[name] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    placed = student_folders.placements(list(folders))
    run = ClassRun([Student(n, f, f, f, placed[n].why if placed[n].folder == f.name else "",
                            f.name) for n, f in folders.items()],
                   graded=list(results), results=results)
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

