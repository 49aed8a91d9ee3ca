"""From an LMS's bulk download to one folder per student, graded as if each student had
handed in a folder (`grade import ARCHIVE --out DIR`).

The download (a zip, or the folder it was unpacked into: source.py) is recognised by how
its files are named (canvas.py, moodle.py, blackboard.py; folders.py passes a folder per
student through), read into who handed in what (model.py), and written out (unpack.py)
with students.csv (students.py): who each folder is, with the LMS's ids, which the
gradebook exports use, when they handed in and whether late, every file taken and every
file left aside, and why.

Layer 9 (beside grader.similarity): imports grader.classroom (students.csv's columns,
the gradebook's CSV writer) and the layers below it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from grader.classroom.imported import STUDENTS_CSV
from grader.disk import unzip
from grader.disk.unzip import ArchiveError
from grader.display.text import name as shown_name
from grader.lms import blackboard, canvas, folders, moodle
from grader.lms.model import JUNK_WHY, Parsed, slug
from grader.lms.source import Source, open_source
from grader.lms.students import students_csv
from grader.lms.unpack import ASIDE, Outcome, write_student
from grader.outputs.results_json import write_text_atomic

FORMATS = {"canvas": canvas, "moodle": moodle, "blackboard": blackboard, "folders": folders}
LMSS = ("blackboard", "moodle", "canvas")  # on a tie, the more telling names win:
# "HW_1_12345_attempt_..." is Blackboard's, though it reads as Canvas's too


class ImportFailure(Exception):
    """The download cannot be imported; one line that says why."""


@dataclass(frozen=True)
class Summary:
    lms: str
    out: Path
    outcomes: tuple[Outcome, ...]
    nobody: tuple[tuple[str, str], ...]  # files that are no student's: (name, why)

    def lines(self) -> list[str]:
        """What `grade import` prints: counts, the files that are nobody's, what next."""
        taken = sum(len(o.taken) for o in self.outcomes)
        aside = sum(len(o.aside) for o in self.outcomes)
        late = sum(o.sub.late is True for o in self.outcomes)
        lines = [f"{self.lms}: {len(self.outcomes)} students, {taken} files taken, {aside} "
                 "left aside" + (f", {late} late" if late else "")]
        if self.nobody:
            lines.append(f"not anyone's submission ({len(self.nobody)}): " + ", ".join(
                f"{shown_name(n)} ({why})" for n, why in self.nobody[:5])
                + (" ..." if len(self.nobody) > 5 else ""))
        export = "" if self.lms == "folders" else f" --export {self.lms}"
        return lines + [f"students: {self.out / STUDENTS_CSV} (every file, taken or left aside)",
                        f"next: grade {self.out} --out reports/{export}"]


def import_download(path: Path, out: Path, lms: Optional[str] = None,
                    expected: frozenset[str] = frozenset()) -> Summary:
    """Import the download at `path` into `out` (new, empty, or an earlier import, which is
    replaced whole). `expected`: the file names the rubric grades (problem1.py, ...)."""
    _check_out(path, out)
    try:
        source = open_source(path)
    except ArchiveError as exc:
        raise ImportFailure(str(exc)) from None
    fmt, source = detect(source, lms)
    names = [n for n in source.names if not unzip.is_junk(n)]
    parsed = FORMATS[fmt].parse(source, names, set(expected))
    parsed.aside[:0] = [(n, JUNK_WHY) for n in source.names if unzip.is_junk(n)]
    parsed.aside += [(r.name, r.why) for r in source.refused]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.importing-", dir=out.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())
        outcomes = tuple(write_student(parsed.submissions[key], source, staging / name,
                                       staging / ASIDE / name)
                         for key, name in folder_names(parsed).items())
        nobody = tuple(parsed.aside)
        write_text_atomic(students_csv(fmt, outcomes, nobody), staging / STUDENTS_CSV)
        _replace(staging, out)
    except OSError as exc:  # the disk is full, the folder not ours to write
        shutil.rmtree(staging, ignore_errors=True)
        raise ImportFailure(f"{out}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Summary(fmt, out, outcomes, nobody)


def detect(source: Source, forced: Optional[str] = None) -> tuple[str, Source]:
    """The format that names the most files of the download (or `forced`), and the
    download without a folder wrapping all of it, when that reads better."""
    candidates = [source] + ([source.unwrapped()] if source.unwrapped() else [])
    scored = [(FORMATS[fmt].recognise([n for n in c.names if not unzip.is_junk(n)]), -i, fmt, c)
              for fmt in ([forced] if forced else LMSS) for i, c in enumerate(candidates)]
    best = max(scored, key=lambda s: s[:2])
    if best[0] > 0 or forced:
        return best[2], best[3]
    inner = candidates[-1]  # a folder of student folders, perhaps wrapped in one more
    if folders.recognise(inner.names) or folders.recognise(source.names):
        return "folders", inner if folders.recognise(inner.names) else source
    raise ImportFailure(f"{source.label}: cannot tell which LMS made it (no file is named "
                        "as Canvas, Moodle or Blackboard name theirs, and no folder holds "
                        "a student's files); give --lms")


def folder_names(parsed: Parsed) -> dict[str, str]:
    """A folder name per student, stable from one download to the next: the name and
    the LMS's id (Canvas, Moodle), the username (Blackboard), the folder's own name."""
    used: set[str] = set()
    names = {}
    for key, sub in sorted(parsed.submissions.items()):
        who = sub.who
        if parsed.lms == "folders":
            base = who.key
        elif parsed.lms == "blackboard":
            base = slug(who.login)
        elif who.key.startswith("anon_"):
            base = who.key
        else:
            base = "_".join(p for p in (slug(who.name), who.id) if p)
        base = base.lstrip(".") or "student"  # a hidden folder would never be graded
        name, n = base, 2
        while name in used or name.lower() in (STUDENTS_CSV, ASIDE) or name.startswith("."):
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[key] = name
    return names


def _check_out(path: Path, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ImportFailure(f"{out}: not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / STUDENTS_CSV).is_file():
        raise ImportFailure(f"{out}: not empty, and not an earlier import (no {STUDENTS_CSV}); "
                            "choose a new folder")
    if path.is_dir() and out.resolve().is_relative_to(path.resolve()):
        raise ImportFailure(f"{out}: inside the download {path}; choose a folder outside it")


def _replace(staging: Path, out: Path) -> None:
    """`staging` becomes `out`; an earlier import there is removed after, not before."""
    if not out.exists():
        staging.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    out.rename(old / out.name)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
