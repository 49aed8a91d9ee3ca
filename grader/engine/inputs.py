"""Seeded input generators: each rubric item's trials, edge cases first, then random draws."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

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


def show(value: Any) -> str:
    """A value as feedback shows it: numbers to 6 digits, arrays whole when small."""
    if isinstance(value, np.ndarray):
        if value.size <= FULL:
            body = np.array2string(value, separator=", ", max_line_width=10**6,
                                   threshold=FULL + 1,
                                   formatter={"float_kind": lambda x: f"{x:.6g}"})
            return f"{' '.join(body.split())} (shape {list(value.shape)})"
        return f"array of shape {list(value.shape)}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)



def derive_seed(*parts: str | int) -> int:
    """A stable 31-bit seed from strings and numbers (hash-based, not Python's hash());
    a folder name's bytes count as they are, UTF-8 or not."""
    joined = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(joined.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def draw_trials(item: Item, seed: int) -> list[Trial]:
    """All trials of `item` for the item's seed: edge cases first, then random ones."""
    rng = np.random.default_rng(seed)
    trials = []
    for k in range(item.trials):
        overrides = item.edge_cases[k] if k < len(item.edge_cases) else {}
        trials.append(Trial(k, _draw_one(item, overrides, rng), edge=bool(overrides)))
    return trials


def _draw_one(item: Item, overrides: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    env: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, spec in item.inputs.items():
        try:
            if name in overrides and spec.array is None:
                value = expr.evaluate(overrides[name], env)
                value = int(value) if spec.int_ is not None else value
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
    if spec.int_ is not None:
        return _draw_int(int(ev(spec.int_[0])), int(ev(spec.int_[1])), spec, rng)
    if spec.uniform is not None:
        return float(rng.uniform(ev(spec.uniform[0]), ev(spec.uniform[1])))
    if spec.loguniform is not None:
        lo, hi = (float(ev(v)) for v in spec.loguniform)
        if not 0 < lo <= hi:
            raise expr.ExprError(f"loguniform needs 0 < lo <= hi, got [{lo}, {hi}]")
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    if spec.choice is not None:
        return ev(spec.choice[int(rng.integers(len(spec.choice)))])
    return ev(spec.value)


def _dim(value: Any) -> int:
    if int(value) != value or value < 0:
        raise expr.ExprError(f"array dimension {value!r} is not a whole number >= 0")
    return int(value)


def _draw_int(lo: int, hi: int, spec: InputSpec, rng: np.random.Generator) -> int:
    if spec.odd:
        lo, hi = lo | 1, hi if hi % 2 else hi - 1
    if lo > hi:
        raise expr.ExprError(f"int range [{lo}, {hi}] is empty")
    if spec.log and lo > 0:
        value = min(int(math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))), hi)
    else:
        value = lo + int(rng.integers(hi - lo + 1))
    if spec.odd and value % 2 == 0:
        value = value + 1 if value < hi else value - 1
    return value
