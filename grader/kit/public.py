"""The kit's public checks: a few fixed trials per visible item, their inputs and the
answers the reference (and each accepted alternative, and each declared mistake) gives
on them, computed when the kit is built and kept as data. Only expected values are
secret, and these few are given away on purpose; the graded trials are new ones.

Trials are chosen so that every declared mistake fails on one of them at least: edge
cases first, then the first random trials that catch a mistake the others let through.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from grader.engine import compare
from grader.engine.checks import run_reference
from grader.engine.inputs import Trial, derive_seed, draw_trials
from grader.rubric.itemdata import item_to_data
from grader.rubric.model import Item, Rubric
from grader.rubric.references import References

PUBLIC_TRIALS = 3  # per item, more where a declared mistake needs one to show
CANDIDATES = 40  # trials drawn to choose from


class KitError(ValueError):
    """A rubric the kit cannot be built for (a declared mistake no public trial shows)."""


@dataclass
class PublicData:
    """What the kit stores: items as data, and per item its trials, arrays apart."""

    items: list[dict[str, Any]]
    trials: dict[str, list[dict[str, Any]]]
    arrays: dict[str, np.ndarray]

    def npz(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **dict(sorted(self.arrays.items())))
        return buf.getvalue()


def public_checks(rubric: Rubric, refs: References) -> PublicData:
    data = PublicData([], {}, {})
    for item in rubric.items:
        if item.visibility == "hidden" or item.written:  # answers.md: the grader reads it
            continue
        answers = {f"{item.id}.accepted{k}": refs.get(r)
                   for k, r in enumerate((item.reference, *item.alternatives)) if r}
        wrongs = {f"{item.id}.mistake{k}": refs.get(m.reference)
                  for k, m in enumerate(item.mistakes)}
        data.items.append(item_to_data(
            item, title=item.title, reference=next(iter(answers), None),
            alternatives=list(answers)[1:], expected=None,  # a constant's answer stays secret
            mistakes=[{"reference": name, "message": m.message}
                      for name, m in zip(wrongs, item.mistakes)]))
        if item.kind == "constant":
            continue
        trials = _choose(item, derive_seed(rubric.sha256, "public", item.id), answers, wrongs)
        data.trials[item.id] = [_store(item, t, {**answers, **wrongs}, data.arrays)
                                for t in trials]
    return data


def _choose(item: Item, seed: int, answers: dict[str, Callable[..., Any]],
            wrongs: dict[str, Callable[..., Any]]) -> list[Trial]:
    candidates = draw_trials(item.model_copy(update={"trials": max(CANDIDATES, item.trials)}),
                             seed)
    chosen = candidates[:PUBLIC_TRIALS]
    reference = next(iter(answers.values()))
    for mistake, wrong in zip(item.mistakes, wrongs.values()):
        if any(_shows(item, t, reference, wrong) for t in chosen):
            continue
        found = next((t for t in candidates if _shows(item, t, reference, wrong)), None)
        if found is None:
            message = mistake.reference
            raise KitError(f"{item.id}: the declared mistake {message} gives the right "
                           f"answer on all {len(candidates)} candidate public trials")
        chosen.append(found)
    return [Trial(k, t.values, t.edge) for k, t in enumerate(chosen)]


def _shows(item: Item, trial: Trial, reference: Callable[..., Any],
           wrong: Callable[..., Any]) -> bool:
    """Whether a student answering as `wrong` fails this trial."""
    try:
        got = run_reference(item, trial, wrong)
    except Exception:  # the mistake raises here: the student's code would too
        return True
    expected = run_reference(item, trial, reference)
    if item.mode == "inplace":
        after = [got[n] for n in item.arg_names]
        return compare.compare_inplace(item, after, trial.values, expected) is not None
    return compare.compare_output(item, got, expected) is not None


def _store(item: Item, trial: Trial, functions: dict[str, Callable[..., Any]],
           arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    key = f"{item.id}/{trial.index}"
    stored: dict[str, Any] = {"index": trial.index, "edge": trial.edge,
                              "inputs": _lift(trial.values, f"{key}/in", arrays),
                              "answers": {}}
    for name, fn in functions.items():
        try:
            value = run_reference(item, trial, fn)
        except Exception:  # a mistake that does not apply to these inputs
            stored["answers"][name] = {"$raises": True}
            continue
        stored["answers"][name] = _lift(value, f"{key}/{name}", arrays)
    return stored


def _lift(value: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """JSON for `value`, its arrays moved to `arrays` (0-d ones kept as numbers)."""
    if isinstance(value, dict):
        return {k: _lift(v, f"{key}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return {"$list": [_lift(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, np.ndarray) and value.ndim > 0:
        arrays[key] = value
        return {"$array": key}
    if isinstance(value, (np.ndarray, np.generic)):
        return {"$scalar": float(value)}
    return value
