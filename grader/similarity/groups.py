"""What a class's honest students write alike: code is common when independent groups of
students hold it, not merely many students. Near-identical documents (a copy ring, of any
size) are one group, so a ring's code never becomes common by its own numbers and hides
nothing: only what many groups share is left out, as MOSS's `-m` does for documents."""
from __future__ import annotations

import numpy as np

from grader.similarity.winnow import MIX

NEAR_IDENTICAL = 0.7  # Jaccard similarity of two fingerprints that makes them one group
MIN_PRINTS = 10  # fewer fingerprints than this (an empty or skeleton-only file): no group
_SEEDS = np.array([0x9E3779B97F4A7C15 * (i + 1) % 2**64 for i in range(16)], dtype=np.uint64)
_BAND = 2  # minhashes per bucket key: pairs at 0.7 share a key at 99.6%, at 0.3 at 52%


def _minhashes(hashes: np.ndarray) -> np.ndarray:
    """The fingerprint's minimum under each of 16 fixed permutations (MinHash)."""
    h = hashes.view(np.uint64)[None, :] ^ _SEEDS[:, None]
    h = (h ^ (h >> np.uint64(30))) * MIX[0]
    h = (h ^ (h >> np.uint64(27))) * MIX[1]
    return (h ^ (h >> np.uint64(31))).min(axis=1)


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    both = len(np.intersect1d(a, b, assume_unique=True))
    return both / (len(a) + len(b) - both)


def groups(prints: list[np.ndarray], similar: float = NEAR_IDENTICAL) -> np.ndarray:
    """A group number per document: documents whose fingerprints (sorted unique hashes)
    are near-identical share one, through any chain of such pairs. MinHash buckets
    propose the pairs, their exact Jaccard similarity decides."""
    parent = np.arange(len(prints))

    def find(d: int) -> int:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = int(parent[d])
        return d

    buckets: dict[tuple[int, ...], list[int]] = {}
    for d, hashes in enumerate(prints):
        if len(hashes) >= MIN_PRINTS:
            sig = _minhashes(hashes)
            for band in range(0, len(sig), _BAND):
                buckets.setdefault((band, *map(int, sig[band:band + _BAND])), []).append(d)
    for members in buckets.values():
        heads: list[int] = []  # one member of each group met in this bucket
        for d in members:
            for h in heads:
                if find(d) == find(h) or _jaccard(prints[d], prints[h]) >= similar:
                    parent[find(d)] = find(h)
                    break
            else:
                heads.append(d)
    roots = np.array([find(d) for d in range(len(prints))], dtype=np.int64)
    return np.unique(roots, return_inverse=True)[1].reshape(-1)


def common(prints: list[np.ndarray], group: np.ndarray, minimum: int) -> np.ndarray:
    """The hashes (sorted) that at least `minimum` groups hold."""
    if not prints:
        return np.zeros(0, dtype=np.int64)
    hashes = np.concatenate(prints)
    owners = np.repeat(group, [len(p) for p in prints])
    order = np.lexsort((owners, hashes))
    hashes, owners = hashes[order], owners[order]
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
    held, count = np.unique(hashes[first], return_counts=True)
    return held[count >= minimum]
