"""The two ways a document is read for matching, both from its one token stream.

- **code**: copydetect's filtered code (names V, functions F, classes O, strings S,
  numbers #; blanks and comments gone), so renaming, recommenting and reordering hide
  nothing;
- **text**: the text as written, blanks aside (names, comments and docstrings kept), so
  a file copied as it was is seen even when its code is what everyone writes (a
  problem1.py of formulas, with its comments).

Each keeps, per character, the characters of the document it stands for (a name's V:
the whole name) and its whole token (highlights start and end on token boundaries)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

Tokens = list[tuple[int, Any, str]]  # (position, kind, value), as pygments lexes


@dataclass(frozen=True)
class Channel:
    name: str  # "code" or "text"
    filtered: str
    chars: np.ndarray  # (n, 2): the document's characters each one stands for
    whole: np.ndarray  # (n, 2): the token each one belongs to


def code(tokens: Tokens, number: Optional[str] = "#") -> Channel:
    """copydetect.utils.filter_code on tokens already lexed, numbers as `number` (given
    code's `1.0 - f` is a student's `1 - f`; None keeps them, as copydetect does)."""
    out: list[str] = []
    starts, ends, lengths, letters = [], [], [], []
    for pos, kind, value in tokens:
        letter = _letter(kind)
        if letter is None:
            continue
        if letter == "#":
            letter = number or ""
        elif letter == "S" and value in ("'", '"'):
            letter = '"'
        piece = letter or value
        out.append(piece)
        starts.append(pos)
        ends.append(pos + len(value))
        lengths.append(len(piece))
        letters.append(letter not in ("", '"'))  # stands for its whole token
    chars, whole = _spans(starts, ends, lengths, letters)
    return Channel("code", "".join(out), chars, whole)


@functools.lru_cache(maxsize=None)
def _letter(kind: Any) -> Optional[str]:
    """What copydetect writes for a token of this kind: a letter, "S" for strings (a lone
    quote aside), "#" for numbers, "" for the token itself, None for nothing."""
    from pygments import token

    if kind in (token.Name, token.Name.Variable, token.Name.Attribute):
        return "V"
    if kind in token.Name.Function:
        return "F"
    if kind in token.Name.Class:
        return "O"
    if kind in (token.Comment.Preproc, token.Comment.Hashbang):
        return "P"
    if kind in token.Number:
        return "#"
    if kind in token.Text or kind in token.Comment:
        return None
    return "S" if kind in token.Literal.String else ""


@functools.lru_cache(maxsize=None)
def prose(kind: Any) -> Optional[bool]:
    """Whether a token of this kind is prose (a comment or a docstring), blank (None), or
    code (False)."""
    from pygments.token import Comment, String, Text, Whitespace

    if kind in Comment or kind in String.Doc:
        return True
    return None if kind in Text or kind in Whitespace else False


def _spans(starts: list[int], ends: list[int], lengths: list[int], letters: list[bool]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Per filtered character: the characters it stands for (a letter: its whole token;
    otherwise the one character it copies), and its whole token."""
    many = np.array(lengths, dtype=np.int64)
    token_of = np.repeat(np.arange(len(many)), many)
    first = np.repeat(np.cumsum(many) - many, many)
    start = np.array(starts, dtype=np.int64)[token_of]
    end = np.array(ends, dtype=np.int64)[token_of]
    letter = np.array(letters, dtype=bool)[token_of]
    own = start + np.arange(len(token_of)) - first
    chars = np.stack([np.where(letter, start, own), np.where(letter, end, own + 1)], axis=1)
    return chars.reshape(-1, 2), np.stack([start, end], axis=1).reshape(-1, 2)


def text(source: str, tokens: Tokens, left_out: Optional[np.ndarray] = None) -> Channel:
    """The document's characters but blanks (and `left_out`: the `# file:` lines)."""
    chars = np.frombuffer(source.encode("utf-32-le"), dtype=np.uint32)
    keep = ~np.isin(chars, [32, 9, 10, 13, 12, 11])
    if left_out is not None:
        keep &= ~left_out
    where = np.flatnonzero(keep)
    bounds = np.array([pos for pos, _, _ in tokens] + [len(source)], dtype=np.int64)
    token_of = np.searchsorted(bounds, where, side="right") - 1
    whole = np.stack([bounds[token_of], bounds[token_of + 1]], axis=1).reshape(-1, 2)
    return Channel("text", chars[where].tobytes().decode("utf-32-le"),
                   np.stack([where, where + 1], axis=1).reshape(-1, 2), whole)
