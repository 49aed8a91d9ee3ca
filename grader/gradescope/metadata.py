"""Gradescope's /autograder/submission_metadata.json, for the rubric's policy: when this
submission came and when it was due (the late policy), and the earlier submissions with
their scores and results (the cap on graded submissions).

Gradescope documents (gradescope/autograder_samples, docs/submission_metadata.md)
`created_at`, `assignment.due_date`, `assignment.late_due_date` and
`previous_submissions[]` (`submission_time`, `score`, `results`); what it writes today
also gives each of `users[]` an `assignment` with that student's own `due_date` and
`late_due_date` (an extension shows there), a previous submission's `score` as text, and
`autograder_error` for one whose autograder failed. Anything missing or malformed reads
as "not said".
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from grader.engine.late import Submitted
from grader.rubric.policy import SubmissionLimit

NAME = "submission_metadata.json"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Earlier:
    """An earlier submission of the same student (or group)."""

    at: Optional[dt.datetime]
    score: float
    results: Optional[dict[str, Any]]
    failed: bool  # its autograder failed: it is not counted against the cap


@dataclass(frozen=True)
class Metadata:
    arrival: Submitted
    earlier: tuple[Earlier, ...]  # oldest first


def read(root: Path) -> Optional[Metadata]:
    try:
        meta = json.loads((root / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict):
        return None
    earlier = [_earlier(p) for p in _list(meta.get("previous_submissions"))]
    earlier.sort(key=lambda e: (e.at is None, e.at or EPOCH))
    return Metadata(arrival(meta), tuple(earlier))


def arrival(meta: dict[str, Any]) -> Submitted:
    """The submission's time and its due date: the latest of its students' own due dates
    (one with an extension has a later one), else the assignment's."""
    assignment = _dict(meta.get("assignment"))
    mine = [_dict(u).get("assignment") for u in _list(meta.get("users"))]
    mine = [a for a in mine if isinstance(a, dict)]
    due, late_due = (_latest([_time(a.get(key)) for a in mine]) or _time(assignment.get(key))
                     for key in ("due_date", "late_due_date"))
    course = _time(assignment.get("due_date"))
    return Submitted(at=_time(meta.get("created_at")), due=due,
                     extension=bool(due and course and due > course), late_due=late_due,
                     source="Gradescope")


def _latest(moments: list[Optional[dt.datetime]]) -> Optional[dt.datetime]:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def kept_results(meta: Metadata, limit: SubmissionLimit) -> Optional[dict[str, Any]]:
    """Beyond the cap: the results.json to give (an earlier graded one's, with a line that
    says so), or None when this submission is to be graded."""
    counted = [e for e in meta.earlier if not e.failed]
    if len(counted) < limit.max:
        return None
    graded = counted[:limit.max]
    kept = max(graded, key=lambda e: e.score) if limit.keep == "best" else graded[-1]
    results = dict(kept.results) if kept.results and isinstance(kept.results.get("tests"), list) \
        else {"tests": []}
    when = f" of {kept.at:%Y-%m-%d %H:%M}" if kept.at else ""
    note = (f"**This is submission {len(meta.earlier) + 1}; the rubric grades {limit.max} "
            f"submissions, and this one was not graded.** Your score stays that of your "
            f"{'best' if limit.keep == 'best' else 'last'} graded submission{when}: "
            f"{kept.score:g} points.")
    earlier_output = results.get("output") if isinstance(results.get("output"), str) else ""
    results.update(score=kept.score, output_format="md",
                   output=note + (f"\n\n{earlier_output}" if earlier_output else ""))
    extra = results["extra_data"] = dict(_dict(results.get("extra_data")))
    extra["submission_cap"] = {"max": limit.max, "keep": limit.keep,
                               "submission": len(meta.earlier) + 1,
                               "kept_from": kept.at.isoformat() if kept.at else None}
    return results


def _earlier(entry: Any) -> Earlier:
    entry = _dict(entry)
    results = entry.get("results") if isinstance(entry.get("results"), dict) else None
    try:
        score = float(entry.get("score"))
    except (TypeError, ValueError):
        score = 0.0
    failed = bool(entry.get("autograder_error")) or \
        bool(_dict(_dict(results).get("extra_data")).get("grader_failed"))
    return Earlier(_time(entry.get("submission_time")), score, results, failed)


def _time(value: Any) -> Optional[dt.datetime]:
    """An ISO 8601 time as Gradescope writes it ("2018-07-01T14:22:32.365935-07:00")."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
