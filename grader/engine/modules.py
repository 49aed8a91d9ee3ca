"""A submission's modules in the sandbox: a private copy of its files, one job per module
(side by side, or one at a time where memory is tight), and a run that says so for every
module whose file is missing. The grader's pipeline and the student kit both run so."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from grader.disk import workspace
from grader.engine import submission
from grader.sandbox import (WRITTEN_MODULE, Call, CallOutcome, ImportOutcome, Limits, ModuleJob,
                            ModuleRun, Sandbox)


@dataclass(frozen=True)
class Schedule:
    """How the modules run: their limits, the time after which no call starts and what
    to say of those not run, what sees each answer as it arrives, side by side or not."""

    limits: Limits = Limits()
    deadline: Optional[float] = None
    deadline_note: str = "the grader's time budget for this submission ran out"
    receive: Optional[Callable[[Call, CallOutcome], CallOutcome]] = None
    parallel: bool = True
    # a class: the Python modules one after another in one process where the sandbox can
    # (`run_together`: a process a submission instead of one a module), beside answers.md
    together: bool = False
    # given the copy's folder before anything runs: makes it what the sandbox may run, and
    # returns what to make of each module's run (pipeline.py: files rewritten from their tree)
    prepare: Optional[Callable[[submission.Submission, Path],
                               Callable[[ModuleRun], ModuleRun]]] = None


def run_modules(sub: submission.Submission, calls: dict[str, tuple[Call, ...]],
                sandbox: Sandbox, schedule: Schedule
                ) -> tuple[dict[str, ModuleRun], submission.Copy]:
    """Run each module's calls (`calls`: by module) on a private copy of the submission."""
    modules = set(calls)
    with workspace.folder("sub") as tmp:
        copy = submission.private_copy(sub, modules, tmp / "submission")
        after = schedule.prepare(sub, copy.root) if schedule.prepare else None
        written = _written_apart(copy.root, tmp / "written")  # no Python module reads it
        roots = {m: written if m == WRITTEN_MODULE else copy.root for m in calls}
        jobs = {m: ModuleJob(roots[m], m, mine, schedule.limits, tuple(sorted(modules - {m})),
                             schedule.deadline, schedule.deadline_note, schedule.receive)
                for m, mine in calls.items()}
        runs = {m: missing(m, j.calls, sub) for m, j in jobs.items() if not sub.has(m)}
        present = [m for m in jobs if sub.has(m)]
        groups = _groups(present, sandbox, schedule)
        workers = max(1, len(groups)) if schedule.parallel else 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for group, done in zip(groups, pool.map(
                    lambda group: _run_group(sandbox, [jobs[m] for m in group]), groups)):
                runs.update(zip(group, done))
    if after is not None:
        runs = {m: after(run) for m, run in runs.items()}
    return runs, copy


def _groups(present: list[str], sandbox: Sandbox, schedule: Schedule) -> list[list[str]]:
    """The modules that run in one process each, or, `together`, the Python modules in one
    and answers.md (another kind of child) in another."""
    if not schedule.together or getattr(sandbox, "run_together", None) is None:
        return [[m] for m in present]
    code = [m for m in present if m != WRITTEN_MODULE]
    return [group for group in (code, [m for m in present if m == WRITTEN_MODULE]) if group]


def _run_group(sandbox: Sandbox, jobs: list[ModuleJob]) -> list[ModuleRun]:
    if len(jobs) == 1:
        return [sandbox.run(jobs[0])]
    return sandbox.run_together(jobs)  # type: ignore[attr-defined]


def _written_apart(root: Path, dest: Path) -> Path:
    """answers.md moved out of the copy the Python modules run in, into a folder of its
    own that only the written answers' child reads: its derivations and remarks are not
    in the seed (seeds.py), so code must not be able to read a table kept there."""
    dest.mkdir()
    name = submission.file_name(WRITTEN_MODULE)
    for entry in list(root.iterdir()):
        if entry.name.lower() == name and entry.is_file() and not entry.is_symlink():
            if entry.name == name:
                entry.rename(dest / name)
            else:
                entry.unlink()
    return dest.resolve()


def missing(module: str, calls: tuple[Call, ...], sub: submission.Submission) -> ModuleRun:
    why = f"{submission.file_name(module)} was not found in the submission " \
        f"({submission.found_files(sub)})"
    return ModuleRun(module, ImportOutcome("missing", detail=why),
                     {c.id: CallOutcome("not_run", detail=why) for c in calls})
