"""A class run from the command line: the roster, the run, what it prints and writes, and
when it stops (the grader failing on every first student, Ctrl-C)."""
from __future__ import annotations

import shlex
import shutil
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import click

from grader.commands import ExitCode, fail

if TYPE_CHECKING:
    from grader.rubric.model import Rubric


def roster_for(path: Optional[Path], exports: tuple[str, ...], submissions: Path) -> Any:
    """The class's roster and what `grade import` recorded (students.csv in the class's
    folder): the roster given, checked against and completed from it, or its own."""
    from grader.classroom.imported import class_roster
    from grader.classroom.roster import RosterError, load_roster
    from grader.display.text import terminal

    try:
        given = load_roster(path) if path is not None else None
        roster, imported, problems = class_roster(given, submissions)
    except RosterError as exc:
        fail(ExitCode.USAGE_ERROR, str(exc))
    if roster is None and exports:
        fail(ExitCode.USAGE_ERROR, f"--export {exports[0]} needs --roster (or a class made "
              "by grade import): the LMS matches students by their ids")
    for line in problems:
        click.echo(terminal(f"roster and LMS download disagree: {line}"), err=True)
    return roster, imported.arrivals if imported else None


def grade_class_command(path: Path, out: Path, rubric: Rubric, sandbox: Any, seed: Optional[int],
                 items: tuple[str, ...], jobs: int, force: bool, dry_run: bool = False, roster: Any = None,
                 exports: tuple[str, ...] = (), similarity: bool = False, arrivals: Any = None,
                 allow_pending: bool = False) -> None:
    import tempfile

    from grader.classroom import changes
    from grader.classroom.outputs import write_class_outputs
    from grader.classroom.progress import summary_lines, terminal_progress
    from grader.classroom.run import grade_class
    from grader.display.text import terminal

    into = Path(tempfile.mkdtemp(prefix="grade-dry-run-")) if dry_run else None
    waiting = None
    try:
        run = grade_class(path, out, rubric, sandbox, seed=seed, only=items, jobs=jobs,
                          force=force, progress=terminal_progress, into=into, arrivals=arrivals)
    finally:
        if into is not None:  # a dry run shows what would change and leaves nothing behind
            shutil.rmtree(into, ignore_errors=True)
    for line in summary_lines(run) + changes.summary(run.changes):
        click.echo(terminal(line))
    if run.stopped:
        stopped(run, out, dry_run)
    resume = shlex.join(["grade", *sys.argv[1:]])
    if dry_run:
        click.echo(terminal(f"dry run: nothing in {out} was written or replaced"))
    elif items:  # replays: grades.csv and index.html change on full gradings only
        click.echo(terminal(f"replays: {out}/<student>/replay/{'-'.join(items)}-<seed>/"))
    else:
        if similarity and not run.interrupted:
            similarity_run(out, path, rubric)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a moment: never half written
        try:
            waiting = write_class_outputs(run, rubric, out, resume, roster, exports, path,
                                          allow_pending)
        finally:
            signal.signal(signal.SIGINT, previous)
        click.echo(terminal(f"summary: {out / 'index.html'}"))
        click.echo(terminal(f"grades:  {out / 'grades.csv'}"))
        for lms in exports if not waiting or allow_pending else ():
            click.echo(terminal(f"{lms}:  {out / f'{lms}.csv'}"
                                + (f" ({waiting.line()}: exported as --allow-pending says)"
                                   if waiting else "")))
        if roster is not None:
            folders = {s.name for s in run.students}
            for line in roster.summary_lines(folders):
                click.echo(terminal(line))
    if run.interrupted:
        click.echo(terminal(f"interrupted: {len(run.not_graded)} students not graded; "
                            f"resume with: {resume}"), err=True)
        sys.exit(ExitCode.INTERRUPTED)
    if exports and not items and waiting and not allow_pending:  # graded: the status stays 0
        click.echo(terminal(f"grade: {', '.join(f'{lms}.csv' for lms in exports)} not "
                            f"written, {waiting.line()}: grade them (grade manual {out}), "
                            "or export anyway with --allow-pending"), err=True)


def stopped(run: Any, out: Path, dry_run: bool) -> None:
    """The grader failed on each of the first students it graded: say what is kept, and
    why, and stop (it would fail on the rest too)."""
    from grader.display.text import terminal

    fresh = len(run.failed) - len(run.kept)
    kept = "Nothing was written." if dry_run else (
        f"Kept as they were: the last results of the {len(run.kept)} students it failed on "
        "(the grader's own failure is not theirs, so it replaces no good result)"
        + (f"; {fresh} students without good earlier results have a results.json saying the "
           "grader failed on them" if fresh else "")
        + f"; {out / 'grades.csv'} and {out / 'index.html'}, not rewritten.")
    click.echo(terminal(f"grade: stopped: {run.stopped}"), err=True)
    click.echo(terminal(f"{kept} Fix the cause (`grade rubric check` may name it) and run "
                        "the same command again."), err=True)
    sys.exit(ExitCode.INTERNAL_ERROR)


def similarity_run(reports: Path, submissions: Path, rubric: Rubric) -> dict:
    from grader import similarity

    summary = similarity.run(reports, submissions, rubric)
    rings = f", {summary['rings']} ring{'s' * (summary['rings'] != 1)}" if summary["rings"] else ""
    click.echo(f"similarity: {summary['flagged']} of {summary['pairs']} pairs flagged{rings}, "
               f"{summary['near_misses']} worth a look (in {summary['seconds']:.1f} s): "
               f"{reports / similarity.REPORT} (instructors only)")
    return summary
