"""`grade PATH`, `grade rubric check`, `grade explain ITEM`, `grade kit`: a thin command
line."""
from __future__ import annotations

import enum
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Any, Optional

import click

from grader import __version__
from grader.engine.outcomes import SubmissionResult
from grader.rubric.model import DEFAULT_RUBRIC, Rubric, RubricError, load_rubric

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class ExitCode(enum.IntEnum):
    OK = 0  # grading finished, whatever the scores
    INTERNAL_ERROR = 1
    USAGE_ERROR = 2
    NO_INPUT = 3  # the submission path does not exist
    BAD_RUBRIC = 4
    INTERRUPTED = 130  # Ctrl-C on a class: what was graded is written, marked partial


def _fail(code: ExitCode, message: str) -> None:
    click.echo(f"grade: {message}", err=True)
    sys.exit(code)


class _Grade(click.Group):
    """`grade PATH ...` grades; `grade rubric check` and `grade explain ITEM` are tools."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        tool = args and args[0] in self.commands and not os.path.isdir(args[0])
        if args and not tool and args[0] not in ("-h", "--help", "--version"):
            args = ["submission", *args]  # the default: grade a submission or a class
        return super().parse_args(ctx, args)


@click.group(cls=_Grade, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def main() -> None:
    """Grade submissions (grade PATH), or check and explain the rubric."""


@main.command("submission")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="Output folder (default: reports/<submission name>/).")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path),
              help=f"Rubric YAML (default: {DEFAULT_RUBRIC.relative_to(PROJECT_ROOT)}).")
@click.option("--seed", type=int, help="Fix the random inputs (default: from rubric and name).")
@click.option("--jobs", type=click.IntRange(min=1), help="Parallel workers for a class.")
@click.option("--item", "items", multiple=True,
              help="Replay only this item (repeatable), into OUT/replay/ITEM-SEED/.")
@click.option("--force", is_flag=True, help="Class: regrade students whose results are current.")
@click.option("--class", "as_class", is_flag=True,
              help="Treat PATH as a folder of student folders even if only one holds files.")
@click.option("--dry-run", is_flag=True,
              help="Class: regrade into a temporary folder and show what would change.")
@click.option("--roster", "roster_path", type=click.Path(path_type=Path),
              help="Class: a CSV naming each submission folder's student (docs/gradebook.md).")
@click.option("--export", "exports", multiple=True, type=click.Choice(["canvas"]),
              help="Class: also write OUT/<lms>.csv in that LMS's gradebook import format.")
@click.option("--similarity", is_flag=True,
              help="Class: also compare every pair of students (OUT/similarity.html, "
              "instructors only).")
def grade_path(path: Path, out: Optional[Path], rubric_path: Optional[Path], seed: Optional[int],
         jobs: Optional[int], items: tuple[str, ...], force: bool, as_class: bool,
         dry_run: bool, roster_path: Optional[Path], exports: tuple[str, ...],
         similarity: bool = False) -> None:
    """Grade PATH: one submission (files in it or one folder down), or a class (one folder
    per student). Writes results.json and report.html per submission; for a class also
    index.html and grades.csv."""
    from grader.classroom.run import is_class
    from grader.disk.workspace import sweep
    from grader.sandbox.process import SubprocessSandbox, mentions_torch

    if not path.is_dir():
        _fail(ExitCode.NO_INPUT, f"{path}: no such folder")
    sweep()  # scratch folders of graders that died
    rubric = _rubric(rubric_path)
    unknown = [i for i in items if i not in {it.id for it in rubric.items}]
    if unknown:
        _fail(ExitCode.USAGE_ERROR, f"unknown item {', '.join(unknown)} (the rubric has "
              f"{', '.join(it.id for it in rubric.items)})")
    out = out or Path("reports") / path.resolve().name
    roster = _roster(roster_path, exports)
    if as_class or is_class(path, {i.module for i in rubric.items}):
        _grade_class(path, out, rubric, SubprocessSandbox, seed, items,
                     jobs or os.cpu_count() or 1, force, dry_run, roster, exports, similarity)
        return
    if dry_run or roster or exports or similarity:
        _fail(ExitCode.USAGE_ERROR, "--dry-run, --roster, --export and --similarity are for "
              "a class (a folder of student folders)")
    from grader.pipeline import Request, grade, replay_folder, seed_of

    if items:  # a replay: never over the full grading's outputs
        out = replay_folder(out, items, seed_of(rubric, path, seed))
    result = grade(Request(path, out, rubric, seed, items),
                   SubprocessSandbox.ready_for(torch=mentions_torch(path))())
    _print_table(result, out)
    if items:
        _print_replay(result)


def _print_replay(result: SubmissionResult) -> None:
    """A replay shows each item's whole feedback: the trial's inputs, what was wrong."""
    from grader.display.text import terminal
    from grader.outputs.feedback import item_feedback

    for r in result.items:
        click.echo(f"\n{r.item.id}:")
        click.echo(terminal(item_feedback(r, result).text()))


def _roster(path: Optional[Path], exports: tuple[str, ...]) -> Any:
    from grader.classroom.roster import RosterError, load_roster

    if path is None:
        if exports:
            _fail(ExitCode.USAGE_ERROR, f"--export {exports[0]} needs --roster: the LMS "
                  "matches students by their ids")
        return None
    try:
        return load_roster(path)
    except RosterError as exc:
        _fail(ExitCode.USAGE_ERROR, str(exc))


def _grade_class(path: Path, out: Path, rubric: Rubric, sandbox: Any, seed: Optional[int],
                 items: tuple[str, ...], jobs: int, force: bool, dry_run: bool = False, roster: Any = None,
                 exports: tuple[str, ...] = (), similarity: bool = False) -> None:
    import tempfile

    from grader.classroom import changes
    from grader.classroom.outputs import write_class_outputs
    from grader.classroom.run import grade_class, summary_lines, terminal_progress
    from grader.display.text import terminal

    into = Path(tempfile.mkdtemp(prefix="grade-dry-run-")) if dry_run else None
    run = grade_class(path, out, rubric, sandbox, seed=seed, only=items, jobs=jobs, force=force,
                      progress=terminal_progress, into=into)
    for line in summary_lines(run) + changes.summary(run.changes):
        click.echo(terminal(line))
    resume = shlex.join(["grade", *sys.argv[1:]])
    written = into or out
    if items:  # replays: grades.csv and index.html change on full gradings only
        click.echo(terminal(f"replays: {written}/<student>/replay/{'-'.join(items)}-<seed>/"))
    else:
        if similarity and not run.interrupted:
            _similarity(written, path, rubric)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a moment: never half written
        try:
            write_class_outputs(run, rubric, written, resume, roster, exports, path)
        finally:
            signal.signal(signal.SIGINT, previous)
        if dry_run:
            click.echo(terminal(f"dry run: nothing in {out} was replaced; what a regrade "
                                f"would write is in {into}"))
        click.echo(terminal(f"summary: {written / 'index.html'}"))
        click.echo(terminal(f"grades:  {written / 'grades.csv'}"))
        for lms in exports:
            click.echo(terminal(f"{lms}:  {written / f'{lms}.csv'}"))
        if roster is not None:
            folders = {s.name for s in run.students}
            for line in _roster_lines(roster, folders):
                click.echo(terminal(line))
    if run.interrupted:
        click.echo(terminal(f"interrupted: {len(run.not_graded)} students not graded; "
                            f"resume with: {resume}"), err=True)
        sys.exit(ExitCode.INTERRUPTED)


def _similarity(reports: Path, submissions: Path, rubric: Rubric) -> dict:
    from grader import similarity

    summary = similarity.run(reports, submissions, rubric)
    rings = f", {summary['rings']} ring{'s' * (summary['rings'] != 1)}" if summary["rings"] else ""
    click.echo(f"similarity: {summary['flagged']} of {summary['pairs']} pairs flagged{rings}, "
               f"{summary['near_misses']} worth a look (in {summary['seconds']:.1f} s): "
               f"{reports / similarity.REPORT} (instructors only)")
    return summary


@main.command("similarity")
@click.argument("reports", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--submissions", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="The class's submission folders (default: those the class run graded).")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path))
def similarity_command(reports: Path, submissions: Optional[Path],
                       rubric_path: Optional[Path]) -> None:
    """Compare every pair of students of the class graded into REPORTS: similarity.html
    (pairs above the threshold, matching code side by side) and the top pairs in
    index.html, for instructors only; no score or student report changes."""
    from grader.classroom.outputs import refresh_class
    from grader.classroom.records import class_options, report_folders

    rubric = _rubric(rubric_path)
    if not report_folders(reports) or (reports / "results.json").is_file():
        _fail(ExitCode.USAGE_ERROR, f"{reports} is not a class's reports (grade the class "
              "into it first)")
    recorded = class_options(reports).get("submissions")
    source = submissions or (Path(recorded) if recorded else None)
    if source is None or not source.is_dir():
        _fail(ExitCode.USAGE_ERROR, "where are the submissions? give --submissions (the "
              "class run that wrote these reports did not record them)")
    _similarity(reports, source, rubric)
    refresh_class(reports, rubric)  # index.html shows the top pairs


def _roster_lines(roster: Any, folders: set[str]) -> list[str]:
    from grader.display.text import name

    lines = []
    if roster.missing(folders):
        lines.append(f"no submission ({len(roster.missing(folders))}, scored 0): "
                     + ", ".join(name(e.folder) for e in roster.missing(folders)[:10]))
    if roster.strangers(folders):
        lines.append(f"not in the roster ({len(roster.strangers(folders))}): "
                     + ", ".join(name(f) for f in roster.strangers(folders)[:10]))
    return lines


def _rubric(rubric_path: Optional[Path]) -> Rubric:
    try:
        return load_rubric(rubric_path or DEFAULT_RUBRIC)
    except RubricError as exc:
        _fail(ExitCode.BAD_RUBRIC, "the rubric cannot be used:\n" + "\n".join(exc.problems))
        raise  # unreachable: _fail exits


def _print_table(result: SubmissionResult, out: Path) -> None:
    from grader.display.text import terminal
    from grader.outputs.feedback import table

    mark = lambda passed: click.style("ok  ", fg="green") if passed \
        else click.style("FAIL", fg="red")  # noqa: E731
    for line in table(result, mark):
        click.echo(line)
    if result.internal_error:
        click.echo(click.style("The grader itself failed on this submission (a bug or a bad "
                               "rubric, not the student's fault):", fg="red"), err=True)
        click.echo(terminal(result.internal_error), err=True)
    for r in result.items:
        if r.internal_error and not result.internal_error:
            click.echo(terminal(f"grader error on {r.item.id}:\n{r.internal_error}"), err=True)
    click.echo(terminal(f"report:  {out / 'report.html'}"))
    click.echo(terminal(f"results: {out / 'results.json'}"))



@main.group("rubric")
def rubric_group() -> None:
    """Check a rubric before an assignment opens."""


@rubric_group.command("check")
@click.argument("file", type=click.Path(path_type=Path), default=DEFAULT_RUBRIC)
@click.option("--seeds", type=click.IntRange(min=5), default=40, show_default=True,
              help="Seeds each declared mistake is tried on.")
@click.option("--verbose", "-v", is_flag=True, help="Also list what passed.")
@click.option("--mutants", is_flag=True, help="Also mutate every reference and report, per "
              "item, the mutants killed, diagnosed and surviving.")
def rubric_check(file: Path, seeds: int, verbose: bool, mutants: bool) -> None:
    """Validate FILE, then self-test it: references score full marks (also in float32),
    every declared mistake loses its item, and few slip through."""
    from grader.authoring.check import check

    report = check(file, seeds)
    if mutants and not report.errors:
        from grader.authoring import mutants as mutation
        from grader.rubric.references import References

        rubric = load_rubric(file)
        powers = mutation.power(rubric, References(rubric.reference_dir))
        for line in mutation.summary(powers, verbose):
            click.echo(line)
        report.warnings += [f"{file}: {p.item}: a mutant survives: {m.describe()}"
                            for p in powers for m in p.survived]
    for line in report.errors:
        click.echo(click.style("error: ", fg="red") + line)
    for line in report.warnings:
        click.echo(click.style("warning: ", fg="yellow") + line)
    for line in report.notes if verbose else ():
        click.echo(f"ok: {line}")
    click.echo(f"{file}: {len(report.errors)} errors, {len(report.warnings)} warnings"
               + ("" if report.errors else f"; self-test passed over {seeds} seeds"))
    sys.exit(ExitCode.BAD_RUBRIC if report.errors else ExitCode.OK)


@main.command("explain")
@click.argument("item_id", metavar="ITEM")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path))
@click.option("--seed", type=int, help="Also show the inputs of every trial for this seed.")
def explain(item_id: str, rubric_path: Optional[Path], seed: Optional[int]) -> None:
    """What ITEM checks, on which inputs, with which tolerance, and which mistakes it names."""
    from grader.authoring.explain import explain_item

    rubric = _rubric(rubric_path)
    if item_id not in {i.id for i in rubric.items}:
        _fail(ExitCode.USAGE_ERROR, f"unknown item {item_id} (the rubric has "
              f"{', '.join(i.id for i in rubric.items)})")
    click.echo(explain_item(rubric, rubric.item(item_id), seed))


@main.command("kit")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("highways-kit.zip"),
              show_default=True, help="The zip to write.")
def kit(rubric_path: Optional[Path], out: Path) -> None:
    """Build the student kit: handout, skeletons and check.py, with public checks for
    every visible item (never a reference, a mistake or a hidden item)."""
    from grader.kit import build_kit
    from grader.kit.public import KitError

    rubric = _rubric(rubric_path)
    try:
        names = build_kit(rubric.path, out)
    except KitError as exc:
        _fail(ExitCode.BAD_RUBRIC, str(exc))
    top = [n.split("/", 1)[1] for n in names if n.count("/") == 1]
    click.echo(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB): {', '.join(top)}, and "
               "_kit/ (public checks, the grader's modules check.py uses)")


@main.command("manual")
@click.argument("reports", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on (0.0.0.0: every TA on the network).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--allow-host", "hosts", multiple=True,
              help="Another host name TAs reach the app by (loopback, any IP address and this "
              "machine's own names are allowed).")
@click.option("--export", "export_to", type=click.Path(path_type=Path),
              help="Write the manual grades as CSV to this file, and stop.")
@click.option("--import", "import_from", type=click.Path(path_type=Path, exists=True),
              help="Read manual grades from this CSV (the --export format), merge, and stop.")
def manual_app(reports: Path, rubric_path: Optional[Path], host: str, port: int,
               hosts: tuple[str, ...], export_to: Optional[Path],
               import_from: Optional[Path]) -> None:
    """The TAs' web app for the manual items of the reports in REPORTS (a class's --out
    folder, or one student's): grade question by question, with the state in
    REPORTS/manual-grades.sqlite, merged into every report, grades.csv and index.html."""
    from grader.classroom.records import report_folders
    from grader.manual.merge import merge_grades
    from grader.outputs.results_json import write_text_atomic
    from grader.written.store import DB_NAME, Store, manual_items

    rubric = _rubric(rubric_path)
    if not manual_items(rubric):
        _fail(ExitCode.USAGE_ERROR, f"the rubric {rubric.path} has no manual items")
    if not report_folders(reports):
        _fail(ExitCode.USAGE_ERROR, f"{reports} holds no reports (folders with results.json): "
              "grade the class into it first")
    store = Store(reports.resolve() / DB_NAME)
    store.ensure(rubric)
    if export_to or import_from:
        if import_from:
            try:
                count = store.import_csv(import_from.read_text(encoding="utf-8-sig"), "import")
            except ValueError as exc:
                _fail(ExitCode.USAGE_ERROR, f"{import_from}: {exc}")
            problems = merge_grades(reports, rubric, store)
            click.echo(f"imported {count} grades from {import_from}; merged into {reports}")
            for line in problems:
                click.echo(f"not merged: {line}", err=True)
        if export_to:
            write_text_atomic(store.export_csv(), export_to)
            click.echo(f"wrote {export_to}")
        return
    from grader.manual.app import serve

    click.echo(f"manual grading of {reports} at http://{host}:{port}/ (Ctrl-C stops)")
    serve(reports, rubric, host, port, hosts)


if __name__ == "__main__":
    main()
