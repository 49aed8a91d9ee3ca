"""What a class's worker process does: grade one student after another, with the rubric
and the sandbox it was started with. The workers' fork server imports this module before
it forks any worker (pool.worker_context); the process that coordinates the class never
does.
"""
from __future__ import annotations

import gc
import json
import os
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

# What each worker would import itself, imported here once, in the fork server (which
# imports pebble's worker loop and run._grade_one, what unpickling a task needs, before
# this module: pool.worker_context): numpy's random (the trials), the TAs' grades (looked
# for in every report folder).
import numpy.random  # noqa: F401

import grader.written.store  # noqa: F401
from grader.classroom.safeguard import grader_failed
from grader.classroom.student import Outcome, Student, earlier_results, failed_outright
from grader.disk import workspace
from grader.outputs.report import environment
from grader.pipeline import Request, grade, grader_failure
from grader.rubric.model import load_rubric
from grader.sandbox import Sandbox

_WORKER: dict[str, Any] = {}  # one rubric and one sandbox per worker process


def init(rubric_path: str, sandbox_factory: Callable[[], Sandbox],
         scratch: Optional[Path] = None) -> None:
    """`scratch`: where this worker's scratch folders go (workspace.memory_root)."""
    workspace.use(scratch)
    _WORKER.update(rubric=load_rubric(rubric_path), sandbox=sandbox_factory())
    gc.freeze()  # the rubric and its references too


def grade_one(student: Student, extra: dict[str, str], seed: Optional[int],
              only: tuple[str, ...], mark: str) -> Outcome:
    """Grade one student; `extra` (fingerprints) goes into results.json. `mark` gets this
    worker's pid, so that the pool can tell when it died with the student in hand."""
    try:
        Path(mark).write_text(str(os.getpid()))
    except OSError:
        pass
    earlier = earlier_results(student) if student.out == student.earlier else None
    keep = earlier is not None and not grader_failed(earlier)  # never over good results
    req = Request(student.path, student.out, _WORKER["rubric"], seed, only, extra=extra,
                  arrival=student.arrival, notes=student.notes,
                  keep_on_failure=keep, share=True)
    try:
        result = grade(req, _WORKER["sandbox"])
        failure = grader_failure(result)
        if keep and failure:  # the grader failed, not the student: results.json stays
            return Outcome(student.name, earlier, failure)
        results = json.loads((student.out / "results.json").read_text())
        return Outcome(student.name, results, failure)
    except Exception:  # noqa: BLE001 - even past grade()'s own guarantee: this student only
        return failed_outright(student, _WORKER["rubric"], seed, only, traceback.format_exc(), False)


environment().get_template("report.html.j2")  # compiled here, in the fork server, for all
gc.freeze()  # all the fork server holds: the workers' collections skip it (GC is 3% of a worker)
