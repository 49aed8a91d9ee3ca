"""The whole flow for one submission, and the guarantee that results.json is written.

    submission folder -> sandbox (student code, out of process) -> checks (inputs drawn,
    reference in this process, compare) -> typed results -> results.json / report.html
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Optional

from grader.disk import student_folders
from grader.engine import checks, record, submission
from grader.engine.late import Submitted, assess
from grader.engine.modules import Schedule, run_modules
from grader.engine.outcomes import ItemResult, ModuleSummary, SubmissionResult
from grader.engine.seeds import run_as_seeded, submission_seed, written_seeds
from grader.engine.shared import SharingSandbox
from grader.outputs.report import render_report
from grader.outputs.results_json import to_results, write_json_atomic, write_text_atomic
from grader.rubric.model import Item, Rubric
from grader.rubric.references import References
from grader.sandbox import ModuleRun, Sandbox
from grader.sandbox import Limits as SandboxLimits
from grader.written.grades import item_result, nothing_written


@dataclass(frozen=True)
class Request:
    """What to grade and how: one submission folder under one rubric."""

    path: Path
    out: Path
    rubric: Rubric
    seed: Optional[int] = None
    only: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # recorded in results.json's extra_data
    deadline: Optional[float] = None  # time.monotonic() after which nothing more is run
    parallel: bool = True  # modules side by side; off where memory is tight (Gradescope)
    manual: bool = True  # manual items too (Gradescope grades them itself)
    arrival: Optional[Submitted] = None  # when it came: for the rubric's late policy
    notes: tuple[str, ...] = ()  # for the student, about how the submission came in
    keep_on_failure: bool = False  # the grader's own failure leaves `out`'s outputs as they are
    share: bool = False  # written answers shared with the class graded in this process (shared.py)


def seed_of(rubric: Rubric, path: Path, seed: Optional[int] = None) -> int:
    """The seed a submission is graded with: `seed`, or one derived from the rubric and
    the normal form of its code (grader/seeds.py), so that a regrade of the same code
    gives the same results and a change of what the code does draws new inputs."""
    return seed if seed is not None else submission_seed(rubric, path)


def replay_folder(out: Path, items: tuple[str, ...], seed: int) -> Path:
    """Where a replay of some items writes: beside a full grading's outputs, never over."""
    return out / "replay" / f"{'-'.join(items)}-{seed}"


def _base(req: Request) -> tuple[list[Item], SubmissionResult]:
    items = [i for i in req.rubric.items if (not req.only or i.id in req.only)
             and (req.manual or i.kind != "manual")]
    name = req.path.resolve().name
    return items, SubmissionResult(name=name, rubric=req.rubric,
                                   seed=seed_of(req.rubric, req.path, req.seed), items=(),
                                   extra={"student": student_folders.key(name), **req.extra},
                                   notes=req.notes)


def record_failure(req: Request, why: str) -> SubmissionResult:
    """results.json and report.html for a submission the grader could not grade at all
    (a class worker that died on it): every item not graded, `why` for the instructor."""
    items, base = _base(req)
    result = _broken(base, items, why)
    write_outputs(result, req.out)
    return result


def grade(req: Request, sandbox: Sandbox) -> SubmissionResult:
    """Grade one submission and write results.json (always) and report.html."""
    start = time.monotonic()
    items, base = _base(req)
    try:
        result = _late(req, _grade(req, items, base, sandbox, start))
    except Exception:  # the grader's own failure: still a valid results.json
        result = _broken(base, items, traceback.format_exc())
    result = replace(result, execution_time=time.monotonic() - start)
    if req.keep_on_failure and grader_failure(result):
        return result  # not the student's doing: their last results stay (classroom/run.py)
    try:
        write_outputs(result, req.out)
    except Exception:  # nothing a student sent may stop results.json from being written
        result = _broken(base, items, traceback.format_exc())
        write_outputs(replace(result, execution_time=time.monotonic() - start), req.out)
    return result


def grader_failure(result: SubmissionResult) -> str:
    """The grader's own failure on this submission, not the student's: its traceback, for
    the whole submission or the first item it failed on ("" when it failed on none)."""
    return result.internal_error or next((r.internal_error for r in result.items
                                          if r.internal_error), "")


def _deadline(req: Request, start: float) -> tuple[float, str]:
    """When to stop starting calls, and what to say of those not run: the rubric's time
    budget for a submission, or the caller's own (Gradescope's), whichever ends first."""
    budget = req.rubric.model.limits.submission_seconds
    own = (start + budget, f"the submission used up its {budget:g} s")
    if req.deadline is not None and req.deadline < own[0]:
        return req.deadline, "the grader's time budget for this submission ran out"
    return own


def _grade(req: Request, items: list[Item], base: SubmissionResult,
           sandbox: Sandbox, start: float) -> SubmissionResult:
    modules = {i.module for i in items}
    sub = submission.locate(req.path, modules)
    if any(i.written for i in items):
        submission.keep_written(sub, req.out)
    bases = written_seeds(req.rubric, req.path, items) if req.seed is None else {}
    plans, calls = checks.plan(items, base.seed, bases=bases)
    if req.share:
        sandbox = SharingSandbox(sandbox, plans, req.rubric.sha256)
    refs = References(req.rubric.reference_dir)
    limits = req.rubric.model.limits.model_dump(exclude={"submission_seconds"})
    sandbox_limits = SandboxLimits(**limits)
    judge = checks.Judge(refs, sandbox_limits)
    deadline, note = _deadline(req, start)
    schedule = Schedule(sandbox_limits, deadline, note, judge.receiver(plans), req.parallel,
                        together=req.share, prepare=run_as_seeded)
    runs, copy = run_modules(sub, checks.calls_by_module(items, calls), sandbox, schedule)
    judged = {p.item.id: _judge_safely(judge, p, runs[p.item.module]) for p in plans}
    grades = _manual_grades(req)
    nothing = nothing_written(req.out) if any(i.kind == "manual" for i in items) else ""
    results = tuple(judged[i.id] if i.id in judged else
                    item_result(i, checks.item_seed(base.seed, i), grades.get(i.id), nothing)
                    for i in items)
    rel = sub.root.relative_to(sub.path).as_posix() if sub.root != sub.path else "."
    return replace(base, items=results, root=rel,
                   modules=tuple(_summary(runs[m]) for m in sorted(runs)),
                   layers=_layers(runs.values()), notes=base.notes + _left_out(copy))


def _late(req: Request, result: SubmissionResult) -> SubmissionResult:
    """The rubric's late policy applied to when the submission came, if both are known."""
    policy = req.rubric.model.policy.late
    if policy is None or req.arrival is None:
        return result
    return replace(result, late=assess(policy, req.arrival, result.max_score))


def _manual_grades(req: Request) -> dict:
    """TAs' grades of this student's manual items, if the reports have a store."""
    from grader.written.store import Store, find

    path = find(req.out)
    student = student_folders.key(req.path.resolve().name)  # the student, not their folder
    return Store(path).manual_grades(req.rubric, student) if path else {}


def _left_out(copy: submission.Copy) -> tuple[str, ...]:
    if not copy.left_out_count:
        return ()
    more = copy.left_out_count - len(copy.left_out)
    return (f"Not copied for grading (the grader takes your problem files and at most "
            f"{submission.EXTRA_FILES} other files of {submission.EXTRA_BYTES >> 20} MB in "
            f"all): {', '.join(copy.left_out)}" + (f" and {more:,} more." if more else "."),)


def _layers(runs: Iterable[ModuleRun]) -> tuple[str, ...]:
    """The isolation layers that were active in every sandboxed process of this run."""
    reported = [r.layers for r in runs if r.layers]
    if not reported:
        return ()
    return tuple(layer for layer in reported[0] if all(layer in ls for ls in reported))


def _judge_safely(judge: checks.Judge, p: checks.Plan, run: ModuleRun) -> ItemResult:
    try:
        return judge.judge(p, run)
    except Exception:
        return ItemResult(p.item, p.seed, 0.0, len(p.trials), len(p.trials),
                          internal_error=traceback.format_exc(), base_seed=p.base)


def _summary(run: ModuleRun) -> ModuleSummary:
    imp = run.imported
    detail = imp.detail or (imp.error.headline() if imp.error else "")
    if run.output_dropped:
        detail = (detail + "; " if detail else "") + \
            f"output truncated after {len(run.output.encode())} bytes " \
            f"({run.output_dropped} more were dropped)"
    return ModuleSummary(run.module, imp.status, detail, imp.backend, run.output,
                         run.output_dropped, run.processes)


def _broken(base: SubmissionResult, items: list[Item], tb: str) -> SubmissionResult:
    results = tuple(ItemResult(i, checks.item_seed(base.seed, i), 0.0, 0, 0, internal_error=tb)
                    for i in items)
    return replace(base, items=results, internal_error=tb)


def write_outputs(result: SubmissionResult, out: Path) -> None:
    """results.json first (it must exist whatever happens next), then the HTML report."""
    write_json_atomic(to_results(result), out / "results.json")
    write_text_atomic(render_report(result), out / "report.html")
    # the grader's own record (class pages, regrades): nobody reads it, so on one line
    write_json_atomic(record.to_record(result), out / record.RECORD, indent=None)
