"""Manual items: TAs grade them in a web app (grader/manual/app.py); their grades live in
SQLite (store.py) and are merged into every output the automatic grading writes.

A student who handed in nothing a TA could read for the written part (no answers.md with
text in it, no PDF) is not queued for a TA: their manual items score 0 at once, with that
reason, unless a TA grades them after all."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional

from grader.engine.outcomes import ItemResult, ManualGrade, SubmissionResult, TrialFailure
from grader.engine.submission import WRITTEN_DIR
from grader.rubric.model import Item

PENDING = ManualGrade()
NOTHING = "missing_file"  # the failure kind of a manual item with nothing to grade
MAX_READ, CHUNK = 4 << 20, 64 << 10  # as much of answers.md as keep_written copies


def pdfs(report_folder: Path) -> list[str]:
    """The PDFs of handwritten work kept beside a student's report, by name."""
    written = report_folder / WRITTEN_DIR
    try:
        return sorted(p.name for p in written.iterdir() if p.name.lower().endswith(".pdf")
                      and p.is_file() and not p.is_symlink())
    except OSError:
        return []


def nothing_written(report_folder: Path) -> str:
    """Why a TA has nothing to read of this student's written part, or "" when there is
    something: an answers.md with text in it, or a PDF."""
    if pdfs(report_folder):
        return ""
    try:
        with open(report_folder / WRITTEN_DIR / "answers.md", "rb") as fh:
            for _ in range(MAX_READ // CHUNK):  # the first words end the search
                chunk = fh.read(CHUNK)
                if chunk.strip():
                    return ""
                if not chunk:
                    break
    except OSError:
        return "no answers.md and no PDF were handed in"
    return "answers.md is empty and no PDF was handed in"


def item_result(item: Item, seed: int, grade: Optional[ManualGrade],
                nothing: str = "") -> ItemResult:
    """A manual item's result: 0 points while it waits for a TA, and 0 with the reason
    `nothing` when there is nothing to grade and no TA graded it anyway."""
    from grader.written.store import score

    if grade is None and nothing:
        return ItemResult(item, seed, 0.0, 0, 0, failure=TrialFailure(0, {}, NOTHING, nothing),
                          manual=ManualGrade(pending=False))
    grade = grade or PENDING
    return ItemResult(item, seed, 0.0 if grade.pending else score(item, grade.applied), 0, 0,
                      manual=grade)


def apply(sub: SubmissionResult, grades: dict[str, ManualGrade]) -> SubmissionResult:
    """The submission's results with its manual items as the TAs graded them (those with
    nothing to grade keep their 0 until a TA grades them)."""
    items = tuple(item_result(r.item, r.seed, grades.get(r.item.id),
                              r.failure.summary if r.failure else "")
                  if r.manual is not None else r for r in sub.items)
    return replace(sub, items=items)
