"""Class outputs built from every student's results.json: grades.csv and index.html."""
from __future__ import annotations

import collections
import math
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from grader import __version__, gradebook
from grader.changes import changes_csv
from grader.classroom import ClassRun, output_folder, slowest
from grader.similarity import read_summary
from grader.plaintext import first_sentence
from grader.report import environment
from grader.results_json import write_text_atomic
from grader.roster import Roster
from grader.rubric import Rubric


@dataclass(frozen=True)
class ItemStats:
    id: str
    title: str
    points: float
    passed: int
    graded: int
    mistakes: list[tuple[str, str, int]]  # (gist of the message, id, count), most first
    failures: list[tuple[str, int]]  # kinds of failure without a diagnosis, in words

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


def write_class_outputs(run: ClassRun, rubric: Rubric, out: Path, resume: str = "",
                        roster: Optional[Roster] = None, export: tuple[str, ...] = (),
                        submissions: Optional[Path] = None) -> None:
    """grades.csv, changes.csv and index.html (and an LMS's import file per `export`);
    after an interrupted run they say so and `resume` is the command that grades the rest."""
    write_text_atomic(gradebook.grades_csv(run, rubric, roster), out / "grades.csv")
    for lms in export:
        write_text_atomic(gradebook.EXPORTS[lms](run, rubric, roster), out / f"{lms}.csv")
    write_text_atomic(changes_csv(run.changes), out / "changes.csv")
    write_text_atomic(render_index(run, rubric, resume, roster, read_summary(out)),
                      out / "index.html")
    from grader.manual.merge import save_class_options  # for the TAs' app's merges

    save_class_options(out, roster, export, submissions)


def item_stats(run: ClassRun, rubric: Rubric) -> list[ItemStats]:
    stats = []
    hidden = _hidden_details(run, rubric)
    for item in rubric.items:
        tests = [(name, t) for name, r in run.results.items() for t in r["tests"]
                 if t["extra_data"]["item"] == item.id]
        if not tests:
            continue
        failed = [hidden.get((name, item.id), t["extra_data"]) for name, t in tests
                  if t["status"] != "passed"]
        tests = [t for _, t in tests]
        mistakes = collections.Counter(e["mistake"] for e in failed if e.get("mistake"))
        undeclared = collections.Counter(e["explanation"] for e in failed
                                         if not e.get("mistake") and e.get("explanation"))
        kinds = collections.Counter(
            "waiting for a TA" if e.get("manual") == "pending" else
            FAILURES.get(e.get("failure_kind") or "", "something else")
            for e in failed if not e.get("mistake") and not e.get("explanation"))
        messages = {m.id: first_sentence(m.message) for m in item.mistakes}
        named = [(messages.get(m, m), m, n) for m, n in mistakes.most_common(5)]
        named += [(gist, "not declared in the rubric: the grader's own diagnosis", n)
                  for gist, n in undeclared.most_common(5)]
        named.sort(key=lambda entry: -entry[2])
        stats.append(ItemStats(item.id, item.title, item.points,
                               sum(t["status"] == "passed" for t in tests), len(tests),
                               named[:5], kinds.most_common(5)))
    return stats


def _hidden_details(run: ClassRun, rubric: Rubric) -> dict[tuple[str, str], dict]:
    """What results.json leaves out of a hidden item (students read it) and this page
    shows instructors, from each student's record: (student, item) -> extra_data."""
    from grader import record
    from grader.results_json import item_extra

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


def histogram(totals: list[float], top: float, bins: int = 10) -> list[tuple[str, int]]:
    """Counts of totals in equal bins from 0 to `top` (whole points when few enough)."""
    if top <= 0:
        return []
    if top <= 20 and float(top).is_integer():
        edges = [float(x) for x in range(int(top) + 2)]
    else:
        edges = [top * k / bins for k in range(bins + 1)] + [math.inf]
    counts = []
    for lo, hi in zip(edges, edges[1:]):
        n = sum(lo <= t < hi for t in totals)
        label = f"{lo:g}" if hi - lo == 1 or hi == math.inf else f"{lo:g}–{hi:g}"
        counts.append((label, n))
    return counts


def render_index(run: ClassRun, rubric: Rubric, resume: str = "",
                 roster: Optional[Roster] = None, similar: Optional[dict] = None) -> str:
    env = environment()
    totals = [r["score"] for r in run.results.values()]
    top = max((sum(t["max_score"] for t in r["tests"]) for r in run.results.values()), default=0)
    who = (lambda name: roster.get(name)) if roster else (lambda name: None)  # noqa: E731
    students = [{"name": name, "score": r["score"], "scores": gradebook.scores(r),
                 "time": r.get("execution_time", 0.0), "who": who(name), "absent": False,
                 "error": "internal_error" in r.get("extra_data", {})}
                for name, r in sorted(run.results.items())]
    folders = {s.name for s in run.students}
    absent = roster.missing(folders) if roster else []
    students += [{"name": e.folder, "score": 0, "scores": {}, "time": 0.0, "who": e,
                  "error": False, "absent": True} for e in absent]
    return env.get_template("class.html.j2").render(
        link=lambda name: quote(os.fsencode(output_folder(Path(), name).name)) + "/report.html",
        rubric=rubric, version=__version__, students=students, top=top,
        items=item_stats(run, rubric), ids=gradebook.item_ids(run, rubric), roster=roster,
        absent=absent, n_graded=len(run.results),
        strangers=roster.strangers(folders) if roster else [],
        hist=histogram(totals, top), slow=slowest(run.results, 5),
        mean=statistics.mean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        failed=sorted(run.failed), interrupted=run.interrupted, resume=resume,
        not_graded=len(run.not_graded),
        changes=sorted(run.changes, key=lambda c: (-abs(c.delta), c.name)),
        similar=similar)
