"""Explanations of in-place updates: grads untouched (rebinding) or holding the increment
alone (overwriting). (An increment off by a factor is `scale.ratio`.)"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from grader.engine.diagnose.cases import Case, close_to

if TYPE_CHECKING:
    from grader.rubric.model import Item


def untouched(case: Case) -> Optional[str]:
    assert case.parts is not None
    parts = [p for p in case.parts if p.before is not None]
    if not parts or not all(np.array_equal(p.got, p.before) for p in parts):
        return None
    names = ", ".join(f"`{p.name}`" for p in parts)
    return (f"{names} came back exactly as it went in: a line such as "
            f"`{parts[0].name} = {parts[0].name} + ...` makes a new array and leaves the "
            f"caller's unchanged; update it in place (`{parts[0].name} += ...`)")


def overwritten(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    parts = [p for p in case.parts if p.before is not None]
    if not parts or all(np.allclose(p.before, 0) for p in parts):
        return None
    if not all(close_to(p.got, p.expected - p.before, item) for p in parts):
        return None
    return (f"`{parts[0].name}` holds only what this call adds: you overwrote what it held "
            "instead of adding to it (`+=`, not `=`)")
