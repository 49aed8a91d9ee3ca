"""Similar submissions in a class, for the instructor's eyes only (`grade similarity`).

Every pair of students is compared with copydetect (MOSS's winnowing over the token
stream, identifiers and comments filtered out, so renaming, recommenting and reordering
do not hide a copy). A student's document is all their Python files in one (problem
files first, then helpers, so code moved into a helper module still matches).

- **Given code is left out.** The kit's skeletons and the handout's code blocks are
  fingerprinted first; their hashes are removed from every document, and the characters
  that match them count for nobody.
- **Substantial code weighs more.** A pair's score for one student is the weighted share
  of their code that the other's matches: each top-level function weighs as the
  rubric's `similarity.weights` say (by default 1 for the substantial functions, 2b's
  forward, 2c's backward and 3e's limit, and for helpers and top-level code, and 0.1
  for the one-line formulas every correct answer has in common: 1a, 3a-3d). The pair is
  ranked by the larger of its two scores and flagged above the threshold, provided the
  matched code is long enough to be more than a shared formula (`min_chars`).

Nothing here changes a score or reaches a student's report: the outputs are
`similarity.html`, `similarity.json` and a few lines of the class's index.html.
"""
from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from grader.classroom.records import SIMILARITY_DATA, SIMILARITY_REPORT, report_folders
from grader.rubric.model import Rubric
from grader.similarity.documents import (Document, Options, char_weights, document, fingerprint,
                                         given_code, options)

__all__ = ["REPORT", "DATA", "Options", "Document", "Pair", "options", "document",
           "given_code", "compare_class", "run", "render"]

REPORT, DATA = SIMILARITY_REPORT, SIMILARITY_DATA
COMMON_MIN, COMMON_SHARE = 10, 0.1  # code in this many documents (as MOSS's -m) is common, not copied


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    score: float  # max of the two weighted shares
    share_a: float
    share_b: float
    matched_chars: int
    functions_a: dict[str, float]
    functions_b: dict[str, float]
    slices_a: list[tuple[int, int]]
    slices_b: list[tuple[int, int]]


def compare_class(docs: list[Document], given: list[str], opts: Options) -> list[Pair]:
    """Every pair, scored; the given code's hashes removed and its characters discounted."""
    from copydetect import compare_files

    given_fps = [fingerprint(g) for g in given]
    plain = [fingerprint(doc.text, doc.tokens) for doc in docs]
    counts: dict[int, int] = {}  # in how many distinct documents each hash appears
    for hashes in {frozenset(int(h) for h in fp.hashes) for fp in plain}:
        for h in hashes:  # (ten identical copies are one document: they hide nothing)
            counts[h] = counts.get(h, 0) + 1
    common = {h for h, n in counts.items() if n >= max(COMMON_MIN, COMMON_SHARE * len(docs))}
    boilerplate = set().union(*(fp.hashes for fp in given_fps)) | common
    for doc, fp_plain in zip(docs, plain):
        doc.fingerprint = _without(fp_plain, boilerplate)
        for fp in given_fps:  # where the document holds given code
            _, _, (slices, _) = compare_files(fp_plain, fp)
            for s, e in zip(*slices):
                doc.given[int(s):int(e)] = True
    weights = [char_weights(d, opts) for d in docs]
    sums = [(np.concatenate([[0.0], np.cumsum(w)]), np.concatenate([[0], np.cumsum(w > 0)]))
            for w in weights]  # prefix sums: a share costs two lookups a slice
    index: dict[int, list[int]] = {}  # hash -> documents: only pairs sharing one compare
    for k, doc in enumerate(docs):
        for h in doc.fingerprint.hashes:
            index.setdefault(int(h), []).append(k)
    candidates: set[tuple[int, int]] = set()
    for holders in index.values():  # (common hashes are boilerplate: none is this common)
        candidates.update((a, b) for i, a in enumerate(holders) for b in holders[i + 1:])
    pairs = []
    for a, b in sorted(candidates):
        overlap, _, (sa, sb) = compare_files(docs[a].fingerprint, docs[b].fingerprint)
        if not overlap:
            continue
        slices_a, slices_b = _spans(sa), _spans(sb)
        (share_a, own_a), (share_b, own_b) = _quick(sums[a], slices_a), _quick(sums[b], slices_b)
        score = max(share_a, share_b)
        fa = fb = {}
        if score >= opts.threshold:  # the breakdown by function, for the report only
            fa, fb = _share(docs[a], weights[a], slices_a), _share(docs[b], weights[b], slices_b)
        pairs.append(Pair(docs[a].student, docs[b].student, score, share_a, share_b,
                          min(own_a, own_b), fa, fb, slices_a, slices_b))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def _quick(sums: tuple[np.ndarray, np.ndarray], slices: list[tuple[int, int]]
           ) -> tuple[float, int]:
    """The weighted share the slices cover, and the characters that count in them (not
    blank, not given, in weighed code)."""
    weight, counted = sums
    if not slices or weight[-1] <= 0:
        return 0.0, 0
    starts = np.array([s for s, _ in slices])
    ends = np.minimum(np.array([e for _, e in slices]), len(weight) - 1)
    return float((weight[ends] - weight[starts]).sum() / weight[-1]), \
        int((counted[ends] - counted[starts]).sum())


def _without(fp: Any, hashes: set) -> Any:
    """A copy of a fingerprint without some hashes: what copydetect computes when given
    them as boilerplate, without lexing the document again."""
    import copy

    from copydetect.utils import get_token_coverage

    out = copy.copy(fp)
    out.hash_idx = {h: i for h, i in fp.hash_idx.items() if int(h) not in hashes}
    out.hashes = set(out.hash_idx)
    out.token_coverage = get_token_coverage(out.hash_idx, fp.k, len(fp.filtered_code))
    return out


def _spans(slices: Any) -> list[tuple[int, int]]:
    return [(int(s), int(e)) for s, e in zip(*slices)] if len(slices) and len(slices[0]) else []


def _share(doc: Document, weights: np.ndarray, slices: list[tuple[int, int]]
           ) -> dict[str, float]:
    """The weighted share of each function the slices cover."""
    matched = np.zeros(len(doc.text), dtype=bool)
    for s, e in slices:
        matched[s:e] = True
    per = {}
    for start, end, name in doc.regions:
        if name:
            w = weights[start:end]
            if w.sum() > 0:
                per[name] = round(float((w * matched[start:end]).sum() / w.sum()), 3)
    return per


def run(reports: Path, submissions: Path, rubric: Rubric,
        opts: Optional[Options] = None) -> dict[str, Any]:
    """Compare the class whose reports are in `reports` (students: its report folders) and
    write similarity.json and similarity.html there; the summary."""
    from grader.disk.student_folders import name_of
    from grader.outputs.results_json import write_json_atomic, write_text_atomic

    opts = opts or options(rubric)
    start = time.monotonic()
    docs = []
    for student in report_folders(reports):  # every student, whatever their folder's name
        name = name_of(student)
        folder = submissions / name
        if folder.is_dir():
            doc = document(name, folder)
            if doc is not None:
                docs.append(doc)
    pairs = compare_class(docs, given_code(rubric), opts)
    flagged = [p for p in pairs if p.score >= opts.threshold and p.matched_chars >= opts.min_chars]
    seconds = time.monotonic() - start
    summary = {"students": len(docs), "pairs": len(docs) * (len(docs) - 1) // 2,
               "compared": len(pairs), "flagged": len(flagged), "seconds": round(seconds, 2),
               "threshold": opts.threshold, "min_chars": opts.min_chars,
               "top": [{"a": p.a, "b": p.b, "score": round(p.score, 3)} for p in flagged[:10]]}
    write_json_atomic({**summary, "flagged_pairs": [
        {"a": p.a, "b": p.b, "score": round(p.score, 4), "share_a": round(p.share_a, 4),
         "share_b": round(p.share_b, 4), "matched_chars": p.matched_chars,
         "functions_a": p.functions_a, "functions_b": p.functions_b}
        for p in flagged]}, reports / DATA)
    by = {d.student: d for d in docs}
    write_text_atomic(render(rubric, summary, [(p, by[p.a], by[p.b]) for p in flagged], opts),
                      reports / REPORT)
    return summary


def _highlight(text: str, slices: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for s, e in sorted(slices):
        s = max(s, pos)
        if e <= s:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f'<mark>{html.escape(text[s:e])}</mark>')
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def render(rubric: Rubric, summary: dict[str, Any],
           flagged: list[tuple[Pair, Document, Document]], opts: Options) -> str:
    from markupsafe import Markup

    from grader import __version__
    from grader.outputs.report import environment

    rows = [{"pair": p, "left": Markup(_highlight(a.text, p.slices_a)),
             "right": Markup(_highlight(b.text, p.slices_b))} for p, a, b in flagged]
    return environment("grader.similarity").get_template("similarity.html.j2").render(
        rubric=rubric, summary=summary, rows=rows, opts=opts, version=__version__)
