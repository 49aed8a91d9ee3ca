"""Explanations by activation: another activation of the right pre-activation, or the
right activation of a scaled one."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

import numpy as np

from grader.engine.diagnose.cases import Case, close_to, your

if TYPE_CHECKING:
    from grader.rubric.model import Item


ACTIVATIONS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("a sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("a tanh", np.tanh),
    ("a ReLU", lambda z: np.maximum(z, 0)),
    ("no activation", lambda z: z),
    ("an exp", np.exp),
)


SCALES = ((2.0, "twice"), (0.5, "half"), (3.0, "3 times"), (-1.0, "minus"), (4.0, "4 times"),
          (0.25, "a quarter of"))


def other_activation(item: Item, case: Case) -> Optional[str]:
    """A part that is another activation of the right pre-activation (which the right
    answer, a sigmoid's or a tanh's output, gives back)."""
    assert case.parts is not None
    for part in case.parts:
        e, g = part.expected, part.got
        if g.shape != e.shape or close_to(g, e, item):
            continue
        inverses = []  # where the output saturates, its pre-activation is lost: left out
        with np.errstate(all="ignore"):
            if np.all(np.abs(e) <= 1):
                inverses.append(("a tanh", np.arctanh(e), np.abs(e) < 1 - 1e-6))
            if np.all((e >= 0) & (e <= 1)):
                inverses.append(("a sigmoid", np.log(e / (1 - e)), (e > 1e-6) & (e < 1 - 1e-6)))
        inverses = [(right, z[ok], g[ok]) for right, z, ok in inverses if ok.any()]
        what = your(item, part)
        found = [f"{what} looks like {name} applied where {right} belongs"
                 for right, z, got in inverses for name, act in ACTIVATIONS
                 if name != right and close_to(got, act(z), item)]
        found += [f"{what} is {right} of {words} the right pre-activation"
                  for right, z, got in inverses for k, words in SCALES
                  if close_to(got, dict(ACTIVATIONS)[right](k * z), item)]
        if found:
            return found
    return []
