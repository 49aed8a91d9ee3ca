"""The shipped rubric against its own references: right answers pass, declared mistakes fail.

Runs in-process (tests/fakes.py) so that many seeds are cheap; the sandbox is tested apart.
"""
from __future__ import annotations

import functools
import inspect
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from fakes import grade_modules

from reference import mistakes, problem1, problem2, problem3

SEEDS = range(20)
ANSWERS = (Path(__file__).resolve().parent.parent / "reference" / "answers.md").read_text()
REFERENCE = {"problem1": problem1, "problem2": problem2, "problem3": problem3,
             "answers": ANSWERS}


def _as_module(module, **overrides):
    attrs = {k: getattr(module, k) for k in dir(module) if not k.startswith("__")}
    return SimpleNamespace(**{**attrs, **overrides})


def _float32(fn):
    """A float32 port: inputs rounded to float32, computed and returned in float32."""
    params = list(inspect.signature(fn).parameters)

    @functools.wraps(fn)
    def port(*args):
        if fn.__name__ == "ugrnn_backward":  # float32 increments added onto the float64 grads
            small = [np.asarray(a, np.float32) for a in args[:4]]
            grads = [np.zeros_like(s) for s in small[:3]]
            fn(*small, *grads)
            for target, inc in zip(args[4:], grads):
                target += inc
            return None
        cast = [np.asarray(a, np.float32) if isinstance(a, np.ndarray)
                else np.float32(a) if isinstance(a, float) else a for a in args]
        out = fn(*cast)
        if isinstance(out, tuple):
            return tuple(np.asarray(o, np.float32) for o in out)
        return np.float32(out) if np.ndim(out) == 0 else np.asarray(out, np.float32)
    port.__signature__ = inspect.Signature([inspect.Parameter(p, inspect.Parameter.POSITIONAL_ONLY) for p in params])
    return port


def _float32_module(module):
    return _as_module(module, **{k: _float32(v) for k, v in vars(module).items()
                                 if inspect.isfunction(v) and v.__module__ == module.__name__})


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_scores_full_marks(rubric, seed):
    results = grade_modules(rubric, REFERENCE, seed)
    assert {i: r.failure for i, r in results.items() if not r.passed} == {}


@pytest.mark.parametrize("seed", SEEDS)
def test_float32_port_of_the_reference_scores_full_marks(rubric, seed):
    modules = {name: _float32_module(m) if name != "answers" else m
               for name, m in REFERENCE.items()}
    results = grade_modules(rubric, modules, seed)
    assert {i: r.failure for i, r in results.items() if not r.passed} == {}


def _declared():
    from conftest import RUBRIC

    from grader.rubric.model import load_rubric

    for item in load_rubric(RUBRIC).items:
        if item.written:  # their mistakes are the code items' (tests/test_written.py)
            continue
        for mistake in item.mistakes:
            yield pytest.param(item.id, mistake.id, id=f"{item.id}-{mistake.id}")


@pytest.mark.parametrize("item_id, mistake_id", list(_declared()))
def test_every_declared_mistake_loses_its_item_and_is_named(rubric, item_id, mistake_id):
    item = rubric.item(item_id)
    wrong = getattr(mistakes, mistake_id)
    modules = dict(REFERENCE, **{item.module: _as_module(REFERENCE[item.module],
                                                         **{item.attr: wrong})})
    for seed in SEEDS:
        result = grade_modules(rubric, modules, seed, only=(item_id,))[item_id]
        assert not result.passed, f"seed {seed}: {mistake_id} slipped through"
        assert result.diagnosis is not None and result.diagnosis.id == mistake_id, \
            f"seed {seed}: diagnosed {result.diagnosis}"


@pytest.mark.parametrize("item_id, value", [
    ("p1b", "decrease"), ("p1b", 3), ("p3e_activation", True), ("p3e_activation", "maybe"),
])
def test_wrong_constants_lose_their_item(rubric, item_id, value):
    item = rubric.item(item_id)
    modules = dict(REFERENCE, **{item.module: _as_module(REFERENCE[item.module],
                                                         **{item.attr: value})})
    assert not grade_modules(rubric, modules, 0, only=(item_id,))[item_id].passed


@pytest.mark.parametrize("value", ["increase", " Increase ", "INCREASE\n"])
def test_constant_strings_ignore_case_and_blanks(rubric, value):
    modules = dict(REFERENCE, problem1=_as_module(problem1, RELU_VARIANCE_CHANGE=value))
    assert grade_modules(rubric, modules, 0, only=("p1b",))["p1b"].passed


SCALAR_ITEMS = ["p1a", "p1b_exact", "p3a", "p3b", "p3c", "p3d"]


@pytest.mark.parametrize("item_id", SCALAR_ITEMS)
def test_a_constant_rounded_to_four_digits_fails_every_scalar_item(rubric, item_id):
    """0.6931 for ln 2 is 7e-5 off: a thousand times what float32 loses, and no longer
    inside the tolerance (each item's rtol is ten times what float32 loses on it)."""
    item = rubric.item(item_id)
    right = getattr(REFERENCE[item.module], item.attr)
    rounded = functools.wraps(right)(lambda *args: right(*args) * (1 + 7e-5))
    modules = dict(REFERENCE, **{item.module: _as_module(REFERENCE[item.module],
                                                         **{item.attr: rounded})})
    assert not grade_modules(rubric, modules, 0, only=(item_id,))[item_id].passed
