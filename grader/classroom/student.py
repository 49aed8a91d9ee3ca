"""One student of a class, as the process that coordinates it and the workers that grade
it both see them: who they are and where their results go (`Student`), what grading them
came to (`Outcome`), their results from the last run, and the results.json of a student
whose grading failed outright."""
from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from grader.engine.late import Submitted

if TYPE_CHECKING:
    from grader.rubric.model import Rubric


@dataclass(frozen=True)
class Student:
    name: str
    path: Path
    out: Path  # where this run writes
    earlier: Path  # where the last run's results are (the same, but in a dry run)
    renamed: str = ""  # why the output folder is not `name` (student_folders.placements)
    folder: str = ""  # the output folder's name, when renamed
    arrival: Optional[Submitted] = None  # when it came, as `grade import` recorded it
    notes: tuple[str, ...] = ()  # what the import left aside, for the student's report

    def own(self) -> str:
        """What, besides their files, makes this student's grading theirs."""
        return repr((self.arrival, self.notes)) if self.arrival or self.notes else ""


class Outcome(NamedTuple):
    """One student's grading as a worker ends it: results.json's data, the grader's own
    failure (its traceback) if any, and whether the worker was lost (died or hung:
    perhaps the student's doing, so it does not count as the grader failing)."""

    name: str
    results: dict[str, Any]
    error: str = ""
    lost: bool = False


def earlier_results(student: Student) -> Optional[dict[str, Any]]:
    """The results.json of the student's last run, if any."""
    try:
        results = json.loads((student.earlier / "results.json").read_text())
    except (OSError, ValueError):
        return None
    return results if isinstance(results, dict) else None


def failed_outright(student: Student, rubric: Rubric, seed: Optional[int], only: tuple[str, ...],
          why: str, lost: bool = True) -> Outcome:
    """Outputs for a student whose grading failed outright; no fingerprint, so a rerun
    retries. Never raises: the class goes on whatever this student's files hold."""
    try:
        from grader.outputs.results_json import to_results
        from grader.pipeline import Request, record_failure

        result = record_failure(Request(student.path, student.out, rubric, seed, only), why)
        return Outcome(student.name, to_results(result), why, lost)
    except Exception:  # noqa: BLE001 - then the plainest results.json there is
        why += "\n" + traceback.format_exc()
        results = {"score": 0.0, "execution_time": 0.0, "output": "The grader failed on this "
                   "submission; your instructor has been told.", "tests": [],
                   "extra_data": {"internal_error": why}}
        try:
            from grader.outputs.results_json import write_json_atomic

            write_json_atomic(results, student.out / "results.json")
        except Exception:  # noqa: BLE001 - the summary still lists them
            pass
        return Outcome(student.name, results, why, lost)
