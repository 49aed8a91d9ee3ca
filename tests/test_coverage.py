"""Trials that leave nothing to luck (issue 19, item 4): on every seed, an item's trials
meet every value of each small discrete input and both outer tenths of every other, so
a submission wrong only for d_x = 5, or only below a threshold met one time in ten,
fails every grading, whatever the seed."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from conftest import RUBRIC

from grader.engine import checks, coverage
from grader.engine.inputs import draw_trials
from grader.rubric.references import References
from grader.rubric.model import load_rubric
from grader.authoring.selftest import grade_trusted

SEEDS = range(300)  # draws only: cheap
JUDGED_SEEDS = range(12)  # graded in the trusted sandbox


def _items(rubric, judged: bool = False) -> list[str]:
    return [i.id for i in rubric.items if i.kind not in ("manual", "constant")
            and not (judged and i.written)]


def _scalars(item) -> dict[str, Any]:
    return {n: s for n, s in item.inputs.items() if coverage.scalar(s)}


def _env(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if not isinstance(v, np.ndarray)}


def test_the_shipped_rubric_has_small_inputs_to_cover(rubric):
    """The property below is about something: d_x of 1 to 7, every B, odd N, H, W."""
    small = {(i.id, n) for i in rubric.items for n, s in _scalars(i).items()
             if coverage.must_meet(s)}
    assert {("p2a", "d_x"), ("p2b", "d_x"), ("p2b", "B"), ("p2c_f", "d_h"), ("p3a", "N"),
            ("p3e", "H"), ("p3e", "C"), ("p3e", "N")} <= small
    p2b = rubric.item("p2b")
    assert coverage.must_meet(p2b.inputs["d_x"]) == (1, 2, 3, 4, 5, 6)
    assert coverage.must_meet(rubric.item("p3a").inputs["C"]) == (1, 2)  # log-uniform 1..32


@pytest.mark.parametrize("item_id", _items(load_rubric(RUBRIC)))
def test_every_seed_meets_every_small_value_and_both_tails(rubric, item_id):
    item = rubric.item(item_id)
    for seed in SEEDS:
        trials = draw_trials(item, seed)
        assert len(trials) == coverage.trial_count(item)
        for name, spec in _scalars(item).items():
            values = coverage.must_meet(spec)
            met = {t.values[name] for t in trials}
            assert set(values or ()) <= met, (seed, name, sorted(met))
            if values is not None and len(values) == len(coverage._domain(spec)):
                continue  # every value met: both tails too
            random = [t for t in trials if not t.edge]
            low = [t for t in random if t.values[name] <= coverage.value_at(
                spec, _env(t.values), coverage.TAIL)]
            high = [t for t in random if t.values[name] >= coverage.value_at(
                spec, _env(t.values), 1 - coverage.TAIL)]
            assert low and high, (seed, name)


def test_trials_are_added_where_the_rubric_gives_too_few(rubric):
    item = rubric.item("p2a").model_copy(update={"trials": 3, "edge_cases": ()})
    assert coverage.trial_count(item) == 7  # d_x and d_h: 1 to 7 each
    for seed in range(50):
        trials = draw_trials(item, seed)
        assert {t.values["d_x"] for t in trials} == set(range(1, 8))
        assert {t.values["d_h"] for t in trials} == set(range(1, 8))
    continuous = rubric.item("p3a").model_copy(update={"trials": 1, "edge_cases": ()})
    assert coverage.trial_count(continuous) == 4  # N's 4 values; 2 tails each for the rest


# ------------------------------------------------------------------ graded, not drawn

def _wrong_when(item, seed: int, ref: Callable[..., Any],
                wrong: Callable[[dict[str, Any]], bool]) -> Callable[..., Any]:
    """The reference, except on the trials whose inputs satisfy `wrong`: there its answer
    is half as large again, plus one (the sandbox calls it on copies, so the trial is
    found by its inputs; `seed` is the submission's)."""
    trials = checks.draw_trials_for(item, seed)

    def same(a: Any, b: Any) -> bool:
        return np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b

    def answer(*args: Any) -> Any:
        trial = next(t for t in trials if all(same(a, b) for a, b in zip(args, t.args(item))))
        out = ref(*args)
        if not wrong(trial.values):
            return out
        if item.mode == "inplace":
            for name, arg in zip(item.arg_names, args):
                if name in item.compare:
                    arg += 1.0 + 0.5 * np.abs(arg)
            return None
        off = lambda o: 1.5 * np.asarray(o) + 1.0  # noqa: E731
        return tuple(off(o) for o in out) if item.outputs else off(out)
    return answer


def _branches(item) -> list[tuple[str, Callable[[dict[str, Any]], bool]]]:
    """Every branch the trials promise to meet: one value of a small input, or an
    input's lowest or highest tenth."""
    found = []
    for name, spec in _scalars(item).items():
        for value in coverage.must_meet(spec) or ():
            found.append((f"{name} = {value}", lambda v, n=name, x=value: v[n] == x))
        if not coverage.must_meet(spec) or len(coverage.must_meet(spec)) < len(
                coverage._domain(spec) or ()):
            found.append((f"{name} in its lowest tenth", lambda v, n=name, s=spec: v[n] <= (
                coverage.value_at(s, _env(v), coverage.TAIL))))
            found.append((f"{name} in its highest tenth", lambda v, n=name, s=spec: v[n] >= (
                coverage.value_at(s, _env(v), 1 - coverage.TAIL))))
    return found


@pytest.mark.slow
def test_code_wrong_on_one_branch_fails_every_seed(rubric):
    """d_x = 5 only, B = 2 only, N = 7 only, sigma_w in its lowest tenth only, ...: each
    such submission fails its item on every seed (before issue 19, code wrong whenever
    d_x = 5 passed p2b on 4 of 12 resubmissions)."""
    refs = References(rubric.reference_dir)
    lucky = []
    for item_id in _items(rubric, judged=True):
        item = rubric.item(item_id)
        for what, wrong in _branches(item):
            for seed in JUDGED_SEEDS:
                fn = _wrong_when(item, seed, refs.get(item.reference), wrong)
                if grade_trusted(refs, {item.id: fn}, [item], seed)[item.id].passed:
                    lucky.append((item.id, what, seed))
    assert lucky == []
