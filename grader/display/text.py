"""Untrusted text (anything a student wrote or named) shown as text: one helper per medium.

Student text reaches people through results.json, Gradescope's Markdown, the HTML reports
and the terminal. In every one of them it must read as what it is and do nothing: no
escape sequence redraws a line or writes the clipboard, no fence closes early, no link or
image appears. `visible` makes control characters visible in any medium; the others add
what their medium needs on top of it.
"""
from __future__ import annotations

import os
import re
from typing import Any

# C0 controls but tab and newline, DEL and C1, bidirectional overrides and isolates,
# zero-width and line/paragraph separators, the BOM, and lone surrogates (undecodable
# bytes of a file name, or a string the sandbox made up).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                        "\u2060-\u2069\ufeff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """The text with every control, format and surrogate character written as an escape
    (`\\x1b`, `\\u202e`, `\\xff` for a byte that was not UTF-8); newlines and tabs stay."""
    if not isinstance(text, str):
        text = str(text)
    if "\r" not in text and _INVISIBLE.search(text) is None:
        return text  # most text: nothing to escape
    return _INVISIBLE.sub(_escape, text.replace("\r\n", "\n"))


def name(raw: str | bytes) -> str:
    """A file or folder name, readable whatever bytes it holds, on one line (a newline
    in a name would start a line of its own in a summary: a fake one)."""
    text = visible(os.fsdecode(raw) if isinstance(raw, bytes) else raw)
    return text.replace("\n", "\\n").replace("\t", "\\t")


def deep_visible(data: Any) -> Any:
    """Every string of a JSON-like tree (keys too) passed through `visible`."""
    kind = type(data)
    if kind is float or kind is int or kind is bool or data is None:
        return data
    if isinstance(data, str):
        return visible(data)
    if isinstance(data, dict):
        return {deep_visible(k): deep_visible(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [deep_visible(v) for v in data]
    return data


def _longest_run(text: str, char: str = "`") -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(r) for r in runs), default=0)


def md_code(text: str) -> str:
    """An inline Markdown code span that no backtick inside can end: nothing in it is
    read as Markdown or HTML (no emphasis, link, image or tag)."""
    text = visible(text).replace("\n", " ")
    fence = "`" * (_longest_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(text: str) -> str:
    """A fenced Markdown code block whose fence is longer than any backtick run inside."""
    fence = "`" * max(3, _longest_run(text) + 1)
    return f"{fence}\n{visible(text)}\n{fence}"


def terminal(text: str) -> str:
    """For a terminal: nothing a student wrote may move the cursor, recolour or retitle."""
    return visible(text)
