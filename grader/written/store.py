"""TAs' grades of manual items, in SQLite next to the reports (`manual-grades.sqlite`).

What a TA applies is stored by criterion id, never as a number: a criterion's points live
in one row, so changing them changes every student it was applied to. Several TAs (and
several app processes) may write at once: every change is one short transaction in WAL
mode, and a save names the version it started from, so one TA never silently overwrites
another's grade.
"""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from grader.display.spreadsheet import read_rows, to_csv
from grader.engine.outcomes import ManualGrade
from grader.rubric.model import Item, Rubric

DB_NAME = "manual-grades.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS criteria (
    item TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL, points REAL NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (item, id));
CREATE TABLE IF NOT EXISTS grades (
    item TEXT NOT NULL, student TEXT NOT NULL, applied TEXT NOT NULL, comment TEXT NOT NULL,
    grader TEXT NOT NULL, updated REAL NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (item, student));
CREATE TABLE IF NOT EXISTS claims (
    item TEXT NOT NULL, student TEXT NOT NULL, grader TEXT NOT NULL, since REAL NOT NULL,
    PRIMARY KEY (item, student));
CREATE TABLE IF NOT EXISTS history (
    item TEXT NOT NULL, student TEXT NOT NULL, applied TEXT NOT NULL, comment TEXT NOT NULL,
    grader TEXT NOT NULL, updated REAL NOT NULL, version INTEGER NOT NULL);
"""
CLAIM_SECONDS = 600  # a student a TA opened is skipped by the others for this long


class Conflict(Exception):
    """Another TA saved this grade after it was opened."""

    def __init__(self, grader: str):
        super().__init__(f"{grader} saved a grade for this answer after you opened it")
        self.grader = grader


@dataclass(frozen=True)
class Criterion:
    item: str
    id: str
    text: str
    points: float


@dataclass(frozen=True)
class Grade:
    item: str
    student: str
    applied: tuple[str, ...]  # criterion ids
    comment: str
    grader: str
    updated: float
    version: int


def find(reports: Path) -> Optional[Path]:
    """The store for a report folder: in it, or in the class folder above it."""
    for folder in (reports, reports.parent):
        if (folder / DB_NAME).is_file():
            return folder / DB_NAME
    return None


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on the store's file, taken for writing at once (BEGIN IMMEDIATE), so
    that two TAs' saves queue rather than fail (the TAs' accounts share the file)."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=30000")
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def create(path: Path, schema: str, wal: bool = False) -> None:
    """The tables of `schema` in the store's file, where they are not yet."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=30000")
        if wal:
            con.execute("PRAGMA journal_mode=WAL")
        con.executescript(schema)
    finally:
        con.close()


class Store:
    def __init__(self, path: Path):
        self.path = path

    def _db(self) -> Any:
        return transaction(self.path)

    def ensure(self, rubric: Rubric) -> None:
        """Create the tables, and add the rubric's criteria that are not there yet (those
        that are keep the points TAs may have changed)."""
        create(self.path, _SCHEMA, wal=True)
        with self._db() as con:
            for item in manual_items(rubric):
                for k, c in enumerate(item.criteria):
                    con.execute("INSERT OR IGNORE INTO criteria VALUES (?, ?, ?, ?, ?)",
                                (item.id, c.id, c.text, c.points, k))

    # -------------------------------------------------------------- criteria
    def criteria(self, item: str) -> list[Criterion]:
        with self._db() as con:
            rows = con.execute("SELECT item, id, text, points FROM criteria WHERE item = ? "
                               "ORDER BY position, id", (item,)).fetchall()
        return [Criterion(*r) for r in rows]

    def set_criterion(self, item: str, cid: str, text: str, points: float) -> None:
        """Change a criterion (or add one): every grade that applies it follows."""
        with self._db() as con:
            pos = con.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM criteria "
                              "WHERE item = ?", (item,)).fetchone()[0]
            con.execute("INSERT INTO criteria VALUES (?, ?, ?, ?, ?) ON CONFLICT (item, id) "
                        "DO UPDATE SET text = excluded.text, points = excluded.points",
                        (item, cid, text, points, pos))

    # -------------------------------------------------------------- grades
    def grade(self, item: str, student: str) -> Optional[Grade]:
        with self._db() as con:
            row = con.execute("SELECT * FROM grades WHERE item = ? AND student = ?",
                              (item, student)).fetchone()
        return _grade(row) if row else None

    def grades(self, item: Optional[str] = None) -> list[Grade]:
        with self._db() as con:
            rows = con.execute("SELECT * FROM grades" + (" WHERE item = ?" if item else "")
                               + " ORDER BY item, student", (item,) if item else ()).fetchall()
        return [_grade(r) for r in rows]

    def save(self, item: str, student: str, applied: list[str], comment: str, grader: str,
             version: Optional[int]) -> Grade:
        """Store a grade; `version` is the one the TA saw (0: none yet), None to force."""
        with self._db() as con:
            known = {r[0] for r in con.execute("SELECT id FROM criteria WHERE item = ?", (item,))}
            unknown = sorted(set(applied) - known)
            if unknown:
                raise ValueError(f"unknown criteria for {item}: {', '.join(unknown)}")
            row = con.execute("SELECT version, grader FROM grades WHERE item = ? AND "
                              "student = ?", (item, student)).fetchone()
            current = row[0] if row else 0
            if version is not None and version != current:
                raise Conflict(row[1])
            grade = Grade(item, student, tuple(sorted(set(applied))), comment, grader,
                          time.time(), current + 1)
            row = (item, student, json.dumps(list(grade.applied)), comment, grader,
                   grade.updated, grade.version)
            con.execute("INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            con.execute("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            con.execute("DELETE FROM claims WHERE item = ? AND student = ?", (item, student))
        return grade

    def history(self, item: str, student: str) -> list[Grade]:
        """Every save of this grade, the first first, each with who made it."""
        with self._db() as con:
            rows = con.execute("SELECT * FROM history WHERE item = ? AND student = ? "
                               "ORDER BY version", (item, student)).fetchall()
        return [_grade(r) for r in rows]

    def claim(self, item: str, student: str, grader: str) -> Optional[str]:
        """Mark the answer as being graded by `grader`; the TA who holds it, if another."""
        now = time.time()
        with self._db() as con:
            row = con.execute("SELECT grader, since FROM claims WHERE item = ? AND student = ?",
                              (item, student)).fetchone()
            if row and row[0] != grader and now - row[1] < CLAIM_SECONDS:
                return row[0]
            con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?)",
                        (item, student, grader, now))
        return None

    def claimed(self, item: str, grader: str) -> set[str]:
        """Students of `item` another TA has open right now."""
        with self._db() as con:
            rows = con.execute("SELECT student FROM claims WHERE item = ? AND grader != ? "
                               "AND since > ?", (item, grader, time.time() - CLAIM_SECONDS))
            return {r[0] for r in rows}

    # -------------------------------------------------------------- as results
    def manual_grades(self, rubric: Rubric, student: str) -> dict[str, ManualGrade]:
        """What the report of `student` shows for each manual item."""
        out = {}
        for item in manual_items(rubric):
            grade = self.grade(item.id, student)
            if grade is None:
                continue
            applied = tuple((c.text, c.points) for c in self.criteria(item.id)
                            if c.id in grade.applied)  # in the rubric's order
            out[item.id] = ManualGrade(False, applied, grade.comment, (grade.grader,))
        return out

    # -------------------------------------------------------------- CSV
    def export_csv(self) -> str:
        """One row per grade: item, student, the criteria applied (ids, `;`), score as
        the criteria's points give it now, comment, grader, time."""
        with self._db() as con:
            points = {(r[0], r[1]): r[2] for r in con.execute(
                "SELECT item, id, points FROM criteria")}
        rows = [[g.item, g.student, ";".join(g.applied),
                 sum(points.get((g.item, c), 0.0) for c in g.applied), g.comment, g.grader,
                 time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(g.updated))]
                for g in self.grades()]
        return to_csv(["item", "student", "criteria", "points", "comment", "grader",
                       "updated"], rows)

    def import_csv(self, text: str, grader: str, by: Optional[str] = None) -> int:
        """Grades from `export_csv`'s format (its `points` column is only read back as a
        check: criteria carry the points). Rows replace the grades they name. `by`: who
        imports, recorded as every row's grader whatever the file says (an account)."""
        rows = read_rows(text, {"item", "student", "criteria"})
        for n, row in enumerate(rows, 2):
            applied = [c for c in (row.get("criteria") or "").split(";") if c]
            try:
                self.save(row["item"], row["student"], applied, row.get("comment") or "",
                          by or row.get("grader") or grader, None)
            except ValueError as exc:
                raise ValueError(f"line {n}: {exc}") from None
        return len(rows)


def _grade(row: Any) -> Grade:
    return Grade(row[0], row[1], tuple(json.loads(row[2])), row[3], row[4], row[5], row[6])


def manual_items(rubric: Rubric) -> list[Item]:
    return [i for i in rubric.items if i.kind == "manual"]


def score(item: Item, applied: tuple[tuple[str, float], ...]) -> float:
    """Gradescope's way: positive scoring adds to 0, negative deducts from the points;
    never below 0 or above the points."""
    base = 0.0 if item.scoring == "positive" else item.points
    return min(item.points, max(0.0, base + sum(p for _, p in applied)))
