"""From a class's documents to what the comparison needs, and what is left out of it:
the given code (the kit's skeletons, the handout's code, the reference's idioms: every
k-gram of it, in either channel) and the class's common code (fingerprints that many
independent groups of students hold, groups.py) count for nobody."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from grader.similarity import groups as grouping
from grader.similarity.channels import Channel
from grader.similarity.compare import Part, Prepared, prepared
from grader.similarity.documents import Document, Options, char_weights, given_channels
from grader.similarity.winnow import K, Prints, codes, covered, kgram_hashes, member, prints

COMMON_MIN, COMMON_SHARE = 10, 0.1  # held by this many groups (as MOSS's -m): common
CHANNELS = ("code", "text")


@dataclass
class Stage:
    """One channel of a document, with the given code found in it."""
    channel: Channel
    prints: Prints  # the given code's hashes removed
    weight: np.ndarray  # per filtered character (given code: 0)
    counted: np.ndarray  # per filtered character: characters of weighed code
    given: int  # characters of weighed code that are given
    inside: np.ndarray  # hashes of every k-gram within one function, given aside (sorted)


@dataclass(frozen=True)
class LeftOut:
    """What the comparison left out of a class, and why (code channel)."""
    groups: int  # independent groups (near-identical documents count once)
    common_min: int  # groups that must hold a fingerprint for it to be common
    total: int  # characters of weighed code in the class
    given: int  # of them, given code
    common: int  # of them, common code


def given_hashes(given: list[str]) -> tuple[np.ndarray, ...]:
    """Every k-gram hash of the given code (sorted), per channel."""
    read = [given_channels(text) for text in given]
    return tuple(np.unique(np.concatenate([kgram_hashes(codes(r[c])) for r in read]
                                          + [np.zeros(0, np.int64)]))
                 for c in range(len(CHANNELS)))


def stages(doc: Document, opts: Options, given: tuple[np.ndarray, ...]) -> tuple[Stage, ...]:
    """The document's channels with the given code found: what either channel finds
    given weighs nothing in both."""
    code_w, text_w = char_weights(doc, opts)
    code, given_chars = _stage(doc.code, code_w, given[0], len(doc.text), doc.regions)
    text, _ = _stage(doc.verbatim, np.where(given_chars, 0.0, text_w), given[1], len(doc.text))
    return code, text


def _stage(channel: Channel, raw: np.ndarray, given: np.ndarray, length: int,
           regions: Sequence[tuple[int, int, str]] = ()) -> tuple[Stage, np.ndarray]:
    w = np.concatenate([[0.0], np.cumsum(raw)])
    c = np.concatenate([[0], np.cumsum(raw > 0)])
    weight = w[channel.chars[:, 1]] - w[channel.chars[:, 0]]
    counted = c[channel.chars[:, 1]] - c[channel.chars[:, 0]]
    fp, every = prints(channel.filtered)
    is_given = covered(len(channel.filtered), np.flatnonzero(member(every, given)))
    total = int(counted.sum())
    weight = np.where(is_given, 0.0, weight)
    counted = np.where(is_given, 0, counted)
    keep = ~member(fp.hashes, given)
    marks = np.bincount(channel.chars[is_given, 0], minlength=length + 1) - np.bincount(
        channel.chars[is_given, 1], minlength=length + 1)  # the document's characters given
    within = np.zeros(len(every), dtype=bool)  # k-grams that start and end in one function
    for start, end in np.searchsorted(channel.chars[:, 0], [(s, e) for s, e, _ in regions]
                                      ).reshape(-1, 2):
        within[start:max(start, end - K + 1)] = True
    inside = np.unique(every[within & ~member(every, given)])
    return (Stage(channel, Prints(fp.hashes[keep], fp.positions[keep]), weight, counted,
                  total - int(counted.sum()), inside), np.cumsum(marks)[:length] > 0)


def common_hashes(staged: list[tuple[Stage, ...]]
                  ) -> tuple[list[np.ndarray], np.ndarray, LeftOut]:
    """Each channel's common hashes (sorted), judged across groups of near-identical
    documents (by the code inside their functions, which reordering does not change), and
    the figures the report gives; and each document's group."""
    sets = [[np.unique(s[c].prints.hashes) for s in staged] for c in range(len(CHANNELS))]
    group = grouping.groups([s[0].inside for s in staged])
    groups = int(group.max()) + 1 if len(group) else 0
    minimum = max(COMMON_MIN, math.ceil(COMMON_SHARE * groups))
    common = [grouping.common(s, group, minimum) for s in sets]
    total = sum(int(s[0].counted.sum()) + s[0].given for s in staged)
    return common, group, LeftOut(groups, minimum, total, sum(s[0].given for s in staged), 0)


def finish(number: int, doc: Document, st: Stage, common: np.ndarray, opts: Options
           ) -> tuple[Prepared, int]:
    """One channel of a document ready to compare (common code left out as given code
    is), and how many characters of its weighed code were common."""
    is_common = member(st.prints.hashes, common)
    mask = covered(len(st.channel.filtered), st.prints.positions[is_common])
    weight = np.where(mask, 0.0, st.weight)
    counted = np.where(mask, 0, st.counted)
    fp = Prints(st.prints.hashes[~is_common], st.prints.positions[~is_common])
    return (prepared(number, fp, weight, counted, parts(doc, st.channel, opts)),
            int(st.counted.sum() - counted.sum()))


def parts(doc: Document, channel: Channel, opts: Options) -> list[Part]:
    """The document, each file and each top-level function (or class)."""
    where = channel.chars[:, 0]
    found = [Part("document", "", "", 0, len(channel.filtered), opts.min_chars, opts.threshold)]
    for start, end, path in doc.files:
        s, e = np.searchsorted(where, [start, end])
        found.append(Part("file", path, path, int(s), int(e), opts.min_part_chars,
                          opts.part_threshold))
        for r_start, r_end, name in doc.regions:
            if start <= r_start < end:
                rs, re_ = np.searchsorted(where, [r_start, r_end])
                found.append(Part("function", name, path, int(rs), int(re_),
                                  opts.min_part_chars, opts.part_threshold))
    return found
