"""What a regrade changed: per student, the old total and the new, and the items that
flipped, with the first line of the new verdict. An instructor who loosens a tolerance
sees in one screen whom it helps and whom it hurts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from grader.display import text
from grader.display.spreadsheet import to_csv

GRADING = "grading_fingerprint"  # in results.json: the rubric, references, grader, options
FILES = "files_fingerprint"  # and the student's files


@dataclass(frozen=True)
class ItemChange:
    item: str
    old: Optional[float]  # None: the item was not graded before (a new item)
    new: Optional[float]  # None: it is no longer graded (an item removed)
    verdict: str  # the first line of the new feedback

    @property
    def arrow(self) -> str:
        show = lambda x: "–" if x is None else f"{x:g}"  # noqa: E731
        return f"{show(self.old)} → {show(self.new)}"


@dataclass(frozen=True)
class StudentChange:
    name: str
    old_total: float
    new_total: float
    items: tuple[ItemChange, ...]
    why: str  # what changed: the grading, the student's files, or both

    @property
    def delta(self) -> float:
        return self.new_total - self.old_total


def _tests(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t.get("extra_data", {}).get("item"): t for t in results.get("tests", [])}


def between(name: str, old: Optional[dict[str, Any]], new: dict[str, Any]
            ) -> Optional[StudentChange]:
    """How `new` differs from `old` in what the student scores, or None if not at all (or
    there was no earlier grading to compare with)."""
    if not old:
        return None
    before, after = _tests(old), _tests(new)
    items = []
    for item in [*after, *(i for i in before if i not in after)]:
        was, now = before.get(item), after.get(item)
        old_score = was.get("score") if was else None
        new_score = now.get("score") if now else None
        if old_score != new_score:
            first = (now.get("output") or "").splitlines()[:1] if now else ["no longer graded"]
            items.append(ItemChange(item, old_score, new_score, first[0] if first else ""))
    if not items and old.get("score") == new.get("score"):
        return None
    return StudentChange(name, float(old.get("score", 0)), float(new.get("score", 0)),
                         tuple(items), _why(old, new))


def _why(old: dict[str, Any], new: dict[str, Any]) -> str:
    was, now = old.get("extra_data", {}), new.get("extra_data", {})
    grading = was.get(GRADING) != now.get(GRADING)
    files = was.get(FILES) != now.get(FILES)
    if grading and files:
        return "the grading and the files"
    return "the grading" if grading else "the files" if files else ""


def changes_csv(changes: list[StudentChange]) -> str:
    """One row per flipped item: student, old and new total, item, old and new score, why,
    and the new verdict's first line."""
    rows = [[text.name(c.name), c.old_total, c.new_total, i.item, i.old, i.new, c.why,
             i.verdict]
            for c in changes for i in c.items or (ItemChange("", None, None, ""),)]
    return to_csv(["student", "old_total", "new_total", "item", "old_score", "new_score",
                   "changed", "verdict"], rows)


def summary(changes: list[StudentChange], most: int = 10) -> list[str]:
    """Lines for the terminal: how many moved which way, then the largest moves."""
    if not changes:
        return []
    up = sum(c.delta > 0 for c in changes)
    down = sum(c.delta < 0 for c in changes)
    students = f"{len(changes)} student" + ("s" if len(changes) != 1 else "")
    lines = [f"changes since the last run: {students} ({up} up, {down} down, "
             f"{len(changes) - up - down} with items flipped at the same total)"]
    for c in sorted(changes, key=lambda c: (-abs(c.delta), c.name))[:most]:
        items = ", ".join(f"{i.item} {i.arrow}" for i in c.items)
        lines.append(f"  {text.name(c.name)}: {c.old_total:g} → {c.new_total:g}"
                     + (f" ({items})" if items else ""))
    if len(changes) > most:
        lines.append(f"  ... and {len(changes) - most} more in changes.csv")
    return lines
