"""What a class run, and the tools that come after it, leave in the reports folder and read
back: the student report folders, the run's options (roster, exports, submissions) for
the TAs' app's merges, and the similarity summary shown on index.html."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Optional

from grader.classroom.run import STUDENT
from grader.disk import student_folders

CLASS_OPTIONS = ".class-options.json"  # written by a class run: its roster and exports
SIMILARITY_REPORT, SIMILARITY_DATA = "similarity.html", "similarity.json"


def report_folders(reports: Path) -> dict[str, Path]:
    """The student report folders under `reports` by student key (the student their
    results.json names, not the folder), or `reports` itself when it is one student's.
    Two folders naming one student (a folder left by a run that placed them elsewhere):
    the one the class's placement gives them."""
    if (reports / "results.json").is_file():
        return {student_of(reports): reports}
    found: dict[str, list[Path]] = {}
    for p in sorted(reports.iterdir()):
        if p.is_dir() and (p / "results.json").is_file():
            found.setdefault(student_of(p), []).append(p)
    placed = student_folders.placements([student_folders.name_of(k) for k in found])
    return {k: next((p for p in paths if p.name == placed[student_folders.name_of(k)].folder),
                    paths[-1]) for k, paths in found.items()}


def student_of(folder: Path) -> str:
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


def is_class_reports(reports: Path) -> bool:
    """Whether `reports` holds a class's outputs (not one student's)."""
    return not (reports / "results.json").is_file()


def _json_object(path: Path) -> Optional[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def class_options(reports: Path) -> dict[str, Any]:
    """What the class run that wrote `reports` recorded: roster, exports, submissions."""
    return _json_object(reports / CLASS_OPTIONS) or {}


def save_class_options(out: Path, roster: Any, exports: tuple[str, ...],
                       submissions: Optional[Path] = None, allow_pending: bool = False) -> None:
    from grader.outputs.results_json import write_json_atomic

    write_json_atomic({"roster": str(roster.path.resolve()) if roster is not None else None,
                       "exports": list(exports),
                       "submissions": str(submissions.resolve()) if submissions else None,
                       "allow_pending": allow_pending},
                      out / CLASS_OPTIONS)


SIMILARITY_SHOWN = {"flagged", "pairs", "near_misses", "rings", "top", "top_more"}


def read_similarity(reports: Path) -> Optional[dict[str, Any]]:
    """The summary `grade similarity` left in `reports`, if any (one an older grader
    wrote lacks what index.html shows: none, until `grade similarity` runs again)."""
    data = _json_object(reports / SIMILARITY_DATA)
    return data if data is not None and SIMILARITY_SHOWN <= set(data) else None
