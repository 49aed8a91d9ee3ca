"""Seeded input generators: each rubric item's trials, edge cases first, then random draws."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from grader.engine import coverage
from grader.rubric import expr

if TYPE_CHECKING:  # the student kit draws inputs without the rubric's models
    from grader.rubric.model import InputSpec, Item


class InputError(expr.ExprError):
    """An input that cannot be drawn, naming it."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Trial:
    """The inputs of one call, drawn from an explicit seed, shared by student and reference."""

    index: int
    values: dict[str, Any] = field(repr=False)
    edge: bool = False

    def args(self, item: Item) -> list[Any]:
        return [self.values[name] for name in item.arg_names]

    def params(self) -> dict[str, str]:
        """Scalars and small arrays by value, larger arrays by shape: what a student needs
        to check the case by hand, or to reproduce it."""
        return {name: show(v) for name, v in self.values.items()}


FULL = 30  # arrays of up to this many elements are shown whole
DIGITS = 6  # significant digits of an input as feedback shows it


def show(value: Any, digits: int = DIGITS) -> str:
    """A value as feedback shows it: numbers to `digits` significant digits, arrays whole
    when small."""
    if isinstance(value, np.ndarray):
        if value.size <= FULL:
            body = np.array2string(value, separator=", ", max_line_width=10**6,
                                   threshold=FULL + 1,
                                   formatter={"float_kind": lambda x: f"{x:.{digits}g}"})
            return f"{' '.join(body.split())} (shape {list(value.shape)})"
        return f"array of shape {list(value.shape)}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    return repr(value)


def derive_seed(*parts: str | int) -> int:
    """A stable 31-bit seed from strings and numbers (hash-based, not Python's hash());
    a folder name's bytes count as they are, UTF-8 or not."""
    joined = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(joined.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def draw_trials(item: Item, seed: int) -> list[Trial]:
    """All trials of `item` for the item's seed: edge cases first, then random ones that
    meet what grader/coverage.py promises (every value of a small input, both tails of
    every other), drawn from the seed alone."""
    rng = np.random.default_rng(seed)
    trials = [Trial(k, _draw_one(item, case, rng), edge=bool(case))
              for k, case in enumerate(coverage.edges(item))]
    plans = coverage.schedule(item, [t.values for t in trials],
                              coverage.trial_count(item) - len(trials), rng)
    trials += [Trial(len(trials) + k, _draw_one(item, {}, rng, plan))
               for k, plan in enumerate(plans)]
    return trials


def _draw_one(item: Item, overrides: dict[str, Any], rng: np.random.Generator,
              plan: Optional[coverage.Plan] = None) -> dict[str, Any]:
    env: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, spec in item.inputs.items():
        how, what = (plan or {}).get(name, ("draw", None))
        try:
            if name in overrides and spec.array is None:
                value = expr.evaluate(overrides[name], env)
                value = int(value) if spec.int_ is not None else value
            elif how == "value":
                value = what
            elif how == "u":
                value = coverage.value_at(spec, env, what)
            else:
                value = draw(spec, env, rng)
        except (expr.ExprError, ValueError, TypeError) as exc:
            raise InputError(name, f"{name}: {exc}") from None
        values[name] = value
        if not isinstance(value, np.ndarray):
            env[name] = value
    return values


def draw(spec: InputSpec, env: dict[str, Any], rng: np.random.Generator) -> Any:
    """One value of `spec`, with bounds and shapes evaluated against earlier inputs."""
    ev = lambda e: expr.evaluate(e, env)  # noqa: E731
    if spec.array is not None:
        shape = tuple(_dim(ev(d)) for d in spec.array)
        if spec.uniform is not None:
            return rng.uniform(ev(spec.uniform[0]), ev(spec.uniform[1]), size=shape)
        mean, std = (ev(v) for v in (spec.normal or (0.0, 1.0)))
        return rng.normal(mean, std, size=shape)
    return coverage.value_at(spec, env, float(rng.random()))


def _dim(value: Any) -> int:
    if int(value) != value or value < 0:
        raise expr.ExprError(f"array dimension {value!r} is not a whole number >= 0")
    return int(value)
