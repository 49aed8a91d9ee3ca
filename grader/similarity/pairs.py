"""The pairs worth showing, in detail: which of each student's files and functions the
other's code matches, how much, and where in the other's code it is; the matching
stretches to highlight; and rings, the groups of students that flagged pairs join."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from grader.similarity.compare import Against, Prepared, Rows, against, covered_spans, index, rows
from grader.similarity.documents import Document
from grader.similarity.prepare import CHANNELS


@dataclass(frozen=True)
class Evidence:
    """How much of one student's file or function (or whole document) the other's code
    matches, in one channel, and where in the other's code most of it is."""
    student: str
    kind: str  # "document", "file" or "function"
    name: str  # the file's path or the function's name ("" for the document)
    file: str
    channel: str  # "code" (names and comments aside) or "text" (as written)
    share: float  # of its weighed code, floored to 0.001
    chars: int  # its matching characters of weighed code
    strength: float  # share / its threshold, when it has enough matching code (else 0)
    other: str  # the other student's file or function holding most of the match
    other_file: str  # the file it is in
    other_share: float  # how much of that one matches back


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    numbers: tuple[int, int]  # the two documents' places in the class
    strength: float  # the strongest evidence's share / its threshold (>= 1: flagged)
    reason: Evidence  # what says most about the pair (_telling)
    wholes: tuple[Evidence, Evidence]  # each one's whole document, in the channel matching more
    evidence: tuple[Evidence, ...]  # files and functions with enough matching code

    @property
    def score(self) -> float:
        return self.reason.share


@dataclass(frozen=True)
class Ring:
    """Students joined by flagged pairs: three or more copies of one another."""
    members: tuple[str, ...]
    center: str  # the member flagged with the most others
    pairs: tuple[Pair, ...]


def details(shown: list[tuple[int, int]], docs: list[Document],
            channels: list[list[Prepared]], part_threshold: float) -> list[Pair]:
    """The shown pairs in full, from the same computation as the class-wide pass: each
    document against all its shown partners at once, in each channel."""
    partners: dict[int, list[int]] = {}
    for a, b in shown:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    sides: dict[tuple[int, int, int], tuple[Against, int, dict[int, int]]] = {}
    for c, prepared in enumerate(channels):
        idx = index(prepared)
        layouts = {kind: layout(prepared, kind) for kind in ("file", "function")}
        for me, yous in sorted(partners.items()):
            found = rows(prepared[me], idx, np.array(sorted(yous)))
            side = against(prepared[me], found)
            others = _counterparts(prepared[me], found, layouts)
            for j, you in enumerate(side.partners.tolist()):
                sides[(c, me, you)] = (side, j, others.get(j, {}))
    return [_pair(a, b, docs, channels, sides, part_threshold) for a, b in shown]


def _pair(a: int, b: int, docs: list[Document], channels: list[list[Prepared]],
          sides: dict[tuple[int, int, int], tuple[Against, int, dict[int, int]]],
          part_threshold: float) -> Pair:
    found: list[Evidence] = []
    wholes: list[tuple[Evidence, Evidence]] = []
    for c in range(len(channels)):
        per = {}
        for me, you in ((a, b), (b, a)):
            per[me] = _evidence(docs[me].student, CHANNELS[c], channels[c][me],
                                channels[c][you], sides.get((c, me, you)),
                                sides.get((c, you, me)))
            found += per[me][1:]
        wholes.append((per[a][0], per[b][0]))
    whole = max(wholes, key=lambda w: (max(w[0].share, w[1].share), w[0].channel == "code"))
    every = [e for w in wholes for e in w] + found
    reason = max(every, key=lambda e: _telling(e, part_threshold))
    shown = sorted(found, key=lambda e: (-e.strength, e.student, e.kind, e.name, e.channel))
    return Pair(docs[a].student, docs[b].student, (a, b), max(e.strength for e in every),
                reason, whole, _best_per_part(shown))


def _telling(e: Evidence, part_threshold: float) -> tuple:
    """What says most about a pair, first: of what flags it, nearly all of someone's code,
    else a whole file, else most of their code, else a function; then the strongest."""
    rank = {"file": 2, "function": 0}.get(e.kind, 3 if e.share >= part_threshold else 1)
    return min(e.strength, 1.0), rank, e.strength, e.share, e.channel == "code"


def _evidence(student: str, channel: str, me: Prepared, you: Prepared,
              side: Optional[tuple[Against, int, dict[int, int]]],
              back: Optional[tuple[Against, int, dict[int, int]]]) -> list[Evidence]:
    """My whole document, then each of my files and functions with enough matching code."""
    if side is None:
        return [Evidence(student, "document", "", "", channel, 0.0, 0, 0.0, "", "", 0.0)]
    got, j, others = side
    out = []
    for k in [0, *(np.flatnonzero(got.counts[j, 1:]) + 1).tolist()]:
        part = me.parts[k]
        other, other_file, other_share = "", "", 0.0
        if k in others and back is not None:
            other, other_file = you.parts[others[k]].name, you.parts[others[k]].file
            other_share = float(back[0].shares[back[1], others[k]])
        out.append(Evidence(student, part.kind, part.name, part.file, channel,
                            float(got.shares[j, k]), int(got.chars[j, k]),
                            float(got.shares[j, k] / part.threshold) if got.counts[j, k] else 0.0,
                            other, other_file, other_share))
    return out


@dataclass(frozen=True)
class Layout:
    """Where every document's parts of one kind are, in one sorted table."""
    stride: int  # > any document's length: number * stride + position orders them all
    starts: np.ndarray  # number * stride + start, sorted
    ends: np.ndarray
    part: np.ndarray  # its index in its document's parts


def layout(docs: list[Prepared], kind: str) -> Layout:
    stride = max((int(d.bounds[-1]) for d in docs if len(d.bounds)), default=0) + 1
    found = [(d.number * stride + p.start, d.number * stride + p.end, k)
             for d in docs for k, p in enumerate(d.parts) if p.kind == kind]
    table = np.array(sorted(found), dtype=np.int64).reshape(-1, 3)
    return Layout(stride, table[:, 0], table[:, 1], table[:, 2])


def _place(lay: Layout, numbers: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The part (index in its document's parts) holding each position (-1: none)."""
    key = numbers * lay.stride + positions
    at = np.searchsorted(lay.starts, key, "right") - 1
    ok = (at >= 0) & (key < lay.ends[np.maximum(at, 0)])
    return np.where(ok, lay.part[np.maximum(at, 0)], -1)


def _counterparts(me: Prepared, found: Rows, layouts: dict[str, Layout]
                  ) -> dict[int, dict[int, int]]:
    """Per partner row: for each of my files and functions, the partner's part of the same
    kind holding most of what it shares with me in runs."""
    out: dict[int, dict[int, int]] = {}
    row, here, there = found.row[found.runs], found.here[found.runs], found.there[found.runs]
    for lay in layouts.values():
        mine = _place(lay, np.full(len(here), me.number), here)
        theirs = _place(lay, found.partners[row], there)
        ok = (mine >= 0) & (theirs >= 0)
        if not ok.any():
            continue
        size = int(lay.part.max()) + 1
        keys, counts = np.unique((row[ok] * size + mine[ok]) * size + theirs[ok],
                                 return_counts=True)
        order = np.lexsort((keys % size, -counts, keys // size))
        for key in keys[order].tolist():
            out.setdefault(key // size // size, {}).setdefault(key // size % size, key % size)
    return out


def _best_per_part(evidence: list[Evidence]) -> tuple[Evidence, ...]:
    """One line per file or function: the channel in which it is the strongest."""
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for e in evidence:
        key = (e.student, e.kind, e.name, e.file)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return tuple(out)


def slices(pair: Pair, docs: list[Document], channels: list[list[Prepared]]
           ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The stretches of each one's text that match, on token boundaries, cut at the files'
    edges (never across a `# file:` line)."""
    out = []
    a, b = pair.numbers
    for me, you in ((a, b), (b, a)):
        marks = []
        for c, prepared in enumerate(channels):
            channel = docs[me].code if c == 0 else docs[me].verbatim
            _, spans = covered_spans(prepared[me], rows(prepared[me], index([prepared[you]])))
            marks += [(int(channel.whole[s, 0]), int(channel.whole[e - 1, 1])) for s, e in spans]
        out.append(_cut(docs[me], marks))
    return out[0], out[1]


def _cut(doc: Document, marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end, _ in doc.files:
        first = len(out)
        for s, e in sorted((max(s, start), min(e, end)) for s, e in marks if s < end and e > start):
            if len(out) > first and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
    return out


def rings(flagged: list[Pair], group: dict[str, int]) -> list[Ring]:
    """Three or more near-identical submissions (one group, groups.py) that flagged pairs
    join, largest first. A student who copied from two others joins them in no ring:
    their pairs stay pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    within = [p for p in flagged if group[p.a] == group[p.b]]
    for p in within:
        ra, rb = find(p.a), find(p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for name in sorted(parent):
        members.setdefault(find(name), []).append(name)
    inside: dict[str, list[Pair]] = {}
    for p in within:
        inside.setdefault(find(p.a), []).append(p)
    found = []
    for root, names in members.items():
        if len(names) >= 3:
            degree = Counter(n for p in inside[root] for n in (p.a, p.b))
            center = min(names, key=lambda m: (-degree[m], m))
            found.append(Ring(tuple(names), center, tuple(inside[root])))
    return sorted(found, key=lambda r: (-len(r.members), r.members))


def ring_of(found: list[Ring]) -> Callable[[Pair], Optional[int]]:
    """For a pair, the ring (its place in `found`) both students are in, if any."""
    where = {name: k for k, ring in enumerate(found) for name in ring.members}
    return lambda p: where.get(p.a) if where.get(p.a, -1) == where.get(p.b, -2) else None
