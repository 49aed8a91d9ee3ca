"""Where a section's final answer is, as a reader finds it: its last `\\boxed{}`, else its
last display math (`$$...$$`, Gradescope's `$$$...$$$`, `\\[...\\]`, a bare
`\\begin{align*}...\\end{align*}`, a ```math block), else its last inline math (`$...$`,
`\\(...\\)`), else a last line that is a formula typed without delimiters (`σ = 1/dₓ`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .sections import AnswerError, without_code


@dataclass(frozen=True)
class Math:
    latex: str  # between the delimiters (a bare environment with its \begin and \end)
    display: bool
    start: int  # where it starts in the text


_BEGIN = re.compile(r"\\begin\s*\{([A-Za-z]+\*?)\}")
_OPENERS = (("$$$", "$$$", True), ("$$", "$$", True), ("\\[", "\\]", True),
            ("\\(", "\\)", False), ("$", "$", False))


def math_regions(text: str) -> Iterator[Math]:
    """The math of Markdown text, in order. `\\$` is a dollar sign, not math; inline `$...$`
    does not run over a blank line; an unclosed delimiter is text."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and text.startswith("\\$", i):
            i += 2
            continue
        if ch == "\\" and (found := _BEGIN.match(text, i)):
            end = _environment_end(text, found.group(1), found.end())
            if end > 0:
                yield Math(text[i:end].strip(), True, i)
                i = end
                continue
        for opener, closer, display in _OPENERS:
            if text.startswith(opener, i):
                end = _closing(text, closer, i + len(opener), display)
                if end > 0:
                    yield Math(text[i + len(opener):end].strip(), display, i)
                    i = end + len(closer)
                    break
        else:
            i += 1
            continue


def _closing(text: str, closer: str, start: int, display: bool) -> int:
    """Where `closer` closes math opened just before `start` (-1: nowhere)."""
    j = start
    while True:
        j = text.find(closer, j)
        if j < 0 or not display and "\n\n" in text[start:j]:
            return -1
        if j > 0 and text[j - 1] == "\\" and closer[0] == "$":  # \$ inside math
            j += 1
            continue
        if closer == "$" and text.startswith("$$", j):  # a lone $ never closes at $$
            j += 2
            continue
        return j if text[start:j].strip() else -1


def _environment_end(text: str, name: str, start: int) -> int:
    """The end of `\\end{name}` matching the `\\begin{name}` that ends at `start`."""
    depth, pattern = 1, re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
    for found in pattern.finditer(text, start):
        depth += 1 if found.group(1) == "begin" else -1
        if depth == 0:
            return found.end()
    return -1


def final_math(body: str) -> str:
    """The answer of a section: its last `\\boxed{}`, else its last display math, else its
    last inline math, else its last line if that is a formula without delimiters."""
    text = _unquoted(without_code(body))
    regions = list(math_regions(text))
    for region in reversed(regions):
        boxed = last_boxed(region.latex)
        if boxed is not None:
            return boxed
    shown = [r for r in regions if r.display] or regions
    if shown:
        return shown[-1].latex
    bare = _bare_formula(text)
    if bare:
        return bare
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
