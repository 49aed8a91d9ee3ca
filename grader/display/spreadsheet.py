"""Every CSV the grader writes (grades.csv, changes.csv, canvas.csv, the TAs' export) goes
through `to_csv`, and every CSV it reads back through `read_rows`.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula: a student folder named `=HYPERLINK("http://evil", "x")`
would become a link, a TA's criterion `=cmd|...` a command. OWASP's rule is applied to
every text cell alike: one leading single quote, which spreadsheets show as text. Numbers
are passed as numbers and written as numbers, so a score of -0.5 stays -0.5: only text is
neutralised. Text that already starts with quotes before a formula character gets one
more, so that `text_of` gives every cell back exactly as it was (an import round-trips).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Optional, Union

from grader.display.text import visible

FORMULA = ("=", "+", "-", "@", "\t", "\r")
Cell = Union[str, int, float, None]


def _starts_formula(text: str) -> bool:
    rest = text.lstrip("'")
    return rest != "" and rest[0] in FORMULA


def neutral(text: str) -> str:
    """A text cell as written: control characters visible (text.visible), and a leading
    quote when a spreadsheet could read it as a formula (after any quotes it has)."""
    text = visible(text)
    return "'" + text if _starts_formula(text) else text


def text_of(cell: str) -> str:
    """What `neutral` wrote, back (its control-character escapes stay escapes)."""
    return cell[1:] if cell[:1] == "'" and _starts_formula(cell[1:]) else cell


def _value(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):  # a bool is an int to Python, not a number to a sheet
        return neutral(str(cell))
    if isinstance(cell, (int, float)):
        return f"{cell:g}"
    return neutral(cell)


def to_csv(header: Iterable[str], rows: Iterable[Iterable[Cell]]) -> str:
    """A CSV (RFC 4180 quoting, `\\n` line ends): numbers as numbers, text neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([neutral(h) for h in header])
    for row in rows:
        writer.writerow([_value(c) for c in row])
    return buf.getvalue()


def read_rows(text: str, needed: Optional[set[str]] = None) -> list[dict[str, str]]:
    """A CSV with a header row (ours, or a spreadsheet's save of it), every cell through
    `text_of`; a ValueError names the columns `needed` that it lacks."""
    reader = csv.DictReader(io.StringIO(text))
    rows = [{text_of(k or ""): text_of(v or "") for k, v in row.items() if k is not None}
            for row in reader]
    header = {text_of(h) for h in reader.fieldnames or ()}
    if needed and rows and not needed <= header:
        raise ValueError(f"the CSV needs the columns {', '.join(sorted(needed))}")
    return rows
