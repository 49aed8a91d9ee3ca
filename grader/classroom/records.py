"""What a class run, and the tools that come after it, leave in the reports folder and read
back: the student report folders, the run's options (roster, exports, submissions) for
the TAs' app's merges, and the similarity summary shown on index.html."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

CLASS_OPTIONS = ".class-options.json"  # written by a class run: its roster and exports
SIMILARITY_REPORT, SIMILARITY_DATA = "similarity.html", "similarity.json"


def report_folders(reports: Path) -> dict[str, Path]:
    """The student report folders under `reports` by student key (the folder's name), or
    `reports` itself when it is one student's."""
    if (reports / "results.json").is_file():
        return {reports.name: reports}
    return {p.name: p for p in sorted(reports.iterdir())
            if p.is_dir() and (p / "results.json").is_file()}


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
                       submissions: Optional[Path] = None) -> None:
    from grader.outputs.results_json import write_json_atomic

    write_json_atomic({"roster": str(roster.path.resolve()) if roster is not None else None,
                       "exports": list(exports),
                       "submissions": str(submissions.resolve()) if submissions else None},
                      out / CLASS_OPTIONS)


SIMILARITY_SHOWN = {"flagged", "pairs", "near_misses", "rings", "top", "top_more"}


def read_similarity(reports: Path) -> Optional[dict[str, Any]]:
    """The summary `grade similarity` left in `reports`, if any (one an older grader
    wrote lacks what index.html shows: none, until `grade similarity` runs again)."""
    data = _json_object(reports / SIMILARITY_DATA)
    return data if data is not None and SIMILARITY_SHOWN <= set(data) else None
