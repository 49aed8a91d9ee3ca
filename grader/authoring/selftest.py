"""A rubric tested against its own references: right answers pass, known mistakes fail.

Only trusted code runs here (the references, their float32 ports and the declared
mistakes), so it runs in this process, through the same planning and judging as students.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from grader.engine import checks
from grader.rubric.model import Item, Rubric
from grader.rubric.references import References
from grader.sandbox import CallOutcome, ImportOutcome, ModuleJob, ModuleRun


class TrustedSandbox:
    """Calls trusted functions in-process; `answers` maps item id to the function to use."""

    def __init__(self, answers: dict[str, Callable[..., Any]], items: dict[str, Item],
                 written: Any = None):
        self.answers, self.items = answers, items
        self.written = written  # the reference's answers.md, for written items

    def run(self, job: ModuleJob) -> ModuleRun:
        return ModuleRun(job.module, ImportOutcome("ok"), {c.id: self._call(c) for c in job.calls})

    def _call(self, call: Any) -> CallOutcome:
        item = self.items[call.item]
        args = [copy.deepcopy(a) for a in call.args]
        if item.kind == "constant":
            return CallOutcome("ok", value=item.expected)
        try:
            if call.item in self.answers:
                value = self.answers[call.item](*args)
            else:  # a written item: the reference's own answers.md, read as a student's
                value = self.written.function(call.spec)(*args)
                args = [_plain(a) for a in args]
        except Exception as exc:  # a mistake that does not apply to these shapes
            from grader.sandbox import StudentError

            return CallOutcome("raised", error=StudentError(type(exc).__name__, str(exc)))
        return CallOutcome("ok", value=_plain(value),
                           args_after=tuple(_plain(a) for a in args) if call.report_args else None)


def _plain(value: Any) -> Any:
    """What the wire would make of a value: arrays, numbers and lists."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def float32_port(fn: Callable[..., Any], item: Item) -> Callable[..., Any]:
    """The reference computed in float32, as a careful student might write it."""
    def cast(a: Any) -> Any:
        if isinstance(a, np.ndarray):
            return a.astype(np.float32)
        return np.float32(a) if isinstance(a, float) else a

    @functools.wraps(fn)
    def port(*args: Any) -> Any:
        small = [cast(a) for a in args]
        out = fn(*small)
        for name, original, updated in zip(item.arg_names, args, small):
            if name in item.mutable:  # in-place results land in the caller's float64 arrays
                original[...] = updated
        if isinstance(out, tuple):
            return tuple(np.asarray(o, np.float32) for o in out)
        return None if out is None else np.asarray(out, np.float32)
    return port


@dataclass(frozen=True)
class MistakePower:
    item: str
    mistake: str
    slipped: int  # seeds on which the mistake passed the item
    seeds: int
    misdiagnosed: int  # seeds on which another (or no) diagnosis was given

    @property
    def slip_rate(self) -> float:
        return self.slipped / self.seeds


def grade_trusted(refs: References, answers: dict[str, Callable[..., Any]],
                  items: list[Item], seed: int, written: Any = None) -> dict[str, Any]:
    return checks.judge_in(TrustedSandbox(answers, {i.id: i for i in items}, written), refs,
                           items, seed)


def reference_answers(rubric: Rubric) -> Any:
    """The reference's answers.md (beside its modules) as the sandbox reads a student's;
    None when it has none."""
    from grader.sandbox.written import ANSWERS_FILE, WrittenAnswers

    path = rubric.reference_dir / ANSWERS_FILE
    return WrittenAnswers(str(rubric.reference_dir), path.read_text(encoding="utf-8")) \
        if path.is_file() else None


def reference_failures(rubric: Rubric, refs: References, seeds: range,
                       port: bool = False) -> list[str]:
    """Items the reference (or its float32 port) fails, with the first failure. Written
    items are answered by the reference's answers.md when there is one (never in float32:
    the grader evaluates a student's math itself)."""
    written = reference_answers(rubric)
    items = [i for i in rubric.items if i.kind != "manual" and not (port and i.written)]
    answers = {i.id: (float32_port(refs.get(i.reference), i) if port else refs.get(i.reference))
               for i in items if i.kind != "constant" and not (i.written and written)}
    problems = []
    for seed in seeds:
        for item_id, result in grade_trusted(refs, answers, items, seed, written).items():
            if not result.passed:
                summary = result.failure.summary if result.failure else result.internal_error
                problems.append(f"{item_id} (seed {seed}): {summary}")
    return problems


def mistake_power(rubric: Rubric, refs: References, seeds: range) -> list[MistakePower]:
    """For every declared mistake: on how many seeds it passes its item, or is misnamed."""
    powers = []
    for item in rubric.items:
        if item.written:  # a written item's mistakes are its code item's, measured there
            continue
        for mistake in item.mistakes:
            answers = {item.id: refs.get(mistake.reference)}
            slipped = misdiagnosed = 0
            for seed in seeds:
                result = grade_trusted(refs, answers, [item], seed)[item.id]
                slipped += result.passed
                misdiagnosed += not result.passed and (
                    result.diagnosis is None or result.diagnosis.id != mistake.id)
            powers.append(MistakePower(item.id, mistake.id, slipped, len(seeds), misdiagnosed))
    return powers


@dataclass(frozen=True)
class Float32Loss:
    """How far a float32 port of an item's reference lands from the float64 reference:
    its largest relative error where the relative tolerance decides, on every trial tried."""

    item: str
    needed_rtol: float
    rtol: float
    atol: float

    @property
    def margin(self) -> float:
        """How many times looser the rubric's rtol is than float32 needs."""
        return self.rtol / self.needed_rtol if self.needed_rtol else float("inf")


def float32_loss(rubric: Rubric, refs: References, seeds: range) -> list[Float32Loss]:
    """For each function item: the relative error a float32 port of the reference makes."""
    losses = []
    for item in rubric.items:
        if item.kind == "constant" or item.written:  # the grader evaluates written math
            continue
        fn = refs.get(item.reference)
        port = float32_port(fn, item)
        worst = 0.0
        for seed in seeds:
            for trial in checks.draw_trials_for(item, seed):
                expected = checks.expected_value(item, trial, fn)
                got = checks.run_reference(item, trial, port)
                worst = max(worst, _needed_rtol(expected, got, item.atol))
        losses.append(Float32Loss(item.id, worst, item.rtol, item.atol))
    return losses


def _needed_rtol(expected: Any, got: Any, atol: float) -> float:
    """The relative error of `got` (dicts and lists part by part), on the elements large
    enough for the relative tolerance to be what decides (|expected| >= 1000 atol)."""
    if isinstance(expected, dict):
        return max((_needed_rtol(expected[k], got[k], atol) for k in expected), default=0.0)
    if isinstance(expected, list):
        return max((_needed_rtol(e, g, atol) for e, g in zip(expected, got)), default=0.0)
    exp = np.abs(np.asarray(expected, np.float64))
    err = np.abs(np.asarray(got, np.float64) - np.asarray(expected, np.float64))
    large = (exp >= 1000 * atol) & (exp > 0)
    return float((err[large] / exp[large]).max()) if large.any() else 0.0
