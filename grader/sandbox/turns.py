"""A class's submission's modules not yet begun (process.py, `run_together`): its shared
child takes them one at a time, and once ONE_AFTER_ANOTHER seconds have gone, what is left
is taken all at once, to run side by side as when the submission is graded alone."""
from __future__ import annotations

import threading
from typing import Generic, Optional, TypeVar

T = TypeVar("T")


class Turns(Generic[T]):
    """The jobs, by index: `next` for the shared child, `rest` for those that go apart."""

    def __init__(self, jobs: list[T]) -> None:
        self.jobs = jobs
        self.left = list(range(len(jobs)))
        self.lock = threading.Lock()
        self.finished = threading.Event()  # the shared child has nothing more to take

    def next(self) -> Optional[int]:
        with self.lock:
            return self.left.pop(0) if self.left else None

    def rest(self) -> list[int]:
        with self.lock:
            rest, self.left = self.left, []
        return rest
