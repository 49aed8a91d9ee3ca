"""Rubric text (Markdown with $LaTeX$) as plain text, where no markup can be shown:
Gradescope's test names, the terminal, the student kit. The math becomes Unicode through
pylatexenc when it is installed (the kit does without: there the LaTeX stays as written).
"""
from __future__ import annotations

import functools
import re

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)


@functools.lru_cache(maxsize=512)
def to_plain(text: str) -> str:
    """Rubric text with its math as Unicode text ("$\\sigma_W \\to 0$" -> "σ_W →0")."""
    try:
        from pylatexenc.latex2text import LatexNodes2Text
    except ImportError:  # the student kit carries no dependency of its own
        return _MATH.sub(lambda m: m.group(1) or m.group(2), text)
    convert = LatexNodes2Text().latex_to_text
    return _MATH.sub(lambda m: convert(m.group(1) or m.group(2)), text)


def first_sentence(text: str) -> str:
    """The gist of a rubric message, in plain text, for a summary line or a table."""
    plain = to_plain(" ".join(text.split())).replace("`", "")
    return re.split(r"(?<=[.!?]) |: |; ", plain, maxsplit=1)[0].rstrip(".")


def counted(n: float, noun: str) -> str:
    """"1 trial", "3 trials", "1.5 points": a number and its noun, plural unless one."""
    return f"{n:g} {noun}{'' if n == 1 else 's'}"


_OWN_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*: ")  # a class with its module


def failure_line(traceback: str) -> str:
    """The last line of a traceback, which says what failed, without the module path and
    name of an exception class of a library or of the grader (`grader.rubric.references.
    ReferenceError_: reference folder ... does not exist` -> `reference folder ...`); a
    builtin's name stays (`KeyError: 'p2a'`)."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    return _OWN_EXCEPTION.sub("", lines[-1].strip()) if lines else "?"
