"""What the diagnosis looks at (a failing item's trials: `Case`, their outputs: `Part`) and
what it says (`Explanation`), with the comparisons every explanation shares."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

if TYPE_CHECKING:  # the student kit carries this package without the rubric's models
    from grader.engine.inputs import Trial
    from grader.rubric.model import Item


CHECKS = ("ratio", "offset", "shift", "substitute", "rearranged", "activation", "inplace",
          "close", "inputs")
MAX_ELEMENTS = 1 << 16  # larger outputs are not rearranged (permutations cost a copy each)


@dataclass(frozen=True)
class Explanation:
    """One explanation of a failing item, for a student to read."""

    kind: str  # one of CHECKS
    message: str  # Markdown, math in $...$
    matched: int  # failing trials it holds on
    failing: int  # failing trials it could be tried on

    @property
    def exact(self) -> bool:
        return self.matched == self.failing

    def text(self) -> str:
        if self.kind == "inputs":
            return self.message
        end = "" if self.message.endswith(("?", ".", "!")) else "."
        how = (f"This holds on every failing trial ({self.matched} of {self.failing})."
               if self.exact else f"This holds on {self.matched} of the {self.failing} "
               "failing trials, not on all of them.")
        return f"{self.message}{end} {how}"


@dataclass(frozen=True)
class Part:
    """One compared output of one trial: a return value (or a tuple's part), or an
    argument updated in place (with its value before the call)."""

    name: str
    expected: np.ndarray
    got: Optional[np.ndarray]  # None: not a number array (a string, None, ...)
    before: Optional[np.ndarray] = None


@dataclass(frozen=True)
class Case:
    """One trial seen by the diagnosis."""

    trial: Trial
    failed: bool
    parts: Optional[tuple[Part, ...]]  # None: no output to compare (raised, timed out, ...)


def safely(attempt: Callable[[Case], Any], case: Case) -> Any:
    try:
        with np.errstate(all="ignore"):
            return attempt(case)
    except Exception:  # noqa: BLE001 - a student's odd output explains nothing, breaks nothing
        return None


def close_to(got: np.ndarray, want: np.ndarray, item: Item) -> bool:
    if got.shape != want.shape or not np.isfinite(got).all():
        return False
    return bool(np.all(np.abs(got - want) <= item.atol + item.rtol * np.abs(want)))


def all_close(item: Item, case: Case, make: Callable[[Part], Optional[np.ndarray]]) -> bool:
    """Whether every part's output equals what `make` makes of it (and one at least
    differs from the right answer: else this explains nothing)."""
    assert case.parts is not None
    made = [make(p) for p in case.parts]
    return all(m is not None and close_to(p.got, m, item) for p, m in zip(case.parts, made)) \
        and not all(close_to(p.got, p.expected, item) for p in case.parts)


GREEK = {"ell": "\\ell", "sigma_w": "\\sigma_W", "sigma": "\\sigma"}


def math_name(name: str) -> str:
    if name in GREEK:
        return GREEK[name]
    head, _, tail = name.partition("_")
    return f"{head}_{{{tail}}}" if tail else name


def numbers(value: Any) -> Optional[np.ndarray]:
    """A value (a student's output, an input) as float64 numbers, or None (a string, None,
    a boolean, ragged lists)."""
    if value is None or isinstance(value, (str, bytes, bool)):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None


def your(item: Item, part: Part) -> str:
    """How a message names the output it is about: the part of a tuple, or the answer."""
    return f"Your {part.name}" if item.outputs else "Your answer"


def as_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)
