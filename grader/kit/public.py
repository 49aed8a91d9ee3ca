"""The kit's public checks: a few fixed trials per visible item, their inputs and the
answers the reference (and each accepted alternative, and each declared mistake) gives
on them, computed when the kit is built and kept as data. Only expected values are
secret, and these few are given away on purpose; the graded trials are new ones.

Trials are chosen so that every declared mistake fails on one of them at least: edge
cases first, then the first random trials that catch a mistake the others let through.
None is a trial on which an answer is one of the answers' constants (ln 2 where
L = N = C = 1), and no text that gives an answer away (grader/leaks/) is carried: a
mistake's message is then replaced by WITHHELD.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from grader.engine import compare
from grader.engine.checks import run_reference
from grader.engine.inputs import Trial, derive_seed, draw_trials
from grader.leaks import Detector
from grader.rubric.itemdata import item_to_data
from grader.rubric.model import Item, Rubric
from grader.rubric.references import References

PUBLIC_TRIALS = 3  # per item, more where a declared mistake needs one to show
CANDIDATES = 40  # trials drawn to choose from
WITHHELD = ("A mistake the grader knows; its explanation is left out of the kit because "
            "it would give the answer away.")


class KitError(ValueError):
    """A rubric the kit cannot be built for (a declared mistake no public trial shows)."""


@dataclass
class PublicData:
    """What the kit stores: items as data, and per item its trials, arrays apart."""

    items: list[dict[str, Any]]
    trials: dict[str, list[dict[str, Any]]]
    arrays: dict[str, np.ndarray]
    withheld: list[str] = field(default_factory=list)  # what was left out, and why

    def npz(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **dict(sorted(self.arrays.items())))
        return buf.getvalue()


def public_checks(rubric: Rubric, refs: References,
                  detector: Optional[Detector] = None) -> PublicData:
    data = PublicData([], {}, {})
    detector = detector or Detector(rubric, refs)
    constants = list(detector.constants.values())
    for item in rubric.items:
        if item.visibility == "hidden" or item.written:  # answers.md: the grader reads it
            continue
        answers = {f"{item.id}.accepted{k}": refs.get(r)
                   for k, r in enumerate((item.reference, *item.alternatives)) if r}
        wrongs = {f"{item.id}.mistake{k}": refs.get(m.reference)
                  for k, m in enumerate(item.mistakes)}
        safe = _safe_text(detector, item, data.withheld)
        data.items.append(item_to_data(
            item, title=item.title, hint=safe("hint", item.hint, ""),
            reference=next(iter(answers), None),
            alternatives=list(answers)[1:], expected=None,  # a constant's answer stays secret
            mistakes=[{"reference": name, "message": safe(f"{m.reference}'s message",
                                                          m.message, WITHHELD)}
                      for name, m in zip(wrongs, item.mistakes)]))
        if item.kind == "constant":
            continue
        plain = lambda t: not _states_constant(item, t, {**answers, **wrongs},  # noqa: E731
                                               constants)
        trials = _choose(item, derive_seed(rubric.sha256, "public", item.id), answers, wrongs,
                         plain)
        data.trials[item.id] = [_store(item, t, {**answers, **wrongs}, data.arrays)
                                for t in trials]
    return data


def _safe_text(detector: Detector, item: Item, withheld: list[str]
               ) -> Callable[[str, str, str], str]:
    """`text` unless it gives an answer away; then `instead`, and a note of it."""
    def safe(what: str, text: str, instead: str) -> str:
        leak = detector.leak(text) if text else None
        if leak is None:
            return text
        withheld.append(f"{item.id}: {what} left out: it gives the answer away "
                        f"({leak.text()})")
        return instead
    return safe


def _states_constant(item: Item, trial: Trial, functions: dict[str, Callable[..., Any]],
                     constants: list[float]) -> bool:
    """Whether an answer stored for this trial would be one of the answers' constants."""
    for fn in functions.values():
        try:
            value = run_reference(item, trial, fn)
        except Exception:  # noqa: BLE001 - a mistake that does not apply to these inputs
            continue
        parts = value.values() if isinstance(value, dict) else (
            value if isinstance(value, list) else [value])
        for part in parts:
            flat = np.abs(np.asarray(part, dtype=np.float64)).ravel()
            if any(np.any(np.isclose(flat, c, rtol=1e-9, atol=0)) for c in constants):
                return True
    return False


def _choose(item: Item, seed: int, answers: dict[str, Callable[..., Any]],
            wrongs: dict[str, Callable[..., Any]],
            plain: Callable[[Trial], bool] = lambda trial: True) -> list[Trial]:
    candidates = [t for t in draw_trials(
        item.model_copy(update={"trials": max(CANDIDATES, item.trials)}), seed) if plain(t)]
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
