"""Explanations by rearranged outputs: axes transposed or reversed, an axis summed or not,
the outputs of a tuple swapped, an input handed back, only the first row right, 1 - the
right one, a shape one longer, one output off by a constant."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Optional

import numpy as np

from grader.engine.diagnose.cases import MAX_ELEMENTS, Case, close_to, numbers, your

if TYPE_CHECKING:
    from grader.rubric.model import Item


def swapped_outputs(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    parts = case.parts
    if not item.outputs or len(parts) < 2:
        return None
    for order in itertools.permutations(range(len(parts))):
        if order == tuple(range(len(parts))):
            continue
        if all(close_to(p.got, parts[j].expected, item) for p, j in zip(parts, order)):
            names = ", ".join(parts[j].name for j in order)
            return (f"Your function returns the right values in the wrong order: "
                    f"({names}) instead of ({', '.join(p.name for p in parts)})")
    return None


def permuted(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        e = part.expected
        if e.ndim < 2 or e.size > MAX_ELEMENTS or part.got.size != e.size:
            continue
        for perm in itertools.permutations(range(e.ndim)):
            if perm == tuple(range(e.ndim)):
                continue
            moved = np.transpose(e, perm)
            if moved.shape == part.got.shape and close_to(part.got, moved, item) \
                    and not close_to(part.got, e, item):
                return f"Your {part.name} {_axes_words(perm)}"
    return None


def _axes_words(perm: tuple[int, ...]) -> str:
    if len(perm) == 2:
        return "is the transpose of the right one"
    moved = [i for i, p in enumerate(perm) if p != i]
    if len(moved) == 2:
        return f"has the right values with axes {moved[0]} and {moved[1]} swapped"
    return f"has the right values with its axes in the order {perm}"


def reversed_axes(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        e = part.expected
        if e.ndim == 0 or e.size > MAX_ELEMENTS or part.got.shape != e.shape:
            continue
        axes_list = [a for r in range(1, min(e.ndim, 3) + 1)
                     for a in itertools.combinations(range(e.ndim), r)]
        for axes in axes_list:
            if any(e.shape[a] < 2 for a in axes):
                continue
            if close_to(part.got, np.flip(e, axes), item) and not close_to(part.got, e, item):
                which = (f"axis {axes[0]}" if len(axes) == 1 else
                         "axes " + " and ".join(map(str, axes)))
                return f"Your {part.name} has the right values in reverse order along {which}"
    return None


def reduced(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        e, g = part.expected, part.got
        if e.size > MAX_ELEMENTS or g.size > MAX_ELEMENTS:
            continue
        if g.ndim == e.ndim - 1:
            for axis in range(e.ndim):
                for how, f in (("summed", np.sum), ("averaged", np.mean)):
                    if close_to(g, f(e, axis=axis), item):
                        return (f"Your {part.name} is the right one {how} over axis {axis}; "
                                f"that axis must stay")
        if g.ndim == e.ndim + 1:
            for axis in range(g.ndim):
                for how, f in (("summing", np.sum), ("averaging", np.mean)):
                    if close_to(f(g, axis=axis), e, item):
                        return (f"Your {part.name} has an extra axis {axis}: {how} over "
                                "it gives the right answer")
    return None


def an_input(item: Item, case: Case) -> Optional[str]:
    assert case.parts is not None
    for part in case.parts:
        if part.before is not None:
            continue  # in-place: handled by untouched
        for name, value in case.trial.values.items():
            v = numbers(value)
            if v is not None and v.shape == part.got.shape and close_to(part.got, v, item) \
                    and not close_to(part.got, part.expected, item):
                what = f"Your {part.name} is" if item.outputs else "Your function returns"
                return f"{what} the input `{name}` unchanged"
    return None


def off_by_one_shape(item: Item, case: Case) -> Optional[str]:
    """A part one longer or shorter than the right one along a single axis."""
    assert case.parts is not None
    for part in case.parts:
        g, e = part.got.shape, part.expected.shape
        if len(g) != len(e) or g == e:
            continue
        diff = [k for k in range(len(g)) if g[k] != e[k]]
        if len(diff) == 1 and abs(g[diff[0]] - e[diff[0]]) == 1:
            k = diff[0]
            longer = "one longer" if g[k] > e[k] else "one shorter"
            return (f"{your(item, part)} is {longer} along axis {k} than the right one: a slice or a range "
                    "off by one?")
    return None


def part_offset(item: Item, case: Case) -> Optional[str]:
    """One part of a tuple that is the right one plus a constant (1/2, 1/4, 1)."""
    assert case.parts is not None
    if len(case.parts) < 2:
        return None
    for part in case.parts:
        g, e = part.got, part.expected
        if g.shape != e.shape or close_to(g, e, item):
            continue
        for k in (0.5, -0.5, 0.25, -0.25, 1.0, -1.0):
            if close_to(g, e + k, item):
                words = f"plus {k:g}" if k > 0 else f"minus {-k:g}"
                return f"{your(item, part)} is the right one {words}: a term too many or missing?"
    return None


def complement(item: Item, case: Case) -> Optional[str]:
    """A part that is 1 minus the right one (a gate the wrong way round)."""
    assert case.parts is not None
    for part in case.parts:
        if part.got.shape == part.expected.shape and close_to(part.got, 1 - part.expected,
                                                               item) \
                and not close_to(part.got, part.expected, item):
            return f"{your(item, part)} is 1 minus the right one: a gate or a probability the wrong way round?"
    return None


def first_only(item: Item, case: Case) -> Optional[str]:
    """Right exactly where some axis has index 0 (the first example of a batch)."""
    assert case.parts is not None
    for part in case.parts:
        e, g = part.expected, part.got
        if e.ndim == 0 or g.shape != e.shape:
            continue
        right = np.abs(g - e) <= item.atol + item.rtol * np.abs(e)
        for axis in range(e.ndim):
            if e.shape[axis] < 2:
                continue
            first = np.zeros(e.shape, dtype=bool)
            index = [slice(None)] * e.ndim
            index[axis] = 0
            first[tuple(index)] = True
            if np.array_equal(right, first):
                row = "row" if axis == 0 else f"entry along axis {axis}"
                return (f"Your {part.name} is right only at index 0 of axis {axis} (the "
                        f"first {row}); every other one is wrong: the rest of the batch is "
                        "not computed, or not from its own inputs?")
    return None
