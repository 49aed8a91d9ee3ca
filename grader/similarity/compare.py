"""Every pair of a class compared, one student against all the others at once.

A student's side of a pair is the share of their weighed code that the other's code
matches, for the whole document, each file and each function: a copy of one file is as
visible as a copy of everything. What matches is what both hold in runs, stretches in
one piece (long_runs). Only students who share a fingerprint are compared (an inverted
index of hashes). The figures are exact: weights are whole 1/1024ths, so a share is the
same whichever way its sums were added, and a pair's details, computed again for the
report, agree with the class-wide pass that chose them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from grader.similarity.winnow import K, Prints, member

MIN_RUN = 40  # filtered characters of one stretch that both students hold in one piece


@dataclass(frozen=True)
class Part:
    """A stretch of one student's document whose share can make a pair suspect."""
    kind: str  # "document", "file" or "function"
    name: str  # the file's path, the function's name ("" for the document)
    file: str  # the file it is in ("" for the document)
    start: int  # in filtered characters
    end: int
    minimum: int  # matching characters of weighed code it needs to count
    threshold: float  # the share of it that flags a pair


@dataclass
class Prepared:
    """A document ready to compare: its fingerprint (what was left out removed), prefix
    sums of its filtered characters' weights and counted characters, and its parts."""
    number: int
    prints: Prints
    weight: np.ndarray  # (n + 1,): weight of the filtered characters before each one
    counted: np.ndarray  # (n + 1,): characters of weighed code before each one
    parts: list[Part]
    bounds: np.ndarray  # every part's start and end, sorted, unique
    at: np.ndarray  # (parts, 2): where each part's start and end are in bounds
    totals: np.ndarray  # (parts,): each part's weight
    minimum: np.ndarray  # (parts,): each part's minimum
    thresholds: np.ndarray  # (parts,): each part's threshold


def prepared(number: int, prints: Prints, weight: np.ndarray, counted: np.ndarray,
             parts: list[Part]) -> Prepared:
    w = np.concatenate([[0.0], np.cumsum(weight)])
    c = np.concatenate([[0], np.cumsum(counted)])
    edges = np.array([[p.start, p.end] for p in parts], dtype=np.int64).reshape(-1, 2)
    bounds = np.unique(edges)
    return Prepared(number, prints, w, c, parts, bounds, np.searchsorted(bounds, edges),
                    w[edges[:, 1]] - w[edges[:, 0]], np.array([p.minimum for p in parts]),
                    np.array([p.threshold for p in parts]))


@dataclass(frozen=True)
class Index:
    """Every fingerprint of the class, sorted by hash: who holds it, where."""
    hashes: np.ndarray
    holders: np.ndarray
    positions: np.ndarray


def index(docs: list[Prepared]) -> Index:
    hashes = np.concatenate([d.prints.hashes for d in docs] or [np.zeros(0, np.int64)])
    holders = np.repeat([d.number for d in docs], [len(d.prints.hashes) for d in docs])
    positions = np.concatenate([d.prints.positions for d in docs] or [np.zeros(0, np.int64)])
    order = np.argsort(hashes, kind="stable")
    return Index(hashes[order], holders[order].astype(np.int64), positions[order])


@dataclass(frozen=True)
class Rows:
    """Every fingerprint of one document that others hold: with whom, where on both sides,
    and whether it lies in a run."""
    partners: np.ndarray  # (P,) their numbers, sorted
    row: np.ndarray  # per occurrence: the partner's row in partners
    here: np.ndarray  # its position in the document
    there: np.ndarray  # its position in the partner's
    runs: np.ndarray  # it lies in a run


def rows(doc: Prepared, idx: Index, only: Optional[np.ndarray] = None) -> Rows:
    """doc's fingerprints that others in idx (or only those numbers, sorted) hold, once
    per place they hold them."""
    lo = np.searchsorted(idx.hashes, doc.prints.hashes, "left")
    many = np.searchsorted(idx.hashes, doc.prints.hashes, "right") - lo
    which = np.repeat(np.arange(len(lo)), many)
    at = lo[which] + np.arange(len(which)) - np.repeat(np.cumsum(many) - many, many)
    holders = idx.holders[at]
    keep = holders != doc.number
    if only is not None:
        keep &= member(holders, only)
    partners, row = np.unique(holders[keep], return_inverse=True)
    row = row.reshape(-1)
    here, there = doc.prints.positions[which][keep], idx.positions[at][keep]
    return Rows(partners, row, here, there, long_runs(row, here, there))


def long_runs(row: np.ndarray, here: np.ndarray, there: np.ndarray) -> np.ndarray:
    """Which occurrences lie in a run: a stretch both documents hold in one piece
    (fingerprints the same distance apart on both sides, overlapping) at least MIN_RUN
    characters long. Shorter ones are idioms that happen to line up (`B, C, H, W =
    x.shape` then a loop), not evidence."""
    if not len(here):
        return np.zeros(0, dtype=bool)
    diagonal = here - there
    order = np.lexsort((here, diagonal, row))
    r, d, h = row[order], diagonal[order], here[order]
    new = np.ones(len(h), dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (d[1:] != d[:-1]) | (h[1:] > h[:-1] + K)
    run = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:] - 1, [len(h) - 1]])
    keep = np.zeros(len(h), dtype=bool)
    keep[order] = (h[last] + K - h[first] >= MIN_RUN)[run]
    return keep


def covered_spans(doc: Prepared, found: Rows) -> tuple[np.ndarray, np.ndarray]:
    """Per span of doc that runs cover: its partner's row, and its start and end
    (filtered characters), in order."""
    stride = len(doc.weight)  # > any end: spans never run from one partner into the next
    starts = np.unique(found.row[found.runs] * stride + found.here[found.runs])
    if not len(starts):
        return np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    reach = np.maximum.accumulate(starts + K)
    new = np.ones(len(starts), dtype=bool)
    new[1:] = starts[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:] - 1, [len(starts) - 1]])
    owner = starts[first] // stride
    return owner, np.stack([starts[first] - owner * stride, reach[last] - owner * stride],
                           axis=1)


@dataclass(frozen=True)
class Against:
    """One student's side against each of the others who share a fingerprint with them."""
    partners: np.ndarray  # (P,) their numbers
    chars: np.ndarray  # (P, parts): characters of weighed code of each part that match
    shares: np.ndarray  # (P, parts): matching weight / the part's weight, floored to 0.001
    counts: np.ndarray  # (P, parts): long enough to be evidence
    strength: np.ndarray  # (P,): the largest share / threshold that counts (0 if none)
    best: np.ndarray  # (P,): the part it is


def against(doc: Prepared, found: Rows, chunk: int = 1 << 21) -> Against:
    """doc's side against each of its partners in `found`."""
    owner, spans = covered_spans(doc, found)
    bounds = doc.bounds
    sums = np.zeros((len(found.partners), len(bounds), 2))
    step = max(1, chunk // max(1, len(bounds)))
    for lo in range(0, len(spans), step):  # (memory: spans x bounds at a time)
        s = np.minimum(spans[lo:lo + step, :1], bounds[None, :])
        e = np.minimum(spans[lo:lo + step, 1:], bounds[None, :])
        piece = np.stack([doc.weight[e] - doc.weight[s], doc.counted[e] - doc.counted[s]], -1)
        _add_sorted(sums, owner[lo:lo + step], piece)
    matched = sums[:, doc.at[:, 1], 0] - sums[:, doc.at[:, 0], 0]
    chars = np.rint(sums[:, doc.at[:, 1], 1] - sums[:, doc.at[:, 0], 1]).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = floor3(np.where(doc.totals > 0, matched / doc.totals, 0.0))
    counts = (chars >= doc.minimum) & (doc.totals > 0)
    strength = np.where(counts, shares / doc.thresholds, 0.0)
    best = strength.argmax(axis=1) if strength.size else np.zeros(0, np.int64)
    return Against(found.partners, chars, shares, counts,
                   strength.max(axis=1) if strength.size else np.zeros(0), best)


def _add_sorted(sums: np.ndarray, owner: np.ndarray, piece: np.ndarray) -> None:
    """sums[owner] += piece, owner sorted (one reduceat instead of a scatter)."""
    if not len(owner):
        return
    starts = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
    sums[owner[starts]] += np.add.reduceat(piece, starts, axis=0)


def floor3(x: np.ndarray) -> np.ndarray:
    """Shares as they are shown and decided on: floored to 0.001 (99.97% is 99.9%, never
    a 100% that is not one), a hair added so that 0.6 stays 0.6."""
    return np.floor(np.asarray(x) * 1000 + 1e-6) / 1000


def class_strengths(channels: list[list[Prepared]]) -> dict[tuple[int, int], float]:
    """Every pair sharing a fingerprint in either channel (numbers, smaller first) and its
    strength: the largest share / threshold of either side, in either channel."""
    strengths: dict[tuple[int, int], float] = {}
    for docs in channels:
        idx = index(docs)
        for doc in docs:
            side = against(doc, rows(doc, idx))
            for other, strength in zip(side.partners.tolist(), side.strength.tolist()):
                key = (min(doc.number, other), max(doc.number, other))
                if strengths.get(key, -1.0) < strength:
                    strengths[key] = strength
    return strengths
