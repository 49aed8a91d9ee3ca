"""Class outputs built from every student's results.json: grades.csv and index.html."""
from __future__ import annotations

import collections
import json
import math
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from grader import __version__
from grader.classroom import exports, gradebook
from grader.classroom.changes import changes_csv
from grader.classroom.imported import class_roster
from grader.classroom.progress import slowest
from grader.classroom.records import (class_options, is_class_reports, read_similarity,
                                      report_folders, save_class_options)
from grader.classroom.roster import Roster, RosterError, load_roster
from grader.classroom.run import ClassRun, Student
from grader.disk import student_folders
from grader.display.plaintext import first_sentence
from grader.outputs.report import environment
from grader.outputs.results_json import write_text_atomic
from grader.rubric.model import Rubric


@dataclass(frozen=True)
class ItemStats:
    id: str
    title: str
    points: float
    passed: int
    graded: int  # pending manual items aside
    mistakes: list[tuple[str, str, int]]  # (gist of the message, id, count), most first
    failures: list[tuple[str, int]]  # kinds of failure without a diagnosis, in words
    pending: int = 0  # manual items that wait for a TA: neither passed nor failed

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def write_class_outputs(run: ClassRun, rubric: Rubric, out: Path, resume: str = "",
                        roster: Optional[Roster] = None, export: tuple[str, ...] = (),
                        submissions: Optional[Path] = None,
                        allow_pending: bool = False) -> Optional[exports.Pending]:
    """grades.csv, changes.csv and index.html (and an LMS's import file per `export`);
    after an interrupted run they say so and `resume` is the command that grades the rest.
    What waits for a TA, if anything: then no LMS file is written unless `allow_pending`."""
    write_text_atomic(gradebook.grades_csv(run, rubric, roster), out / "grades.csv")
    waiting = _write_exports(run, rubric, out, roster, export, allow_pending)
    write_text_atomic(changes_csv(run.changes), out / "changes.csv")
    write_text_atomic(render_index(run, rubric, resume, roster, read_similarity(out)),
                      out / "index.html")
    save_class_options(out, roster, export, submissions, allow_pending)  # for the TAs' app
    return waiting


def _write_exports(run: ClassRun, rubric: Rubric, out: Path, roster: Optional[Roster],
                   export: tuple[str, ...], allow_pending: bool) -> Optional[exports.Pending]:
    """The LMS files, only once no TA item waits (or when told to anyway): an LMS takes
    what it is given as final. An earlier file that would now mislead is removed."""
    waiting = exports.pending(run.results, rubric)
    for lms in export:
        if waiting and not allow_pending:
            (out / f"{lms}.csv").unlink(missing_ok=True)
        elif roster is not None:  # every LMS matches students by the roster's ids
            write_text_atomic(exports.EXPORTS[lms](run, rubric, roster), out / f"{lms}.csv")
    return waiting


def refresh_class(reports: Path, rubric: Rubric) -> None:
    """grades.csv, the LMS exports and index.html again, from every student's results.json
    (after a TA's grade was merged, or similarity was measured), with the roster and
    exports the class run recorded."""
    if not is_class_reports(reports):
        return
    folders = {student_folders.name_of(k): f for k, f in report_folders(reports).items()}
    results: dict[str, dict[str, Any]] = {}
    for name, folder in folders.items():
        try:
            results[name] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    placed = student_folders.placements(list(folders))
    run = ClassRun([Student(n, f, f, f, placed[n].why if placed[n].folder == f.name else "",
                            f.name) for n, f in folders.items()],
                   graded=list(results), results=results)
    options = class_options(reports)
    roster = None
    try:
        given = load_roster(Path(options["roster"])) if options.get("roster") else None
        submissions = Path(options["submissions"]) if options.get("submissions") else None
        roster = class_roster(given, submissions)[0]
    except RosterError:
        roster = None
    write_text_atomic(gradebook.grades_csv(run, rubric, roster), reports / "grades.csv")
    _write_exports(run, rubric, reports, roster, tuple(
        lms for lms in options.get("exports") or () if lms in exports.EXPORTS),
        bool(options.get("allow_pending")))
    write_text_atomic(render_index(run, rubric, "", roster, read_similarity(reports)),
                      reports / "index.html")


def item_stats(run: ClassRun, rubric: Rubric) -> list[ItemStats]:
    stats = []
    hidden = _hidden_details(run, rubric)
    for item in rubric.items:
        everyone = [(name, t) for name, r in run.results.items() for t in r["tests"]
                    if t["extra_data"]["item"] == item.id]
        if not everyone:
            continue
        tests = [(name, t) for name, t in everyone if t["extra_data"].get("manual") != "pending"]
        failed = [hidden.get((name, item.id), t["extra_data"]) for name, t in tests
                  if t["status"] != "passed"]
        tests = [t for _, t in tests]
        mistakes = collections.Counter(e["mistake"] for e in failed if e.get("mistake"))
        undeclared = collections.Counter(e["explanation"] for e in failed
                                         if not e.get("mistake") and e.get("explanation"))
        kinds = collections.Counter(
            FAILURES.get(e.get("failure_kind") or "", "something else")
            for e in failed if not e.get("mistake") and not e.get("explanation"))
        messages = {m.id: first_sentence(m.message) for m in item.mistakes}
        named = [(messages.get(m, m), m, n) for m, n in mistakes.most_common(5)]
        named += [(gist, "not declared in the rubric: the grader's own diagnosis", n)
                  for gist, n in undeclared.most_common(5)]
        named.sort(key=lambda entry: -entry[2])
        stats.append(ItemStats(item.id, item.title, item.points,
                               sum(t["status"] == "passed" for t in tests), len(tests),
                               named[:5], kinds.most_common(5), len(everyone) - len(tests)))
    return stats


def _hidden_details(run: ClassRun, rubric: Rubric) -> dict[tuple[str, str], dict]:
    """What results.json leaves out of a hidden item (students read it) and this page
    shows instructors, from each student's record: (student, item) -> extra_data."""
    from grader.engine import record
    from grader.outputs.results_json import item_extra

    hidden = {i.id for i in rubric.items if i.visibility == "hidden"}
    found: dict[tuple[str, str], dict] = {}
    for student in run.students if hidden else ():
        if student.name not in run.results:
            continue
        try:
            sub = record.read(student.out, rubric)
        except (record.StaleRecord, KeyError, TypeError, ValueError):
            sub = None
        for r in sub.items if sub is not None else ():
            if r.item.id in hidden:
                found[(student.name, r.item.id)] = item_extra(r, sub)
    return found


FAILURES = {  # TrialFailure.kind, as an instructor reads it
    "value": "wrong values", "shape": "wrong shape", "type": "not numbers",
    "length": "wrong number of outputs", "nonfinite": "NaN or infinity",
    "changed_input": "changed an input", "constant": "wrong answer",
    "raised": "raised an exception", "timeout": "timed out", "crashed": "crashed",
    "missing": "function missing", "missing_file": "file missing",
    "import": "could not be imported", "not_run": "not run (time budget)",
    "unreadable": "answer could not be read",
    "skipped": "stopped after an earlier trial", "oversize": "answer too large",
}


BIN_WIDTHS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)  # widths a person reads
MAX_BINS = 12


def histogram(totals: list[float], top: float) -> list[tuple[str, int]]:
    """Counts of totals in bins a person reads: a width of 1, 2, 5, 10, ... points, as
    narrow as gives at most MAX_BINS bins, the last one holding full marks; labelled by
    the totals they hold ("5–9" when the points are whole, "5–9.5" in half points)."""
    if top <= 0:
        return []
    width = next((w for w in BIN_WIDTHS if top // w + 1 <= MAX_BINS), math.ceil(top / MAX_BINS))
    step = _step([*totals, top])
    bins = []
    for k in range(int(top // width) + 1):
        lo, hi = k * width, (k + 1) * width
        count = sum(lo <= t < hi for t in totals)
        last = min(top, hi - step) if step else None
        label = f"{lo:g}" if last == lo else f"{lo:g}–{last:g}" if last is not None \
            else f"{lo:g} to under {hi:g}"
        bins.append((label, count))
    return bins


def _step(values: list[float]) -> float:
    """The finest step the totals move in: 1 for whole points, 0.5 for half points (0 when
    neither, and a bin then says "to under")."""
    for step in (1.0, 0.5, 0.25):
        if all(abs(v / step - round(v / step)) < 1e-9 for v in values):
            return step
    return 0.0


def sandbox_layers(results: dict[str, dict[str, Any]]) -> list[str]:
    """The sandbox's layers that were active for every student graded (for instructors;
    a student's report does not list them)."""
    listed = [r.get("extra_data", {}).get("sandbox_layers") or [] for r in results.values()]
    listed = [layers for layers in listed if layers]
    return [layer for layer in listed[0] if all(layer in ls for ls in listed)] if listed else []


def render_index(run: ClassRun, rubric: Rubric, resume: str = "",
                 roster: Optional[Roster] = None, similar: Optional[dict] = None) -> str:
    env = environment("grader.classroom.run")
    totals = [r["score"] for r in run.results.values()]
    top = max((sum(t["max_score"] for t in r["tests"]) for r in run.results.values()), default=0)
    who = (lambda name: roster.get(name)) if roster else (lambda name: None)  # noqa: E731
    students = [{"name": name, "score": r["score"], "scores": gradebook.scores(r),
                 "waiting": set(gradebook.pending(r)),  # blank, as in grades.csv
                 "time": r.get("execution_time", 0.0), "who": who(name), "absent": False,
                 "error": "internal_error" in r.get("extra_data", {})}
                for name, r in sorted(run.results.items())]
    folders = {s.name for s in run.students}
    placed = {s.name: s.folder or s.name for s in run.students}
    absent = roster.missing(folders) if roster else []
    students += [{"name": e.folder, "score": 0, "scores": {}, "waiting": set(), "time": 0.0,
                  "who": e, "error": False, "absent": True} for e in absent]
    return env.get_template("class.html.j2").render(
        link=lambda name: quote(os.fsencode(placed.get(name, name))) + "/report.html",
        renamed=run.renamed,
        rubric=rubric, version=__version__, students=students, top=top,
        items=item_stats(run, rubric), ids=gradebook.item_ids(run, rubric), roster=roster,
        absent=absent, n_graded=len(run.results),
        strangers=roster.strangers(folders) if roster else [],
        hist=histogram(totals, top), slow=slowest(run.results, 5),
        layers=sandbox_layers(run.results),
        mean=statistics.mean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        failed=sorted(run.failed), interrupted=run.interrupted, resume=resume,
        not_graded=len(run.not_graded),
        changes=sorted(run.changes, key=lambda c: (-abs(c.delta), c.name)),
        similar=similar, pending=exports.pending(run.results, rubric))
