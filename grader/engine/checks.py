"""Rubric items as checks: plan the calls, then judge what came back against the reference."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from grader.engine import compare, diagnose, submission
from grader.engine.compare import Mismatch
from grader.engine.inputs import Trial, derive_seed, draw_trials
from grader.engine.memo import Memo
from grader.engine.outcomes import ItemResult, TrialFailure
from grader.rubric import expr
from grader.rubric.itemdata import EVALUATED_WRITTEN
from grader.sandbox import (Call, CallOutcome, ImportOutcome, Limits, ModuleJob, ModuleRun,
                            StudentError)

if TYPE_CHECKING:  # the student kit judges without the rubric's models or references
    from grader.rubric.model import Item, Mistake
    from grader.rubric.references import References


@dataclass(frozen=True)
class Plan:
    """An item's trials and the ids of the sandbox calls that carry them."""

    item: Item
    seed: int
    trials: tuple[Trial, ...]
    call_ids: tuple[int, ...]
    base: Optional[int] = None  # the seed it was drawn from, when not the submission's


def item_seed(base_seed: int, item: Item) -> int:
    return derive_seed(base_seed, item.id)


def plan(items: list[Item], base_seed: int,
         stored: Optional[Callable[[Item], tuple[Trial, ...]]] = None,
         bases: Optional[dict[str, int]] = None) -> tuple[list[Plan], list[Call]]:
    """Draw every item's trials (or take the `stored` ones: the kit's public checks) and
    number the calls they need; `bases`: items drawn from a seed of their own (written
    answers: seeds.written_seeds)."""
    plans, calls = [], []
    bases = bases or {}
    for item in items:
        if item.kind == "manual":  # TAs grade it: no call
            continue
        seed = item_seed(bases.get(item.id, base_seed), item)
        trials = stored(item) if stored is not None else _TRIALS.get((id(item), seed), lambda: (
            tuple(draw_trials(item, seed)) if item.kind != "constant" else (Trial(0, {}),)),
            keep=item)
        ids = []
        for trial in trials:
            ids.append(len(calls))
            calls.append(Call(
                id=len(calls), item=item.id, attr=item.attr,
                kind="get" if item.kind == "constant" else "call",
                args=tuple(trial.args(item)), report_args=item.mode == "inplace",
                timeout=item.timeout, spec=written_spec(item, trial),
                hidden=item.visibility == "hidden"))
        plans.append(Plan(item, seed, trials, tuple(ids), bases.get(item.id)))
    return plans, calls


def written_spec(item: Item, trial: Trial) -> Optional[dict[str, Any]]:
    """What the sandbox makes a written answer's function of (grader/sandbox/written/):
    None for code."""
    if item.kind not in EVALUATED_WRITTEN:
        return None
    return {"kind": item.kind, "section": item.section, "params": list(item.arg_names),
            "symbols": [[k, v] for k, v in getattr(item, "symbols", {}).items()],  # rubric order:
            "notation": _index_notation(item),  # the first is the handout's, for messages
            "targets": list(getattr(item, "targets", ())), "inplace": item.mode == "inplace",
            "shapes": {name: [int(expr.evaluate(e, trial.values)) for e in shape]
                       for name, shape in getattr(item, "shapes", {}).items()}}


def _index_notation(item: Item) -> list[str]:
    """What an index item's equations define, as its description writes it
    (`W_grad[o, c, p, q]`): what the sandbox shows a student who wrote no equations."""
    if item.kind != "index":
        return []
    names = list(getattr(item, "targets", ())) or list(getattr(item, "compare", ()))
    written = re.findall(r"`([A-Za-z_]\w*\[[^\]`]*\])`", item.description)
    return [next((w for w in written if w.startswith(name + "[")), f"{name}[...]")
            for name in names]


def calls_by_module(items: list[Item], calls: list[Call]) -> dict[str, tuple[Call, ...]]:
    """The planned calls, grouped by the student module that answers them."""
    module_of = {i.id: i.module for i in items if i.kind != "manual"}
    return {m: tuple(c for c in calls if module_of[c.item] == m)
            for m in sorted(set(module_of.values()))}


def judge_in(sandbox: Any, refs: References, items: list[Item],
             seed: int) -> dict[str, ItemResult]:
    """Plan, run every module in `sandbox` and judge: for sandboxes that need no files."""
    plans, calls = plan(items, seed)
    runs = {m: sandbox.run(ModuleJob(Path("."), m, mine))
            for m, mine in calls_by_module(items, calls).items()}
    judge = Judge(refs)
    return {p.item.id: judge.judge(p, runs[p.item.module]) for p in plans}


@dataclass(frozen=True)
class Judged:
    """A trial judged as its answer arrived, the answer itself dropped: whether it failed,
    and for each declared mistake whether the answer matches it (None: no say)."""

    failure: Optional[TrialFailure]
    mistakes: tuple[Optional[bool], ...]


KEEP_BYTES = 64 * 1024  # answers up to this size wait for the judge; larger ones are judged at once
KEEP_PER_MODULE = 4 << 20  # and once a module's kept answers add up to this, all of them
_IMPORTED = ImportOutcome("ok")


class Judge:
    """Computes expected values in the trusted process and judges each item's outcomes."""

    def __init__(self, refs: References, limits: Optional[Limits] = None):
        self.refs = refs
        self.limits = limits or Limits()

    def receiver(self, plans: list[Plan]) -> Callable[[Call, CallOutcome], CallOutcome]:
        """What the sandbox hands each outcome of one module to as it arrives: a large
        answer is judged there and then, and only the verdict kept, so that the grader never
        holds more than one large answer, and a few MB of small ones, per module (a student
        may return 16 MB from every call). Nothing is refused for its size here."""
        where = {cid: (p, k) for p in plans for k, cid in enumerate(p.call_ids)}
        kept = [0]

        def receive(call: Call, outcome: CallOutcome) -> CallOutcome:
            if outcome.status != "ok" or call.id not in where:
                return outcome
            if outcome.size <= KEEP_BYTES and kept[0] + outcome.size <= KEEP_PER_MODULE:
                kept[0] += outcome.size
                return outcome
            p, k = where[call.id]
            try:
                judged = self._judged(p.item, p.trials[k], outcome)
            except Exception:  # judged later, where the grader's failure is reported
                return outcome
            return replace(outcome, value=None, args_after=None, judged=judged)
        return receive

    def _judged(self, item: Item, trial: Trial, outcome: CallOutcome) -> Judged:
        failure = self._trial(item, trial, outcome, _IMPORTED)
        mistakes = tuple(self._mistake_state(item, trial, outcome, m) for m in item.mistakes) \
            if item.kind != "constant" else ()
        return Judged(failure, mistakes)

    def judge(self, p: Plan, run: ModuleRun) -> ItemResult:
        outcomes = [run.calls[i] for i in p.call_ids]
        verdicts = [o.judged.failure if o.judged is not None else
                    self._trial(p.item, t, o, run.imported) for t, o in zip(p.trials, outcomes)]
        failed = [v for v in verdicts if v is not None]
        if failed:  # the one shown: its inputs written out (every trial's would cost more)
            shown = next(t for t in p.trials if t.index == failed[0].trial)
            failed[0] = replace(failed[0], params=shown.params())
        diagnosis = self._diagnose(p, outcomes, failed) if failed else None
        explained = self._explain(p, outcomes, verdicts) if failed and diagnosis is None \
            and not any(f.kind in _MODULE_LEVEL for f in failed) else ()
        return ItemResult(
            item=p.item, seed=p.seed, score=0.0 if failed else p.item.points,
            trials=len(p.trials), failed=len(failed), failure=failed[0] if failed else None,
            diagnosis=diagnosis, explanations=explained,
            duration=sum(o.duration for o in outcomes), base_seed=p.base)

    def _explain(self, p: Plan, outcomes: list[CallOutcome],
                 verdicts: list[Optional[TrialFailure]]) -> tuple[diagnose.Explanation, ...]:
        """What the generic diagnosis makes of a failure no declared mistake explains."""
        item = p.item
        if item.kind == "constant" or item.reference is None:
            return ()
        found: tuple[diagnose.Explanation, ...] = ()
        for name in (item.reference, *item.alternatives):  # against each accepted answer
            reference = self.refs.get(name)
            cases = [diagnose.Case(t, v is not None, self._parts(item, t, o, v, reference))
                     for t, o, v in zip(p.trials, outcomes, verdicts)]
            again = lambda item, trial, values, ref=reference: run_reference(  # noqa: E731
                item, Trial(trial.index, values, trial.edge), ref)
            try:
                these = diagnose.explain(item, cases, again)
            except Exception:  # noqa: BLE001 - a diagnosis is a help, never a reason to fail
                continue
            if these and these[0].kind != "inputs" and these[0].exact:
                return these
            if not found or (these and these[0].kind != "inputs" and found[0].kind == "inputs"):
                found = these
        return found

    def _parts(self, item: Item, trial: Trial, outcome: CallOutcome,
               verdict: Optional[TrialFailure], reference: Callable[..., Any]
               ) -> Optional[tuple[diagnose.Part, ...]]:
        """The compared outputs of one trial, expected and got, for the diagnosis."""
        if outcome.status != "ok" or outcome.judged is not None or (
                verdict is not None and verdict.kind not in _HAS_OUTPUT):
            return None
        try:
            expected = expected_value(item, trial, reference)
            if item.mode == "inplace":
                got = dict(zip(item.arg_names, outcome.args_after or ()))
                return tuple(diagnose.Part(n, expected[n], diagnose.numbers(got.get(n)),
                                           np.asarray(trial.values[n], dtype=np.float64))
                             for n in item.compare)
            if item.outputs:
                values = outcome.value if isinstance(outcome.value, list) and len(
                    outcome.value) == len(item.outputs) else None
                if values is None:
                    return None
                return tuple(diagnose.Part(n, e, diagnose.numbers(g))
                             for n, e, g in zip(item.outputs, expected, values))
            return (diagnose.Part("answer", expected, diagnose.numbers(outcome.value)),)
        except Exception:  # noqa: BLE001 - nothing to look at
            return None

    def _trial(self, item: Item, trial: Trial, outcome: CallOutcome,
               imported: ImportOutcome) -> Optional[TrialFailure]:
        fail = lambda kind, summary, lines=(), tb="": TrialFailure(  # noqa: E731
            trial.index, {}, kind, summary, tuple(lines), tb, trial.edge)  # params: judge()
        if imported.status != "ok":
            return fail(*_import_failure(item, imported))
        if outcome.status != "ok":
            return fail(*_call_failure(item, outcome, self.limits))
        mismatch = self.check(item, trial, outcome)
        if mismatch and getattr(item, "section", None):  # a written answer returns nothing
            mismatch = replace(mismatch, summary=mismatch.summary.replace(
                "the return value", "the value of your answer"))
        return fail(mismatch.kind, mismatch.summary, mismatch.lines) if mismatch else None

    def check(self, item: Item, trial: Trial, outcome: CallOutcome) -> Optional[Mismatch]:
        """Accepted if any accepted reference (the main one or an alternative) matches."""
        if item.kind == "constant":
            return compare.compare_constant(item, outcome.value)
        first = None
        for ref in (item.reference, *item.alternatives):
            mismatch = self._against(item, trial, outcome, self.refs.get(ref))
            if mismatch is None:
                return None
            first = first or mismatch
        if item.mode == "inplace" and first.kind == "value":
            changed = compare.unchanged_inputs(
                item, dict(zip(item.arg_names, outcome.args_after or ())), trial.values)
            first = changed or first
        return first

    def _against(self, item: Item, trial: Trial, outcome: CallOutcome,
                 fn: Callable[..., Any]) -> Optional[Mismatch]:
        expected = expected_value(item, trial, fn)
        if item.mode == "inplace":
            return compare.compare_inplace(item, outcome.args_after, trial.values, expected)
        return compare.compare_output(item, outcome.value, expected)

    def _diagnose(self, p: Plan, outcomes: list[CallOutcome],
                  failed: list[TrialFailure]) -> Optional[Mistake]:
        """The declared mistake whose output the student's matches on every trial it
        applies to (and on one at least)."""
        if p.item.kind == "constant" or any(f.kind in _NO_OUTPUT for f in failed):
            return None
        for index, mistake in enumerate(p.item.mistakes):
            matched = 0
            for trial, outcome in zip(p.trials, outcomes):
                state = outcome.judged.mistakes[index] if outcome.judged is not None else \
                    self._mistake_state(p.item, trial, outcome, mistake)
                if state is False:
                    break
                matched += bool(state)
            else:
                if matched:
                    return mistake
        return None

    def _mistake_state(self, item: Item, trial: Trial, outcome: CallOutcome,
                       mistake: Mistake) -> Optional[bool]:
        """Whether this trial's answer is the mistake's: True, False (rules it out), or
        None when the mistake does not apply to the trial and nothing usable came back."""
        try:
            expected = expected_value(item, trial, self.refs.get(mistake.reference))
        except Exception:  # the mistake does not apply to this trial's shapes
            expected = None
        produced = outcome.status == "ok"
        if expected is None:
            return False if produced and _usable(item, outcome) else None
        if not produced:
            return False
        return self._matches(item, trial, outcome, expected)

    def _matches(self, item: Item, trial: Trial, outcome: CallOutcome, expected: Any) -> bool:
        if item.mode == "inplace":  # a mistake may change what the item must not
            return compare.compare_inplace(item, outcome.args_after, trial.values, expected,
                                           mutable=item.arg_names) is None
        return compare.compare_output(item, outcome.value, expected) is None


_NO_OUTPUT = {"import", "missing_file", "missing", "unreadable", "timeout", "crashed", "not_run", "skipped"}
_MODULE_LEVEL = {"import", "missing_file", "missing", "unreadable", "not_run", "skipped"}
_HAS_OUTPUT = {"value", "shape", "nonfinite"}  # failures whose output the diagnosis can use


def _usable(item: Item, outcome: CallOutcome) -> bool:
    return outcome.value is not None or item.mode == "inplace"


# With one seed for a whole class (`--seed`), students share inputs: draw them and compute
# the references' values once per trial, not once per student.
_TRIALS = Memo(4096)
_EXPECTED = Memo(65536)


def expected_value(item: Item, trial: Trial, fn: Callable[..., Any]) -> Any:
    """The value of a reference (or a mistake) on the trial's inputs, computed once."""
    return _EXPECTED.get((id(item), id(trial), fn), lambda: run_reference(item, trial, fn),
                         keep=(item, trial))


def draw_trials_for(item: Item, seed: int) -> tuple[Trial, ...]:
    """The trials an item draws for a submission graded with `seed`."""
    return plan([item], seed)[0][0].trials


def run_reference(item: Item, trial: Trial, fn: Callable[..., Any]) -> Any:
    """Run a reference (or a mistake, or another trusted function) on copies of the
    trial's inputs; not memoised."""
    args = [_fresh(a) for a in trial.args(item)]
    result = fn(*args)
    if item.mode == "inplace":
        return {name: np.asarray(a, dtype=np.float64) for name, a in zip(item.arg_names, args)}
    if item.outputs:
        return [np.asarray(r, dtype=np.float64) for r in result]
    return np.asarray(result, dtype=np.float64)


def _fresh(value: Any) -> Any:
    """A copy a reference may change: arrays copied, numbers and strings as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return value if isinstance(value, (int, float, str)) else copy.deepcopy(value)


def _import_failure(item: Item, imported: ImportOutcome) -> tuple[str, str, tuple[str, ...], str]:
    module = submission.file_name(item.module)
    if imported.status == "missing":
        return "missing_file", imported.detail or f"{module} was not found in the submission", \
            (), ""
    if imported.status == "timeout":
        return "import", f"importing {module} did not finish: {imported.detail}", (), ""
    if imported.status == "not_run":
        return "not_run", f"{module} was not run: {imported.detail}", (), ""
    if imported.status == "crashed":
        return "import", f"{module} could not be imported: the process {imported.detail}", (), ""
    err = imported.error
    headline = err.headline() if err else "an error"
    return "import", f"{module} could not be imported: {headline}", (), \
        err.format_traceback() if err else ""


def _call_failure(item: Item, outcome: CallOutcome,
                  limits: Limits) -> tuple[str, str, tuple[str, ...], str]:
    name = item.student
    section = getattr(item, "section", None)
    if section:  # a written answer: what it says is about the student's text
        name = f"the answer in section ## {section} of answers.md"
        if outcome.status == "raised" and outcome.error and outcome.error.type == "AnswerError":
            message = outcome.error.message
            if message.endswith(" was not found in the submission") or \
                    message.startswith("answers.md has no section"):
                return "missing", message, (), ""
            return "unreadable", f"section ## {section} of answers.md: {message}", (), ""
    if outcome.status == "missing":
        what = "define" if item.kind == "constant" else "define a function"
        return "missing", f"{item.module}.py does not {what} {item.attr!r}", (), ""
    if outcome.status == "raised" and outcome.error:
        err = outcome.error
        return "raised", f"{name} {_limit_hit(err, limits) or 'raised'} {err.headline()}", (), \
            err.format_traceback()
    if outcome.status == "bad_output" and outcome.error:
        return "type", f"{name} returned {outcome.error.message}", (), ""
    if outcome.status == "timeout":
        return "timeout", f"{name} {outcome.detail} (time limit per call)", (), ""
    if outcome.status == "crashed":
        return "crashed", f"the process running {name} {outcome.detail}", (), ""
    if outcome.status == "oversize":
        return "oversize", f"{name} returned {outcome.detail}", (), ""
    if outcome.status == "not_run":
        return "not_run", f"{name} was not run: {outcome.detail}", (), ""
    return outcome.status, f"{name} was not graded: {outcome.detail}", (), ""


def _limit_hit(err: StudentError, limits: Limits) -> str:
    """Name the sandbox limit behind an error, so the student knows it was not a bug of theirs
    alone: the operating system refuses with an error that the student's code saw."""
    text = f"{err.type}: {err.message}"
    if "MemoryError" in err.type or "Unable to allocate" in text or "can't allocate" in text \
            or "Errno 12]" in text:
        return f"ran out of memory (limit {limits.memory_mb} MiB):"
    if "Errno 11]" in text or "can't start new thread" in text:
        return f"hit the limit of {limits.processes} processes and threads:"
    if "Errno 27]" in text:
        return f"wrote a file larger than the limit of {limits.file_mb} MiB:"
    if "Errno 28]" in text:
        return f"filled its disk quota ({limits.disk_mb} MiB for all the files it writes):"
    if "Errno 30]" in text:
        return "wrote outside its working folder, the one place it may write:"
    if "Errno 24]" in text:
        return f"opened more files than the limit of {limits.open_files}:"
    return ""
