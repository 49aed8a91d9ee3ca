"""Explanations by scale and offset: the right answer times a constant factor, named where
it can be (-1, 2, 1/2, π, ln 2, log10 e) or made of the inputs (B, 1/B, N², ...); the right
answer plus a constant or plus/minus an input."""
from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Callable, Iterator, Optional

import numpy as np

from grader.engine.diagnose.cases import Case, Explanation, math_name, numbers, safely

if TYPE_CHECKING:
    from grader.engine.inputs import Trial
    from grader.rubric.model import Item


NAMED: tuple[tuple[float, str], ...] = (
    (-1.0, "$-1$ times the right one: the sign is flipped"),
    (2.0, "twice the right one: a factor 2 too many"),
    (0.5, "half the right one: a factor 2 missing"),
    (-2.0, "$-2$ times the right one"),
    (-0.5, "$-1/2$ times the right one"),
    (3.0, "3 times the right one"),
    (1 / 3, "a third of the right one"),
    (4.0, "4 times the right one"),
    (0.25, "a quarter of the right one"),
    (math.pi, "$\\pi$ times the right one"),
    (1 / math.pi, "$1/\\pi$ times the right one"),
    (2 * math.pi, "$2\\pi$ times the right one"),
    (math.log(2), "$\\ln 2$ times the right one: a natural log where the formula has $\\log_2$?"),
    (1 / math.log(2), "$1/\\ln 2$ times the right one: $\\log_2$ where the formula has $\\ln$?"),
    (math.log10(math.e), "$\\log_{10} e \\approx 0.434$ times the right one: "
     "`log10` where the formula has the natural log?"),
    (math.log(10), "$\\ln 10 \\approx 2.303$ times the right one: the natural log where "
     "the formula has $\\log_{10}$?"),
    (math.e, "$e$ times the right one"),
    (1 / math.e, "$1/e$ times the right one"),
    (math.sqrt(2), "$\\sqrt 2$ times the right one"),
    (1 / math.sqrt(2), "$1/\\sqrt 2$ times the right one"),
)


def ratio(item: Item, cases: list[Case], increment: bool = False) -> Optional[Explanation]:
    """got = c · expected (of the increment, for in-place items), with one c for every
    trial it holds on: a named constant, or a factor made of each trial's inputs."""
    found = [(case, f) for case in cases
             for f in [safely(lambda c: _factor(item, c, increment), case)] if f is not None]
    if not found:
        return None
    kind = "inplace" if increment else "ratio"
    what = "The amount you add" if increment else "Your answer"
    for value, name in NAMED:
        if all(abs(f - value) <= 1e-5 * abs(value) for _, f in found):
            return Explanation(kind, f"{what} is {name}", len(found), len(cases))
    for expression, value_of in input_factors(found[0][0].trial):
        if all(_is(f, safely(lambda c: value_of(c.trial), case)) for case, f in found):
            return Explanation(kind, f"{what} is ${expression}$ times the right one"
                               + _factor_hint(expression), len(found), len(cases))
    first = found[0][1]
    if abs(first - 1) > 1e-2 and all(abs(f - first) <= 1e-5 * abs(first) for _, f in found):
        return Explanation(kind, f"{what} is {first:.3g} times the right one: a constant "
                           "factor is off", len(found), len(cases))
    return None


def _factor_hint(expression: str) -> str:
    if expression.startswith("1/") and " " not in expression and "^" not in expression:
        return f": a mean over ${expression[2:]}$ where a sum belongs, or a division too many?"
    if " " not in expression and "^" not in expression and "(" not in expression:
        return f": a sum over ${expression}$ where a mean belongs, or a factor too many?"
    return ""


def _is(f: float, value: Optional[float]) -> bool:
    return value is not None and abs(f - value) <= 1e-6 * abs(value)


def _factor(item: Item, case: Case, increment: bool) -> Optional[float]:
    """The c with got = c · expected on this trial (all parts at once), if there is one."""
    assert case.parts is not None
    if increment:
        pairs = [(p.got - p.before, p.expected - p.before) for p in case.parts
                 if p.before is not None]
    else:
        pairs = [(p.got, p.expected) for p in case.parts]
    if not pairs or any(g.shape != e.shape for g, e in pairs):
        return None
    g = np.concatenate([g.ravel() for g, _ in pairs])
    e = np.concatenate([e.ravel() for _, e in pairs])
    if not (np.isfinite(g).all() and np.isfinite(e).all()) or not np.any(np.abs(e) > 1e-12):
        return None
    c = float(np.dot(g, e) / np.dot(e, e))
    if not math.isfinite(c) or abs(c - 1) < 1e-9 or abs(c) < 1e-12:
        return None
    if not np.all(np.abs(g - c * e) <= 10 * (item.atol + item.rtol * np.abs(c * e))
                  + 1e-9 * abs(c) * np.abs(e).max()):
        return None
    return c


def input_factors(trial: Trial) -> Iterator[tuple[str, Callable[[Trial], float]]]:
    """Factors made of the integer inputs (p, 1/p, p², 1/p², √p, p ± 1, p·q, p²·q and
    their inverses), each with how to compute it for any trial."""
    ints = [k for k, v in trial.values.items()
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool)]

    def of(f: Callable[..., float], *names: str) -> Callable[[Trial], float]:
        return lambda t: float(f(*(float(t.values[n]) for n in names)))

    for name in ints:
        n = math_name(name)
        yield n, of(lambda p: p, name)
        yield f"1/{n}", of(lambda p: 1 / p, name)
        yield f"{n}^2", of(lambda p: p * p, name)
        yield f"1/{n}^2", of(lambda p: 1 / (p * p), name)
        yield f"\\sqrt{{{n}}}", of(math.sqrt, name)
        yield f"1/\\sqrt{{{n}}}", of(lambda p: 1 / math.sqrt(p), name)
        yield f"({n} - 1)", of(lambda p: p - 1, name)
        yield f"1/({n} - 1)", of(lambda p: 1 / (p - 1), name)
        yield f"({n} + 1)", of(lambda p: p + 1, name)
        yield f"1/({n} + 1)", of(lambda p: 1 / (p + 1), name)
        yield f"{n}/2", of(lambda p: p / 2, name)
        yield f"2/{n}", of(lambda p: 2 / p, name)
    for a, b in itertools.combinations(ints, 2):
        na, nb = math_name(a), math_name(b)
        yield f"{na} {nb}", of(lambda u, w: u * w, a, b)
        yield f"1/({na} {nb})", of(lambda u, w: 1 / (u * w), a, b)
        yield f"{na}^2 {nb}", of(lambda u, w: u * u * w, a, b)
        yield f"{nb}^2 {na}", of(lambda u, w: w * w * u, a, b)
        yield f"1/({na}^2 {nb})", of(lambda u, w: 1 / (u * u * w), a, b)
        yield f"1/({nb}^2 {na})", of(lambda u, w: 1 / (w * w * u), a, b)


def offset(item: Item, case: Case) -> list[str]:
    """got = expected + k, with k a small constant or (±) one of the inputs."""
    assert case.parts is not None
    if len(case.parts) != 1:
        return []
    part = case.parts[0]
    g, e = part.got, part.expected
    if g.shape != e.shape or not np.isfinite(g).all():
        return []
    d = g - e
    tol = 10 * (item.atol + item.rtol * np.maximum(np.abs(g), np.abs(e)))
    found = []
    for name, value in case.trial.values.items():
        v = numbers(value)
        if v is None or not np.any(v != 0) or (v.shape != d.shape and v.ndim):
            continue
        for sign, words in ((1, "plus"), (-1, "minus")):
            if np.all(np.abs(d - sign * v) <= tol):
                found.append(f"Your answer is the right one {words} `{name}`: a term "
                             f"{'too many' if sign > 0 else 'missing'}?")
    for k, words in ((1.0, "plus 1"), (-1.0, "minus 1"), (2.0, "plus 2"), (-2.0, "minus 2"),
                     (0.5, "plus 1/2"), (-0.5, "minus 1/2")):
        if np.all(np.abs(d - k) <= tol):
            found.append(f"Your answer is the right one {words}: a term too many or missing?")
    return found
