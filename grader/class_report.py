"""Class outputs built from every student's results.json: grades.csv and index.html."""
from __future__ import annotations

import collections
import csv
import io
import math
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from grader import __version__
from grader.changes import changes_csv
from grader.classroom import ClassRun, output_folder, slowest
from grader.markdown import first_sentence
from grader.report import environment
from grader.text import visible
from grader.results_json import write_text_atomic
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


def write_class_outputs(run: ClassRun, rubric: Rubric, out: Path, resume: str = "") -> None:
    """grades.csv and index.html; after an interrupted run they say so and `resume` is the
    command that grades the rest."""
    write_text_atomic(grades_csv(run, rubric), out / "grades.csv")
    write_text_atomic(changes_csv(run.changes), out / "changes.csv")
    write_text_atomic(render_index(run, rubric, resume), out / "index.html")


def _item_ids(run: ClassRun, rubric: Rubric) -> list[str]:
    seen = {t["extra_data"]["item"] for r in run.results.values() for t in r["tests"]}
    return [i.id for i in rubric.items if i.id in seen]


def _scores(results: dict[str, Any]) -> dict[str, float]:
    return {t["extra_data"]["item"]: t["score"] for t in results["tests"]}


def grades_csv(run: ClassRun, rubric: Rubric) -> str:
    """One row per student: total, maximum, then one column per item."""
    ids = _item_ids(run, rubric)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", "total", "max", *ids, "grader_error", "status"])
    for name in sorted(run.results):
        r = run.results[name]
        scores = _scores(r)
        failed = "internal_error" in r.get("extra_data", {})
        writer.writerow([_cell(name), f"{r['score']:g}", f"{sum(t['max_score'] for t in r['tests']):g}",
                         *(f"{scores[i]:g}" if i in scores else "" for i in ids),
                         "yes" if failed else "", "grader failed" if failed else "graded"])
    for name in sorted(run.not_graded):  # the run was interrupted before them
        writer.writerow([_cell(name), "", "", *("" for _ in ids), "", "not graded yet"])
    return buf.getvalue()


def _cell(text: str) -> str:
    """A name as a spreadsheet shows it: visible, and never read as a formula."""
    text = visible(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def item_stats(run: ClassRun, rubric: Rubric) -> list[ItemStats]:
    stats = []
    for item in rubric.items:
        tests = [t for r in run.results.values() for t in r["tests"]
                 if t["extra_data"]["item"] == item.id]
        if not tests:
            continue
        failed = [t["extra_data"] for t in tests if t["status"] != "passed"]
        mistakes = collections.Counter(e["mistake"] for e in failed if e.get("mistake"))
        kinds = collections.Counter(FAILURES.get(e.get("failure_kind") or "", "something else")
                                    for e in failed if not e.get("mistake"))
        messages = {m.id: first_sentence(m.message) for m in item.mistakes}
        stats.append(ItemStats(item.id, item.title, item.points,
                               sum(t["status"] == "passed" for t in tests), len(tests),
                               [(messages.get(m, m), m, n) for m, n in mistakes.most_common(5)],
                               kinds.most_common(5)))
    return stats


FAILURES = {  # TrialFailure.kind, as an instructor reads it
    "value": "wrong values", "shape": "wrong shape", "type": "not numbers",
    "length": "wrong number of outputs", "nonfinite": "NaN or infinity",
    "changed_input": "changed an input", "constant": "wrong answer",
    "raised": "raised an exception", "timeout": "timed out", "crashed": "crashed",
    "missing": "function missing", "missing_file": "file missing",
    "import": "could not be imported", "not_run": "not run (time budget)",
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


def render_index(run: ClassRun, rubric: Rubric, resume: str = "") -> str:
    env = environment()
    totals = [r["score"] for r in run.results.values()]
    top = max((sum(t["max_score"] for t in r["tests"]) for r in run.results.values()), default=0)
    students = [{"name": name, "score": r["score"], "scores": _scores(r),
                 "time": r.get("execution_time", 0.0),
                 "error": "internal_error" in r.get("extra_data", {})}
                for name, r in sorted(run.results.items())]
    return env.get_template("class.html.j2").render(
        link=lambda name: quote(os.fsencode(output_folder(Path(), name).name)) + "/report.html",
        rubric=rubric, version=__version__, students=students, top=top,
        items=item_stats(run, rubric), ids=_item_ids(run, rubric),
        hist=histogram(totals, top), slow=slowest(run.results, 5),
        mean=statistics.mean(totals) if totals else 0.0,
        median=statistics.median(totals) if totals else 0.0,
        failed=sorted(run.failed), interrupted=run.interrupted, resume=resume,
        not_graded=len(run.not_graded),
        changes=sorted(run.changes, key=lambda c: (-abs(c.delta), c.name)))
