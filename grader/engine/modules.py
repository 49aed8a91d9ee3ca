"""A submission's modules in the sandbox: a private copy of its files, one job per module
(side by side, or one at a time where memory is tight), and a run that says so for every
module whose file is missing. The grader's pipeline and the student kit both run so."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Optional

from grader.disk import workspace
from grader.engine import submission
from grader.sandbox import Call, CallOutcome, ImportOutcome, Limits, ModuleJob, ModuleRun, Sandbox


@dataclass(frozen=True)
class Schedule:
    """How the modules run: their limits, the time after which no call starts and what
    to say of those not run, what sees each answer as it arrives, side by side or not."""

    limits: Limits = Limits()
    deadline: Optional[float] = None
    deadline_note: str = "the grader's time budget for this submission ran out"
    receive: Optional[Callable[[Call, CallOutcome], CallOutcome]] = None
    parallel: bool = True


def run_modules(sub: submission.Submission, calls: dict[str, tuple[Call, ...]],
                sandbox: Sandbox, schedule: Schedule
                ) -> tuple[dict[str, ModuleRun], submission.Copy]:
    """Run each module's calls (`calls`: by module) on a private copy of the submission."""
    modules = set(calls)
    with workspace.folder("sub") as tmp:
        copy = submission.private_copy(sub, modules, tmp / "submission")
        jobs = {m: ModuleJob(copy.root, m, mine, schedule.limits, tuple(sorted(modules - {m})),
                             schedule.deadline, schedule.deadline_note, schedule.receive)
                for m, mine in calls.items()}
        runs = {m: missing(m, j.calls, sub) for m, j in jobs.items() if not sub.has(m)}
        present = [m for m in jobs if sub.has(m)]
        workers = max(1, len(present)) if schedule.parallel else 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs.update(zip(present, pool.map(sandbox.run, [jobs[m] for m in present])))
    return runs, copy


def missing(module: str, calls: tuple[Call, ...], sub: submission.Submission) -> ModuleRun:
    why = f"{submission.file_name(module)} was not found in the submission " \
        f"({submission.found_files(sub)})"
    return ModuleRun(module, ImportOutcome("missing", detail=why),
                     {c.id: CallOutcome("not_run", detail=why) for c in calls})
