"""Which inputs fail: a feature of the inputs that separates the failing trials from the
passing ones ("passes all 4 with N ≤ 3, fails all 8 with N ≥ 5")."""
from __future__ import annotations

import itertools
from typing import Any, Optional, Sequence

import numpy as np

from grader.display.plaintext import counted
from grader.engine.diagnose.cases import Case, Explanation, math_name


def which_inputs(cases: Sequence[Case], setting: Any) -> Optional[Explanation]:
    """A feature of the inputs that separates the failing trials from the passing ones."""
    passing = [c for c in cases if not c.failed]
    failing = [c for c in cases if c.failed]
    if not passing or not failing:
        return None
    scalars = _scalars(cases)
    found = [f for finder in (_by_threshold, _by_relation, _by_value)
             for f in finder(scalars, passing, failing)]
    if not found:
        return None
    sentence = found[0][0]
    others = list(dict.fromkeys(short for _, short in found[1:]))[:3]
    if others:  # several features tell the same trials apart: name them all
        sentence += f"; the failing trials are also those with {', '.join(others)}"
    return Explanation("inputs", f"Which inputs fail: your function {sentence}.",
                       len(failing), len(failing))


Found = list[tuple[str, str]]  # (the sentence, the failing trials' feature alone)


def _by_threshold(scalars: list[str], passing: list[Case], failing: list[Case]) -> Found:
    """"passes all 4 trials with N ≤ 3, fails all 8 with N ≥ 5"."""
    found = []
    for name in scalars:
        n = math_name(name)
        p = {c.trial.values[name] for c in passing}
        f = {c.trial.values[name] for c in failing}
        for low, high, verbs in ((p, f, ("passes", "fails")), (f, p, ("fails", "passes"))):
            if max(low) < min(high):
                group, other = (passing, failing) if low is p else (failing, passing)
                below = f"= {max(low)}" if len(low) == 1 else f"\\le {max(low)}"
                above = f"= {min(high)}" if len(high) == 1 else f"\\ge {min(high)}"
                fails = above if low is p else below
                found.append((f"{verbs[0]} all {_n(group)} with ${n} {below}$, {verbs[1]} all "
                              f"{_n(other)} with ${n} {above}$", f"${n} {fails}$"))
    return found


def _by_relation(scalars: list[str], passing: list[Case], failing: list[Case]) -> Found:
    """Square or not, ℓ = L or not, H < W."""
    relations = (("=", "\\ne", lambda u, w: u == w), ("<", "\\ge", lambda u, w: u < w),
                 (">", "\\le", lambda u, w: u > w))
    found = []
    for a, b in itertools.combinations(scalars, 2):
        na, nb = math_name(a), math_name(b)
        for rel, negated, holds in relations:
            on = lambda c: holds(c.trial.values[a], c.trial.values[b])  # noqa: E731
            if all(on(c) for c in passing) and not any(on(c) for c in failing):
                found.append((f"passes all {_n(passing)} with ${na} {rel} {nb}$, fails all "
                              f"{_n(failing)} with ${na} {negated} {nb}$",
                              f"${na} {negated} {nb}$"))
            if all(on(c) for c in failing) and not any(on(c) for c in passing):
                found.append((f"fails all {_n(failing)} with ${na} {rel} {nb}$, passes all "
                              f"{_n(passing)} with ${na} {negated} {nb}$",
                              f"${na} {rel} {nb}$"))
    return found


def _by_value(scalars: list[str], passing: list[Case], failing: list[Case]) -> Found:
    """One value alone passes (or fails): "passes all 6 with N = 3, fails all 6 with N ∈ {1, 5}"."""
    found = []
    for name in scalars:
        n = math_name(name)
        p = {c.trial.values[name] for c in passing}
        f = {c.trial.values[name] for c in failing}
        if len(p) == 1 and not p & f:
            found.append((f"passes all {_n(passing)} with ${n} = {next(iter(p))}$, fails all "
                          f"{_n(failing)} with ${n} {_range(f)}$", f"${n} {_range(f)}$"))
        if len(f) == 1 and not p & f:
            found.append((f"fails all {_n(failing)} with ${n} = {next(iter(f))}$, passes all "
                          f"{_n(passing)} with ${n} {_range(p)}$", f"${n} = {next(iter(f))}$"))
    return found


def _scalars(cases: Sequence[Case]) -> list[str]:
    names = [k for k, v in cases[0].trial.values.items()
             if isinstance(v, (int, np.integer)) and not isinstance(v, bool)]
    return [k for k in names if len({c.trial.values[k] for c in cases}) > 1]


def _range(values: set) -> str:
    if len(values) == 1:
        return f"= {next(iter(values))}"
    if len(values) <= 4:
        return "\\in \\{" + ", ".join(map(str, sorted(values))) + "\\}"
    return f"\\in [{min(values)}, {max(values)}]"


def _n(group: Sequence[Case]) -> str:
    return counted(len(group), "trial")
