"""`grade PATH`, `grade rubric check`, `grade explain ITEM`, `grade kit`: a thin command
line."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click

from grader import __version__
from grader.commands import ExitCode, fail, rubric_or_exit, usable
from grader.commands.classes import grade_class_command, roster_for, similarity_run
from grader.commands.single import print_replay, print_table
from grader.manual.commands import ManualGroup, users
from grader.rubric import DEFAULT_RUBRIC

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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
@click.option("--seed", type=int,
              help="Fix the random inputs (default: from the rubric and the code).")
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
@click.option("--export", "exports", multiple=True,
              type=click.Choice(["canvas", "moodle", "blackboard"]),
              help="Class: also write OUT/<lms>.csv in that LMS's gradebook import format.")
@click.option("--allow-pending", is_flag=True,
              help="Class: export even while manual items wait for a TA (not final).")
@click.option("--similarity", is_flag=True,
              help="Class: also compare every pair of students (OUT/similarity.html, "
              "instructors only).")
def grade_path(path: Path, out: Optional[Path], rubric_path: Optional[Path], seed: Optional[int],
         jobs: Optional[int], items: tuple[str, ...], force: bool, as_class: bool,
         dry_run: bool, roster_path: Optional[Path], exports: tuple[str, ...],
         allow_pending: bool = False, similarity: bool = False) -> None:
    """Grade PATH: one submission (files in it or one folder down), or a class (one folder
    per student). Writes results.json and report.html per submission; for a class also
    index.html and grades.csv."""
    from grader.sandbox import host

    if host.refusal():  # before anything is read: never student code unconfined
        fail(ExitCode.NEEDS_LINUX, host.refusal())
    early = as_class or _perhaps_a_class(path)
    if early:
        from grader.classroom.pool import start_workers_early

        start_workers_early()  # its imports overlap ours (the rubric, the class's folders)
    from grader.classroom.imported import made_by_import as imported
    from grader.classroom.run import is_class
    from grader.disk.workspace import sweep
    from grader.sandbox.process import SubprocessSandbox

    if not path.is_dir():
        fail(ExitCode.NO_INPUT, f"{path}: no such folder")
    sweep()  # scratch folders of graders that died
    rubric = rubric_or_exit(rubric_path)
    usable(rubric, rubric_path)
    unknown = [i for i in items if i not in {it.id for it in rubric.items}]
    if unknown:
        fail(ExitCode.USAGE_ERROR, f"unknown item {', '.join(unknown)} (the rubric has "
              f"{', '.join(it.id for it in rubric.items)})")
    out = out or Path("reports") / path.resolve().name
    if as_class or is_class(path, {i.module for i in rubric.items}) or imported(path):
        from grader.classroom.pool import start_workers_early

        start_workers_early()  # if not started above
        roster, arrivals = roster_for(roster_path, exports, path)
        grade_class_command(path, out, rubric, SubprocessSandbox, seed, items,
                     jobs or os.cpu_count() or 1, force, dry_run, roster, exports, similarity,
                     arrivals, allow_pending)
        return
    if early:  # the guess was wrong: no fork server outlives the guess
        from grader.classroom.pool import end_helpers

        end_helpers()
    if dry_run or roster_path or exports or similarity:
        fail(ExitCode.USAGE_ERROR, "--dry-run, --roster, --export and --similarity are for "
              "a class (a folder of student folders)")
    from grader.pipeline import Request, grade, replay_folder, seed_of

    if items:  # a replay: never over the full grading's outputs
        out = replay_folder(out, items, seed_of(rubric, path, seed))
    result = grade(Request(path, out, rubric, seed, items),
                   SubprocessSandbox.ready_for_one(path)())
    print_table(result, out)
    if items:
        print_replay(result)


def _perhaps_a_class(path: Path) -> bool:
    """A cheap first guess, before the rubric is loaded: no Python file in `path` itself,
    and at least two folders in it (`is_class` decides, later)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return False
    folders = [e for e in entries if not e.name.startswith((".", "_")) and e.is_dir()]
    return len(folders) >= 2 and not any(e.name.endswith(".py") for e in entries)


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

    rubric = rubric_or_exit(rubric_path)
    if not report_folders(reports) or (reports / "results.json").is_file():
        fail(ExitCode.USAGE_ERROR, f"{reports} is not a class's reports (grade the class "
              "into it first)")
    recorded = class_options(reports).get("submissions")
    source = submissions or (Path(recorded) if recorded else None)
    if source is None or not source.is_dir():
        fail(ExitCode.USAGE_ERROR, "where are the submissions? give --submissions (the "
              "class run that wrote these reports did not record them)")
    similarity_run(reports, source, rubric)
    refresh_class(reports, rubric)  # index.html shows the top pairs


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
        from grader.rubric.model import load_rubric
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

    rubric = rubric_or_exit(rubric_path)
    if item_id not in {i.id for i in rubric.items}:
        fail(ExitCode.USAGE_ERROR, f"unknown item {item_id} (the rubric has "
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
    from grader.display.text import terminal

    rubric = rubric_or_exit(rubric_path)
    usable(rubric, rubric_path)  # the kit computes the references' answers
    notes: list[str] = []
    try:
        names = build_kit(rubric.path, out, notes)
    except KitError as exc:
        fail(ExitCode.BAD_RUBRIC, str(exc))
    for note in notes:
        click.echo(click.style("warning: ", fg="yellow") + terminal(note), err=True)
    top = [n.split("/", 1)[1] for n in names if n.count("/") == 1]
    click.echo(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB): {', '.join(top)}, and "
               "_kit/ (public checks, the grader's modules check.py uses)")


@main.command("import")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="The class folder to write: one folder per student, and students.csv.")
@click.option("--lms", type=click.Choice(["canvas", "moodle", "blackboard", "folders"]),
              help="The LMS that made ARCHIVE (default: recognised from its file names).")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path),
              help="The rubric whose file names re-uploads are matched to.")
def import_command(archive: Path, out: Path, lms: Optional[str],
                   rubric_path: Optional[Path]) -> None:
    """Turn an LMS's bulk download (ARCHIVE: its zip, or the folder it unpacks into) into
    one folder per student under OUT, with OUT/students.csv: who each folder is (the LMS's
    ids), when they handed in, every file taken or left aside and why. Then grade OUT."""
    from grader.display.text import terminal
    from grader.engine.submission import file_name
    from grader.lms import ImportFailure, import_download

    if not archive.exists():
        fail(ExitCode.NO_INPUT, f"{archive}: no such file or folder")
    rubric = rubric_or_exit(rubric_path)
    try:
        summary = import_download(archive, out, lms,
                                  frozenset(file_name(i.module) for i in rubric.items))
    except ImportFailure as exc:
        fail(ExitCode.NO_INPUT, str(exc))
    for line in summary.lines():
        click.echo(terminal(line))


@main.group("manual", cls=ManualGroup)
def manual_group() -> None:
    """The TAs' web app (grade manual REPORTS), and its accounts (grade manual users)."""


manual_group.add_command(users)


@manual_group.command("serve")
@click.argument("reports", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on (0.0.0.0: every TA on the network, who then log in "
              "with accounts: grade manual users add NAME).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--certfile", type=click.Path(path_type=Path),
              help="TLS certificate (PEM), with --keyfile: serve https.")
@click.option("--keyfile", type=click.Path(path_type=Path), help="TLS private key (PEM).")
@click.option("--login", is_flag=True,
              help="Ask for TA accounts on loopback too (a machine others log in to).")
@click.option("--allow-host", "hosts", multiple=True,
              help="Another host name TAs reach the app by (loopback, any IP address and this "
              "machine's own names are allowed).")
@click.option("--export", "export_to", type=click.Path(path_type=Path),
              help="Write the manual grades as CSV to this file, and stop.")
@click.option("--import", "import_from", type=click.Path(path_type=Path, exists=True),
              help="Read manual grades from this CSV (the --export format), merge, and stop.")
def manual_app(reports: Path, rubric_path: Optional[Path], host: str, port: int,
               certfile: Optional[Path], keyfile: Optional[Path], login: bool,
               hosts: tuple[str, ...], export_to: Optional[Path],
               import_from: Optional[Path]) -> None:
    """The TAs' web app for the manual items of the reports in REPORTS (a class's --out
    folder, or one student's): grade question by question, with the state in
    REPORTS/manual-grades.sqlite, merged into every report, grades.csv and index.html."""
    from grader.classroom.records import report_folders
    from grader.display.text import terminal
    from grader.manual.merge import merge_grades
    from grader.outputs.results_json import write_text_atomic
    from grader.written.store import DB_NAME, Store, manual_items

    rubric = rubric_or_exit(rubric_path)
    if not manual_items(rubric):
        fail(ExitCode.USAGE_ERROR, f"the rubric {rubric.path} has no manual items")
    if not report_folders(reports):
        fail(ExitCode.USAGE_ERROR, f"{reports} holds no reports (folders with results.json): "
              "grade the class into it first")
    store = Store(reports.resolve() / DB_NAME)
    store.ensure(rubric)
    if export_to or import_from:
        if import_from:
            try:
                count = store.import_csv(import_from.read_text(encoding="utf-8-sig"), "import")
            except ValueError as exc:
                fail(ExitCode.USAGE_ERROR, f"{import_from}: {exc}")
            problems = merge_grades(reports, rubric, store)
            click.echo(f"imported {count} grades from {import_from}; merged into {reports}")
            for key, why in problems.items():
                click.echo(terminal(f"not merged: {key}: {why}"), err=True)
        if export_to:
            write_text_atomic(store.export_csv(), export_to)
            click.echo(f"wrote {export_to}")
        return
    from grader.manual.serve import ServeError, serve

    try:
        serve(reports, rubric, host, port, hosts, login=login, certfile=certfile,
              keyfile=keyfile)
    except ServeError as exc:
        fail(ExitCode.USAGE_ERROR, str(exc))


if __name__ == "__main__":
    main()
