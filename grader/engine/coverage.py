"""Which values an item's random trials must meet, so that no seed is lucky.

Every generator is read as a function of a uniform number u in [0, 1) (`value_at`, its
inverse distribution function). The random trials after the edge cases then take, for
every scalar input of an item:

- every value of a discrete input with at most SMALL values (every d_x of 1 to 7, every
  B, every odd N), and every value a discrete generator draws with probability at least
  FREQUENT (C = 1 of a log-uniform C in 1 to 32), when the edge cases have not;
- for the rest, one value in each of as many equal strata of u as trials are left, the
  lowest drawn from u < TAIL and the highest from u >= 1 - TAIL.

So a wrong branch taken for one value of a small input, or on one side of a threshold
of any input with probability at least 1/10, is met on every grading, whatever the seed;
`trial_count` adds trials where the rubric's `trials` are too few for that. What is not
promised: branches on two inputs at once, or on array contents (see docs/rubrics.md).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import numpy as np

from grader.rubric import expr

if TYPE_CHECKING:
    from grader.rubric.model import InputSpec, Item

SMALL = 10  # a discrete input with at most this many values meets each of them
FREQUENT = 0.1  # and so does any value a discrete generator draws this often
TAIL = 0.1  # the lowest and highest random trial of every other input: its outer tenths
_GRID = 2000  # points of u at which a discrete generator's probabilities are measured

Plan = dict[str, tuple[str, Any]]  # input name -> ("value", v) or ("u", u)


def value_at(spec: InputSpec, env: dict[str, Any], u: float) -> Any:
    """The value a scalar generator gives at quantile `u`, bounds evaluated against the
    earlier inputs in `env` (non-decreasing in u)."""
    ev = lambda e: expr.evaluate(e, env)  # noqa: E731
    if spec.int_ is not None:
        return _int_at(int(ev(spec.int_[0])), int(ev(spec.int_[1])), spec, u)
    if spec.uniform is not None:
        lo, hi = (float(ev(v)) for v in spec.uniform)
        return lo + u * (hi - lo)
    if spec.loguniform is not None:
        lo, hi = (float(ev(v)) for v in spec.loguniform)
        if not 0 < lo <= hi:
            raise expr.ExprError(f"loguniform needs 0 < lo <= hi, got [{lo}, {hi}]")
        return float(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))
    if spec.choice is not None:
        return ev(spec.choice[min(int(u * len(spec.choice)), len(spec.choice) - 1)])
    return ev(spec.value)


def _int_at(lo: int, hi: int, spec: InputSpec, u: float) -> int:
    if spec.odd:
        lo, hi = lo | 1, hi if hi % 2 else hi - 1
    if lo > hi:
        raise expr.ExprError(f"int range [{lo}, {hi}] is empty")
    if spec.log and lo > 0:
        value = min(int(math.exp(math.log(lo) + u * (math.log(hi + 1) - math.log(lo)))), hi)
    else:
        value = lo + min(int(u * (hi - lo + 1)), hi - lo)
    if spec.odd and value % 2 == 0:
        value = value + 1 if value < hi else value - 1
    return value


def scalar(spec: InputSpec) -> bool:
    """Inputs the coverage is about: drawn numbers (not arrays, not fixed values)."""
    return spec.array is None and spec.value is None


def edges(item: Item) -> tuple[dict[str, Any], ...]:
    """The edge cases an item runs: the first ones, as many as its `trials` allow."""
    return tuple(item.edge_cases[:item.trials])


def must_meet(spec: InputSpec) -> Optional[tuple[Any, ...]]:
    """The values a discrete input with fixed bounds must meet (all of them when it has
    at most SMALL), or None for inputs that are continuous or whose bounds depend on
    other inputs."""
    drawn = _domain(spec)
    if drawn is None:
        return None
    return tuple(drawn) if len(drawn) <= SMALL else _frequent(spec)


def _frequent(spec: InputSpec) -> tuple[Any, ...]:
    domain, frequent = _DOMAINS[_key(spec)]
    if frequent is None:
        frequent = tuple(v for v, p in (domain or {}).items() if p >= FREQUENT)
        _DOMAINS[_key(spec)] = (domain, frequent)
    return frequent


# a generator's key -> its values and their probabilities, its frequent values
_DOMAINS: dict[str, tuple[Optional[dict[Any, float]], Optional[tuple[Any, ...]]]] = {}


def _key(spec: InputSpec) -> str:
    """What a discrete generator's values depend on (many inputs share one)."""
    return repr((spec.int_, spec.choice, spec.odd, spec.log))


def _domain(spec: InputSpec) -> Optional[dict[Any, float]]:
    """Each value of a discrete input with fixed bounds and how often it is drawn,
    measured on a fine grid of u (None: continuous, or bounds that name other inputs).
    Kept per generator."""
    if spec.int_ is None and spec.choice is None:
        return None
    key = _key(spec)
    if key not in _DOMAINS:
        try:
            at = _at_fixed_bounds(spec)
            drawn = Counter(at((k + 0.5) / _GRID) for k in range(_GRID))
            found: Optional[dict[Any, float]] = {v: n / _GRID for v, n in drawn.items()}
        except (expr.ExprError, ValueError, TypeError):
            found = None
        _DOMAINS[key] = (found, None)
    return _DOMAINS[key][0]


def _at_fixed_bounds(spec: InputSpec) -> Callable[[float], Any]:
    """value_at(spec, {}, u) as a function of u, its bounds evaluated once."""
    if spec.int_ is not None:
        lo, hi = (int(expr.evaluate(v, {})) for v in spec.int_)
        return lambda u: _int_at(lo, hi, spec, u)
    choices = [expr.evaluate(v, {}) for v in spec.choice or ()]
    return lambda u: choices[min(int(u * len(choices)), len(choices) - 1)]


def _fixed(item: Item, name: str) -> set[Any]:
    """The values the edge cases give `name` outright."""
    found = set()
    for case in edges(item):
        if name in case:
            try:
                found.add(expr.evaluate(case[name], {}))
            except (expr.ExprError, ValueError, TypeError):
                pass
    return found


def random_trials_needed(item: Item) -> int:
    """Random trials the coverage needs after the edge cases, whatever the seed: one per
    value still to meet, and two more (the outer tenths) where values remain unmet."""
    need = 0
    for name, spec in item.inputs.items():
        if not scalar(spec):
            continue
        values = must_meet(spec)
        missing = len(set(values) - _fixed(item, name)) if values is not None else 0
        whole = values is not None and len(values) == len(_domain(spec) or ())
        need = max(need, missing + (0 if whole else 2))
    return need


_COUNTS: dict[int, tuple[Any, int]] = {}  # id -> (item, count)


def trial_count(item: Item) -> int:
    """How many trials an item draws: the rubric's `trials`, or more when its edge cases
    leave too few random ones for the coverage (kept per item object)."""
    if id(item) not in _COUNTS:
        count = item.trials if not any(scalar(s) for s in item.inputs.values()) else max(
            item.trials, len(edges(item)) + random_trials_needed(item))
        _COUNTS[id(item)] = (item, count)
    return _COUNTS[id(item)][1]


def schedule(item: Item, edge_values: Sequence[dict[str, Any]], n: int,
             rng: np.random.Generator) -> list[Plan]:
    """For each of `n` random trials, what each scalar input takes: a value the edge
    cases did not meet, or a quantile u from its own stratum."""
    plans: list[Plan] = [{} for _ in range(n)]
    if n == 0:
        return plans
    for name, spec in item.inputs.items():
        if not scalar(spec):
            continue
        slots = [int(s) for s in rng.permutation(n)]
        values = must_meet(spec)
        if values is not None:
            seen = {v.get(name) for v in edge_values}
            missing = [v for v in values if v not in seen]
            for value, slot in zip(missing, slots):
                plans[slot][name] = ("value", value)
            slots = slots[len(missing):]
        for j, slot in enumerate(slots):
            plans[slot][name] = ("u", _stratum(j, len(slots), rng))
    return plans


def _stratum(j: int, m: int, rng: np.random.Generator) -> float:
    """A uniform u in the j-th of m equal strata, the first within [0, TAIL) and the
    last within [1 - TAIL, 1)."""
    lo, hi = j / m, (j + 1) / m
    if j == 0:
        hi = min(hi, TAIL)
    if j == m - 1 and m > 1:
        lo = max(lo, 1 - TAIL)
    return lo + (hi - lo) * float(rng.random())
