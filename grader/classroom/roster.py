"""The course roster (optional): who each submission folder belongs to, and who handed in
nothing. A CSV with a header row; the one column it needs is the submission folder's name.

    folder,name,email,id,sis_id,login,section
    alice,"Liddell, Alice",alice@uni.example,1001,S-1,aliddell,A

`id` is the LMS's own user id (Canvas's "ID"), `sis_id` and `login` the student
information system's, `section` free text. Column names are matched loosely
("Student Name", "SIS User ID" and the like work too).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

# Accepted spellings of each column, lower-cased, spaces and dashes as underscores.
COLUMNS = {
    "folder": ("folder", "submission", "submission_folder", "directory", "dir", "username"),
    "name": ("name", "student", "student_name", "full_name", "sortable_name"),
    "email": ("email", "e_mail", "email_address"),
    "id": ("id", "lms_id", "canvas_id", "user_id"),
    "sis_id": ("sis_id", "sis_user_id", "student_id", "student_number"),
    "login": ("login", "sis_login_id", "login_id"),
    "section": ("section", "sections", "group"),
}


class RosterError(ValueError):
    """A roster that cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Entry:
    folder: str
    name: str = ""
    email: str = ""
    id: str = ""
    sis_id: str = ""
    login: str = ""
    section: str = ""


@dataclass(frozen=True)
class Roster:
    path: Path
    entries: tuple[Entry, ...]

    def get(self, folder: str) -> Entry | None:
        return self._by_folder().get(folder)

    def _by_folder(self) -> dict[str, Entry]:
        return {e.folder: e for e in self.entries}

    def missing(self, folders: set[str]) -> list[Entry]:
        """Students of the roster without a submission folder."""
        return [e for e in self.entries if e.folder not in folders]

    def strangers(self, folders: set[str]) -> list[str]:
        """Submission folders the roster does not know."""
        known = self._by_folder()
        return sorted(f for f in folders if f not in known)

    def summary_lines(self, folders: set[str]) -> list[str]:
        """For the terminal: who handed in nothing, and which folders it does not know."""
        from grader.display.text import name

        lines = []
        if self.missing(folders):
            lines.append(f"no submission ({len(self.missing(folders))}, scored 0): "
                         + ", ".join(name(e.folder) for e in self.missing(folders)[:10]))
        if self.strangers(folders):
            lines.append(f"not in the roster ({len(self.strangers(folders))}): "
                         + ", ".join(name(f) for f in self.strangers(folders)[:10]))
        return lines


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def load_roster(path: Path) -> Roster:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is fine
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the roster: {exc}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise RosterError(f"{path}: the roster is empty")
    where = {}
    for index, header in enumerate(rows[0]):
        for column, spellings in COLUMNS.items():
            if _key(header) in spellings and column not in where:
                where[column] = index
    if "folder" not in where:
        raise RosterError(f"{path}:1: no column names the submission folder (one of "
                          f"{', '.join(COLUMNS['folder'])}); found {', '.join(rows[0])}")
    entries, seen = [], {}
    listing = "left_aside" in {_key(h) for h in rows[0]}  # grade import's students.csv
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {c: row[i].strip() if i < len(row) else "" for c, i in where.items()}
        if not values["folder"] and listing:
            continue  # files in the download that are nobody's submission
        if not values["folder"]:
            raise RosterError(f"{path}:{line}: no submission folder")
        if values["folder"] in seen:
            raise RosterError(f"{path}:{line}: folder {values['folder']!r} is listed twice "
                              f"(first at line {seen[values['folder']]})")
        seen[values["folder"]] = line
        entries.append(Entry(**values))
    return Roster(path, tuple(entries))
