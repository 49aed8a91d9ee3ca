"""Manual items: TAs grade them in a web app (grader/manual/app.py); their grades live in
SQLite (store.py) and are merged into every output the automatic grading writes."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from grader.engine.outcomes import ItemResult, ManualGrade, SubmissionResult
from grader.rubric.model import Item

PENDING = ManualGrade()


def item_result(item: Item, seed: int, grade: Optional[ManualGrade]) -> ItemResult:
    """A manual item's result: 0 points while it waits for a TA."""
    from grader.written.store import score

    grade = grade or PENDING
    return ItemResult(item, seed, 0.0 if grade.pending else score(item, grade.applied), 0, 0,
                      manual=grade)


def apply(sub: SubmissionResult, grades: dict[str, ManualGrade]) -> SubmissionResult:
    """The submission's results with its manual items as the TAs graded them."""
    items = tuple(item_result(r.item, r.seed, grades.get(r.item.id)) if r.manual is not None
                  else r for r in sub.items)
    return replace(sub, items=items)
