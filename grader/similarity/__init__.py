"""Similar submissions in a class, for the instructor's eyes only (`grade similarity`).

Every pair of students who share code is compared, twice: names and comments aside
(copydetect's filtering and MOSS's winnowing, with a hash that is the same on every run,
so renaming, recommenting and reordering hide nothing), and as written (a file copied as
it was, even one of formulas everyone writes, shows by its comments and names). A
student's document is all their Python files (problem files first, then helpers).

- **Given code is left out**: the kit's skeletons, the handout's code blocks and the
  reference solutions' lines count for nobody; so does **common code**, what many
  independent groups of students hold (near-identical submissions, a ring, count once).
- **Only runs count**: stretches both students hold in one piece, 40 filtered characters
  or more, not idioms that happen to line up.
- **A pair is flagged** when enough of one student's whole code matches the other's, or
  of any one file or function (a single copied file is as visible as a copied homework);
  below that, near misses are listed apart; groups that flagged pairs join are rings.

Nothing here changes a score or reaches a student's report: the outputs are
`similarity.html`, `similarity.json` and a few lines of the class's index.html.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from grader.classroom.records import SIMILARITY_DATA, SIMILARITY_REPORT, report_folders
from grader.rubric.model import Rubric
from grader.similarity import compare, prepare, report
from grader.similarity.documents import Document, Options, document, given_code, options
from grader.similarity.pairs import Pair, Ring, details, rings, slices
from grader.similarity.prepare import LeftOut

__all__ = ["REPORT", "DATA", "Options", "Document", "Pair", "Ring", "Comparison", "options",
           "document", "given_code", "compare_class", "students", "run"]

REPORT, DATA = SIMILARITY_REPORT, SIMILARITY_DATA


@dataclass(frozen=True)
class Comparison:
    """A class compared: the pairs worth showing, the rings, what was left out, and what
    the side-by-side views need."""
    students: int
    compared: int  # pairs sharing any code beyond what is left out
    pairs: list[Pair]  # flagged and near misses, strongest first
    rings: list[Ring]
    left_out: LeftOut
    docs: list[Document]
    channels: list[list[compare.Prepared]]

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.strength >= 1]

    def slices(self, pair: Pair) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where each one's text matches the other's (for the side-by-side view)."""
        return slices(pair, self.docs, self.channels)


def compare_class(docs: list[Document], given: list[str], opts: Options) -> Comparison:
    """Every pair that shares code, the strong ones in detail."""
    hashes = prepare.given_hashes(given)
    staged = [prepare.stages(doc, opts, hashes) for doc in docs]
    common, group, left = prepare.common_hashes(staged)
    channels: list[list[compare.Prepared]] = [[] for _ in prepare.CHANNELS]
    common_chars = 0
    for number, (doc, stages) in enumerate(zip(docs, staged)):
        for c, stage in enumerate(stages):
            ready, common_here = prepare.finish(number, doc, stage, common[c], opts)
            channels[c].append(ready)
            common_chars += common_here if c == 0 else 0
    strengths = compare.class_strengths(channels)
    near = opts.near / opts.threshold
    shown = sorted((key for key, s in strengths.items() if s >= near),
                   key=lambda k: (-strengths[k], docs[k[0]].student, docs[k[1]].student))
    pairs = details(shown, docs, channels, opts.part_threshold)
    flagged = [p for p in pairs if p.strength >= 1]
    found = rings(flagged, {d.student: int(g) for d, g in zip(docs, group)})
    return Comparison(len(docs), len(strengths), pairs, found,
                      dataclasses.replace(left, common=common_chars), docs, channels)


def students(reports: Path, submissions: Path) -> list[tuple[str, Path]]:
    """The class's students: each submission folder that has a report folder in
    `reports`, whatever its name (the report folders say whose they are: a student called
    `index.html` reports into `index.html.student`)."""
    from grader.disk.student_folders import name_of

    names = [name_of(key) for key in report_folders(reports)]
    return sorted((name, submissions / name) for name in names
                  if (submissions / name).is_dir())


def run(reports: Path, submissions: Path, rubric: Rubric,
        opts: Optional[Options] = None) -> dict[str, Any]:
    """Compare the class whose reports are in `reports` and write similarity.json and
    similarity.html there (the same on every run for the same files); the summary."""
    from grader.outputs.results_json import write_json_atomic, write_text_atomic

    opts = opts or options(rubric)
    start = time.monotonic()
    docs = [doc for name, folder in students(reports, submissions)
            if (doc := document(name, folder)) is not None]
    result = compare_class(docs, given_code(rubric), opts)
    data = report.data(result, opts)
    write_json_atomic(data, reports / DATA)
    write_text_atomic(report.render(rubric, data, result, {d.student: d for d in docs}, opts),
                      reports / REPORT)
    return {**{k: data[k] for k in ("students", "pairs", "compared", "flagged", "near_misses")},
            "rings": len(data["rings"]), "seconds": round(time.monotonic() - start, 2)}
