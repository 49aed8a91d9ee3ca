"""A class run's second line of defence against the grader's own failure (a rubric or a
reference broken in a way the checks before grading missed): a student's good results are
never replaced by the grader failing on them (run.py's worker keeps them), and a run in
which the grader fails on each of the first students it grades stops there, since it
would fail on the rest too."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.display import text
from grader.display.plaintext import failure_line

STOP_AFTER = 3  # the first students of a run the grader may fail on, all, before it stops


def grader_failed(results: dict[str, Any]) -> bool:
    """Whether these results (results.json's data) say the grader failed, on the whole
    submission or on one of its items."""
    if "internal_error" in results.get("extra_data", {}):
        return True
    return any("internal_error" in t.get("extra_data", {}) for t in results.get("tests", ()))


class GraderBroken(Exception):
    """The grader failed on each of the first students of a run: `names`, `cause` the
    first one's failure (one line)."""

    def __init__(self, names: list[str], cause: str):
        super().__init__(f"the grader itself failed on each of the first {len(names)} "
                         f"students it graded ({', '.join(text.name(n) for n in names)}): "
                         f"{cause}")
        self.names, self.cause = names, cause


@dataclass
class Breaker:
    """Watches the first outcomes of a run of `todo` students; raises GraderBroken when
    the grader failed on every one of the first min(STOP_AFTER, todo). A worker that died
    or hung does not count (a student's code can do that)."""

    todo: int
    first: list[tuple[str, str]] = field(default_factory=list)  # (student, failure or "")

    def record(self, outcome: Any) -> None:
        watch = min(STOP_AFTER, self.todo)
        if len(self.first) >= watch:
            return
        self.first.append((outcome.name, "" if outcome.lost else outcome.error))
        if len(self.first) == watch and all(error for _, error in self.first):
            raise GraderBroken([name for name, _ in self.first], failure_line(self.first[0][1]))
