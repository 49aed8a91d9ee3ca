"""Typed results: what grading one item and one submission concluded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from grader.display.plaintext import first_sentence

if TYPE_CHECKING:  # the student kit uses these results without the rubric's models
    from grader.engine.diagnose import Explanation
    from grader.rubric.model import Item, Mistake, Rubric


@dataclass(frozen=True)
class TrialFailure:
    """The first failing trial of an item, with what a student needs to reproduce it."""

    trial: int
    params: dict[str, str]
    kind: str  # value, shape, type, length, nonfinite, changed_input, constant, raised,
    #            timeout, crashed, missing, not_run, missing_file, import
    summary: str
    lines: tuple[str, ...] = ()
    traceback: str = ""
    edge: bool = False


@dataclass(frozen=True)
class ManualGrade:
    """What TAs gave a manual item: the criteria they applied (text, points), comments,
    who; `pending` while no TA has graded it."""

    pending: bool = True
    applied: tuple[tuple[str, float], ...] = ()
    comment: str = ""
    graders: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemResult:
    item: Item
    seed: int
    score: float
    trials: int
    failed: int
    failure: Optional[TrialFailure] = None
    diagnosis: Optional[Mistake] = None
    explanations: tuple[Explanation, ...] = ()  # the generic diagnosis, when none declared fits
    duration: float = 0.0
    internal_error: str = ""
    manual: Optional[ManualGrade] = None  # manual items: what the TAs gave
    base_seed: Optional[int] = None  # the seed that replays it, when not the submission's

    @property
    def passed(self) -> bool:
        return self.score >= self.item.points

    @property
    def pending(self) -> bool:
        """A manual item no TA has graded yet."""
        return self.manual is not None and self.manual.pending

    @property
    def outcome(self) -> str:
        """One of passed, failed, pending (a manual item waiting for a TA) and partial: a
        TA's grade between nothing and full marks is partial credit, not a failure
        (automatic items score all or nothing)."""
        if self.pending:
            return "pending"
        if self.passed:
            return "passed"
        return "partial" if self.manual is not None and self.score > 0 else "failed"

    @property
    def verdict(self) -> str:
        """One line for the terminal table and the report's summary."""
        if self.internal_error:
            return "not graded: the grader failed on this item"
        if self.manual is not None and self.failure is None:  # (a failure: nothing to grade)
            return "waits for a TA" if self.manual.pending else \
                f"graded by a TA: {self.score:g} of {self.item.points:g}"
        if self.passed:
            return "passed" if self.item.kind == "constant" else f"passed {self.trials} trials"
        verdict = f"failed: {self.failure.summary}" if self.failure else "failed"
        if self.diagnosis:
            return verdict + f" (likely: {first_sentence(self.diagnosis.message)})"
        value = [e for e in self.explanations if e.kind != "inputs"]
        return verdict + (f" (likely: {first_sentence(value[0].message)})" if value else "")


@dataclass(frozen=True)
class ModuleSummary:
    """How one student module fared in the sandbox (for the report, not for scores)."""

    module: str
    status: str
    detail: str = ""
    backend: str = "numpy"
    output: str = ""
    output_dropped: int = 0
    processes: int = 0


@dataclass(frozen=True)
class Lateness:
    """What the rubric's late policy takes off a submission's total (never off an item),
    and why, in the grader's words (grader/engine/late.py)."""

    why: str  # "submitted 1 day 2 hours after the due date (2026-12-01 23:59 UTC)"
    rule: str  # "the rubric takes 10% of the points per day started, at most 50%"
    points: float = 0.0  # what it takes (at most what the items earned)
    zero: bool = False  # past the cut-off: the score is 0

    def deducted(self, earned: float) -> float:
        return round(max(0.0, earned if self.zero else min(earned, self.points)), 6)

    def line(self, earned: float) -> str:
        """One line for every output: what was deducted and why."""
        return f"Late: -{self.deducted(earned):g} points: {self.why}; {self.rule}."


@dataclass(frozen=True)
class SubmissionResult:
    name: str
    rubric: Rubric
    seed: int
    items: tuple[ItemResult, ...]
    modules: tuple[ModuleSummary, ...] = ()
    root: str = "."
    layers: tuple[str, ...] = ()
    execution_time: float = 0.0
    internal_error: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # for the student, about the submission as a whole
    late: Optional[Lateness] = None  # the late policy's deduction, a line of its own

    @property
    def earned(self) -> float:
        """What the items scored, before any deduction."""
        return sum(r.score for r in self.items)

    @property
    def deducted(self) -> float:
        return self.late.deducted(self.earned) if self.late else 0.0

    @property
    def score(self) -> float:
        """The total: what the items scored, less the late policy's deduction."""
        return self.earned - self.deducted

    @property
    def max_score(self) -> float:
        return sum(r.item.points for r in self.items)

    @property
    def pending(self) -> tuple[str, ...]:
        """The ids of manual items that still wait for a TA."""
        return tuple(r.item.id for r in self.items if r.pending)
