"""Explanations of answers that are nearly right: float16 values, or right to a few
significant digits only (a rounded constant, an approximation)."""
from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Optional

import numpy as np

from grader.engine.diagnose.cases import Case, Explanation, safely

if TYPE_CHECKING:
    from grader.rubric.model import Item


def half(item: Item, case: Case) -> Optional[str]:
    """Values that are all float16 numbers, where the right ones are not."""
    assert case.parts is not None
    for p in case.parts:
        if p.got.shape != p.expected.shape or not np.isfinite(p.got).all():
            return None
    if not all(_is_half(p.got) for p in case.parts) or all(_is_half(p.expected)
                                                           for p in case.parts):
        return None
    return ("Your values are float16 numbers, which hold about 3 significant digits (and "
            "nothing below $6 \\cdot 10^{-5}$ exactly): compute in float32 or float64")


def _is_half(values: np.ndarray) -> bool:
    with np.errstate(over="ignore"):
        return bool(np.array_equal(values.astype(np.float16).astype(np.float64), values))


def _worst(item: Item, case: Case) -> Optional[float]:
    """The largest relative error of a trial, if its output has the right shapes."""
    assert case.parts is not None
    worst = 0.0
    for p in case.parts:
        if p.got.shape != p.expected.shape or not np.isfinite(p.got).all():
            return None
        scale = np.maximum(np.abs(p.expected), item.atol or 1e-300)
        worst = max(worst, float(np.max(np.abs(p.got - p.expected) / scale)))
    return worst


def rounded(item: Item, cases: list[Case]) -> Optional[Explanation]:
    """Right to a few significant digits on every trial it holds on."""
    errors = [e for e in (safely(partial(_worst, item), c) for c in cases)
              if e is not None and 0 < e <= 1e-2]
    if not errors:
        return None
    digits = max(1, int(math.floor(-math.log10(max(errors)))))
    return Explanation("close", f"Your answer is close but outside the tolerance: it agrees "
                       f"with the right one to about {digits} significant digits only; a "
                       "constant rounded to a few digits (3.14 for $\\pi$), an "
                       "approximation of the formula, or a computation in float16?",
                       len(errors), len(cases))
