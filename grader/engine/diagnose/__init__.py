"""Explanations of wrong answers nobody declared.

After the declared mistakes have had their chance (and none matched), a failing item's
trials are looked at together: the student's outputs, the reference's and the inputs.
A catalogue of explanations is tried in order, each of which says what the student's
output *is* (not what it is not):

- inplace:    grads untouched (rebinding), holding the increment alone (overwriting), or
              an increment with the wrong sign or scale;
- ratio:      a constant factor, named where it can be (-1, 2, 1/2, π, ln 2, log10 e) or
              made of the inputs (B, 1/B, N², ...), of the answer or of one output;
- shift:      the right answer for an integer parameter off by one (ℓ - 1, L + 1, ...);
- offset:     the right answer plus a constant or plus/minus an input;
- substitute: the right answer for an input changed the way formulas go wrong (a sign,
              a factor, left out, 1 - x, x ± 1, a reciprocal, transposed, two swapped);
- rearranged: axes transposed or reversed, an axis summed or not, the outputs of a tuple
              swapped, an input handed back, only the first row right, 1 - the right
              one, a shape one longer, one output off by a constant;
- activation: another activation of the right pre-activation, or of a scaled one;
- close:      right to a few significant digits only (float16, a rounded constant);
- inputs:     which inputs fail: a feature of the inputs that separates the failing
              trials from the passing ones ("passes all 4 with N ≤ 3, fails all 8 with N ≥ 5").

Each says on how many of the failing trials it holds. Only the first value explanation
that holds on every failing trial is given, or else the one that holds on most (half at
least), and the inputs explanation besides. A rubric item tunes them with `diagnose:`.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence

from grader.engine.diagnose.activation import other_activation
from grader.engine.diagnose.cases import CHECKS, Case, Explanation, Part, numbers, safely
from grader.engine.diagnose.close import half, rounded
from grader.engine.diagnose.inplace import overwritten, untouched
from grader.engine.diagnose.inputs import which_inputs
from grader.engine.diagnose.rearranged import (an_input, complement, first_only, off_by_one_shape,
                                               part_offset, permuted, reduced, reversed_axes,
                                               swapped_outputs)
from grader.engine.diagnose.scale import offset, ratio
from grader.engine.diagnose.substitute import shiftable, shifted, substituted, substitutions

if TYPE_CHECKING:  # the student kit carries this package without the rubric's models
    from grader.engine.inputs import Trial
    from grader.rubric.model import Item

__all__ = ["CHECKS", "Case", "Explanation", "Part", "explain", "numbers", "options"]


def options(item: Item) -> dict[str, Any]:
    """The item's `diagnose:` setting as {check: True, False or its settings}: true or
    absent turns every check on, false every one off, a mapping sets each (a rubric model
    or, in the student kit, plain data)."""
    setting = getattr(item, "diagnose", True)
    if isinstance(setting, bool) or setting is None:
        return dict.fromkeys(CHECKS, setting is not False)
    chosen = setting if isinstance(setting, dict) else vars(setting)
    return {k: chosen.get(k, True) for k in CHECKS}


def explain(item: Item, cases: Sequence[Case],
            reference: Optional[Callable[[Item, Trial, dict[str, Any]], Any]] = None,
            ) -> tuple[Explanation, ...]:
    """Explanations of the failing `cases`, best first; `reference(item, trial, values)`
    computes the right answer for other inputs (for shifted parameters), if it can."""
    opts = options(item)
    failing = [c for c in cases if c.failed]
    if not failing:
        return ()
    found: list[Explanation] = []
    with_output = [c for c in failing if c.parts is not None
                   and all(p.got is not None for p in c.parts)]
    if with_output:
        value = _value_explanation(item, with_output, opts, reference)
        if value is not None:
            found.append(value)
    if opts["inputs"]:
        split = which_inputs(cases, opts["inputs"])
        if split is not None:
            found.append(split)
    return tuple(found)


Attempt = Callable[[Case], Any]  # a message, a list of them, or None


def _attempts(item: Item, opts: dict[str, Any],
              reference: Optional[Callable[..., Any]]) -> list[tuple[str, Attempt]]:
    """The per-trial part of the catalogue, in the order it is tried: (kind, what it
    makes of one trial). Ratios come between the in-place ones and these (_candidates)."""
    found: list[tuple[str, Attempt]] = []
    if opts["shift"] and reference is not None:
        found += [("shift", partial(shifted, item, reference=reference, param=p, delta=d))
                  for p in shiftable(item, opts["shift"]) for d in (-1, 1)]
    if opts["offset"] and item.mode != "inplace":
        found.append(("offset", partial(offset, item)))
    if opts["substitute"] and reference is not None:
        found += [("substitute", partial(substituted, item, reference=reference, change=c))
                  for c in substitutions(item)]
    if opts["rearranged"]:
        found += [("rearranged", partial(f, item)) for f in (
            swapped_outputs, permuted, reversed_axes, reduced, an_input, first_only,
            complement, off_by_one_shape, part_offset)]
    if opts["activation"] and item.mode != "inplace":
        found.append(("activation", partial(other_activation, item)))
    if opts["close"]:
        found.append(("close", partial(half, item)))
    return found


def _value_explanation(item: Item, cases: list[Case], opts: dict[str, Any],
                       reference: Optional[Callable[..., Any]]) -> Optional[Explanation]:
    """The first explanation that holds on every trial, else the one that holds on most
    (half of them at least)."""
    best: Optional[Explanation] = None
    for candidate in _candidates(item, cases, opts, reference):
        if candidate is None:
            continue
        if candidate.exact:
            return candidate
        if 2 * candidate.matched >= candidate.failing and (
                best is None or candidate.matched > best.matched):
            best = candidate
    return best


def _candidates(item: Item, cases: list[Case], opts: dict[str, Any],
                reference: Optional[Callable[..., Any]]) -> Iterator[Optional[Explanation]]:
    if item.mode == "inplace" and opts["inplace"]:
        yield _per_trial("inplace", untouched, cases)
        yield _per_trial("inplace", partial(overwritten, item), cases)
        yield ratio(item, cases, increment=True)
    if opts["ratio"] and item.mode != "inplace":
        yield ratio(item, cases)
        if item.outputs and len(item.outputs) > 1:  # one part of a tuple off by a factor
            for name in item.outputs:
                alone = [replace(c, parts=tuple(p for p in c.parts if p.name == name))
                         for c in cases if c.parts is not None]
                found = ratio(item, alone)
                if found is not None:
                    yield replace(found, message=found.message.replace(
                        "Your answer", f"Your {name}", 1), failing=len(cases))
    for kind, attempt in _attempts(item, opts, reference):
        yield _per_trial(kind, attempt, cases)
    if opts["close"]:
        yield rounded(item, cases)


def _per_trial(kind: str, attempt: Attempt, cases: list[Case]) -> Optional[Explanation]:
    """An explanation that says the same of every trial it holds on. An attempt gives
    one message, or the list of all that hold on a trial (a trial where sigma_w = 1
    is explained by both `+ 1` and `+ sigma_w`): the one most trials agree on wins."""
    held = [_messages(safely(attempt, c)) for c in cases]
    counts: dict[str, int] = {}
    for messages in held:
        for m in dict.fromkeys(messages):
            counts[m] = counts.get(m, 0) + 1
    if not counts:
        return None
    message = max(counts, key=lambda m: counts[m])  # the first of those most agree on
    return Explanation(kind, message, counts[message], len(cases))


def _messages(found: Any) -> list[str]:
    if found is None:
        return []
    return [found] if isinstance(found, str) else list(found)
