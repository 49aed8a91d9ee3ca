"""Fingerprints that are the same on every run and machine: every k-gram of a document's
filtered code hashed by a fixed polynomial (copydetect hashes them with Python's `hash()`,
salted per process, so its scores and orders changed between runs), and MOSS's robust
winnowing over those hashes (the rightmost minimum of every window, as copydetect's)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

K, WINDOW = 25, 6  # copydetect's noise threshold (k) and window (guarantee 30 - k + 1)
_BASE = np.uint64(0x100000001B3)  # odd: the polynomial's base, modulo 2**64
MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))  # splitmix64's
_NONE = np.iinfo(np.int64).max  # beyond the first window's start: never the minimum


@dataclass(frozen=True)
class Prints:
    """A document's selected k-grams: their hashes and where they start (filtered code)."""
    hashes: np.ndarray  # int64
    positions: np.ndarray  # int64, increasing


def codes(text: str) -> np.ndarray:
    """The characters' code points (what the hashes are of)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def kgram_hashes(chars: np.ndarray, k: int = K) -> np.ndarray:
    """The int64 hash of every k-gram of `chars` (code points), in order."""
    n = len(chars) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # (arrays wrap around modulo 2**64: no overflow to guard)
        h *= _BASE
        h += chars[j:j + n]
    h ^= h >> np.uint64(30)
    h *= MIX[0]
    h ^= h >> np.uint64(27)
    h *= MIX[1]
    h ^= h >> np.uint64(31)
    return h.view(np.int64)


def winnow(hashes: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """The positions robust winnowing selects: in every window of `window` hashes (the
    first ones partial), the rightmost minimum. copydetect records a tie only once; both
    give the same hashes, and the same first position of each."""
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    padded = np.concatenate([np.full(window - 1, _NONE, dtype=np.int64), hashes])
    windows = sliding_window_view(padded, window)[:, ::-1]  # newest first
    picks = np.arange(n) - np.argmin(windows, axis=1)
    return np.unique(picks)


def prints(filtered: str, k: int = K, window: int = WINDOW) -> tuple[Prints, np.ndarray]:
    """A filtered document's fingerprint, and the hashes of all its k-grams."""
    every = kgram_hashes(codes(filtered), k)
    picked = winnow(every, window)
    return Prints(every[picked], picked), every


def covered(length: int, positions: np.ndarray, k: int = K) -> np.ndarray:
    """A boolean mask of the characters that the k-grams at `positions` cover."""
    mark = np.bincount(positions, minlength=length + 1)[:length + 1] - np.bincount(
        np.minimum(positions + k, length), minlength=length + 1)[:length + 1]
    return np.cumsum(mark)[:length] > 0


def member(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Which values are in `table` (sorted): np.isin without sorting the values."""
    if not len(table):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[at] == values
