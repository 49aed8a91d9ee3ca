"""Where a section's final answer is, as a reader finds it: its last `\\boxed{}`, else its
last display math (`$$...$$`, Gradescope's `$$$...$$$`, `\\[...\\]`, a bare
`\\begin{align*}...\\end{align*}`, a ```math block), else its last inline math (`$...$`,
`\\(...\\)`), else a last line that is a formula typed without delimiters (`σ = 1/dₓ`)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .sections import AnswerError, without_code


@dataclass(frozen=True)
class Math:
    latex: str  # between the delimiters (a bare environment with its \begin and \end)
    display: bool
    start: int  # where it starts in the text


_TOKEN = re.compile(r"\\\\|\\\$|\${1,3}|\\[\[\]()]|\\(begin|end)\s*\{([A-Za-z]+\*?)\}|\n[ \t]*(?=\n)")
_PAIRS = {"$$$": ("$$$", True), "$$": ("$$", True), "\\[": ("\\]", True),
          "\\(": ("\\)", False), "$": ("$", False)}


def math_regions(text: str) -> Iterator[Math]:
    """The math of Markdown text, in order: `$$...$$`, `$$$...$$$`, `\\[...\\]`, a bare
    `\\begin{...}...\\end{...}` (display), `$...$`, `\\(...\\)` (inline). `\\$` is a dollar
    sign; inline math does not run over a blank line; an unclosed delimiter is text. One
    pass over the delimiters, each closer found by bisection: linear in the text."""
    tokens = [(m.start(), m.end(), m.group(0) if not m.group(1) else m.group(1),
               m.group(2) or "") for m in _TOKEN.finditer(text)]
    where: dict[tuple[str, str], list[int]] = {}
    for k, (_, _, kind, name) in enumerate(tokens):
        where.setdefault((kind if not kind.startswith("\n") else "\n", name), []).append(k)
    k = 0
    while k < len(tokens):
        start, end, kind, name = tokens[k]
        close = _close(tokens, where, k)
        if close is None:
            k += 1
            continue
        body = text[end:tokens[close][0]] if kind != "begin" else text[start:tokens[close][1]]
        if body.strip():
            yield Math(body.strip(), kind not in ("$", "\\("), start)
        k = close + 1


def _close(tokens: list[tuple[int, int, str, str]], where: dict[tuple[str, str], list[int]],
           k: int) -> Optional[int]:
    """The token that closes the one at `k` (None: it opens nothing, or is never closed)."""
    kind, name = tokens[k][2], tokens[k][3]
    if kind == "begin":
        ends, begins = where.get(("end", name), []), where.get(("begin", name), [])
        depth, j = 1, k
        while True:  # nested environments of the same name
            e = bisect.bisect_right(ends, j)
            if e == len(ends):
                return None
            depth += bisect.bisect_left(begins, ends[e]) - bisect.bisect_right(begins, j) - 1
            j = ends[e]
            if depth <= 0:
                return j
    if kind not in _PAIRS:
        return None
    closer, display = _PAIRS[kind]
    closers = where.get((closer, ""), [])
    c = bisect.bisect_right(closers, k)
    if c == len(closers):
        return None
    if not display:
        blanks = where.get(("\n", ""), [])
        b = bisect.bisect_right(blanks, k)
        if b < len(blanks) and blanks[b] < closers[c]:
            return None
    return closers[c]


def final_math(body: str) -> str:
    """The answer of a section: its last `\\boxed{}`, else its last display math, else its
    last inline math, else its last line if that is a formula without delimiters."""
    return final_maths(body)[0]


def final_maths(body: str) -> list[str]:
    """The section's final math (`final_math`), then the inline math written after its last
    display math, last first: where a reader looks when the display only sets the answer
    up (`$$(1 + a)^n = 2$$ gives $a = ...$`)."""
    text = _unquoted(without_code(body))
    regions = list(math_regions(text))
    for region in reversed(regions):
        boxed = last_boxed(region.latex)
        if boxed is not None:
            return [boxed]
    shown = [r for r in regions if r.display] or regions
    if shown:
        later = [r.latex for r in regions if not r.display and r.start > shown[-1].start]
        return [shown[-1].latex, *reversed(later)]
    bare = _bare_formula(text)
    if bare:
        return [bare]
    raise AnswerError("has no math")


def _unquoted(text: str) -> str:
    """Markdown's block quotes (`> `) taken off each line, so a display math quoted over
    several lines reads as it is shown."""
    return re.sub(r"(?m)^[ \t]*(?:>[ \t]?)+", "", text)


_BOXES = re.compile(r"\\(?:boxed|fbox|framebox|bbox\s*(?:\[[^\]]*\])?)\s*\{")


def last_boxed(latex: str) -> Optional[str]:
    """The content of the last `\\boxed{...}` (or `\\fbox`, `\\bbox[...]`) in `latex`."""
    found = list(_BOXES.finditer(latex))
    if not found:
        return None
    start = found[-1].end() - 1
    depth = 0
    for j in range(start, len(latex)):
        if latex[j] in "{}" and latex[j - 1] != "\\":
            depth += 1 if latex[j] == "{" else -1
            if depth == 0:
                inner = latex[start + 1:j].strip()
                return re.sub(r"^\$+|\$+$", "", inner).strip()  # \fbox{$x$}
    raise AnswerError(f"could not read `{short(latex[found[-1].start():])}`: the brace "
                      "after \\boxed is not closed")


_NAMES = {"ln", "log", "exp", "sqrt", "sigma", "ell", "frac", "cdot", "times", "approx",
          "left", "right", "mathrm", "text", "boxed"}


def _bare_formula(text: str) -> Optional[str]:
    """The last non-empty line when it is a formula typed without any delimiters (a phone's
    `σ²_ℓ = (1 + N²Cσ_W)^ℓ`): math characters only, no word beyond the math's names, and
    a relation or an operator."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    line = re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", lines[-1]).replace("**", "")
    line = re.sub(r"^[A-Za-z][A-Za-z ]{0,30}:\s*", "", line).rstrip(".").strip()
    words = re.findall(r"(?<![\\A-Za-z])[A-Za-z]{3,}", line)
    if not line or any(w.lower() not in _NAMES for w in words):
        return None
    if not re.search(r"[=≈^/()²³√·×∑∏σℓ]|\\[a-z]+", line):
        return None
    return line


def short(latex: str, n: int = 60) -> str:
    latex = " ".join(latex.split())
    return latex if len(latex) <= n else latex[:n - 1] + "…"
