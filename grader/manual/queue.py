"""Which students' answers TAs are shown for a manual item, and which are listed apart.

A student who handed in nothing to read for the written part (no answers.md with text,
no PDF) is not shown to TAs one by one: the grading already scored their manual items 0
with that reason (grader.written.grades). TAs see them listed apart and may still open
one and grade it, which replaces the 0."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader.rubric.model import Item
from grader.written.grades import nothing_written


def order(item: Item, students: list[str]) -> list[str]:
    """The order every TA sees an item's answers in: pseudo-random (so no student is always
    graded first, by a fresh TA, or last, by a tired one), and stable across restarts."""
    return sorted(students, key=lambda s: hashlib.sha256(f"{item.id}\0{s}".encode()).hexdigest())


@dataclass(frozen=True)
class Queue:
    students: list[str]  # in `order`: those with something to grade, or a TA's grade
    apart: list[tuple[str, str]]  # (student, why there is nothing to grade), by name


def queue(item: Item, folders: dict[str, Path], graded: set[str]) -> Queue:
    """The students of `folders` (key -> report folder) for `item`; `graded`: those a TA
    has graded (they stay in the queue whatever they handed in)."""
    apart = {s: why for s, folder in folders.items()
             if s not in graded and (why := nothing_written(folder))}
    return Queue(order(item, [s for s in folders if s not in apart]), sorted(apart.items()))
