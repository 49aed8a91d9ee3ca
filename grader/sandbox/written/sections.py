"""answers.md as Markdown: its sections by part (`## 1a`), what is code and what is text
(one fence scanner, CommonMark's rules, for every reader), and its code blocks."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

ANSWERS_FILE = "answers.md"


class AnswerError(Exception):
    """What a student's written answer does wrong, in words the student can act on."""


_HEADING = re.compile(r"^(#{1,3})[ \t]+(?:(?:problem|part|question|exercise)[ \t]*)?"
                      r"(\d+[ \t]*[a-z])\b[ \t]*[:.)\-]?(.*)$", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})(.*)$")
_COMMENT = re.compile(r"^[ \t]{0,3}<!--")
MATH_FENCES = {"math", "latex", "tex", "katex", "mathjax", "amsmath"}  # blocks of display math


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str
    role: str  # "text", "open" (a fence that opens a block), "code", "close", "comment"
    info: str = ""  # an opening fence's info string (`index`, `python`), lower case


def scan(text: str) -> Iterator[Line]:
    """Every line of `text` with its role. A fence of three or more backticks or tildes
    opens a block that only a fence of the same character, at least as long and with
    nothing after it, closes; an unclosed block runs to the end. An HTML comment that
    starts a line (`<!--`) hides every line up to the one holding `-->`: nothing in it is
    shown, so nothing in it is read."""
    fence, comment = "", False
    for number, line in enumerate(text.splitlines(), 1):
        found = _FENCE.match(line)
        if comment or not fence and _COMMENT.match(line):
            comment = "-->" not in (line if comment else line.split("<!--", 1)[1])
            yield Line(number, line, "comment")
        elif not fence and found and not (found.group(1)[0] == "`" and "`" in found.group(2)):
            fence = found.group(1)
            yield Line(number, line, "open", found.group(2).strip().lower())
        elif fence and found and found.group(1)[0] == fence[0] \
                and len(found.group(1)) >= len(fence) and not found.group(2).strip():
            fence = ""
            yield Line(number, line, "close")
        else:
            yield Line(number, line, "code" if fence else "text")


@dataclass(frozen=True)
class Section:
    part: str  # "1a"
    heading: str  # the heading line as written
    body: str  # everything up to the next part's heading
    line: int  # 1-based line of the heading


def sections(text: str) -> dict[str, Section]:
    """The parts of answers.md by their id: headings `## 1a`, `## 1a: derivation`,
    `### Problem 3e)`; the first heading of a part wins, text under later headings that
    name no part stays with the part above. Headings inside code blocks do not count."""
    found: dict[str, Section] = {}
    current: Optional[tuple[str, str, int]] = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and current[0] not in found:
            found[current[0]] = Section(current[0], current[1], "\n".join(lines).rstrip(),
                                        current[2])  # body line k is line `line + k`

    for line in scan(text):
        heading = _HEADING.match(line.text) if line.role == "text" else None
        if heading:
            close()
            current = (re.sub(r"\s+", "", heading.group(2)).lower(), line.text.strip(),
                       line.number)
            lines = []
        elif current is not None:
            lines.append(line.text)
    close()
    return found


def read_answers(root: str) -> str:
    import os

    path = os.path.join(root, ANSWERS_FILE)
    if not os.path.exists(path):
        raise AnswerError(f"{ANSWERS_FILE} was not found in the submission")
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read(4 << 20)


def find_section(text: str, part: str, found: Optional[dict[str, Section]] = None) -> Section:
    """The section `part` of `text`; `found`: what `sections(text)` gave, if known."""
    found = sections(text) if found is None else found
    if part not in found:
        raise AnswerError(f"{ANSWERS_FILE} has no section `## {part}`"
                          + (f" (it has {', '.join(sorted(found))})" if found else
                             " (it has no section headings like `## 1a`)"))
    return found[part]


def without_code(text: str) -> str:
    """The text outside code blocks, as a reader sees it: inline code spans and HTML
    comments blanked, and the blocks of math (```math, GitHub's and GitLab's display math)
    and GitLab's inline math $`...`$ kept as `$$...$$` and `$...$`."""
    kept, math = [], None
    for line in scan(text):
        if line.role == "open" and line.info.split(" ")[0] in MATH_FENCES:
            math = []
        elif math is not None and line.role in ("code", "close"):
            if line.role == "code":
                math.append(line.text)
            else:
                kept.append(_display("\n".join(math)))
                math = None
        elif line.role == "text":
            kept.append(line.text)
    if math is not None:  # an unclosed block of math runs to the end
        kept.append(_display("\n".join(math)))
    joined = re.sub(r"<!--.*?(?:-->|\Z)", " ", "\n".join(kept), flags=re.DOTALL)
    joined = re.sub(r"\$`([^`\n]+)`\$", lambda m: "$" + m.group(1) + "$", joined)
    return re.sub(r"`[^`\n]*`", " ", joined)


def _display(math: str) -> str:
    """A block of math as display math, unless it brings its own delimiters."""
    return math if re.search(r"\$|\\\[|\\\(", math) else "$$\n" + math + "\n$$"


def code_blocks(text: str) -> list[tuple[str, str, int]]:
    """The code blocks of `text`: (info string, code, the line where the code starts).
    Blocks of math (```math) are math, not code: they are left out."""
    blocks: list[tuple[str, str, int]] = []
    info, start, code = "", 0, []
    for line in scan(text):
        if line.role == "open" and line.info.split(" ")[0] in MATH_FENCES:
            start = 0
        elif line.role == "open":
            info, start, code = line.info, line.number + 1, []
        elif line.role == "code" and start:
            code.append(line.text)
        elif line.role == "close" and start:
            blocks.append((info, "\n".join(code), start))
            start = 0
    if start:  # an unclosed block runs to the end
        blocks.append((info, "\n".join(code), start))
    return blocks
