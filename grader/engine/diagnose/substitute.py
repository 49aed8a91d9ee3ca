"""Explanations by changed inputs: the right answer for an integer parameter off by one
(ℓ - 1, L + 1, ...), or for an input changed the way formulas go wrong (a sign, a factor,
left out, 1 - x, x ± 1, a reciprocal, transposed, two swapped)."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from grader.engine.diagnose.cases import Case, all_close, as_array, math_name
from grader.engine.diagnose.scale import input_factors

if TYPE_CHECKING:
    from grader.rubric.model import Item


def shiftable(item: Item, setting: Any) -> list[str]:
    """Integer arguments that no array's shape depends on (shifting those is a question
    of another shape, not of a formula)."""
    if isinstance(setting, (list, tuple)):
        return [p for p in setting if p in item.inputs]
    dims = _dims(item)
    return [name for name, spec in item.inputs.items() if spec.int_ is not None
            and name in item.arg_names and name not in dims]


def _names_in(expression: Any) -> set[str]:
    try:
        from grader.rubric import expr

        return set(expr.names_in(expression))
    except Exception:  # noqa: BLE001
        return {expression} if isinstance(expression, str) else set()


def shifted(item: Item, case: Case, *, reference: Callable[..., Any], param: str,
             delta: int) -> Optional[str]:
    values = dict(case.trial.values)
    values[param] = values[param] + delta
    want = _parts_of(item, reference(item, case.trial, values), case)
    if want is None or not all_close(item, case, lambda p: want.get(p.name)):
        return None
    n = math_name(param)
    sign = "-" if delta < 0 else "+"
    return (f"Your answer is the right one for ${n} {sign} 1$ in place of ${n}$: an exponent, "
            "a count or a range off by one?")


Change = tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]  # (words, new inputs)


def substitutions(item: Item) -> list[Change]:
    """Inputs changed the way formulas go wrong: a sign, a factor, a reciprocal, a term set
    to zero (one or two of them), 1 - x or x ± 1 for x, a transpose, two inputs of the same
    kind swapped, a scalar times a factor made of the integer inputs. Never the arguments
    an in-place item updates; integers only by sign, factor 2 or zero (shift does ± 1)."""
    changes: list[Change] = []
    names = [n for n in item.arg_names if n not in item.mutable and n in item.inputs]
    dims = _dims(item)
    floats = [n for n in names if item.inputs[n].int_ is None]
    ints = [n for n in names if item.inputs[n].int_ is not None and n not in dims]

    def put(name: str, f: Callable[[Any], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda values: {**values, name: f(values[name])}

    for n in floats:
        changes += [(f"`{n}` replaced by `-{n}`", put(n, lambda v: -v)),
                    (f"`{n}` replaced by `2 * {n}`", put(n, lambda v: 2 * v)),
                    (f"`{n}` replaced by `{n} / 2`", put(n, lambda v: v / 2)),
                    (f"`{n}` left out (taken as 0)", put(n, lambda v: v * 0)),
                    (f"`{n}` replaced by `1 / {n}`", put(n, lambda v: 1 / v)),
                    (f"`{n}` replaced by `1 - {n}`", put(n, lambda v: 1 - v)),
                    (f"`{n}` replaced by `{n} - 1`", put(n, lambda v: v - 1)),
                    (f"`{n}` replaced by `{n} + 1`", put(n, lambda v: v + 1)),
                    (f"`{n}` replaced by `{n} + 1/2`", put(n, lambda v: v + 0.5)),
                    (f"`{n}` replaced by `{n} - 1/2`", put(n, lambda v: v - 0.5)),
                    (f"`{n}` replaced by `{n}` squared", put(n, lambda v: v * v))]
        if item.inputs[n].array is not None and len(item.inputs[n].array) == 2:
            changes.append((f"`{n}` transposed", put(n, lambda v: v.T if v.shape[0] ==
                                                     v.shape[1] else None)))
    for n in ints:
        changes += [(f"`{n}` replaced by `-{n}`", put(n, lambda v: -v)),
                    (f"`{n}` left out (taken as 0)", put(n, lambda v: 0)),
                    (f"`{n}` replaced by `2 * {n}`", put(n, lambda v: 2 * v))]
    for a, b in itertools.combinations(floats, 2):
        changes.append((f"`{a}` and `{b}` left out (taken as 0)",
                        lambda values, a=a, b=b: {**values, a: values[a] * 0, b: values[b] * 0}))
        if (item.inputs[a].array is None) == (item.inputs[b].array is None):
            changes.append((f"`{a}` and `{b}` swapped",
                            lambda values, a=a, b=b: {**values, a: values[b], b: values[a]}))
    for n in (f for f in floats if item.inputs[f].array is None):  # sigma_w times N, ...
        changes += [(f"`{n}` multiplied by ${expression}$",
                     lambda values, n=n, of=of: {**values, n: values[n] * of(_AsTrial(values))})
                    for expression, of in input_factors(_AsTrial(_example(item)))]
    return changes


class _AsTrial:
    def __init__(self, values: dict[str, Any]):
        self.values = values


def _example(item: Item) -> dict[str, Any]:
    """Integer inputs with placeholder values: which factors exist, not their values."""
    return {n: 2 for n, spec in item.inputs.items() if spec.int_ is not None}


def _dims(item: Item) -> set[str]:
    dims: set[str] = set()
    for spec in item.inputs.values():
        for d in spec.array or ():
            dims |= _names_in(d)
    return dims


def substituted(item: Item, case: Case, *, reference: Callable[..., Any],
                 change: Change) -> Optional[str]:
    words, make = change
    values = make(dict(case.trial.values))
    if any(v is None for v in values.values()):
        return None
    want = _parts_of(item, reference(item, case.trial, values), case)
    if want is None or not all_close(item, case, lambda p: want.get(p.name)):
        return None
    return f"Your answer is what the right formula gives with {words}"


def _parts_of(item: Item, value: Any, case: Case) -> Optional[dict[str, np.ndarray]]:
    """The reference's answer for other inputs, by part name."""
    assert case.parts is not None
    if item.mode == "inplace":
        return {p.name: as_array(value[p.name]) for p in case.parts}
    if item.outputs:
        return {name: as_array(v) for name, v in zip(item.outputs, value)}
    return {case.parts[0].name: as_array(value)}
