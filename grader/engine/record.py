"""A grading's typed result as JSON (`.result.json` beside results.json), so that a TA's
grade can be merged into the student's outputs without running their code again.

Only data is stored; items, mistakes and the rubric are named and looked up again in the
rubric, which must be the one the submission was graded with (same sha256).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Optional

from grader.engine.diagnose import Explanation
from grader.engine.outcomes import (ItemResult, Lateness, ManualGrade, ModuleSummary,
                                    SubmissionResult, TrialFailure)
from grader.rubric.model import Rubric

RECORD = ".result.json"
VERSION = 1


class StaleRecord(Exception):
    """A record that does not fit the rubric at hand."""


def to_record(sub: SubmissionResult) -> dict[str, Any]:
    return {
        "version": VERSION, "rubric_sha256": sub.rubric.sha256, "name": sub.name,
        "seed": sub.seed, "root": sub.root, "layers": list(sub.layers),
        "execution_time": sub.execution_time, "internal_error": sub.internal_error,
        "extra": dict(sub.extra), "notes": list(sub.notes),
        "modules": [dataclasses.asdict(m) for m in sub.modules],
        "late": dataclasses.asdict(sub.late) if sub.late else None,
        "items": [{
            "item": r.item.id, "seed": r.seed, "base_seed": r.base_seed, "score": r.score,
            "trials": r.trials,
            "failed": r.failed, "duration": r.duration, "internal_error": r.internal_error,
            "failure": dataclasses.asdict(r.failure) if r.failure else None,
            "diagnosis": r.diagnosis.reference if r.diagnosis else None,
            "explanations": [dataclasses.asdict(e) for e in r.explanations],
            "manual": dataclasses.asdict(r.manual) if r.manual else None,
        } for r in sub.items],
    }


def from_record(data: dict[str, Any], rubric: Rubric) -> SubmissionResult:
    if data.get("version") != VERSION or data.get("rubric_sha256") != rubric.sha256:
        raise StaleRecord("the submission was graded with another rubric or grader version; "
                          "regrade it to merge")
    items = []
    for r in data["items"]:
        item = rubric.item(r["item"])
        mistake = next((m for m in item.mistakes if m.reference == r["diagnosis"]), None)
        failure = r["failure"]
        manual = r["manual"]
        items.append(ItemResult(
            item=item, seed=r["seed"], base_seed=r.get("base_seed"), score=r["score"],
            trials=r["trials"], failed=r["failed"],
            failure=TrialFailure(**{**failure, "lines": tuple(failure["lines"])})
            if failure else None,
            diagnosis=mistake, explanations=tuple(Explanation(**e) for e in r["explanations"]),
            duration=r["duration"], internal_error=r["internal_error"],
            manual=ManualGrade(manual["pending"], tuple(tuple(a) for a in manual["applied"]),
                               manual["comment"], tuple(manual["graders"])) if manual else None))
    return SubmissionResult(
        name=data["name"], rubric=rubric, seed=data["seed"], items=tuple(items),
        modules=tuple(ModuleSummary(**m) for m in data["modules"]), root=data["root"],
        layers=tuple(data["layers"]), execution_time=data["execution_time"],
        internal_error=data["internal_error"], extra=dict(data["extra"]),
        notes=tuple(data["notes"]), late=Lateness(**data["late"]) if data.get("late") else None)


def read(out: Path, rubric: Rubric) -> Optional[SubmissionResult]:
    try:
        data = json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return from_record(data, rubric)
